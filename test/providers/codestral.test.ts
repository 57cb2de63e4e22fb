/**
 * Codestral FIM adapter: the exact request (URL forms, auth, body with defaults and
 * renames), chat-shaped answers and streams rebuilt as OpenAI text completions (checked
 * against OpenAI's schema), and Mistral's error dialects.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { SseParser } from "../../src/http/sse.js";
import { v1Url } from "../../src/providers/connection.js";
import { codestralFim } from "../../src/providers/mistral/index.js";
import type { StreamEvent, Target } from "../../src/providers/types.js";
import type { TextCompletionChunk, TextCompletionParams } from "../../src/wire/completions.js";
import { AuthenticationError, BadGatewayError, BadRequestError } from "../../src/wire/errors.js";
import { assertOpenAI } from "../helpers/openai-schema.js";

function target(overrides: Partial<Target> = {}): Target {
  return { model: "codestral-latest", options: {}, env: {}, dropParams: false, ...overrides };
}

function bodyOf(params: TextCompletionParams, t: Target = target({ options: { api_key: "k" } })): unknown {
  const request = codestralFim.buildRequest(params, t);
  return JSON.parse(request.body ?? "null");
}

/** Feeds `text` to an SSE parser in pieces of `size` bytes (splitting UTF-8 characters too) and parses each event. */
function streamThrough(text: string, size: number): StreamEvent[] {
  const data = new TextEncoder().encode(text);
  const parser = new SseParser();
  const results: StreamEvent[] = [];
  for (let start = 0; start < data.length; start += size) {
    for (const event of parser.push(data.subarray(start, start + size)))
      results.push(codestralFim.parseStreamEvent(event));
  }
  for (const event of parser.end()) results.push(codestralFim.parseStreamEvent(event));
  return results;
}

