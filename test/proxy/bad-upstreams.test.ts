/**
 * Upstream garbage is an error, never a crash, a hang or a 200 with garbage: a 200 that
 * is not JSON, JSON of the wrong shape, a stream cut short or sending garbage, a huge
 * error body, an answer over the size bound, an upstream that sends headers and then
 * nothing. Each ends in OpenAI's error JSON with its status (502 bad answer, 504 no answer
 * in time), or once a stream has started, in a final `data: {"error": ...}` event and no
 * [DONE] — for text and chat completions, streamed and not.
 */
import assert from "node:assert/strict";
import type { ServerResponse } from "node:http";
import { after, before, beforeEach, describe, test } from "node:test";
import OpenAI from "openai";
import { readEvents, startGateway, type TestGateway } from "../helpers/gateway.js";
import { json, MockUpstream } from "../helpers/mock-upstream.js";

/** Each deployment's timeout, seconds: hanging upstreams are given up after it. */
const TIMEOUT = 0.5;
const MAX_ANSWER_BYTES = 64 * 1024 * 1024;

let mock: MockUpstream;
let gateway: TestGateway;

before(async () => {
  mock = await MockUpstream.start();
  const params = { api_key: "sk-upstream-SECRET", api_base: `${mock.url}/v1`, timeout: TIMEOUT };
  gateway = await startGateway({
    router: { disable_cooldowns: true },
    modelList: [
      { model_name: "text", litellm_params: { model: "text-completion-openai/gpt-3.5-turbo-instruct", ...params } },
      { model_name: "chat", litellm_params: { model: "openai/gpt-4o", ...params } },
      // Reading 64 MB can outlast TIMEOUT on a loaded machine: the size tests' deployment waits longer.
      { model_name: "chat-roomy", litellm_params: { model: "openai/gpt-4o", ...params, timeout: 60 } },
    ],
    // Failures before the first chunk keep their own status: no keep-alive starts the stream early.
    keepAliveSeconds: 0,
  });
});
after(async () => {
  await gateway.close();
  await mock.close();
});
beforeEach(() => mock.reset());

/** The three ways to a provider: its text endpoint, its chat endpoint, and text through chat. */
interface Kind {
  name: string;
  path: string;
  body: Record<string, unknown>;
  /** The provider named in errors. */
  provider: string;
  /** What the provider was asked for, as errors word it. */
  what: "text completion" | "chat completion";
  /** A well-formed stream chunk of this kind, for choice 0, unfinished. */
  chunk(text: string): object;
}

const TEXT: Kind = {
  name: "text completion",
  path: "/v1/completions",
  body: { model: "text", prompt: "Say this is a test" },
  provider: "text-completion-openai",
  what: "text completion",
  chunk: (text) => ({
    id: "cmpl-1",
    object: "text_completion",
    created: 1,
    model: "m",
    choices: [{ text, index: 0, logprobs: null, finish_reason: null }],
  }),
};
const CHAT: Kind = {
  name: "chat completion",
  path: "/v1/chat/completions",
  body: { model: "chat", messages: [{ role: "user", content: "Say this is a test" }] },
  provider: "openai",
  what: "chat completion",
  chunk: (text) => ({
    id: "chatcmpl-1",
    object: "chat.completion.chunk",
    created: 1,
    model: "m",
    choices: [{ index: 0, delta: { content: text }, finish_reason: null }],
  }),
};
const VIA_CHAT: Kind = {
  ...CHAT,
  name: "text completion through chat",
  path: "/v1/completions",
  body: { model: "chat", prompt: "Say this is a test" },
};
const KINDS = [TEXT, CHAT, VIA_CHAT];

