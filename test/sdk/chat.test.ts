import assert from "node:assert/strict";
import type { ServerResponse } from "node:http";
import { after, before, beforeEach, describe, test } from "node:test";
import {
  AuthenticationError,
  BadRequestError,
  chatCompletion,
  isUsageEstimated,
  RateLimitError,
  ServiceUnavailableError,
  UnsupportedParamsError,
  type ChatCompletion,
  type ChatCompletionChunk,
  type ChatCompletionParams,
  type ChatCompletionRequest,
} from "../../src/index.js";
import { collect, rejection, withEnv } from "../helpers/fixtures.js";
import { json, MockUpstream, sse } from "../helpers/mock-upstream.js";
import { assertOpenAIChat } from "../helpers/openai-chat-schema.js";

let mock: MockUpstream;
before(async () => {
  mock = await MockUpstream.start();
});
after(() => mock.close());
beforeEach(() => mock.reset());

/** Params without `model`. */
type BodyParams = Partial<ChatCompletionParams> & Pick<ChatCompletionParams, "messages">;

const HI: ChatCompletionParams["messages"] = [{ role: "user", content: "Hello!" }];

const WEATHER_TOOL = {
  type: "function" as const,
  function: {
    name: "get_weather",
    description: "Current weather in a city",
    parameters: {
      type: "object",
      properties: { city: { type: "string" } },
      required: ["city"],
      additionalProperties: false,
    },
    strict: true,
  },
};

/** Every OpenAI chat param with a non-default value (stream_options is for streams: see below). */
const EVERY_PARAM: BodyParams = {
  messages: [
    { role: "developer", content: "Answer in JSON." },
    { role: "user", content: [{ type: "text", text: "Weather in Paris?" }] },
  ],
  tools: [WEATHER_TOOL],
  tool_choice: { type: "function", function: { name: "get_weather" } },
  response_format: {
    type: "json_schema",
    json_schema: {
      name: "weather",
      strict: true,
      schema: { type: "object", properties: { c: { type: "number" } }, required: ["c"], additionalProperties: false },
    },
  },
  logprobs: true,
  top_logprobs: 2,
  max_completion_tokens: 50,
  parallel_tool_calls: false,
  seed: 42,
  stop: ["\n\n", "END"],
  n: 2,
  user: "user-1234",
  temperature: 0.3,
  top_p: 0.9,
  frequency_penalty: 0.5,
  presence_penalty: -0.5,
  logit_bias: { "100257": -100 },
};

/** OpenAI's documented chat answer, with usage details, service_tier and a fingerprint. */
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

/** An answer to EVERY_PARAM: two choices, tool calls, token logprobs. */
function toolCallAnswer(): ChatCompletion {
  const logprobs = {
    content: [
      {
        token: '{"',
        logprob: -0.0001,
        bytes: [123, 34],
        top_logprobs: [
          { token: '{"', logprob: -0.0001, bytes: [123, 34] },
          { token: "{", logprob: -9.5, bytes: [123] },
        ],
      },
    ],
    refusal: null,
  };
  return chatAnswer({
    choices: [0, 1].map((index) => ({
      index,
      message: {
        role: "assistant" as const,
        content: null,
        refusal: null,
        tool_calls: [
          {
            id: `call_${index}abc`,
            type: "function" as const,
            function: { name: "get_weather", arguments: '{"city":"Paris"}' },
          },
        ],
        annotations: [],
      },
      logprobs,
      finish_reason: "tool_calls" as const,
    })),
  });
}

/** OpenAI's chunk sequence for `pieces` (role first, an empty finishing delta last); `usage: null` on each with include_usage. */
function chatChunks(pieces: string[], includeUsage = false): ChatCompletionChunk[] {
  const chunk = (
    delta: ChatCompletionChunk["choices"][number]["delta"],
    finish: "stop" | null,
  ): ChatCompletionChunk => ({
    id: "chatcmpl-stream1",
    object: "chat.completion.chunk",
    created: 1741569952,
    model: "gpt-4o-2024-08-06",
    service_tier: "default",
    system_fingerprint: "fp_fc9f1d7035",
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...(includeUsage ? { usage: null } : {}),
    obfuscation: "x1",
  });
  return [
    chunk({ role: "assistant", content: "", refusal: null }, null),
    ...pieces.map((content) => chunk({ content }, null)),
    chunk({}, "stop"),
  ];
}

const STREAM_USAGE = {
  prompt_tokens: 9,
  completion_tokens: 3,
  total_tokens: 12,
  prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
  completion_tokens_details: {
    reasoning_tokens: 0,
    audio_tokens: 0,
    accepted_prediction_tokens: 0,
    rejected_prediction_tokens: 0,
  },
};

function usageChunk(): ChatCompletionChunk {
  return {
    id: "chatcmpl-stream1",
    object: "chat.completion.chunk",
    created: 1741569952,
    model: "gpt-4o-2024-08-06",
    service_tier: "default",
    system_fingerprint: "fp_fc9f1d7035",
    choices: [],
    usage: STREAM_USAGE,
    obfuscation: "x2",
  };
}