describe("codestral: requests", () => {
  test("POSTs to codestral.mistral.ai/v1/fim/completions with the bearer key and every param renamed", () => {
    const request = codestralFim.buildRequest(
      {
        model: "codestral/codestral-latest",
        prompt: "def fib(n):",
        suffix: "\n\nprint(fib(10))",
        max_tokens: 64,
        temperature: 0.2,
        top_p: 0.9,
        stop: ["\n\n", "def "],
        stream: true,
        stream_options: { include_usage: true },
        seed: 42,
        min_tokens: 4,
      },
      target({ options: { api_key: "sk-codestral" } }),
    );
    assert.deepEqual(request, {
      method: "POST",
      url: "https://codestral.mistral.ai/v1/fim/completions",
      headers: { "content-type": "application/json", authorization: "Bearer sk-codestral" },
      body: JSON.stringify({
        model: "codestral-latest",
        prompt: "def fib(n):",
        suffix: "\n\nprint(fib(10))",
        max_tokens: 64,
        temperature: 0.2,
        top_p: 0.9,
        stop: ["\n\n", "def "],
        stream: true,
        random_seed: 42,
        min_tokens: 4,
      }),
    });
  });

  test("max_tokens defaults to OpenAI's 16; unset and null params are left out", () => {
    assert.deepEqual(bodyOf({ model: "m", prompt: "x = ", temperature: null, stop: null, seed: null, suffix: null }), {
      model: "codestral-latest",
      prompt: "x = ",
      max_tokens: 16,
    });
  });

  test("reads CODESTRAL_API_KEY and CODESTRAL_API_BASE; options win over the environment", () => {
    const env = { CODESTRAL_API_KEY: "env-key", CODESTRAL_API_BASE: "https://proxy.example/codestral/" };
    const fromEnv = codestralFim.buildRequest({ model: "m", prompt: "a" }, target({ env }));
    assert.equal(fromEnv.url, "https://proxy.example/codestral/v1/fim/completions");
    assert.equal(fromEnv.headers.authorization, "Bearer env-key");
    const fromOptions = codestralFim.buildRequest(
      { model: "m", prompt: "a" },
      target({ env, options: { api_key: "opt", api_base: "http://localhost:9000" } }),
    );
    assert.equal(fromOptions.url, "http://localhost:9000/v1/fim/completions");
    assert.equal(fromOptions.headers.authorization, "Bearer opt");
  });

  test("api_base may be a host, a /v1 base or the full endpoint", () => {
    const fimUrl = (base: string): string => v1Url(base, "/fim/completions");
    assert.equal(fimUrl("https://codestral.mistral.ai"), "https://codestral.mistral.ai/v1/fim/completions");
    assert.equal(fimUrl("https://api.mistral.ai/v1/"), "https://api.mistral.ai/v1/fim/completions");
    assert.equal(fimUrl("https://gw.example/v1/fim/completions"), "https://gw.example/v1/fim/completions");
  });

  test("extra_headers are added and may override", () => {
    const request = codestralFim.buildRequest(
      { model: "m", prompt: "a" },
      target({ options: { api_key: "k", extra_headers: { "x-trace": "1" } } }),
    );
    assert.deepEqual(request.headers, {
      "content-type": "application/json",
      authorization: "Bearer k",
      "x-trace": "1",
    });
  });

  test("a missing key is an AuthenticationError naming CODESTRAL_API_KEY, before any request", () => {
    for (const t of [
      target(),
      target({ env: { CODESTRAL_API_KEY: "" } }),
      target({ env: { MISTRAL_API_KEY: "not-this-one" } }),
    ]) {
      assert.throws(
        () => codestralFim.buildRequest({ model: "m", prompt: "a" }, t),
        (error: unknown) =>
          error instanceof AuthenticationError &&
          error.message.includes("CODESTRAL_API_KEY") &&
          error.param === "api_key",
      );
    }
  });

  test("a one-string list is taken as the prompt; token prompts are refused", () => {
    assert.deepEqual(bodyOf({ model: "m", prompt: ["only"] }), {
      model: "codestral-latest",
      prompt: "only",
      max_tokens: 16,
    });
    for (const prompt of [
      [1, 2, 3],
      [[1], [2]],
      ["a", "b"],
    ]) {
      assert.throws(() => bodyOf({ model: "m", prompt }), BadRequestError);
    }
  });

  test("supports only the completion params FIM takes", () => {
    assert.deepEqual([...codestralFim.supportedParams].sort(), [
      "max_tokens",
      "seed",
      "stop",
      "stream",
      "stream_options",
      "suffix",
      "temperature",
      "top_p",
    ]);
  });
});

describe("codestral: answers", () => {
  const answer = {
    id: "5b35cc2e69bf4ba9a11373ee1f1937f8",
    object: "chat.completion",
    created: 1718000000,
    model: "codestral-latest",
    usage: { prompt_tokens: 16, completion_tokens: 9, total_tokens: 25 },
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content: "\n    return n if n < 2 else fib(n - 1) + fib(n - 2)",
          tool_calls: null,
          prefix: false,
        },
        finish_reason: "stop",
      },
    ],
  };

  test("a chat-shaped answer becomes an OpenAI text_completion", () => {
    const completion = codestralFim.parseResponse(answer);
    assert.deepEqual(completion, {
      id: "cmpl-5b35cc2e69bf4ba9a11373ee1f1937f8",
      object: "text_completion",
      created: 1718000000,
      model: "codestral-latest",
      choices: [
        {
          text: "\n    return n if n < 2 else fib(n - 1) + fib(n - 2)",
          index: 0,
          logprobs: null,
          finish_reason: "stop",
        },
      ],
      usage: { prompt_tokens: 16, completion_tokens: 9, total_tokens: 25 },
    });
    assertOpenAI("CreateCompletionResponse", completion);
  });

  test("an id that already starts with cmpl- is kept", () => {
    assert.equal(codestralFim.parseResponse({ ...answer, id: "cmpl-abc" }).id, "cmpl-abc");
  });

  test("finish reasons: length and model_length are length, tool_calls is stop", () => {
    const finish = (reason: string) =>
      codestralFim.parseResponse({
        ...answer,
        choices: [{ index: 0, message: { content: "x" }, finish_reason: reason }],
      }).choices[0]?.finish_reason;
    assert.equal(finish("length"), "length");
    assert.equal(finish("model_length"), "length");
    assert.equal(finish("tool_calls"), "stop");
    assert.equal(finish("stop"), "stop");
  });

  test('finish_reason "error" is a BadGatewayError', () => {
    assert.throws(
      () =>
        codestralFim.parseResponse({
          ...answer,
          choices: [{ index: 0, message: { content: "partial" }, finish_reason: "error" }],
        }),
      BadGatewayError,
    );
  });

  test("content given as a list of chunks is joined", () => {
    const completion = codestralFim.parseResponse({
      ...answer,
      choices: [
        {
          index: 0,
          message: {
            content: [
              { type: "text", text: "a" },
              { type: "text", text: "b" },
            ],
          },
          finish_reason: "stop",
        },
      ],
    });
    assert.equal(completion.choices[0]?.text, "ab");
  });
});

