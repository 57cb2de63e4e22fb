import assert from "node:assert/strict";
import { test } from "node:test";
import countTask from "../../src/usage/token-worker.js";
import { countTokens, estimateFromLength } from "../../src/usage/tokens.js";
import { encodingFor } from "../../src/usage/tokenizer.js";

test("the encoding follows tiktoken's model table: o200k_base for the 4o/4.1/4.5/5/o-series, cl100k_base otherwise", async () => {
  for (const model of [
    "gpt-4o",
    "gpt-4o-mini",
    "openai/gpt-4.1",
    "gpt-4.5-preview",
    "gpt-5",
    "o1-mini",
    "o3",
    "o4-mini",
    "chatgpt-4o-latest",
  ]) {
    assert.equal(encodingFor(model), "o200k_base", model);
  }
  for (const model of [
    "gpt-3.5-turbo-instruct",
    "davinci-002",
    "babbage-002",
    "gpt-4",
    "text-completion-openai/gpt-3.5-turbo-instruct",
    "claude-3-5-sonnet",
  ]) {
    assert.equal(encodingFor(model), "cl100k_base", model);
  }
  // The two encodings split this text differently, so the counts tell which one ran.
  const text = "Bonjour, comment ça va aujourd'hui? 你好世界";
  assert.notEqual(await countTokens("gpt-4o", [text]), await countTokens("gpt-3.5-turbo-instruct", [text]));
});

test("text that spells a special token is counted as the text it is, as OpenAI reads a prompt", async () => {
  assert.equal(await countTokens("gpt-3.5-turbo-instruct", ["hi <|endoftext|> there"]), 8);
});

test("texts are counted together: the sum of their tokens", async () => {
  assert.equal(
    await countTokens("gpt-3.5-turbo-instruct", [
      "Hello, world! How are you?",
      "",
      "  multiple   spaces\n\n\nnewlines",
    ]),
    8 + 7,
  );
  assert.equal(await countTokens("gpt-3.5-turbo-instruct", []), 0);
});

test("ordinary text is counted exactly; a run without spaces is counted in slices, in linear time", async () => {
  // Words shorter than the slice: exactly tiktoken's count.
  assert.equal(
    await countTask({ encoding: "cl100k_base", texts: ["the quick brown fox jumps over the lazy dog. ".repeat(1000)] }),
    10_001,
  );
  // 200,000 letters without a space: js-tiktoken needed minutes; here a fraction of a second, one slice at a time.
  const started = performance.now();
  const long = await countTask({ encoding: "cl100k_base", texts: ["a".repeat(200_000)] });
  const took = performance.now() - started;
  // tiktoken's exact count is 25,000 (8 letters a token); slices of 48 add at most one token each.
  assert.ok(long >= 25_000 && long <= 25_000 + Math.ceil(200_000 / 48), `${long} tokens`);
  assert.ok(took < 5_000, `took ${took} ms`);
  // Runs of spaces, newlines, punctuation and emoji: the other quadratic pieces.
  for (const piece of [" ", "\n", "!", "😀"]) {
    const count = await countTask({ encoding: "o200k_base", texts: [piece.repeat(50_000)] });
    assert.ok(count > 0, piece);
  }
});

test("the length estimate, what a count falls back to past its deadline: four UTF-8 bytes a token", () => {
  assert.equal(estimateFromLength(["abcd", "abcde"]), 3);
  assert.equal(estimateFromLength(["日本"]), 2);
});