describe("openai chat", () => {
  test("openai/gpt-4o: every OpenAI chat param reaches {api_base}/chat/completions unchanged, with the bearer key", async () => {
    const answer = toolCallAnswer();
    mock.always((_req, res) => json(res, 200, answer));
    const result = await chatCompletion({
      model: "openai/gpt-4o",
      ...EVERY_PARAM,
      api_key: "sk-test-key-1",
      api_base: `${mock.url}/v1`,
      organization: "org-abc",
      extra_headers: { "x-trace": "t1" },
    });
    assert.equal(mock.requests.length, 1);
    const [request] = mock.requests;
    assert.ok(request);
    assert.equal(request.method, "POST");
    assert.equal(request.path, "/v1/chat/completions");
    assert.deepEqual(request.query, {});
    assert.equal(request.headers.authorization, "Bearer sk-test-key-1");
    assert.equal(request.headers["openai-organization"], "org-abc");
    assert.equal(request.headers["content-type"], "application/json");
    assert.equal(request.headers["x-trace"], "t1");
    assert.deepEqual(request.json, { model: "gpt-4o", ...EVERY_PARAM });
    assert.ok(!request.body.includes("sk-test-key-1"));
    assertOpenAIChat("CreateChatCompletionRequest", request.json);
    // The answer comes back exactly as sent.
    assert.deepEqual(result, answer);
    assertOpenAIChat("CreateChatCompletionResponse", result);
  });

  test("bare gpt-4o reads OPENAI_API_KEY, OPENAI_BASE_URL and OPENAI_ORGANIZATION; the model is sent as written", async () => {
    mock.always((_req, res) => json(res, 200, chatAnswer()));
    const result = await withEnv(
      {
        OPENAI_API_KEY: "sk-from-env",
        OPENAI_BASE_URL: `${mock.url}/base-url`,
        OPENAI_API_BASE: undefined,
        OPENAI_ORGANIZATION: "org-env",
      },
      () => chatCompletion({ model: "gpt-4o", messages: HI, temperature: 0 }),
    );
    await withEnv(
      {
        OPENAI_API_KEY: "sk-from-env",
        OPENAI_BASE_URL: undefined,
        OPENAI_API_BASE: `${mock.url}/api-base`,
        OPENAI_ORGANIZATION: undefined,
      },
      () => chatCompletion({ model: "gpt-4o-mini", messages: HI }),
    );
    assert.deepEqual(
      mock.requests.map((r) => [r.path, r.headers.authorization, r.headers["openai-organization"], r.json]),
      [
        [
          "/base-url/chat/completions",
          "Bearer sk-from-env",
          "org-env",
          { model: "gpt-4o", messages: HI, temperature: 0 },
        ],
        ["/api-base/chat/completions", "Bearer sk-from-env", undefined, { model: "gpt-4o-mini", messages: HI }],
      ],
    );
    assert.deepEqual(result, chatAnswer());
    assertOpenAIChat("CreateChatCompletionResponse", result);
  });

  test("a missing OpenAI key is an AuthenticationError naming OPENAI_API_KEY, before any network call", async () => {
    const error = await withEnv(
      { OPENAI_API_KEY: undefined, OPENAI_BASE_URL: undefined, OPENAI_API_BASE: undefined },
      () => rejection(chatCompletion({ model: "gpt-4o", messages: HI })),
    );
    assert.ok(error instanceof AuthenticationError);
    assert.equal(error.status, 401);
    assert.equal(error.param, "api_key");
    assert.equal(error.message, "No OpenAI API key: set the OPENAI_API_KEY environment variable or pass api_key.");
    assert.equal(mock.requests.length, 0);
  });

  test("streams every chunk unchanged; stream and stream_options reach the upstream; the usage chunk comes with include_usage", async () => {
    const chunks = chatChunks(["Hello", "!", " Hi."], true);
    mock.always((_req, res) => sse(res, [...chunks, usageChunk(), "[DONE]"]));
    const stream = await chatCompletion({
      model: "openai/gpt-4o",
      messages: HI,
      stream: true,
      stream_options: { include_usage: true },
      api_key: "sk-test",
      api_base: mock.url,
    });
    const received = await collect(stream);
    assert.deepEqual(received, [...chunks, usageChunk()]);
    for (const chunk of received) assertOpenAIChat("CreateChatCompletionStreamResponse", chunk);
    assert.deepEqual(mock.requests[0]?.json, {
      model: "gpt-4o",
      messages: HI,
      stream: true,
      stream_options: { include_usage: true },
    });
    assert.equal(mock.requests[0]?.path, "/chat/completions");
  });

  test("a stream without include_usage: exactly the upstream's chunks, and [DONE] ends it", async () => {
    const chunks = chatChunks(["Hel", "lo"]);
    mock.always((_req, res) => sse(res, [...chunks, "[DONE]"]));
    const received = await collect(
      await chatCompletion({ model: "gpt-4o", messages: HI, stream: true, api_key: "sk-test", api_base: mock.url }),
    );
    assert.deepEqual(received, chunks);
    assert.deepEqual(mock.requests[0]?.json, { model: "gpt-4o", messages: HI, stream: true });
  });

  test("an upstream 429 is a RateLimitError carrying the provider's message and retry-after", async () => {
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
        { "retry-after": "2", "x-request-id": "req_abc" },
      ),
    );
    const error = await rejection(
      chatCompletion({ model: "gpt-4o", messages: HI, api_key: "sk-test", api_base: mock.url }),
    );
    assert.ok(error instanceof RateLimitError);
    assert.equal(error.status, 429);
    assert.equal(error.message, "Rate limit reached for gpt-4o");
    assert.equal(error.code, "rate_limit_exceeded");
    assert.equal(error.requestId, "req_abc");
    assert.equal(error.retryAfter, 2);
    assert.equal(error.provider, "openai");
  });
});

