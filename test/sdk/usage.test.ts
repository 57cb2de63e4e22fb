import assert from "node:assert/strict";
import { test } from "node:test";
import { countTokens, encodingFor } from "../../src/sdk/usage.js";

test("the encoding follows tiktoken's model table: o200k_base for the 4o/4.1/4.5/5/o-series, cl100k_base otherwise", async () => {
  for (const model of ["gpt-4o", "gpt-4o-mini", "openai/gpt-4.1", "gpt-4.5-preview", "gpt-5", "o1-mini", "o3", "o4-mini", "chatgpt-4o-latest"]) {
    assert.equal(encodingFor(model), "o200k_base", model);
  }
  for (const model of ["gpt-3.5-turbo-instruct", "davinci-002", "babbage-002", "gpt-4", "text-completion-openai/gpt-3.5-turbo-instruct", "claude-3-5-sonnet"]) {
    assert.equal(encodingFor(model), "cl100k_base", model);
  }
  // The two encodings split this text differently, so the counts tell which one ran.
  const text = "Bonjour, comment ça va aujourd'hui? 你好世界";
  assert.notEqual(await countTokens("gpt-4o", text), await countTokens("gpt-3.5-turbo-instruct", text));
  assert.equal(await countTokens("gpt-4o", "<|endoftext|>"), 1);
});