function post(kind: Kind, extra: Record<string, unknown> = {}): Promise<Response> {
  return fetch(`${gateway.url}${kind.path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ...kind.body, ...extra }),
  });
}

function errorBody(message: string, type: string, status: number) {
  return { error: { message, type, param: null, code: String(status) } };
}

/** Asserts OpenAI's error JSON with this status, type and message. */
async function assertError(response: Response, status: number, type: string, message: string): Promise<void> {
  assert.equal(response.headers.get("content-type"), "application/json");
  assert.deepEqual(await response.json(), errorBody(message, type, status));
  assert.equal(response.status, status);
}

/** Asserts a stream that started and ended in one error event, without [DONE]. */
async function assertStreamError(
  response: Response,
  chunks: object[],
  status: number,
  type: string,
  message: string,
): Promise<void> {
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), "text/event-stream");
  const { data } = await readEvents(response);
  assert.deepEqual(
    data.slice(0, -1).map((text) => JSON.parse(text) as unknown),
    chunks,
  );
  assert.deepEqual(JSON.parse(data.at(-1) as string), errorBody(message, type, status));
}

function sendEvents(res: ServerResponse, events: (object | string)[], end = true): void {
  res.writeHead(200, { "content-type": "text/event-stream" });
  for (const event of events) res.write(`data: ${typeof event === "string" ? event : JSON.stringify(event)}\n\n`);
  if (end) res.end();
}

const HTML = `<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body>${"<p>upstream unavailable</p>".repeat(200)}</body></html>`;

describe("a 200 whose body is not JSON", () => {
  for (const kind of KINDS) {
    test(`${kind.name}: a proxy's HTML page is a 502 quoting its first 200 characters`, async () => {
      mock.always((_req, res) => {
        res.writeHead(200, { "content-type": "text/html" });
        res.end(HTML);
      });
      await assertError(
        await post(kind),
        502,
        "api_error",
        `${kind.provider} answered 200 with a body that is not JSON: ${HTML.slice(0, 200)}…`,
      );
    });

    test(`${kind.name}, streamed: an HTML page holds no event, a 502 for a stream that ended early`, async () => {
      mock.always((_req, res) => {
        res.writeHead(200, { "content-type": "text/html" });
        res.end(HTML);
      });
      await assertError(
        await post(kind, { stream: true }),
        502,
        "api_connection_error",
        `${kind.provider} closed the stream early (upstream closed the stream early): no end marker and not every choice finished.`,
      );
    });
  }

  test("through the official OpenAI client: an APIError with status 502 and the message", async () => {
    mock.always((_req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<html>maintenance</html>");
    });
    const client = new OpenAI({ apiKey: "unused", baseURL: `${gateway.url}/v1`, maxRetries: 0 });
    const error = await client.completions.create({ model: "text", prompt: "hi" }).catch((e: unknown) => e);
    assert.ok(error instanceof OpenAI.InternalServerError);
    assert.equal(error.status, 502);
    assert.equal(
      error.message,
      "502 text-completion-openai answered 200 with a body that is not JSON: <html>maintenance</html>",
    );
  });
});

describe("a 200 whose JSON has the wrong shape", () => {
  const shapes: { body: unknown; problem: string; [kind: string]: unknown }[] = [
    { body: {}, problem: "`choices` is missing or not a list" },
    { body: [], problem: "it is a list, not an object" },
    { body: null, problem: "it is null, not an object" },
    { body: "text", problem: "it is a string, not an object" },
    { body: { choices: "x" }, problem: "`choices` is missing or not a list" },
    { body: { choices: [] }, problem: "`choices` is empty" },
    { body: { choices: [null] }, problem: "choices[0] is not an object" },
    {
      body: { choices: [{ text: "hi", message: { content: "hi" }, finish_reason: "stop" }] },
      problem: "choices[0].index is not a non-negative integer",
    },
    {
      body: { choices: [{ index: 0, finish_reason: "stop" }] },
      problem: "",
      text: "choices[0].text is not a string",
      chat: "choices[0].message is not an object",
    },
    {
      body: { choices: [{ index: 0, text: "hi", message: { content: 7 }, finish_reason: "stop" }] },
      problem: "",
      text: "",
      chat: "choices[0].message.content is not a string",
    },
    {
      body: { choices: [{ index: 0, text: "hi", message: { content: "hi" }, finish_reason: 1 }] },
      problem: "choices[0].finish_reason is not a string",
    },
    {
      body: {
        choices: [{ index: 0, text: "hi", message: { content: "hi" }, finish_reason: "stop" }],
        usage: { prompt_tokens: "5" },
      },
      problem: "usage.prompt_tokens is not a number",
    },
  ];
  for (const kind of KINDS) {
    test(`${kind.name}: {}, [], null, choices not a list or empty, a choice without ${kind.what === "chat completion" ? "message" : "text"}: 502 naming the provider`, async () => {
      for (const shape of shapes) {
        const problem =
          shape.problem !== "" ? shape.problem : (shape[kind.what === "chat completion" ? "chat" : "text"] as string);
        if (problem === "") continue;
        mock.always((_req, res) => json(res, 200, shape.body));
        await assertError(
          await post(kind),
          502,
          "api_error",
          `${kind.provider} sent a malformed ${kind.what}: ${problem}.`,
        );
      }
    });
  }

  test("what a translation cannot read is a 502 naming the provider too (chat logprobs that are not a list, as text)", async () => {
    mock.always((_req, res) =>
      json(res, 200, {
        id: "chatcmpl-1",
        object: "chat.completion",
        created: 1,
        model: "m",
        choices: [{ index: 0, message: { content: "hi" }, logprobs: { content: 5 }, finish_reason: "stop" }],
      }),
    );
    await assertError(
      await post(VIA_CHAT),
      502,
      "api_error",
      "openai sent a malformed chat completion: content is not iterable.",
    );
  });

  for (const kind of KINDS) {
    test(`${kind.name}, streamed: a first chunk of the wrong shape is a 502; a later one ends the stream with an error event`, async () => {
      mock.always((_req, res) => sendEvents(res, [{ choices: "x" }, "[DONE]"]));
      await assertError(
        await post(kind, { stream: true }),
        502,
        "api_error",
        `${kind.provider} sent a malformed ${kind.what} chunk: \`choices\` is missing or not a list.`,
      );

      const bad =
        kind.what === "chat completion"
          ? ["delta", { index: 0, finish_reason: null }]
          : ["text", { index: 0, finish_reason: null }];
      mock.always((_req, res) =>
        sendEvents(res, [kind.chunk("This"), { ...kind.chunk(""), choices: [bad[1]] }, "[DONE]"]),
      );
      const text = kind === VIA_CHAT ? TEXT.chunk("This") : kind.chunk("This");
      const first = kind === VIA_CHAT ? { ...text, id: "cmpl-1" } : text;
      await assertStreamError(
        await post(kind, { stream: true }),
        [first],
        502,
        "api_error",
        `${kind.provider} sent a malformed ${kind.what} chunk: choices[0].${bad[0] === "delta" ? "delta is not an object" : "text is not a string"}.`,
      );
    });
  }
});