// The README's "Usage" paragraph: tokenizer-counted usage when the provider sends none, for chat too.
describe("usage the provider did not send (README: Usage)", () => {
  test("a chat answer without usage gets usage counted with the tokenizer, marked estimated", async () => {
    const answer = chatAnswer();
    delete answer.usage;
    mock.always((_req, res) => json(res, 200, answer));
    const result = await chatCompletion({ model: "gpt-4o", messages: HI, api_key: "sk-test", api_base: mock.url });
    assert.ok(result.usage !== undefined, "no usage on the answer");
    assert.equal(isUsageEstimated(result), true);
  });

  test("a chat stream with include_usage that ends without a usage chunk gets an estimated one", async () => {
    mock.always((_req, res) => sse(res, [...chatChunks(["Hello"], true), "[DONE]"]));
    const received = await collect(
      await chatCompletion({
        model: "gpt-4o",
        messages: HI,
        stream: true,
        stream_options: { include_usage: true },
        api_key: "sk-test",
        api_base: mock.url,
      }),
    );
    const last = received[received.length - 1];
    assert.deepEqual(last?.choices, []);
    assert.ok(last?.usage != null);
  });

  test("mock_response with include_usage streams a final usage chunk, as textCompletion's mock does", async () => {
    const received = await collect(
      await chatCompletion({
        model: "gpt-4o",
        messages: HI,
        stream: true,
        stream_options: { include_usage: true },
        mock_response: "hi",
      }),
    );
    const last = received[received.length - 1];
    assert.deepEqual(last?.choices, []);
    assert.ok(last?.usage != null);
  });
});

describe("azure chat", () => {
  test("azure/DEPLOYMENT: /openai/deployments/D/chat/completions?api-version=V with the api-key header", async () => {
    const answer = chatAnswer({
      prompt_filter_results: [
        { prompt_index: 0, content_filter_results: { hate: { filtered: false, severity: "safe" } } },
      ],
    });
    mock.always((_req, res) => json(res, 200, answer));
    const result = await chatCompletion({
      model: "azure/my-gpt-4o",
      ...EVERY_PARAM,
      api_key: "azure-key-1",
      api_base: `${mock.url}/`,
      api_version: "2024-10-21",
    });
    const [request] = mock.requests;
    assert.ok(request);
    assert.equal(request.path, "/openai/deployments/my-gpt-4o/chat/completions");
    assert.deepEqual(request.query, { "api-version": "2024-10-21" });
    assert.equal(request.headers["api-key"], "azure-key-1");
    assert.equal(request.headers.authorization, undefined);
    assert.deepEqual(request.json, { model: "my-gpt-4o", ...EVERY_PARAM });
    assert.deepEqual(result, answer);
    assertOpenAIChat("CreateChatCompletionResponse", result);
  });

  test("reads AZURE_API_KEY, AZURE_API_BASE and AZURE_API_VERSION; azure_ad_token is sent as a bearer token", async () => {
    mock.always((_req, res) => json(res, 200, chatAnswer()));
    await withEnv(
      { AZURE_API_KEY: "env-azure-key", AZURE_API_BASE: mock.url, AZURE_API_VERSION: "2025-01-01-preview" },
      () => chatCompletion({ model: "azure/dep-1", messages: HI }),
    );
    await withEnv(
      {
        AZURE_API_KEY: undefined,
        AZURE_OPENAI_API_KEY: undefined,
        AZURE_API_BASE: undefined,
        AZURE_API_VERSION: undefined,
      },
      () => chatCompletion({ model: "azure/dep 2", messages: HI, api_base: mock.url, azure_ad_token: "entra-token" }),
    );
    assert.deepEqual(
      mock.requests.map((r) => [r.path, r.query, r.headers["api-key"], r.headers.authorization]),
      [
        [
          "/openai/deployments/dep-1/chat/completions",
          { "api-version": "2025-01-01-preview" },
          "env-azure-key",
          undefined,
        ],
        // A deployment name is URL-encoded; the default api-version applies.
        [
          "/openai/deployments/dep%202/chat/completions",
          { "api-version": "2024-10-21" },
          undefined,
          "Bearer entra-token",
        ],
      ],
    );
  });
});

