/** chatCompletion() on text completion models, through the SDK: the translation's edges one by one. */
import assert from "node:assert/strict";
import { after, before, beforeEach, test } from "node:test";
import { chatCompletion, isUsageEstimated, UsageLedger } from "../../src/index.js";
import { completionAnswer, streamChunks } from "../helpers/fixtures.js";
import { json, MockUpstream, sse } from "../helpers/mock-upstream.js";
import { assertOpenAIChat } from "../helpers/openai-chat-schema.js";

let mock: MockUpstream;
before(async () => {
  mock = await MockUpstream.start();
});
after(() => mock.close());
beforeEach(() => mock.reset());

const instruct = () => ({
  model: "text-completion-openai/gpt-3.5-turbo-instruct",
  api_key: "sk-test",
  api_base: `${mock.url}/v1`,
});

test("a whole conversation is one prompt; an assistant turn without content adds an empty part", async () => {
  mock.always((_req, res) => json(res, 200, completionAnswer()));
  await chatCompletion({
    ...instruct(),
    messages: [
      { role: "system", content: "Sys." },
      { role: "user", content: "Q?" },
      {
        role: "assistant",
        content: null,
        tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: "{}" } }],
      },
      { role: "tool", tool_call_id: "c1", content: "42" },
    ],
    tool_choice: "none",
  });
  assert.deepEqual(mock.requests[0]?.json, { model: "gpt-3.5-turbo-instruct", prompt: "Sys. Q?  42" });
});

test("a bare OpenAI text model serves chat through /completions too, as LiteLLM reads it as text-completion-openai", async () => {
  mock.always((_req, res) => json(res, 200, completionAnswer()));
  const answer = await chatCompletion({
    model: "gpt-3.5-turbo-instruct",
    api_key: "sk-test",
    api_base: `${mock.url}/v1`,
    messages: [{ role: "user", content: "Hi" }],
  });
  assert.equal(mock.requests[0]?.path, "/v1/completions");
  assert.equal(answer.object, "chat.completion");
});

test("usage the provider left out is counted and marked estimated, on the chat answer", async () => {
  const { usage: _usage, ...noUsage } = completionAnswer();
  mock.always((_req, res) => json(res, 200, noUsage));
  const answer = await chatCompletion({ ...instruct(), messages: [{ role: "user", content: "Say this is a test" }] });
  // cl100k: "Say this is a test" is 5 tokens, "\n\nThis is indeed a test" 6.
  assert.deepEqual(answer.usage, { prompt_tokens: 5, completion_tokens: 6, total_tokens: 11 });
  assert.equal(isUsageEstimated(answer), true);
  assertOpenAIChat("CreateChatCompletionResponse", JSON.parse(JSON.stringify(answer)));
});

test("a stream of n choices: each choice's first delta has the role; the ledger sees the provider's usage once", async () => {
  const chunk = (text: string, index: number, finish: "stop" | null) => ({
    ...streamChunks([text])[0],
    choices: [{ text, index, logprobs: null, finish_reason: finish }],
  });
  const usage = { prompt_tokens: 2, completion_tokens: 4, total_tokens: 6 };
  mock.always((_req, res) =>
    sse(res, [
      chunk("a", 0, null),
      chunk("b", 1, null),
      chunk("c", 0, "stop"),
      chunk("d", 1, "stop"),
      { ...chunk("", 0, null), choices: [], usage },
      "[DONE]",
    ]),
  );
  const ledger = new UsageLedger(true);
  const stream = await chatCompletion({
    ...instruct(),
    messages: [{ role: "user", content: "Go" }],
    n: 2,
    stream: true,
    ledger,
  });
  const deltas: [number, unknown, string | null][] = [];
  for await (const item of stream) {
    assertOpenAIChat("CreateChatCompletionStreamResponse", JSON.parse(JSON.stringify(item)));
    assert.equal(item.usage ?? null, null);
    for (const choice of item.choices) deltas.push([choice.index, choice.delta, choice.finish_reason]);
  }
  assert.deepEqual(deltas, [
    [0, { role: "assistant", content: "a" }, null],
    [1, { role: "assistant", content: "b" }, null],
    [0, { content: "c" }, "stop"],
    [1, { content: "d" }, "stop"],
  ]);
  // Asked upstream on the caller's behalf (the ledger bills), kept from the caller.
  assert.deepEqual(
    mock.requests.map((r) => (r.json as { stream_options?: unknown }).stream_options),
    [{ include_usage: true }],
  );
  assert.deepEqual((await ledger.settle())?.usage, usage);
});