describe("a stream cut short or sending garbage", () => {
  for (const kind of KINDS) {
    test(`${kind.name}: a stream that ends without [DONE] and an unfinished choice ends in a 502 error event`, async () => {
      mock.always((_req, res) => sendEvents(res, [kind.chunk("This"), kind.chunk(" is")]));
      const response = await post(kind, { stream: true });
      const chunks =
        kind === VIA_CHAT ? [TEXT.chunk("This"), TEXT.chunk(" is")] : [kind.chunk("This"), kind.chunk(" is")];
      await assertStreamError(
        response,
        chunks,
        502,
        "api_connection_error",
        `${kind.provider} closed the stream early (upstream closed the stream early): no end marker and not every choice finished.`,
      );
    });

    test(`${kind.name}: an event that is not JSON mid-stream ends in a 502 error event`, async () => {
      mock.always((_req, res) =>
        sendEvents(res, [kind.chunk("This"), "<html>oops</html>", kind.chunk(" is"), "[DONE]"]),
      );
      const chunks = kind === VIA_CHAT ? [TEXT.chunk("This")] : [kind.chunk("This")];
      await assertStreamError(
        await post(kind, { stream: true }),
        chunks,
        502,
        "api_error",
        "The upstream sent a stream event that is not JSON: <html>oops</html>",
      );
    });
  }

  test("chat, through the official OpenAI client: the chunks before the cut, then an error with the message", async () => {
    mock.always((_req, res) => sendEvents(res, [CHAT.chunk("This"), CHAT.chunk(" is")]));
    const client = new OpenAI({ apiKey: "unused", baseURL: `${gateway.url}/v1`, maxRetries: 0 });
    const stream = await client.chat.completions.create({
      model: "chat",
      messages: [{ role: "user", content: "hi" }],
      stream: true,
    });
    const received: string[] = [];
    const error = await (async () => {
      for await (const chunk of stream) received.push(chunk.choices[0]?.delta.content ?? "");
    })().catch((e: unknown) => e);
    assert.deepEqual(received, ["This", " is"]);
    assert.ok(error instanceof OpenAI.APIError);
    assert.equal(
      error.message,
      "openai closed the stream early (upstream closed the stream early): no end marker and not every choice finished.",
    );
  });

  test("an event that never ends (an endless line) is cut at 64 MB: a 502 error event, not unbounded memory", async () => {
    mock.always(async (_req, res) => {
      sendEvents(res, [CHAT.chunk("This")], false);
      res.write('data: {"choices": "');
      const piece = "x".repeat(1024 * 1024);
      for (let i = 0; i <= 64 && !res.destroyed; i++) {
        if (!res.write(piece)) await new Promise((resolve) => res.once("drain", resolve));
      }
      res.end();
    });
    await assertStreamError(
      await post(CHAT, { stream: true }),
      [CHAT.chunk("This")],
      502,
      "api_error",
      `openai sent a malformed chat completion chunk: an event longer than ${MAX_ANSWER_BYTES} characters.`,
    );
  });
});