describe("codestral: streams", () => {
  const id = "e5f0b1d3a2c44f7b9d1e0c8a7b6f5e4d";
  const head = `"id":"${id}","object":"chat.completion.chunk","created":1718000000,"model":"codestral-latest"`;
  const stream =
    `data: {${head},"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}\r\n\r\n` +
    `data: {${head},"choices":[{"index":0,"delta":{"content":"    if n <= 1: # ≤ ✓"},"finish_reason":null}]}\r\n\r\n` +
    `data: {${head},"choices":[{"index":0,"delta":{"content":"\\n        return n"},"finish_reason":null}]}\r\n\r\n` +
    `data: {${head},"choices":[{"index":0,"delta":{"content":""},"finish_reason":"stop"}],"usage":{"prompt_tokens":24,"total_tokens":31,"completion_tokens":7}}\r\n\r\n` +
    "data: [DONE]\r\n\r\n";

  const chunk = (text: string, finish: "stop" | null): TextCompletionChunk => ({
    id: `cmpl-${id}`,
    object: "text_completion",
    created: 1718000000,
    model: "codestral-latest",
    choices: [{ text, index: 0, logprobs: null, finish_reason: finish }],
  });

  const expected: StreamEvent[] = [
    { type: "skip" },
    { type: "chunk", chunk: chunk("    if n <= 1: # ≤ ✓", null) },
    { type: "chunk", chunk: chunk("\n        return n", null) },
    {
      type: "chunk",
      chunk: { ...chunk("", "stop"), usage: { prompt_tokens: 24, completion_tokens: 7, total_tokens: 31 } },
    },
    { type: "done" },
  ];

  for (const size of [1, 3, 7, 64, 10_000]) {
    test(`a realistic stream split every ${size} bytes gives the same OpenAI text chunks`, () => {
      const results = streamThrough(stream, size);
      assert.deepEqual(results, expected);
      for (const result of results)
        if (result.type === "chunk") assertOpenAI("CreateCompletionStreamChunk", result.chunk);
    });
  }

  test("model_length ends a choice with length", () => {
    const [result] = streamThrough(
      `data: {${head},"choices":[{"index":0,"delta":{"content":"x"},"finish_reason":"model_length"}]}\n\n`,
      5,
    );
    assert.deepEqual(result, {
      type: "chunk",
      chunk: { ...chunk("x", null), choices: [{ text: "x", index: 0, logprobs: null, finish_reason: "length" }] },
    });
  });

  test('finish_reason "error" and error payloads end the stream with an error', () => {
    assert.deepEqual(
      streamThrough(`data: {${head},"choices":[{"index":0,"delta":{"content":""},"finish_reason":"error"}]}\n\n`, 9),
      [
        {
          type: "error",
          status: 502,
          detail: { message: 'Codestral stopped generating with finish_reason "error".', type: "api_error" },
        },
      ],
    );
    assert.deepEqual(
      streamThrough(
        'data: {"object":"error","message":"Service unavailable","type":"service_unavailable","param":null,"code":"1000"}\n\n',
        4,
      ),
      [
        {
          type: "error",
          status: undefined,
          detail: { message: "Service unavailable", type: "service_unavailable", param: null, code: "1000" },
        },
      ],
    );
    assert.deepEqual(streamThrough('data: {"error":{"message":"boom","type":"server_error","status":503}}\n\n', 4), [
      { type: "error", status: 503, detail: { message: "boom", type: "server_error", param: null, code: null } },
    ]);
    const [notJson] = streamThrough("data: {oops\n\n", 3);
    assert.equal(notJson?.type, "error");
    assert.equal(notJson?.type === "error" ? notJson.status : undefined, 502);
  });
});