describe("OpenAI-compatible hosts", () => {
  const HOSTS: [provider: string, baseEnv: string, keyEnv: string][] = [
    ["groq", "GROQ_API_BASE", "GROQ_API_KEY"],
    ["together_ai", "TOGETHERAI_API_BASE", "TOGETHERAI_API_KEY"],
    ["hosted_vllm", "HOSTED_VLLM_API_BASE", "HOSTED_VLLM_API_KEY"],
    ["fireworks_ai", "FIREWORKS_AI_API_BASE", "FIREWORKS_AI_API_KEY"],
    ["deepseek", "DEEPSEEK_API_BASE", "DEEPSEEK_API_KEY"],
    ["openrouter", "OPENROUTER_API_BASE", "OPENROUTER_API_KEY"],
    ["perplexity", "PERPLEXITYAI_API_BASE", "PERPLEXITYAI_API_KEY"],
    ["xai", "XAI_API_BASE", "XAI_API_KEY"],
  ];

  for (const [provider, baseEnv, keyEnv] of HOSTS) {
    test(`${provider}: ${baseEnv} and ${keyEnv} reach the server; the model is sent without the prefix; the answer is returned unchanged`, async () => {
      const answer = chatAnswer({ model: "llama-3.3-70b" });
      mock.always((_req, res) => json(res, 200, answer));
      const result = await withEnv({ [baseEnv]: `${mock.url}/${provider}/v1`, [keyEnv]: `key-${provider}` }, () =>
        chatCompletion({
          model: `${provider}/meta-llama/llama-3.3-70b`,
          messages: HI,
          max_tokens: 5,
          temperature: 0.2,
        }),
      );
      const [request] = mock.requests;
      assert.equal(request?.path, `/${provider}/v1/chat/completions`);
      assert.equal(request?.headers.authorization, `Bearer key-${provider}`);
      assert.deepEqual(request?.json, {
        model: "meta-llama/llama-3.3-70b",
        messages: HI,
        max_tokens: 5,
        temperature: 0.2,
      });
      assert.deepEqual(result, answer);
    });
  }

  test("api_base and api_key given to the call win over the environment", async () => {
    mock.always((_req, res) => json(res, 200, chatAnswer()));
    await withEnv({ GROQ_API_BASE: "http://127.0.0.1:9/never", GROQ_API_KEY: "env-key" }, () =>
      chatCompletion({
        model: "groq/llama-3.1-8b-instant",
        messages: HI,
        api_base: `${mock.url}/openai/v1`,
        api_key: "call-key",
      }),
    );
    assert.deepEqual(
      mock.requests.map((r) => [r.path, r.headers.authorization]),
      [["/openai/v1/chat/completions", "Bearer call-key"]],
    );
  });

  test("groq: logprobs is an UnsupportedParamsError before any call; with drop_params it is dropped", async () => {
    mock.always((_req, res) => json(res, 200, chatAnswer()));
    const env = { GROQ_API_BASE: mock.url, GROQ_API_KEY: "gsk-test" };
    const error = await withEnv(env, () =>
      rejection(chatCompletion({ model: "groq/llama-3.1-8b-instant", messages: HI, logprobs: true })),
    );
    assert.ok(error instanceof UnsupportedParamsError);
    assert.ok(error instanceof BadRequestError);
    assert.equal(error.status, 400);
    assert.equal(error.param, "logprobs");
    assert.equal(error.code, "unsupported_param");
    assert.equal(
      error.message,
      "groq does not support the param 'logprobs' (got true). Remove it, or set drop_params: true to drop unsupported params.",
    );
    assert.equal(mock.requests.length, 0);
    await withEnv(env, () =>
      chatCompletion({
        model: "groq/llama-3.1-8b-instant",
        messages: HI,
        logprobs: true,
        top_logprobs: 2,
        logit_bias: { "1": 5 },
        seed: 3,
        drop_params: true,
      }),
    );
    assert.deepEqual(
      mock.requests.map((r) => r.json),
      [{ model: "llama-3.1-8b-instant", messages: HI, seed: 3 }],
    );
  });

  test("groq makes one choice per call: n: 2 is an UnsupportedParamsError, n: 1 is sent as nothing", async () => {
    mock.always((_req, res) => json(res, 200, chatAnswer()));
    const env = { GROQ_API_BASE: mock.url, GROQ_API_KEY: "gsk-test" };
    const error = await withEnv(env, () =>
      rejection(chatCompletion({ model: "groq/llama-3.1-8b-instant", messages: HI, n: 2 })),
    );
    assert.ok(error instanceof UnsupportedParamsError);
    assert.equal(error.param, "n");
    await withEnv(env, () => chatCompletion({ model: "groq/llama-3.1-8b-instant", messages: HI, n: 1 }));
    assert.deepEqual(
      mock.requests.map((r) => r.json),
      [{ model: "llama-3.1-8b-instant", messages: HI }],
    );
  });

  test("perplexity refuses tools and deepseek refuses seed, each naming the param", async () => {
    const perplexity = await withEnv({ PERPLEXITYAI_API_BASE: mock.url, PERPLEXITYAI_API_KEY: "pplx" }, () =>
      rejection(chatCompletion({ model: "perplexity/sonar", messages: HI, tools: [WEATHER_TOOL] })),
    );
    assert.ok(perplexity instanceof UnsupportedParamsError);
    assert.equal(perplexity.param, "tools");
    const deepseek = await withEnv({ DEEPSEEK_API_BASE: mock.url, DEEPSEEK_API_KEY: "ds" }, () =>
      rejection(chatCompletion({ model: "deepseek/deepseek-chat", messages: HI, seed: 1 })),
    );
    assert.ok(deepseek instanceof UnsupportedParamsError);
    assert.equal(deepseek.param, "seed");
    assert.equal(mock.requests.length, 0);
  });

  test("a host that needs a key fails without one, naming its variable; vLLM runs keyless; a self-hosted server needs its base", async () => {
    const noKey = await withEnv({ GROQ_API_BASE: mock.url, GROQ_API_KEY: undefined }, () =>
      rejection(chatCompletion({ model: "groq/m", messages: HI })),
    );
    assert.ok(noKey instanceof AuthenticationError);
    assert.equal(noKey.message, "No Groq API key: set the GROQ_API_KEY environment variable or pass api_key.");
    const noBase = await withEnv({ HOSTED_VLLM_API_BASE: undefined }, () =>
      rejection(chatCompletion({ model: "hosted_vllm/m", messages: HI })),
    );
    assert.ok(noBase instanceof BadRequestError);
    assert.equal(noBase.param, "api_base");
    assert.equal(mock.requests.length, 0);
    mock.always((_req, res) => json(res, 200, chatAnswer()));
    await withEnv({ HOSTED_VLLM_API_BASE: `${mock.url}/v1`, HOSTED_VLLM_API_KEY: undefined }, () =>
      chatCompletion({ model: "hosted_vllm/Qwen/Qwen2.5-1.5B-Instruct", messages: HI, top_k: 5 }),
    );
    const [request] = mock.requests;
    assert.equal(request?.headers.authorization, undefined);
    // vLLM's own params (top_k) pass through.
    assert.deepEqual(request?.json, { model: "Qwen/Qwen2.5-1.5B-Instruct", messages: HI, top_k: 5 });
  });
});