describe("error bodies and answers beyond their bounds", () => {
  const HUGE = 10 * 1024 * 1024;
  const cut = " (the provider's message was cut at 2000 characters)";

  for (const kind of [TEXT, CHAT]) {
    for (const stream of [false, true]) {
      test(`${kind.name}${stream ? ", streamed" : ""}: a 10 MB error body is read up to 64 KB, its message passed on cut to 2,000 characters`, async () => {
        let closed = false;
        mock.always((_req, res) => {
          res.socket?.once("close", () => (closed = true));
          res.writeHead(500, { "content-type": "application/json" });
          res.end(`{"error": {"message": "${"overloaded ".repeat(HUGE / 11)}"}}`);
        });
        const response = await post(kind, { stream });
        const text = await response.text();
        assert.equal(response.status, 500);
        const message = `{"error": {"message": "${"overloaded ".repeat(HUGE / 11)}`.slice(0, 2000);
        assert.deepEqual(JSON.parse(text), errorBody(`${message}…${cut}`, "api_error", 500));
        assert.ok(text.length < 2_200, `${text.length} characters`);
        // The rest of the body is not read to reuse the connection: the socket is closed.
        const waited = performance.now();
        while (!closed && performance.now() - waited < 1_000) await new Promise((resolve) => setTimeout(resolve, 5));
        assert.ok(closed, "the upstream socket was closed");
      });
    }
  }

  test("a provider's long message in a small error body is cut too", async () => {
    const long = "This model is overloaded. ".repeat(200);
    mock.always((_req, res) =>
      json(res, 503, { error: { message: long, type: "server_error", param: null, code: null } }),
    );
    await assertError(await post(CHAT), 503, "server_error", `${long.slice(0, 2000)}…${cut}`);
  });

  test("an answer declaring more than 64 MB is a 502 before a byte of it is read", async () => {
    mock.always((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": String(MAX_ANSWER_BYTES + 1) });
      res.write('{"choices": [');
    });
    await assertError(
      await post(TEXT),
      502,
      "api_error",
      `text-completion-openai answered with more than ${MAX_ANSWER_BYTES} bytes, the most litegate reads for one answer.`,
    );
  });

  test("a chunked answer growing past 64 MB is a 502 once it does", async () => {
    mock.always(async (_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"id": "chatcmpl-1", "choices": [{"index": 0, "message": {"content": "');
      const piece = "x".repeat(1024 * 1024);
      for (let i = 0; i <= 64 && !res.destroyed; i++) {
        if (!res.write(piece)) await new Promise((resolve) => res.once("drain", resolve));
      }
      if (!res.destroyed) res.end('"}}]}');
    });
    await assertError(
      await post({ ...CHAT, body: { ...CHAT.body, model: "chat-roomy" } }),
      502,
      "api_error",
      `openai answered with more than ${MAX_ANSWER_BYTES} bytes, the most litegate reads for one answer.`,
    );
  });
});

describe("an upstream that sends headers and then nothing", () => {
  const timedOut = (kind: Kind) => `${kind.provider} did not answer within ${TIMEOUT} s (timeout).`;

  for (const kind of KINDS) {
    test(`${kind.name}: a body that never comes is a 504 within the deployment's timeout`, async () => {
      mock.always((_req, res) => {
        res.writeHead(200, { "content-type": "application/json" });
        res.flushHeaders();
      });
      const started = performance.now();
      await assertError(await post(kind), 504, "timeout", timedOut(kind));
      assert.ok(performance.now() - started < (TIMEOUT + 1) * 1000);
    });

    test(`${kind.name}, streamed: no first event is a 504 within the deployment's timeout`, async () => {
      mock.always((_req, res) => {
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.flushHeaders();
      });
      const started = performance.now();
      await assertError(await post(kind, { stream: true }), 504, "timeout", timedOut(kind));
      assert.ok(performance.now() - started < (TIMEOUT + 1) * 1000);
    });

    test(`${kind.name}, streamed: silence after the first chunk ends the stream with a 504 error event`, async () => {
      mock.always((_req, res) => sendEvents(res, [kind.chunk("This")], false));
      const started = performance.now();
      const chunks = kind === VIA_CHAT ? [TEXT.chunk("This")] : [kind.chunk("This")];
      await assertStreamError(await post(kind, { stream: true }), chunks, 504, "timeout", timedOut(kind));
      assert.ok(performance.now() - started < (TIMEOUT + 1) * 1000);
    });
  }

  test("an upstream's own 408 stays a 408", async () => {
    mock.always((_req, res) =>
      json(res, 408, { error: { message: "Request timed out.", type: "timeout", param: null, code: null } }),
    );
    await assertError(await post(CHAT), 408, "timeout", "Request timed out.");
  });
});