describe("codestral: errors", () => {
  test("Mistral's flat error object", () => {
    assert.deepEqual(
      codestralFim.parseError({
        object: "error",
        message: "Unauthorized",
        type: "invalid_request_error",
        param: null,
        code: null,
      }),
      {
        message: "Unauthorized",
        type: "invalid_request_error",
        param: null,
        code: null,
      },
    );
  });

  test("a 422 whose message holds the validator's detail list", () => {
    assert.deepEqual(
      codestralFim.parseError({
        object: "error",
        message: {
          detail: [
            { type: "extra_forbidden", loc: ["body", "best_of"], msg: "Extra inputs are not permitted", input: 2 },
          ],
        },
        type: "invalid_request_error",
        param: null,
        code: null,
      }),
      {
        message: "Extra inputs are not permitted (best_of)",
        type: "invalid_request_error",
        param: "best_of",
        code: null,
      },
    );
  });

  test("the detail list sent as JSON text, and a numeric code", () => {
    const message = JSON.stringify({
      detail: [
        { type: "missing", loc: ["body", "prompt"], msg: "Field required" },
        { type: "int_type", loc: ["body", "max_tokens"], msg: "Input should be a valid integer" },
      ],
    });
    assert.deepEqual(
      codestralFim.parseError({ object: "error", message, type: "internal_error_proxy", param: null, code: 3001 }),
      {
        message: "Field required (prompt); Input should be a valid integer (max_tokens)",
        type: "internal_error_proxy",
        param: null,
        code: "3001",
      },
    );
  });

  test("FastAPI's bare {detail} as a list or a string, and the gateway's {message}", () => {
    assert.deepEqual(
      codestralFim.parseError({
        detail: [{ loc: ["body", "suffix"], msg: "Input should be a valid string", type: "string_type" }],
      }),
      {
        message: "Input should be a valid string (suffix)",
        param: "suffix",
        code: null,
      },
    );
    assert.deepEqual(codestralFim.parseError({ detail: "Not Found" }), {
      message: "Not Found",
      param: null,
      code: null,
    });
    assert.deepEqual(codestralFim.parseError({ message: "Unauthorized", request_id: "abc" }), {
      message: "Unauthorized",
      param: null,
      code: null,
    });
    assert.deepEqual(codestralFim.parseError("upstream connect error"), { message: "upstream connect error" });
  });

  test("a prompt too long for the context is a context-window error", () => {
    const detail = codestralFim.parseError({
      object: "error",
      message: "Prompt contains 40000 tokens and 0 draft tokens, too large for model with 32768 maximum context length",
      type: "invalid_request_message_error",
      param: null,
      code: "3051",
    });
    assert.equal(detail.kind, "context_window");
  });

  test("request ids come from x-request-id", () => {
    assert.equal(codestralFim.requestId({ "x-request-id": "req-1" }), "req-1");
    assert.equal(codestralFim.requestId({}), undefined);
  });
});