// Anthropic's Messages API, played by the mock.

const CLAUDE = "claude-3-5-sonnet-20241022";

/** Writes Anthropic's named SSE events. */
function anthropicSse(res: ServerResponse, events: [name: string, data: unknown][]): void {
  res.writeHead(200, { "content-type": "text/event-stream", "request-id": "req_stream_1" });
  for (const [name, data] of events) res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
  res.end();
}

/** Anthropic's full event sequence for a text answer in `pieces`. */
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

/** The OpenAI chunks litegate makes of anthropicTextEvents(pieces), `created` aside. */
function expectedAnthropicChunks(pieces: string[], created: number, includeUsage: boolean): ChatCompletionChunk[] {
  const chunk = (
    delta: ChatCompletionChunk["choices"][number]["delta"],
    finish: "stop" | null = null,
  ): ChatCompletionChunk => ({
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
            object: "chat.completion.chunk" as const,
            created,
            model: CLAUDE,
            choices: [],
            usage: { prompt_tokens: 25, completion_tokens: 15, total_tokens: 40 },
          },
        ]
      : []),
  ];
}

const CONVERSATION: ChatCompletionParams["messages"] = [
  { role: "system", content: "You are a weather bot." },
  { role: "user", content: "What's the weather in Paris?" },
  {
    role: "assistant",
    content: null,
    tool_calls: [
      { id: "toolu_01A", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
    ],
  },
  { role: "tool", tool_call_id: "toolu_01A", content: "18°C, sunny" },
];

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

describe("anthropic", () => {
  test("a conversation with a system message, tools and a tool result: the exact /v1/messages request, and the translated answer", async () => {
    mock.always((_req, res) =>
      json(
        res,
        200,
        {
          id: "msg_01XFDUDYJgAACzvnptvVoYEL",
          type: "message",
          role: "assistant",
          model: CLAUDE,
          content: [{ type: "text", text: "It is 18°C and sunny in Paris." }],
          stop_reason: "end_turn",
          stop_sequence: null,
          usage: { input_tokens: 412, output_tokens: 14, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
        },
        { "request-id": "req_011" },
      ),
    );
    const before = nowSeconds();
    const result = await chatCompletion({
      model: `anthropic/${CLAUDE}`,
      messages: CONVERSATION,
      tools: [WEATHER_TOOL],
      tool_choice: "auto",
      max_tokens: 256,
      temperature: 0.5,
      top_p: 0.9,
      stop: "END",
      user: "user-1",
      api_key: "sk-ant-test",
      api_base: mock.url,
    });
    const [request] = mock.requests;
    assert.ok(request);
    assert.equal(request.method, "POST");
    assert.equal(request.path, "/v1/messages");
    assert.equal(request.headers["x-api-key"], "sk-ant-test");
    assert.equal(request.headers["anthropic-version"], "2023-06-01");
    assert.equal(request.headers["content-type"], "application/json");
    assert.equal(request.headers.authorization, undefined);
    assert.deepEqual(request.json, {
      model: CLAUDE,
      max_tokens: 256,
      messages: [
        { role: "user", content: "What's the weather in Paris?" },
        {
          role: "assistant",
          content: [{ type: "tool_use", id: "toolu_01A", name: "get_weather", input: { city: "Paris" } }],
        },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_01A", content: "18°C, sunny" }] },
      ],
      system: "You are a weather bot.",
      stop_sequences: ["END"],
      temperature: 0.5,
      top_p: 0.9,
      metadata: { user_id: "user-1" },
      tools: [
        {
          name: "get_weather",
          description: "Current weather in a city",
          input_schema: WEATHER_TOOL.function.parameters,
        },
      ],
      tool_choice: { type: "auto" },
    });
    assert.ok(result.created >= before && result.created <= nowSeconds());
    assert.deepEqual(result, {
      id: "msg_01XFDUDYJgAACzvnptvVoYEL",
      object: "chat.completion",
      created: result.created,
      model: CLAUDE,
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: "It is 18°C and sunny in Paris.", refusal: null },
          logprobs: null,
          finish_reason: "stop",
        },
      ],
      usage: { prompt_tokens: 412, completion_tokens: 14, total_tokens: 426 },
    });
    assertOpenAIChat("CreateChatCompletionResponse", result);
  });

  test("a tool_use answer becomes tool_calls with finish_reason tool_calls; ANTHROPIC_API_KEY and ANTHROPIC_API_BASE are read", async () => {
    mock.always((_req, res) =>
      json(res, 200, {
        id: "msg_tool",
        type: "message",
        role: "assistant",
        model: CLAUDE,
        content: [
          { type: "text", text: "Let me check." },
          { type: "tool_use", id: "toolu_02B", name: "get_weather", input: { city: "Paris" } },
        ],
        stop_reason: "tool_use",
        stop_sequence: null,
        usage: { input_tokens: 100, output_tokens: 20, cache_read_input_tokens: 50 },
      }),
    );
    const result = await withEnv({ ANTHROPIC_API_KEY: "sk-ant-env", ANTHROPIC_API_BASE: `${mock.url}/v1` }, () =>
      chatCompletion({ model: `anthropic/${CLAUDE}`, messages: HI, tools: [WEATHER_TOOL], tool_choice: "required" }),
    );
    const [request] = mock.requests;
    assert.equal(request?.path, "/v1/messages");
    assert.equal(request?.headers["x-api-key"], "sk-ant-env");
    assert.deepEqual((request?.json as { tool_choice: unknown; max_tokens: number } | undefined)?.tool_choice, {
      type: "any",
    });
    // No max_tokens given: the model's documented output limit.
    assert.equal((request?.json as { max_tokens: number } | undefined)?.max_tokens, 8192);
    assert.deepEqual(result.choices, [
      {
        index: 0,
        message: {
          role: "assistant",
          content: "Let me check.",
          refusal: null,
          tool_calls: [
            { id: "toolu_02B", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
          ],
        },
        logprobs: null,
        finish_reason: "tool_calls",
      },
    ]);
    assert.deepEqual(result.usage, {
      prompt_tokens: 150,
      completion_tokens: 20,
      total_tokens: 170,
      prompt_tokens_details: { cached_tokens: 50, cache_write_tokens: 0 },
    });
    assertOpenAIChat("CreateChatCompletionResponse", result);
  });

  test("streaming: Anthropic's full event sequence becomes OpenAI chat chunks, with no usage chunk unless include_usage", async () => {
    const pieces = ["Hello", "!", " How can I help?"];
    mock.always((_req, res) => anthropicSse(res, anthropicTextEvents(pieces)));
    const before = nowSeconds();
    const stream = await chatCompletion({
      model: `anthropic/${CLAUDE}`,
      messages: HI,
      stream: true,
      max_tokens: 100,
      api_key: "sk-ant-test",
      api_base: mock.url,
    });
    assert.equal(stream.requestId, "req_stream_1");
    const received = await collect(stream);
    const created = received[0]?.created ?? 0;
    assert.ok(created >= before && created <= nowSeconds());
    assert.deepEqual(received, expectedAnthropicChunks(pieces, created, false));
    for (const chunk of received) assertOpenAIChat("CreateChatCompletionStreamResponse", chunk);
    assert.deepEqual(mock.requests[0]?.json, {
      model: CLAUDE,
      max_tokens: 100,
      messages: [{ role: "user", content: "Hello!" }],
      stream: true,
    });
  });

  test("streaming with stream_options.include_usage: a last chunk with empty choices and the usage (not sent upstream as such)", async () => {
    const pieces = ["Hi", " there"];
    mock.always((_req, res) => anthropicSse(res, anthropicTextEvents(pieces)));
    const received = await collect(
      await chatCompletion({
        model: `anthropic/${CLAUDE}`,
        messages: HI,
        stream: true,
        stream_options: { include_usage: true },
        api_key: "sk-ant-test",
        api_base: mock.url,
      }),
    );
    const created = received[0]?.created ?? 0;
    assert.deepEqual(received, expectedAnthropicChunks(pieces, created, true));
    for (const chunk of received) assertOpenAIChat("CreateChatCompletionStreamResponse", chunk);
    // Anthropic has no stream_options; its stream always carries usage.
    assert.deepEqual(mock.requests[0]?.json, {
      model: CLAUDE,
      max_tokens: 8192,
      messages: [{ role: "user", content: "Hello!" }],
      stream: true,
    });
  });

  test("streaming a tool call: the tool_use block becomes tool_calls deltas with finish_reason tool_calls", async () => {
    mock.always((_req, res) =>
      anthropicSse(res, [
        [
          "message_start",
          {
            type: "message_start",
            message: {
              id: "msg_t",
              type: "message",
              role: "assistant",
              model: CLAUDE,
              content: [],
              usage: { input_tokens: 10, output_tokens: 1 },
            },
          },
        ],
        [
          "content_block_start",
          {
            type: "content_block_start",
            index: 0,
            content_block: { type: "tool_use", id: "toolu_03C", name: "get_weather", input: {} },
          },
        ],
        ["ping", { type: "ping" }],
        [
          "content_block_delta",
          { type: "content_block_delta", index: 0, delta: { type: "input_json_delta", partial_json: '{"city":' } },
        ],
        [
          "content_block_delta",
          { type: "content_block_delta", index: 0, delta: { type: "input_json_delta", partial_json: ' "Paris"}' } },
        ],
        ["content_block_stop", { type: "content_block_stop", index: 0 }],
        [
          "message_delta",
          {
            type: "message_delta",
            delta: { stop_reason: "tool_use", stop_sequence: null },
            usage: { output_tokens: 12 },
          },
        ],
        ["message_stop", { type: "message_stop" }],
      ]),
    );
    const received = await collect(
      await chatCompletion({
        model: `anthropic/${CLAUDE}`,
        messages: HI,
        tools: [WEATHER_TOOL],
        stream: true,
        api_key: "sk-ant-test",
        api_base: mock.url,
      }),
    );
    const created = received[0]?.created ?? 0;
    const chunk = (
      delta: ChatCompletionChunk["choices"][number]["delta"],
      finish: "tool_calls" | null = null,
    ): ChatCompletionChunk => ({
      id: "msg_t",
      object: "chat.completion.chunk",
      created,
      model: CLAUDE,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    });
    assert.deepEqual(received, [
      chunk({ role: "assistant", content: "" }),
      chunk({
        tool_calls: [{ index: 0, id: "toolu_03C", type: "function", function: { name: "get_weather", arguments: "" } }],
      }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: ' "Paris"}' } }] }),
      { ...chunk({}, "tool_calls"), usage: null },
    ]);
    for (const c of received) assertOpenAIChat("CreateChatCompletionStreamResponse", c);
  });

  test("an `event: error` overloaded_error mid-stream raises ServiceUnavailableError from the iterator, after the chunks before it", async () => {
    mock.always((_req, res) =>
      anthropicSse(res, [
        ...anthropicTextEvents(["Hello"]).slice(0, 4),
        ["error", { type: "error", error: { type: "overloaded_error", message: "Overloaded" } }],
      ]),
    );
    const stream = await chatCompletion({
      model: `anthropic/${CLAUDE}`,
      messages: HI,
      stream: true,
      api_key: "sk-ant-test",
      api_base: mock.url,
    });
    const iterator = stream[Symbol.asyncIterator]();
    assert.deepEqual((await iterator.next()).value?.choices[0]?.delta, { role: "assistant", content: "" });
    assert.deepEqual((await iterator.next()).value?.choices[0]?.delta, { content: "Hello" });
    const error = await rejection(iterator.next());
    assert.ok(error instanceof ServiceUnavailableError);
    assert.equal(error.status, 503);
    assert.equal(error.message, "Overloaded");
    assert.equal(error.type, "overloaded_error");
    assert.equal(error.code, "overloaded_error");
    assert.equal(error.provider, "anthropic");
  });

  test("a 529 answer is a ServiceUnavailableError with status 503 and Anthropic's message and request id", async () => {
    mock.always((_req, res) =>
      json(
        res,
        529,
        { type: "error", error: { type: "overloaded_error", message: "Overloaded" } },
        { "request-id": "req_529" },
      ),
    );
    for (const stream of [false, true]) {
      const error = await rejection(
        chatCompletion({
          model: `anthropic/${CLAUDE}`,
          messages: HI,
          stream,
          api_key: "sk-ant-test",
          api_base: mock.url,
        }),
      );
      assert.ok(error instanceof ServiceUnavailableError, `stream: ${stream}`);
      assert.equal(error.status, 503);
      assert.equal(error.message, "Overloaded");
      assert.equal(error.type, "overloaded_error");
      assert.equal(error.requestId, "req_529");
      assert.deepEqual(error.toBody(), {
        error: { message: "Overloaded", type: "overloaded_error", param: null, code: "overloaded_error" },
      });
    }
    assert.equal(mock.requests.length, 2);
  });

  test("n: 2 is an UnsupportedParamsError (Anthropic makes one choice); drop_params drops it; n: 1 is dropped silently", async () => {
    const error = await rejection(
      chatCompletion({ model: `anthropic/${CLAUDE}`, messages: HI, n: 2, api_key: "sk-ant-test", api_base: mock.url }),
    );
    assert.ok(error instanceof UnsupportedParamsError);
    assert.equal(error.param, "n");
    assert.equal(
      error.message,
      "anthropic does not support the param 'n' (got 2). Remove it, or set drop_params: true to drop unsupported params.",
    );
    assert.equal(mock.requests.length, 0);
    mock.always((_req, res) =>
      json(res, 200, {
        id: "msg_n",
        type: "message",
        role: "assistant",
        model: CLAUDE,
        content: [{ type: "text", text: "ok" }],
        stop_reason: "end_turn",
        usage: { input_tokens: 3, output_tokens: 1 },
      }),
    );
    const dropped = await chatCompletion({
      model: `anthropic/${CLAUDE}`,
      messages: HI,
      n: 2,
      max_tokens: 5,
      drop_params: true,
      api_key: "sk-ant-test",
      api_base: mock.url,
    });
    await chatCompletion({
      model: `anthropic/${CLAUDE}`,
      messages: HI,
      n: 1,
      max_tokens: 5,
      api_key: "sk-ant-test",
      api_base: mock.url,
    });
    assert.equal(dropped.choices.length, 1);
    assert.deepEqual(
      mock.requests.map((r) => r.json),
      [
        { model: CLAUDE, max_tokens: 5, messages: [{ role: "user", content: "Hello!" }] },
        { model: CLAUDE, max_tokens: 5, messages: [{ role: "user", content: "Hello!" }] },
      ],
    );
  });

  test("a missing Anthropic key is an AuthenticationError naming ANTHROPIC_API_KEY, before any call", async () => {
    const error = await withEnv({ ANTHROPIC_API_KEY: undefined }, () =>
      rejection(chatCompletion({ model: `anthropic/${CLAUDE}`, messages: HI, api_base: mock.url })),
    );
    assert.ok(error instanceof AuthenticationError);
    assert.equal(
      error.message,
      "No Anthropic API key: set the ANTHROPIC_API_KEY environment variable or pass api_key.",
    );
    assert.equal(mock.requests.length, 0);
  });
});

