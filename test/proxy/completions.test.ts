import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import OpenAI from "openai";
import { completionAnswer, streamChunks } from "../helpers/fixtures.js";
import { readEvents, startGateway, type TestGateway } from "../helpers/gateway.js";
import { json, MockUpstream, sse } from "../helpers/mock-upstream.js";
import { assertOpenAI } from "../helpers/openai-schema.js";

const MASTER_KEY = "sk-1234";
const UPSTREAM_KEY = "sk-upstream-SECRET-abcdef0123";

let mock: MockUpstream;
let gateway: TestGateway;

before(async () => {
  mock = await MockUpstream.start();
  gateway = await startGateway({
    // These tests provoke upstream errors on shared deployments; cooldowns are the router tests' subject.
    router: { disable_cooldowns: true },
    // The seed example: a LiteLLM config with the key read from the environment.
    modelList: [
      {
        model_name: "gpt-3.5-turbo-instruct",
        litellm_params: {
          model: "text-completion-openai/gpt-3.5-turbo-instruct",
          api_key: "os.environ/OPENAI_API_KEY",
          api_base: `${mock.url}/v1`,
        },
      },
      {
        model_name: "azure-instruct",
        litellm_params: {
          model: "azure_text/my-deployment",
          api_key: "azure-key",
          api_base: mock.url,
          api_version: "2024-10-21",
        },
      },
      {
        model_name: "needs-key",
        litellm_params: { model: "text-completion-openai/davinci-002", api_key: "os.environ/NOT_SET_ANYWHERE_KEY" },
      },
      {
        model_name: "mock-model",
        litellm_params: { model: "text-completion-openai/mock", mock_response: "This is a mock answer." },
      },
    ],
    masterKey: MASTER_KEY,
    keepAliveSeconds: 0.1,
    env: { OPENAI_API_KEY: UPSTREAM_KEY },
  });
});
after(async () => {
  await gateway.close();
  await mock.close();
});
beforeEach(() => mock.reset());

const client = () => new OpenAI({ apiKey: MASTER_KEY, baseURL: `${gateway.url}/v1`, maxRetries: 0 });

