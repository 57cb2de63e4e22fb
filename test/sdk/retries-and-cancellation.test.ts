import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import {
  AbortError,
  APIConnectionError,
  BadRequestError,
  type InternalServerError,
  textCompletion,
  Timeout,
} from "../../src/index.js";
import { collect, completionAnswer, rejection, streamChunks } from "../helpers/fixtures.js";
import { json, MockUpstream, sse } from "../helpers/mock-upstream.js";

let mock: MockUpstream;
before(async () => {
  mock = await MockUpstream.start();
});
after(() => mock.close());
beforeEach(() => mock.reset());

const base = () => ({ model: "gpt-3.5-turbo-instruct", prompt: "hi", api_key: "sk-test", api_base: mock.url });
const fail =
  (status: number, headers: Record<string, string> = {}) =>
  (_req: unknown, res: Parameters<typeof json>[0]) =>
    json(
      res,
      status,
      { error: { message: `failed ${status}`, type: "server_error", param: null, code: null } },
      headers,
    );

describe("retries", () => {
  test("5xx and 429 are retried up to num_retries, honouring retry-after-ms, then succeed", async () => {
    mock.enqueue(fail(500, { "retry-after-ms": "10" }), fail(429, { "retry-after-ms": "10" }), (_req, res) =>
      json(res, 200, completionAnswer()),
    );
    const result = await textCompletion({ ...base(), num_retries: 2 });
    assert.equal(result.id, completionAnswer().id);
    assert.equal(mock.requests.length, 3);
  });

  test("gives up after num_retries with the last error", async () => {
    mock.always(fail(503, { "retry-after-ms": "1" }));
    const error = await rejection(textCompletion({ ...base(), num_retries: 2 }));
    assert.equal((error as InternalServerError).status, 503);
    assert.equal(mock.requests.length, 3);
  });

  test("no retries by default, and never on a 400", async () => {
    mock.always(fail(500));
    await rejection(textCompletion(base()));
    assert.equal(mock.requests.length, 1);
    mock.reset();
    mock.always(fail(400));
    assert.ok((await rejection(textCompletion({ ...base(), num_retries: 3 }))) instanceof BadRequestError);
    assert.equal(mock.requests.length, 1);
  });

  test("retry-after (seconds) is waited for before the next attempt", async () => {
    mock.enqueue(fail(429, { "retry-after": "1" }), (_req, res) => json(res, 200, completionAnswer()));
    const started = Date.now();
    await textCompletion({ ...base(), num_retries: 1 });
    assert.ok(Date.now() - started >= 950, "the second attempt came before retry-after elapsed");
    assert.equal(mock.requests.length, 2);
  });

  test("a stream that fails before its first chunk is retried", async () => {
    const chunks = streamChunks(["ok"]);
    mock.enqueue(
      (_req, res) => {
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.destroy();
      },
      (_req, res) => sse(res, [...chunks, "[DONE]"]),
    );
    const received = await collect(await textCompletion({ ...base(), stream: true, num_retries: 1, timeout: 5 }));
    assert.deepEqual(received, chunks);
    assert.equal(mock.requests.length, 2);
  });

  test("a stream is never retried once its first chunk reached the caller", async () => {
    mock.always((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(
        `data: ${JSON.stringify({ ...streamChunks(["a"])[0], choices: [{ text: "a", index: 0, logprobs: null, finish_reason: null }] })}\n\n`,
      );
      setTimeout(() => res.destroy(), 20);
    });
    const iterator = (await textCompletion({ ...base(), stream: true, num_retries: 3 }))[Symbol.asyncIterator]();
    assert.equal((await iterator.next()).value?.choices[0]?.text, "a");
    assert.ok((await rejection(iterator.next())) instanceof APIConnectionError);
    assert.equal(mock.requests.length, 1);
  });
});

describe("timeout and abort", () => {
  test("timeout bounds the call and closes the upstream connection", async () => {
    mock.always(() => {
      /* never answers */
    });
    const error = await rejection(textCompletion({ ...base(), timeout: 0.2 }));
    assert.ok(error instanceof Timeout);
    assert.equal(error.status, 504);
    assert.equal(error.message, "text-completion-openai did not answer within 0.2 s (timeout).");
    await mock.socketClosed();
  });

  test("a timed-out attempt is retried", async () => {
    mock.enqueue(
      () => {
        /* never answers */
      },
      (_req, res) => json(res, 200, completionAnswer()),
    );
    await textCompletion({ ...base(), timeout: 0.2, num_retries: 1 });
    assert.equal(mock.requests.length, 2);
  });

  test("the caller's signal aborts a pending call and closes the upstream connection", async () => {
    mock.always(() => {
      /* never answers */
    });
    const controller = new AbortController();
    const pending = rejection(textCompletion({ ...base(), signal: controller.signal, num_retries: 2 }));
    while (mock.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    const error = await pending;
    assert.ok(error instanceof AbortError);
    await mock.socketClosed();
    assert.equal(mock.requests.length, 1, "an aborted call is not retried");
  });

  test("aborting mid-stream raises AbortError from the iterator and closes the upstream connection", async () => {
    mock.always((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(
        `data: ${JSON.stringify({ ...streamChunks(["a"])[0], choices: [{ text: "a", index: 0, logprobs: null, finish_reason: null }] })}\n\n`,
      );
    });
    const controller = new AbortController();
    const iterator = (await textCompletion({ ...base(), stream: true, signal: controller.signal }))[
      Symbol.asyncIterator
    ]();
    await iterator.next();
    controller.abort();
    assert.ok((await rejection(iterator.next())) instanceof AbortError);
    await mock.socketClosed();
  });

  test("breaking out of a stream early closes the upstream connection", async () => {
    mock.always((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(
        `data: ${JSON.stringify({ ...streamChunks(["a"])[0], choices: [{ text: "a", index: 0, logprobs: null, finish_reason: null }] })}\n\n`,
      );
    });
    for await (const chunk of await textCompletion({ ...base(), stream: true })) {
      assert.equal(chunk.choices[0]?.text, "a");
      break;
    }
    await mock.socketClosed();
  });

  test("a finished call leaves the connection open for the next one (keep-alive)", async () => {
    mock.always((_req, res) => json(res, 200, completionAnswer()));
    await textCompletion(base());
    await textCompletion(base());
    assert.equal(mock.closedSockets, 0);
  });
});