describe("validation", () => {
  const RULE =
    "It must be a non-empty array of messages, each an object with a 'role' of system, developer, user, assistant or tool.";
  const cases: [name: string, request: Record<string, unknown>, param: string, message: string][] = [
    ["missing messages", { model: "gpt-4o" }, "messages", `Invalid 'messages': 'messages' is required. ${RULE}`],
    ["empty messages", { model: "gpt-4o", messages: [] }, "messages", `Invalid 'messages': got []. ${RULE}`],
    [
      "a message without role",
      { model: "gpt-4o", messages: [{ content: "hi" }] },
      "messages",
      `Invalid 'messages' (at messages.0.role): got [{"content":"hi"}]. ${RULE}`,
    ],
    [
      "temperature 3",
      { model: "gpt-4o", messages: HI, temperature: 3 },
      "temperature",
      "Invalid 'temperature': got 3. It must be a number from 0 to 2.",
    ],
    [
      "top_logprobs without logprobs",
      { model: "gpt-4o", messages: HI, top_logprobs: 2 },
      "top_logprobs",
      "Invalid 'top_logprobs': it needs 'logprobs': true.",
    ],
  ];
  for (const [name, request, param, message] of cases) {
    test(`${name}: BadRequestError naming '${param}', before any call`, async () => {
      const error = await rejection(
        chatCompletion({ ...request, api_key: "sk-test", api_base: mock.url } as unknown as ChatCompletionRequest),
      );
      assert.ok(error instanceof BadRequestError);
      assert.equal(error.status, 400);
      assert.equal(error.param, param);
      assert.equal(error.code, "invalid_value");
      assert.equal(error.message, message);
      assertOpenAIChat("ErrorResponse", error.toBody());
      assert.equal(mock.requests.length, 0);
    });
  }
});

