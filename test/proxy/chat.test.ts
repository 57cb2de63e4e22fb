import assert from "node:assert/strict";
import type { ServerResponse } from "node:http";
import { after, before, beforeEach, describe, test } from "node:test";
import OpenAI, { AzureOpenAI } from "openai";
import type { ChatCompletion, ChatCompletionChunk } from "../../src/index.js";
import { readEvents, startGateway, type TestGateway } from "../helpers/gateway.js";
import { json, MockUpstream, sse } from "../helpers/mock-upstream.js";
import { assertOpenAIChat } from "../helpers/openai-chat-schema.js";

const MASTER_KEY = "sk-1234";
const UPSTREAM_KEY = "sk-upstream-SECRET-abcdef0123";
const ANTHROPIC_KEY = "sk-ant-upstream-SECRET-0123";
const CLAUDE = "claude-3-5-sonnet-20241022";

let mock: MockUpstream;
let gateway: TestGateway;

before(async () => {
  mock = await MockUpstream.start();
  gateway = await startGateway({
    // These tests provoke upstream errors on shared deployments; cooldowns are the router tests' subject.
    router: { disable_cooldowns: true },
    modelList: [
      {
        model_name: "gpt-4o",
        litellm_params: { model: "openai/gpt-4o", api_key: "os.environ/OPENAI_API_KEY", api_base: `${mock.url}/v1` },
      },
      {
        model_name: "azure-gpt-4o",
        litellm_params: {
          model: "azure/my-gpt-4o",
          api_key: "azure-key",
          api_base: mock.url,
          api_version: "2024-10-21",
        },
      },
      {
        model_name: "claude",
        litellm_params: {
          model: `anthropic/${CLAUDE}`,
          api_key: "os.environ/ANTHROPIC_KEY_FOR_TEST",
          api_base: mock.url,
        },
      },
      { model_name: "mock-chat", litellm_params: { model: "openai/gpt-4o", mock_response: "This is a mock answer." } },
    ],
    masterKey: MASTER_KEY,
    keepAliveSeconds: 0.1,
    env: { OPENAI_API_KEY: UPSTREAM_KEY, ANTHROPIC_KEY_FOR_TEST: ANTHROPIC_KEY },
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

/** The SDK's answer without the `_request_id` it adds. */
function withoutRequestId<T extends object>(answer: T): Omit<T, "_request_id"> {
  const { _request_id, ...body } = answer as T & { _request_id?: string | null };
  void _request_id;
  return body;
}

const HI = [{ role: "user" as const, content: "Hello!" }];

function chatAnswer(overrides: Partial<ChatCompletion> = {}): ChatCompletion {
  return {
    id: "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
    object: "chat.completion",
    created: 1741569952,
    model: "gpt-4o-2024-08-06",
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: "Hello! How can I assist you today?", refusal: null, annotations: [] },
        logprobs: null,
        finish_reason: "stop",
      },
    ],
    usage: {
      prompt_tokens: 19,
      completion_tokens: 10,
      total_tokens: 29,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: {
        reasoning_tokens: 0,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
    },
    service_tier: "default",
    system_fingerprint: "fp_fc9f1d7035",
    ...overrides,
  };
}

function chatChunks(pieces: string[]): ChatCompletionChunk[] {
  const chunk = (
    delta: ChatCompletionChunk["choices"][number]["delta"],
    finish: "stop" | null,
  ): ChatCompletionChunk => ({
    id: "chatcmpl-stream1",
    object: "chat.completion.chunk",
    created: 1741569952,
    model: "gpt-4o-2024-08-06",
    system_fingerprint: "fp_fc9f1d7035",
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  });
  return [
    chunk({ role: "assistant", content: "", refusal: null }, null),
    ...pieces.map((content) => chunk({ content }, null)),
    chunk({}, "stop"),
  ];
}

const WEATHER_TOOL = {
  type: "function" as const,
  function: {
    name: "get_weather",
    description: "Current weather in a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};

describe("POST /v1/chat/completions through the official OpenAI SDK", () => {
  test("the SDK's answer equals the upstream's; the upstream saw the configured key and the params unchanged", async () => {
    const answer = chatAnswer({
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: null,
            refusal: null,
            tool_calls: [
              { id: "call_abc", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
            ],
            annotations: [],
          },
          logprobs: null,
          finish_reason: "tool_calls",
        },
      ],
    });
    mock.always((_req, res) => json(res, 200, answer, { "x-request-id": "req_upstream" }));
    const params = {
      messages: [
        { role: "system" as const, content: "You are terse." },
        { role: "user" as const, content: "Weather in Paris?" },
      ],
      tools: [WEATHER_TOOL],
      tool_choice: "auto" as const,
      parallel_tool_calls: false,
      response_format: { type: "text" as const },
      max_completion_tokens: 40,
      seed: 7,
      stop: ["END"],
      temperature: 0.2,
      top_p: 0.8,
      frequency_penalty: 0.1,
      presence_penalty: 0.2,
      logit_bias: { "100257": -100 },
      logprobs: true,
      top_logprobs: 1,
      user: "u1",
    };
    const result = await client().chat.completions.create({ model: "gpt-4o", ...params });
    const body = withoutRequestId(result);
    assert.deepEqual(body, answer);
    assertOpenAIChat("CreateChatCompletionResponse", body);
    const [upstream] = mock.requests;
    assert.equal(upstream?.path, "/v1/chat/completions");
    assert.equal(upstream?.headers.authorization, `Bearer ${UPSTREAM_KEY}`);
    assert.deepEqual(upstream?.json, { model: "gpt-4o", ...params });
    // The client's own headers stay with the gateway.
    assert.equal(upstream?.headers["x-stainless-lang"], undefined);
    assert.ok(!String(upstream?.headers["user-agent"]).startsWith("OpenAI/JS"));
  });

  test("streams through the SDK chunk by chunk, the usage chunk included when asked", async () => {
    const chunks = chatChunks(["Hello", "!", " How can I help?"]).map((c) => ({ ...c, usage: null }));
    const usageChunk = {
      ...chunks[0],
      choices: [],
      usage: { prompt_tokens: 9, completion_tokens: 5, total_tokens: 14 },
    };
    mock.always((_req, res) => sse(res, [...chunks, usageChunk, "[DONE]"]));
    const stream = await client().chat.completions.create({
      model: "gpt-4o",
      messages: HI,
      stream: true,
      stream_options: { include_usage: true },
    });
    const received: unknown[] = [];
    for await (const chunk of stream) received.push(chunk);
    assert.deepEqual(received, [...chunks, usageChunk]);
    for (const chunk of received) assertOpenAIChat("CreateChatCompletionStreamResponse", chunk);
    assert.deepEqual(mock.requests[0]?.json, {
      model: "gpt-4o",
      messages: HI,
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  test("raw SSE: the upstream's event text forwarded byte for byte, [DONE] last", async () => {
    const chunks = chatChunks(["a", "b"]);
    mock.always((_req, res) => sse(res, [...chunks, "[DONE]"]));
    const response = await post("/v1/chat/completions", { model: "gpt-4o", messages: HI, stream: true });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "text/event-stream");
    assert.equal(response.headers.get("cache-control"), "no-cache");
    const { data } = await readEvents(response);
    assert.deepEqual(data, [...chunks.map((c) => JSON.stringify(c)), "[DONE]"]);
  });

  test("an upstream 429 before the first byte of a stream reaches the SDK as its RateLimitError", async () => {
    mock.always((_req, res) =>
      json(
        res,
        429,
        {
          error: {
            message: "Rate limit reached for gpt-4o",
            type: "requests",
            param: null,
            code: "rate_limit_exceeded",
          },
        },
        { "retry-after": "3" },
      ),
    );
    const error = await client()
      .chat.completions.create({ model: "gpt-4o", messages: HI, stream: true })
      .catch((e: unknown) => e);
    assert.ok(error instanceof OpenAI.RateLimitError);
    assert.equal(error.status, 429);
    assert.equal(error.message, "429 Rate limit reached for gpt-4o");
    assert.equal(error.code, "rate_limit_exceeded");
    assert.equal(error.headers?.get("retry-after"), "3");
    const plain = await client()
      .chat.completions.create({ model: "gpt-4o", messages: HI })
      .catch((e: unknown) => e);
    assert.ok(plain instanceof OpenAI.RateLimitError);
    assert.equal(mock.requests.length, 2);
  });

  test("chat validation errors: 400 with OpenAI's error JSON naming the param, no upstream call", async () => {
    const cases: [unknown, string, string][] = [
      [
        { model: "gpt-4o" },
        "messages",
        "Invalid 'messages': 'messages' is required. It must be a non-empty array of messages, each an object with a 'role' of system, developer, user, assistant or tool.",
      ],
      [
        { model: "gpt-4o", messages: [] },
        "messages",
        "Invalid 'messages': got []. It must be a non-empty array of messages, each an object with a 'role' of system, developer, user, assistant or tool.",
      ],
      [
        { model: "gpt-4o", messages: HI, temperature: 3 },
        "temperature",
        "Invalid 'temperature': got 3. It must be a number from 0 to 2.",
      ],
    ];
    for (const [body, param, message] of cases) {
      const response = await post("/v1/chat/completions", body);
      assert.equal(response.status, 400);
      const error = await response.json();
      assertOpenAIChat("ErrorResponse", error);
      assert.deepEqual(error, { error: { message, type: "invalid_request_error", param, code: "invalid_value" } });
    }
    assert.equal(mock.requests.length, 0);
  });
});

describe("chat routes", () => {
  test("all four chat routes reach the upstream; the model in the path wins over the body's", async () => {
    mock.always((_req, res) => json(res, 200, chatAnswer()));
    const body = { model: "something-else", messages: HI };
    const responses = [
      await post("/v1/chat/completions", { ...body, model: "gpt-4o" }),
      await post("/chat/completions", { ...body, model: "gpt-4o" }),
      await post("/engines/gpt-4o/chat/completions", body),
      await post("/openai/deployments/azure-gpt-4o/chat/completions?api-version=2024-10-21", body),
    ];
    assert.deepEqual(
      responses.map((r) => r.status),
      [200, 200, 200, 200],
    );
    for (const response of responses) assert.deepEqual(await response.json(), chatAnswer());
    assert.deepEqual(
      mock.requests.map((r) => [
        r.path,
        r.query,
        (r.json as { model: string }).model,
        r.headers.authorization,
        r.headers["api-key"],
      ]),
      [
        ["/v1/chat/completions", {}, "gpt-4o", `Bearer ${UPSTREAM_KEY}`, undefined],
        ["/v1/chat/completions", {}, "gpt-4o", `Bearer ${UPSTREAM_KEY}`, undefined],
        ["/v1/chat/completions", {}, "gpt-4o", `Bearer ${UPSTREAM_KEY}`, undefined],
        [
          "/openai/deployments/my-gpt-4o/chat/completions",
          { "api-version": "2024-10-21" },
          "my-gpt-4o",
          undefined,
          "azure-key",
        ],
      ],
    );
  });

  test("the official AzureOpenAI client against /openai/deployments/{model}/chat/completions", async () => {
    mock.always((_req, res) => json(res, 200, chatAnswer()));
    const azure = new AzureOpenAI({
      apiKey: MASTER_KEY,
      endpoint: gateway.url,
      apiVersion: "2024-10-21",
      deployment: "azure-gpt-4o",
      maxRetries: 0,
    });
    const result = await azure.chat.completions.create({ model: "ignored-by-the-path", messages: HI });
    assert.deepEqual(withoutRequestId(result), chatAnswer());
    assert.equal(mock.requests[0]?.path, "/openai/deployments/my-gpt-4o/chat/completions");
    assert.deepEqual(mock.requests[0]?.json, { model: "my-gpt-4o", messages: HI });
  });

  test("a mock_response deployment answers chat in OpenAI's format without any upstream, streamed too", async () => {
    const answer = withoutRequestId(await client().chat.completions.create({ model: "mock-chat", messages: HI }));
    assert.match(answer.id, /^chatcmpl-mock-/);
    assert.deepEqual(answer.choices, [
      {
        index: 0,
        message: { role: "assistant", content: "This is a mock answer.", refusal: null },
        logprobs: null,
        finish_reason: "stop",
      },
    ]);
    assertOpenAIChat("CreateChatCompletionResponse", answer);
    const stream = await client().chat.completions.create({ model: "mock-chat", messages: HI, stream: true });
    let text = "";
    for await (const chunk of stream) {
      assertOpenAIChat("CreateChatCompletionStreamResponse", chunk);
      text += chunk.choices[0]?.delta.content ?? "";
    }
    assert.equal(text, "This is a mock answer.");
    assert.equal(mock.requests.length, 0);
  });
});

// An Anthropic deployment, answering through the proxy in OpenAI's chat format.

function anthropicSse(res: ServerResponse, events: [name: string, data: unknown][], end = true): void {
  res.writeHead(200, { "content-type": "text/event-stream", "request-id": "req_ant_stream" });
  for (const [name, data] of events) res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
  if (end) res.end();
}

function anthropicTextEvents(pieces: string[]): [string, unknown][] {
  return [
    [
      "message_start",
      {
        type: "message_start",
        message: {
          id: "msg_stream1",
          type: "message",
          role: "assistant",
          model: CLAUDE,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: 25, output_tokens: 1 },
        },
      },
    ],
    ["content_block_start", { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }],
    ["ping", { type: "ping" }],
    ...pieces.map((text): [string, unknown] => [
      "content_block_delta",
      { type: "content_block_delta", index: 0, delta: { type: "text_delta", text } },
    ]),
    ["content_block_stop", { type: "content_block_stop", index: 0 }],
    [
      "message_delta",
      { type: "message_delta", delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: 15 } },
    ],
    ["message_stop", { type: "message_stop" }],
  ];
}

function expectedAnthropicChunks(pieces: string[], created: number, includeUsage: boolean): unknown[] {
  const chunk = (delta: Record<string, unknown>, finish: "stop" | null = null) => ({
    id: "msg_stream1",
    object: "chat.completion.chunk",
    created,
    model: CLAUDE,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  });
  return [
    chunk({ role: "assistant", content: "" }),
    ...pieces.map((content) => chunk({ content })),
    { ...chunk({}, "stop"), usage: null },
    ...(includeUsage
      ? [
          {
            id: "msg_stream1",
            object: "chat.completion.chunk",
            created,
            model: CLAUDE,
            choices: [],
            usage: { prompt_tokens: 25, completion_tokens: 15, total_tokens: 40 },
          },
        ]
      : []),
  ];
}

describe("an Anthropic deployment through the proxy", () => {
  test("answers in OpenAI's chat format; the upstream got the /v1/messages request with the deployment's key", async () => {
    mock.always((_req, res) =>
      json(res, 200, {
        id: "msg_01XFDUDYJgAACzvnptvVoYEL",
        type: "message",
        role: "assistant",
        model: CLAUDE,
        content: [{ type: "text", text: "Hi! How can I help?" }],
        stop_reason: "end_turn",
        stop_sequence: null,
        usage: { input_tokens: 12, output_tokens: 8 },
      }),
    );
    const before = Math.floor(Date.now() / 1000);
    const answer = withoutRequestId(
      await client().chat.completions.create({
        model: "claude",
        messages: [{ role: "system", content: "Be kind." }, ...HI],
        max_tokens: 64,
      }),
    );
    assert.ok(answer.created >= before && answer.created <= Math.floor(Date.now() / 1000));
    assert.deepEqual(answer, {
      id: "msg_01XFDUDYJgAACzvnptvVoYEL",
      object: "chat.completion",
      created: answer.created,
      model: CLAUDE,
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: "Hi! How can I help?", refusal: null },
          logprobs: null,
          finish_reason: "stop",
        },
      ],
      usage: { prompt_tokens: 12, completion_tokens: 8, total_tokens: 20 },
    });
    assertOpenAIChat("CreateChatCompletionResponse", answer);
    const [upstream] = mock.requests;
    assert.equal(upstream?.path, "/v1/messages");
    assert.equal(upstream?.headers["x-api-key"], ANTHROPIC_KEY);
    assert.equal(upstream?.headers["anthropic-version"], "2023-06-01");
    assert.equal(upstream?.headers.authorization, undefined);
    assert.deepEqual(upstream?.json, {
      model: CLAUDE,
      max_tokens: 64,
      messages: [{ role: "user", content: "Hello!" }],
      system: "Be kind.",
    });
  });

  test("streams through the SDK as OpenAI chunks, with the usage chunk only when include_usage is set", async () => {
    const pieces = ["Hello", "!", " How can I help?"];
    mock.always((_req, res) => anthropicSse(res, anthropicTextEvents(pieces)));
    for (const includeUsage of [false, true]) {
      const stream = await client().chat.completions.create({
        model: "claude",
        messages: HI,
        stream: true,
        ...(includeUsage ? { stream_options: { include_usage: true } } : {}),
      });
      const received: unknown[] = [];
      for await (const chunk of stream) {
        assertOpenAIChat("CreateChatCompletionStreamResponse", chunk);
        received.push(chunk);
      }
      const created = (received[0] as { created: number }).created;
      assert.deepEqual(
        received,
        expectedAnthropicChunks(pieces, created, includeUsage),
        `include_usage: ${includeUsage}`,
      );
    }
    assert.deepEqual(
      mock.requests.map((r) => r.json),
      [0, 1].map(() => ({
        model: CLAUDE,
        max_tokens: 8192,
        messages: [{ role: "user", content: "Hello!" }],
        stream: true,
      })),
    );
  });

  test("raw SSE of an Anthropic stream: OpenAI chunk events and [DONE] last", async () => {
    mock.always((_req, res) => anthropicSse(res, anthropicTextEvents(["Yes"])));
    const response = await post("/v1/chat/completions", { model: "claude", messages: HI, stream: true });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "text/event-stream");
    const { data } = await readEvents(response);
    assert.equal(data[data.length - 1], "[DONE]");
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d) as { created: number });
    assert.deepEqual(chunks, expectedAnthropicChunks(["Yes"], chunks[0]?.created ?? 0, false));
  });

  test("an overloaded error mid-stream: a final OpenAI error event and no [DONE]; the SDK raises it", async () => {
    const events: [string, unknown][] = [
      ...anthropicTextEvents(["Hello"]).slice(0, 4),
      ["error", { type: "error", error: { type: "overloaded_error", message: "Overloaded" } }],
    ];
    mock.always((_req, res) => anthropicSse(res, events));
    const response = await post("/v1/chat/completions", { model: "claude", messages: HI, stream: true });
    assert.equal(response.status, 200);
    const { data } = await readEvents(response);
    assert.equal(data.length, 3);
    assert.deepEqual(JSON.parse(data[2] as string), {
      error: { message: "Overloaded", type: "overloaded_error", param: null, code: "overloaded_error" },
    });
    assert.ok(!data.includes("[DONE]"));

    const stream = await client().chat.completions.create({ model: "claude", messages: HI, stream: true });
    const contents: string[] = [];
    const error = await (async () => {
      for await (const chunk of stream) contents.push(chunk.choices[0]?.delta.content ?? "");
    })().catch((e: unknown) => e);
    assert.ok(error instanceof OpenAI.APIError);
    assert.equal(error.message, "Overloaded");
    assert.deepEqual(contents, ["", "Hello"]);
  });

  test("a 529 before the first byte: HTTP 503 with Anthropic's message, the SDK's InternalServerError", async () => {
    mock.always((_req, res) =>
      json(res, 529, { type: "error", error: { type: "overloaded_error", message: "Overloaded" } }),
    );
    const response = await post("/v1/chat/completions", { model: "claude", messages: HI, stream: true });
    assert.equal(response.status, 503);
    assert.deepEqual(await response.json(), {
      error: { message: "Overloaded", type: "overloaded_error", param: null, code: "overloaded_error" },
    });
    const error = await client()
      .chat.completions.create({ model: "claude", messages: HI })
      .catch((e: unknown) => e);
    assert.ok(error instanceof OpenAI.InternalServerError);
    assert.equal(error.status, 503);
  });

  test("n: 2 on an Anthropic deployment: 400 UnsupportedParams naming n, no upstream call", async () => {
    const response = await post("/v1/chat/completions", { model: "claude", messages: HI, n: 2 });
    assert.equal(response.status, 400);
    assert.deepEqual(await response.json(), {
      error: {
        message:
          "anthropic does not support the param 'n' (got 2). Remove it, or set drop_params: true to drop unsupported params.",
        type: "invalid_request_error",
        param: "n",
        code: "unsupported_param",
      },
    });
    assert.equal(mock.requests.length, 0);
  });
});