function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${gateway.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${MASTER_KEY}`, ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

describe("POST /v1/completions through the official OpenAI SDK", () => {
  test("the seed example: the SDK's answer is OpenAI's, and the upstream saw the configured key", async () => {
    mock.always((_req, res) => json(res, 200, completionAnswer(), { "x-request-id": "req_upstream" }));
    const answer = await client().completions.create({
      model: "gpt-3.5-turbo-instruct",
      prompt: "Say this is a test",
      max_tokens: 7,
      temperature: 0,
    });
    const { _request_id, ...body } = answer as typeof answer & { _request_id?: string | null };
    assert.deepEqual(body, completionAnswer());
    assert.match(String(_request_id), /^[0-9a-f-]{36}$/);
    assertOpenAI("CreateCompletionResponse", body);
    const [upstream] = mock.requests;
    assert.equal(upstream?.path, "/v1/completions");
    assert.equal(upstream?.headers.authorization, `Bearer ${UPSTREAM_KEY}`);
    assert.deepEqual(upstream?.json, {
      model: "gpt-3.5-turbo-instruct",
      prompt: "Say this is a test",
      max_tokens: 7,
      temperature: 0,
    });
    // The client's own headers stay with the gateway.
    assert.equal(upstream?.headers["x-stainless-lang"], undefined);
    assert.ok(!String(upstream?.headers["user-agent"]).startsWith("OpenAI/JS"));
  });

  test("streams through the SDK chunk by chunk", async () => {
    const chunks = streamChunks(["\n\nThis", " is", " a test"]);
    mock.always((_req, res) => sse(res, [...chunks, "[DONE]"]));
    const stream = await client().completions.create({
      model: "gpt-3.5-turbo-instruct",
      prompt: "Say this is a test",
      stream: true,
    });
    const received: unknown[] = [];
    for await (const chunk of stream) received.push(chunk);
    assert.deepEqual(received, chunks);
    for (const chunk of received) assertOpenAI("CreateCompletionStreamChunk", chunk);
  });

  test("an upstream error reaches the SDK as its typed error with the provider's message", async () => {
    mock.always((_req, res) =>
      json(
        res,
        429,
        {
          error: {
            message: "Rate limit reached for requests",
            type: "requests",
            param: null,
            code: "rate_limit_exceeded",
          },
        },
        { "retry-after": "3" },
      ),
    );
    const error = await client()
      .completions.create({ model: "gpt-3.5-turbo-instruct", prompt: "hi" })
      .catch((e: unknown) => e);
    assert.ok(error instanceof OpenAI.RateLimitError);
    assert.equal(error.status, 429);
    assert.equal(error.message, "429 Rate limit reached for requests");
    assert.equal(error.headers?.get("retry-after"), "3");
  });
});

describe("a native answer is forwarded as the provider's bytes", () => {
  // Spacing, key order, escapes and a field OpenAI may add later: a re-serialisation would change each.
  const BODY =
    '{ "id":"cmpl-raw", "object":"text_completion","created":1700000000, "model":"gpt-3.5-turbo-instruct",\n' +
    '  "choices":[{"text":"caf\\u00e9 \\"quoted\\"","index":0,"logprobs":null,"finish_reason":"stop"}],' +
    '"usage":{"prompt_tokens":5,"completion_tokens":3,"total_tokens":8},"service_tier":"default" }';

  test("the body the client reads is byte-identical to the upstream's, and spend is still recorded from its usage", async () => {
    mock.always((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(BODY) });
      res.end(BODY);
    });
    const response = await post("/v1/completions", {
      model: "gpt-3.5-turbo-instruct",
      prompt: "Say this",
      max_tokens: 3,
    });
    assert.equal(response.status, 200);
    assert.equal(await response.text(), BODY);
    assert.equal(response.headers.get("content-type"), "application/json");
    assert.equal(response.headers.get("content-length"), String(Buffer.byteLength(BODY)));
  });

  test("an answer the gateway completes (usage counted here) is serialised afresh", async () => {
    const answer = completionAnswer();
    delete answer.usage;
    mock.always((_req, res) => json(res, 200, answer));
    const response = await post("/v1/completions", {
      model: "gpt-3.5-turbo-instruct",
      prompt: "Say this is a test",
      max_tokens: 7,
    });
    const body = (await response.json()) as { usage?: { prompt_tokens: number } };
    assert.equal(body.usage?.prompt_tokens, 5);
  });
});

describe("routes", () => {
  test("all four completion routes reach the upstream; the model in the path wins", async () => {
    mock.always((_req, res) => json(res, 200, completionAnswer()));
    const body = { model: "something-else", prompt: "hi" };
    const statuses = [
      (await post("/completions", { ...body, model: "gpt-3.5-turbo-instruct" })).status,
      (await post("/v1/completions", { ...body, model: "gpt-3.5-turbo-instruct" })).status,
      (await post("/engines/gpt-3.5-turbo-instruct/completions", body)).status,
      (await post("/openai/deployments/azure-instruct/completions", body)).status,
    ];
    assert.deepEqual(statuses, [200, 200, 200, 200]);
    assert.deepEqual(
      mock.requests.map((r) => [r.path, (r.json as { model: string }).model]),
      [
        ["/v1/completions", "gpt-3.5-turbo-instruct"],
        ["/v1/completions", "gpt-3.5-turbo-instruct"],
        ["/v1/completions", "gpt-3.5-turbo-instruct"],
        ["/openai/deployments/my-deployment/completions", "my-deployment"],
      ],
    );
  });

  test("every OpenAI param reaches the upstream unchanged; prompt lists with n keep OpenAI's choice order", async () => {
    const params = {
      prompt: ["one", "two"],
      n: 2,
      best_of: 2,
      echo: true,
      frequency_penalty: 0.1,
      presence_penalty: 0.2,
      logit_bias: { "100257": -100 },
      logprobs: 1,
      max_tokens: 3,
      seed: 7,
      stop: ["\n"],
      suffix: "!",
      temperature: 0.5,
      top_p: 0.5,
      user: "u1",
    };
    const choices = [0, 1, 2, 3].map((index) => ({
      text: `c${index}`,
      index,
      logprobs: null,
      finish_reason: "length" as const,
    }));
    mock.always((_req, res) => json(res, 200, completionAnswer({ choices })));
    const response = await post("/v1/completions", { model: "gpt-3.5-turbo-instruct", ...params });
    assert.equal(response.status, 200);
    assert.deepEqual(mock.requests[0]?.json, { model: "gpt-3.5-turbo-instruct", ...params });
    const answer = (await response.json()) as { choices: { index: number; text: string }[] };
    assert.deepEqual(
      answer.choices.map((c) => [c.index, c.text]),
      [
        [0, "c0"],
        [1, "c1"],
        [2, "c2"],
        [3, "c3"],
      ],
    );
  });

  test("a client cannot redirect the gateway's key with api_base or api_key in the body", async () => {
    mock.always((_req, res) => json(res, 200, completionAnswer()));
    await post("/v1/completions", {
      model: "gpt-3.5-turbo-instruct",
      prompt: "hi",
      api_base: "http://127.0.0.1:9/evil",
      api_key: "sk-client",
    });
    assert.equal(mock.requests.length, 1);
    assert.equal(mock.requests[0]?.headers.authorization, `Bearer ${UPSTREAM_KEY}`);
    assert.deepEqual(mock.requests[0]?.json, { model: "gpt-3.5-turbo-instruct", prompt: "hi" });
  });

  test("GET /v1/models lists the public model names; /v1/models/{id} finds one or 404s", async () => {
    const list = await fetch(`${gateway.url}/v1/models`, { headers: { authorization: `Bearer ${MASTER_KEY}` } });
    const body = (await list.json()) as {
      object: string;
      data: { id: string; object: string; created: number; owned_by: string }[];
    };
    assert.equal(body.object, "list");
    assert.deepEqual(
      body.data.map((m) => [m.id, m.object, m.owned_by]),
      [
        ["gpt-3.5-turbo-instruct", "model", "openai"],
        ["azure-instruct", "model", "openai"],
        ["needs-key", "model", "openai"],
        ["mock-model", "model", "openai"],
      ],
    );
    const one = await client().models.retrieve("azure-instruct");
    assert.equal(one.id, "azure-instruct");
    const missing = await fetch(`${gateway.url}/v1/models/nope`, {
      headers: { authorization: `Bearer ${MASTER_KEY}` },
    });
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { error: { code: string } }).error.code, "model_not_found");
  });

  test("response headers: call id (the gateway's), the client's x-request-id kept, model id, api base, durations", async () => {
    mock.always((_req, res) => json(res, 200, completionAnswer()));
    const response = await post(
      "/v1/completions",
      { model: "gpt-3.5-turbo-instruct", prompt: "hi" },
      { "x-request-id": "client-req-1" },
    );
    // A version 7 UUID made by the gateway: a client's id may repeat, a call id keys a spend log.
    assert.match(
      String(response.headers.get("x-litellm-call-id")),
      /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    assert.equal(response.headers.get("x-request-id"), "client-req-1");
    assert.match(String(response.headers.get("x-litellm-model-id")), /^[0-9a-f]{32}$/); // the one deployment id: the config loader's hash
    assert.equal(response.headers.get("x-litellm-model-api-base"), `${mock.url}/v1`);
    // gpt-3.5-turbo-instruct at $1.5/M prompt and $2/M completion tokens: 5 and 7 tokens.
    assert.equal(response.headers.get("x-litellm-response-cost"), "0.0000215");
    const overhead = Number(response.headers.get("x-litellm-overhead-duration-ms"));
    const total = Number(response.headers.get("x-litellm-response-duration-ms"));
    assert.ok(overhead >= 0 && total >= overhead, `overhead ${overhead} total ${total}`);
  });
});

describe("auth", () => {
  test("missing or wrong key: 401 with OpenAI's error JSON; Bearer and api-key headers both work", async () => {
    mock.always((_req, res) => json(res, 200, completionAnswer()));
    const body = JSON.stringify({ model: "gpt-3.5-turbo-instruct", prompt: "hi" });
    const missing = await fetch(`${gateway.url}/v1/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    assert.equal(missing.status, 401);
    assert.deepEqual(await missing.json(), {
      error: {
        message: "No API key: send your key as 'Authorization: Bearer <key>' (or the 'api-key' header).",
        type: "authentication_error",
        param: null,
        code: "missing_api_key",
      },
    });
    const wrong = await post("/v1/completions", body, { authorization: "Bearer sk-wrong" });
    assert.equal(wrong.status, 401);
    assert.equal(((await wrong.json()) as { error: { code: string } }).error.code, "invalid_api_key");
    const apiKey = await fetch(`${gateway.url}/v1/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", "api-key": MASTER_KEY },
      body,
    });
    assert.equal(apiKey.status, 200);
    assert.equal(mock.requests.length, 1);
  });

  test("health probes need no key; /health does", async () => {
    for (const path of ["/health/liveliness", "/health/readiness"]) {
      const response = await fetch(`${gateway.url}${path}`);
      assert.equal(response.status, 200, path);
      // LiteLLM's liveliness body, which probes written for it grep for.
      if (path === "/health/liveliness") assert.equal(await response.json(), "I'm alive!");
    }
    assert.equal((await fetch(`${gateway.url}/health`)).status, 401);
  });

  test("a deployment whose os.environ/ variable is unset answers 401 naming the variable", async () => {
    const response = await post("/v1/completions", { model: "needs-key", prompt: "hi" });
    assert.equal(response.status, 401);
    const body = (await response.json()) as { error: { message: string } };
    assert.equal(
      body.error.message,
      "The deployment of 'needs-key' reads its credentials from NOT_SET_ANYWHERE_KEY, which is not set in the gateway's environment. Set NOT_SET_ANYWHERE_KEY and restart the gateway.",
    );
  });
});

describe("bad input", () => {
  const cases: [string, () => Promise<Response>, number, string][] = [
    ["invalid JSON", () => post("/v1/completions", "{not json"), 400, "invalid_json"],
    ["a JSON array", () => post("/v1/completions", "[1,2]"), 400, "invalid_body"],
    ["an empty body", () => post("/v1/completions", ""), 400, "invalid_body"],
    ["a JSON null", () => post("/v1/completions", "null"), 400, "invalid_body"],
    [
      "no content type",
      () =>
        fetch(`${gateway.url}/v1/completions`, {
          method: "POST",
          headers: { authorization: `Bearer ${MASTER_KEY}` },
          body: new Blob(["{}"]),
        }),
      400,
      "invalid_content_type",
    ],
    [
      "a form content type",
      () => post("/v1/completions", "a=b", { "content-type": "application/x-www-form-urlencoded" }),
      400,
      "invalid_content_type",
    ],
    ["an unknown route", () => post("/v1/nothing-here", {}), 404, "route_not_found"],
    [
      "a wrong method",
      () => fetch(`${gateway.url}/v1/completions`, { headers: { authorization: `Bearer ${MASTER_KEY}` } }),
      405,
      "method_not_allowed",
    ],
    ["a missing prompt", () => post("/v1/completions", { model: "gpt-3.5-turbo-instruct" }), 400, "invalid_value"],
    [
      "max_tokens out of range",
      () => post("/v1/completions", { model: "gpt-3.5-turbo-instruct", prompt: "x", max_tokens: -1 }),
      400,
      "invalid_value",
    ],
  ];
  for (const [name, send, status, code] of cases) {
    test(`${name}: ${status} ${code}`, async () => {
      const response = await send();
      assert.equal(response.status, status);
      const body = await response.json();
      assertOpenAI("ErrorResponse", body);
      assert.equal((body as { error: { code: string } }).error.code, code);
      assert.equal(mock.requests.length, 0);
    });
  }

  test("an unknown model: 400 naming it and listing the models that exist", async () => {
    const response = await post("/v1/completions", { model: "gpt-5-super", prompt: "x" });
    assert.equal(response.status, 400);
    assert.deepEqual(await response.json(), {
      error: {
        message:
          "Unknown model 'gpt-5-super'. Available models: gpt-3.5-turbo-instruct, azure-instruct, needs-key, mock-model.",
        type: "invalid_request_error",
        param: "model",
        code: "model_not_found",
      },
    });
  });

  test("a body over max_request_size_mb: 413 from its declared length, and while reading a chunked one", async () => {
    const small = await startGateway({ modelList: [], maxRequestSizeMb: 0.001 });
    try {
      const big = JSON.stringify({ model: "m", prompt: "x".repeat(5000) });
      const declared = await fetch(`${small.url}/v1/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: big,
      });
      assert.equal(declared.status, 413);
      assert.equal(((await declared.json()) as { error: { code: string } }).error.code, "request_too_large");
      const chunked = await fetch(`${small.url}/v1/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: new ReadableStream({
          start(controller) {
            for (let i = 0; i < 10; i++) controller.enqueue(new TextEncoder().encode("x".repeat(1000)));
            controller.close();
          },
        }),
        duplex: "half",
      } as RequestInit);
      assert.equal(chunked.status, 413);
    } finally {
      await small.close();
    }
  });
});

describe("streaming through the proxy", () => {
  test("SSE headers, one event per chunk, [DONE] last", async () => {
    const chunks = streamChunks(["a", "b"]);
    mock.always((_req, res) => sse(res, [...chunks, "[DONE]"]));
    const response = await post("/v1/completions", { model: "gpt-3.5-turbo-instruct", prompt: "hi", stream: true });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "text/event-stream");
    assert.equal(response.headers.get("cache-control"), "no-cache");
    const { data } = await readEvents(response);
    assert.deepEqual(data, [...chunks.map((c) => JSON.stringify(c)), "[DONE]"]);
  });

  test("an upstream failure before the first byte gets its HTTP status", async () => {
    mock.always((_req, res) =>
      json(res, 503, { error: { message: "overloaded", type: "server_error", param: null, code: null } }),
    );
    const response = await post("/v1/completions", { model: "gpt-3.5-turbo-instruct", prompt: "hi", stream: true });
    assert.equal(response.status, 503);
    assert.equal(((await response.json()) as { error: { message: string } }).error.message, "overloaded");
  });

  test("a failure after the first byte: a final error event and no [DONE]", async () => {
    mock.always((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(
        `data: ${JSON.stringify({ ...streamChunks(["a"])[0], choices: [{ text: "a", index: 0, logprobs: null, finish_reason: null }] })}\n\n`,
      );
      setTimeout(() => res.destroy(), 20);
    });
    const response = await post("/v1/completions", { model: "gpt-3.5-turbo-instruct", prompt: "hi", stream: true });
    const { data } = await readEvents(response);
    assert.equal(data.length, 2);
    const error = JSON.parse(data[1] as string) as { error: { type: string; message: string } };
    assert.equal(error.error.type, "api_connection_error");
    assert.ok(!data.includes("[DONE]"));
  });

  test("keep-alive comments while the first token is slow; the stream then proceeds", async () => {
    const chunks = streamChunks(["late"]);
    mock.always((_req, res) => {
      setTimeout(() => sse(res, [...chunks, "[DONE]"]), 350);
    });
    const response = await post("/v1/completions", { model: "gpt-3.5-turbo-instruct", prompt: "hi", stream: true });
    assert.equal(response.status, 200);
    const { data, comments } = await readEvents(response);
    assert.ok(comments.length >= 2, `expected keep-alive comments, got ${comments.length}`);
    assert.ok(comments.every((c) => c === ": keep-alive"));
    assert.deepEqual(data, [JSON.stringify(chunks[0]), "[DONE]"]);
  });

  test("a client that disconnects mid-stream closes the upstream connection", async () => {
    mock.always((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(
        `data: ${JSON.stringify({ ...streamChunks(["a"])[0], choices: [{ text: "a", index: 0, logprobs: null, finish_reason: null }] })}\n\n`,
      );
    });
    const response = await post("/v1/completions", { model: "gpt-3.5-turbo-instruct", prompt: "hi", stream: true });
    const reader = response.body?.getReader();
    await reader?.read();
    await reader?.cancel();
    await mock.socketClosed();
  });
});

describe("mock_response deployments", () => {
  test("answer in OpenAI's format without calling any provider, streamed too", async () => {
    const answer = await client().completions.create({ model: "mock-model", prompt: "Say something" });
    assert.match(answer.id, /^cmpl-mock-/);
    assert.equal(answer.choices[0]?.text, "This is a mock answer.");
    assert.equal(answer.choices[0]?.finish_reason, "stop");
    assertOpenAI("CreateCompletionResponse", JSON.parse(JSON.stringify(answer)));
    const stream = await client().completions.create({
      model: "mock-model",
      prompt: "Say something",
      stream: true,
      stream_options: { include_usage: true },
    });
    const texts: string[] = [];
    let usage: unknown;
    for await (const chunk of stream) {
      assertOpenAI("CreateCompletionStreamChunk", chunk);
      for (const choice of chunk.choices) texts.push(choice.text);
      usage = chunk.usage ?? usage;
    }
    assert.equal(texts.join(""), "This is a mock answer.");
    assert.deepEqual(usage, { prompt_tokens: 2, completion_tokens: 6, total_tokens: 8 });
    assert.equal(mock.requests.length, 0);
  });
});
