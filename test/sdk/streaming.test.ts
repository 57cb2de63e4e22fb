import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { APIConnectionError, APIError, isUsageEstimated, RateLimitError, textCompletion } from "../../src/index.js";
import type { TextCompletionChunk } from "../../src/index.js";
import { collect, rejection, streamChunks } from "../helpers/fixtures.js";
import { MockUpstream, sse } from "../helpers/mock-upstream.js";
import { assertOpenAI } from "../helpers/openai-schema.js";

let mock: MockUpstream;
before(async () => {
  mock = await MockUpstream.start();
});
after(() => mock.close());
beforeEach(() => mock.reset());

function stream(extra: Record<string, unknown> = {}) {
  return textCompletion({
    model: "gpt-3.5-turbo-instruct",
    prompt: "Say this is a test",
    stream: true,
    api_key: "sk-test",
    api_base: mock.url,
    ...extra,
  });
}

const USAGE = { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 };

describe("streaming", () => {
  test("passes every chunk through unchanged and sends stream/stream_options upstream", async () => {
    const chunks = streamChunks(["\n\nThis", " is", " a test"]);
    const usageChunk = { ...streamChunks(["x"])[0], choices: [], usage: USAGE };
    mock.always((_req, res) => sse(res, [...chunks, usageChunk, "[DONE]"]));
    const received = await collect(await stream({ stream_options: { include_usage: true } }));
    assert.deepEqual(received, [...chunks, usageChunk]);
    assert.deepEqual(mock.requests[0]?.json, {
      model: "gpt-3.5-turbo-instruct",
      prompt: "Say this is a test",
      stream: true,
      stream_options: { include_usage: true },
    });
    for (const chunk of received) assertOpenAI("CreateCompletionStreamChunk", chunk);
    assert.equal(isUsageEstimated(received[3] as TextCompletionChunk), false);
  });

  test("bytes split anywhere, even inside a UTF-8 character, with CRLF framing and keep-alive comments", async () => {
    const chunks = streamChunks(["日本", "語 é", " 🎉"]);
    const body = Buffer.from(
      ": keep-alive\r\n\r\n" +
        chunks.map((chunk) => `data: ${JSON.stringify(chunk)}\r\n\r\n`).join("") +
        "data: [DONE]\r\n\r\n",
    );
    mock.always(async (_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      for (let i = 0; i < body.length; i += 7) {
        res.write(body.subarray(i, i + 7));
        await new Promise((resolve) => setImmediate(resolve));
      }
      res.end();
    });
    assert.deepEqual(await collect(await stream()), chunks);
  });

  test("include_usage with a provider that sends no usage: a usage chunk counted with the tokenizer, marked estimated", async () => {
    const chunks = streamChunks(["\n\nThis is", " indeed a test"]);
    mock.always((_req, res) => sse(res, [...chunks, "[DONE]"]));
    const received = await collect(await stream({ stream_options: { include_usage: true } }));
    assert.equal(received.length, 3);
    const last = received[2] as TextCompletionChunk;
    assert.deepEqual(last, {
      id: "cmpl-stream1",
      object: "text_completion",
      created: 1700000000,
      model: "gpt-3.5-turbo-instruct",
      choices: [],
      usage: { prompt_tokens: 5, completion_tokens: 6, total_tokens: 11 },
    });
    assert.equal(isUsageEstimated(last), true);
    assertOpenAI("CreateCompletionStreamChunk", last);
  });

  test('an {"error": ...} payload mid-stream raises a typed error from the iterator', async () => {
    mock.always((_req, res) =>
      sse(res, [
        ...streamChunks(["a"]).map((c) => ({ ...c, choices: [{ ...c.choices[0], finish_reason: null }] })),
        {
          error: {
            message: "Rate limit reached",
            type: "requests",
            param: null,
            code: "rate_limit_exceeded",
            status: 429,
          },
        },
      ]),
    );
    const iterator = (await stream())[Symbol.asyncIterator]();
    assert.equal((await iterator.next()).done, false);
    const error = await rejection(iterator.next());
    assert.ok(error instanceof RateLimitError);
    assert.equal(error.message, "Rate limit reached");
  });

  test("an `event: error` event raises the provider's message", async () => {
    mock.always((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(`data: ${JSON.stringify(streamChunks(["a", "b"])[0])}\n\n`);
      res.end(`event: error\ndata: {"message":"The server had an error while processing your request."}\n\n`);
    });
    const iterator = (await stream())[Symbol.asyncIterator]();
    await iterator.next();
    const error = await rejection(iterator.next());
    assert.ok(error instanceof APIError);
    assert.equal(error.status, 500);
    assert.equal(error.message, "The server had an error while processing your request.");
  });

  test("a stream that ends without [DONE] and without a finish_reason raises APIConnectionError", async () => {
    mock.always((_req, res) => sse(res, [streamChunks(["a", "b"])[0] as object]));
    const iterator = (await stream())[Symbol.asyncIterator]();
    await iterator.next();
    const error = await rejection(iterator.next());
    assert.ok(error instanceof APIConnectionError);
    assert.match(error.message, /upstream closed the stream early/);
  });

  test("a stream whose every choice finished may omit [DONE]", async () => {
    const chunks = streamChunks(["a", "b"]);
    mock.always((_req, res) => sse(res, chunks));
    assert.deepEqual(await collect(await stream()), chunks);
  });

  test("n>1 over prompt lists: the stream is complete only when every choice finished", async () => {
    const choice = (index: number, finish: "stop" | null) => ({
      id: "cmpl-x",
      object: "text_completion",
      created: 1,
      model: "m",
      choices: [{ text: "t", index, logprobs: null, finish_reason: finish }],
    });
    // 2 prompts x n=2 = 4 choices; choice 3 never finishes and [DONE] never comes.
    mock.always((_req, res) => sse(res, [choice(0, "stop"), choice(1, "stop"), choice(2, "stop"), choice(3, null)]));
    const iterator = (await stream({ prompt: ["a", "b"], n: 2 }))[Symbol.asyncIterator]();
    for (let i = 0; i < 4; i++) await iterator.next();
    assert.ok((await rejection(iterator.next())) instanceof APIConnectionError);
  });
});