describe("mock_response", () => {
  test("answers with the text, calling no provider (no key, no api_base)", async () => {
    const result = await withEnv(
      { OPENAI_API_KEY: undefined, OPENAI_BASE_URL: undefined, OPENAI_API_BASE: undefined },
      () => chatCompletion({ model: "gpt-4o", messages: HI, mock_response: "hi" }),
    );
    assert.match(result.id, /^chatcmpl-mock-[0-9a-f-]{36}$/);
    assert.deepEqual(result, {
      id: result.id,
      object: "chat.completion",
      created: result.created,
      model: "gpt-4o",
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: "hi", refusal: null },
          logprobs: null,
          finish_reason: "stop",
        },
      ],
      // Counted with the tokenizer (the mock has no provider to report it): "Hello!" and "hi".
      usage: { prompt_tokens: 2, completion_tokens: 1, total_tokens: 3 },
    });
    assert.equal(isUsageEstimated(result), true);
    assertOpenAIChat("CreateChatCompletionResponse", result);
    assert.equal(mock.requests.length, 0);
  });

  test("streams the text word by word: a role chunk, the words, a finishing chunk", async () => {
    const stream = await withEnv({ ANTHROPIC_API_KEY: undefined }, () =>
      chatCompletion({
        model: `anthropic/${CLAUDE}`,
        messages: HI,
        stream: true,
        mock_response: "Hello there, friend",
      }),
    );
    const received = await collect(stream);
    const first = received[0];
    assert.ok(first);
    assert.match(first.id, /^chatcmpl-mock-/);
    const chunk = (
      delta: ChatCompletionChunk["choices"][number]["delta"],
      finish: "stop" | null = null,
    ): ChatCompletionChunk => ({
      id: first.id,
      object: "chat.completion.chunk",
      created: first.created,
      model: `anthropic/${CLAUDE}`,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    });
    assert.deepEqual(received, [
      chunk({ role: "assistant", content: "" }),
      chunk({ content: "Hello" }),
      chunk({ content: " there," }),
      chunk({ content: " friend" }),
      chunk({}, "stop"),
    ]);
    for (const c of received) assertOpenAIChat("CreateChatCompletionStreamResponse", c);
    assert.equal(mock.requests.length, 0);
  });
});
