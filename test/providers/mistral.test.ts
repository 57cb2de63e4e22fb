/**
 * Mistral chat adapter: the exact request (renames, messages reduced to the keys
 * Mistral's validator accepts, nulls left out), answers and streams in OpenAI's chat
 * format (checked against OpenAI's schema), raw forwarding of chunks that need no
 * change, Mistral's finish reasons, and its error dialect.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, test } from "node:test";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { mistralChat } from "../../src/providers/mistral/index.js";
import type { StreamEvent, Target } from "../../src/providers/types.js";
import type { ChatCompletionChunk, ChatCompletionParams } from "../../src/wire/chat.js";
import { AuthenticationError, BadGatewayError } from "../../src/wire/errors.js";

const ajv = new Ajv2020({ strict: true, allErrors: true });
(addFormatsModule as unknown as { default: (ajv: Ajv2020) => void }).default(ajv);
ajv.addSchema(
  JSON.parse(
    readFileSync(
      fileURLToPath(new URL("../../../test/fixtures/openai-spec/openai-chat.schema.json", import.meta.url)),
      "utf8",
    ),
  ),
);

function assertChat(
  definition: "CreateChatCompletionResponse" | "CreateChatCompletionStreamResponse",
  value: unknown,
): void {
  const validate = ajv.getSchema(`urn:llm-gateway:spec:openai-chat#/$defs/${definition}`);
  assert.ok(validate, `schema ${definition} not found`);
  assert.ok(validate(value), `${definition} invalid: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(value)}`);
}

function target(overrides: Partial<Target> = {}): Target {
  return { model: "mistral-small-latest", options: { api_key: "k" }, env: {}, dropParams: false, ...overrides };
}

function bodyOf(params: ChatCompletionParams, t: Target = target()): unknown {
  return JSON.parse(mistralChat.buildChatRequest(params, t).body ?? "null");
}

/** Feeds `text` through a fresh stream reader in pieces of `size` bytes. */
function streamThrough(text: string, size: number): StreamEvent<ChatCompletionChunk>[] {
  const reader = mistralChat.chatStream();
  const data = new TextEncoder().encode(text);
  const results: StreamEvent<ChatCompletionChunk>[] = [];
  for (let start = 0; start < data.length; start += size) {
    for (const event of reader.framer.push(data.subarray(start, start + size))) results.push(reader.parseEvent(event));
  }
  for (const event of reader.framer.end()) results.push(reader.parseEvent(event));
  return results;
}

describe("mistral: requests", () => {
  test("POSTs OpenAI's body to /v1/chat/completions with renames and Mistral-clean messages", () => {
    const request = mistralChat.buildChatRequest(
      {
        model: "mistral/mistral-small-latest",
        messages: [
          { role: "developer", content: "Be brief." },
          { role: "user", content: "Weather in Paris?", name: "alice" },
          {
            role: "assistant",
            content: null,
            refusal: null,
            tool_calls: [
              { id: "D681PevKs", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
            ],
          },
          { role: "tool", content: "18°C", tool_call_id: "D681PevKs" },
          {
            role: "user",
            content: [
              { type: "text", text: "And this?" },
              { type: "image_url", image_url: { url: "https://example.com/a.png" } },
            ],
          },
        ],
        temperature: 0.3,
        top_p: 0.95,
        max_completion_tokens: 256,
        max_tokens: 100,
        seed: 7,
        n: 2,
        stop: ["\n\n"],
        stream: true,
        stream_options: { include_usage: true },
        presence_penalty: 0.1,
        frequency_penalty: 0.2,
        response_format: { type: "json_object" },
        tools: [
          {
            type: "function",
            function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } },
          },
        ],
        tool_choice: "auto",
        parallel_tool_calls: false,
        safe_prompt: true,
        logit_bias: null,
      },
      target({ options: { api_key: "sk-mistral" } }),
    );
    assert.equal(request.method, "POST");
    assert.equal(request.url, "https://api.mistral.ai/v1/chat/completions");
    assert.deepEqual(request.headers, { "content-type": "application/json", authorization: "Bearer sk-mistral" });
    assert.deepEqual(JSON.parse(request.body ?? ""), {
      model: "mistral-small-latest",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Weather in Paris?" },
        {
          role: "assistant",
          content: null,
          tool_calls: [
            { id: "D681PevKs", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
          ],
        },
        { role: "tool", content: "18°C", tool_call_id: "D681PevKs" },
        {
          role: "user",
          content: [
            { type: "text", text: "And this?" },
            { type: "image_url", image_url: { url: "https://example.com/a.png" } },
          ],
        },
      ],
      temperature: 0.3,
      top_p: 0.95,
      random_seed: 7,
      n: 2,
      stop: ["\n\n"],
      stream: true,
      presence_penalty: 0.1,
      frequency_penalty: 0.2,
      response_format: { type: "json_object" },
      tools: [
        {
          type: "function",
          function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } },
        },
      ],
      tool_choice: "auto",
      parallel_tool_calls: false,
      safe_prompt: true,
      max_tokens: 256,
    });
  });

  test("a minimal request is the model and messages only; max_tokens alone is kept", () => {
    assert.deepEqual(bodyOf({ model: "m", messages: [{ role: "user", content: "hi" }] }), {
      model: "mistral-small-latest",
      messages: [{ role: "user", content: "hi" }],
    });
    assert.deepEqual(bodyOf({ model: "m", messages: [{ role: "user", content: "hi" }], max_tokens: 5, seed: null }), {
      model: "mistral-small-latest",
      messages: [{ role: "user", content: "hi" }],
      max_tokens: 5,
    });
  });

  test("reads MISTRAL_API_KEY and MISTRAL_API_BASE; options win", () => {
    const env = { MISTRAL_API_KEY: "env-key", MISTRAL_API_BASE: "https://eu.example/v1/" };
    const fromEnv = mistralChat.buildChatRequest({ model: "m", messages: [] }, target({ options: {}, env }));
    assert.equal(fromEnv.url, "https://eu.example/v1/chat/completions");
    assert.equal(fromEnv.headers.authorization, "Bearer env-key");
    const fromOptions = mistralChat.buildChatRequest(
      { model: "m", messages: [] },
      target({ options: { api_key: "o", api_base: "http://127.0.0.1:8080/v1" }, env }),
    );
    assert.equal(fromOptions.url, "http://127.0.0.1:8080/v1/chat/completions");
    assert.equal(fromOptions.headers.authorization, "Bearer o");
  });

  test("a missing key is an AuthenticationError naming MISTRAL_API_KEY", () => {
    assert.throws(
      () =>
        mistralChat.buildChatRequest(
          { model: "m", messages: [] },
          target({ options: {}, env: { CODESTRAL_API_KEY: "other" } }),
        ),
      (error: unknown) => error instanceof AuthenticationError && error.message.includes("MISTRAL_API_KEY"),
    );
  });

  test("takes n, but not logit_bias, logprobs, top_logprobs or user", () => {
    assert.equal(mistralChat.supportsN, true);
    for (const param of [
      "n",
      "seed",
      "max_completion_tokens",
      "tools",
      "tool_choice",
      "response_format",
      "stream_options",
    ]) {
      assert.ok(mistralChat.supportedParams.has(param), param);
    }
    for (const param of ["logit_bias", "logprobs", "top_logprobs", "user", "store", "metadata"]) {
      assert.ok(!mistralChat.supportedParams.has(param), param);
    }
  });
});

describe("mistral: answers", () => {
  const answer = {
    id: "cf79f7daaee244b1a0ae5c7b1444424a",
    object: "chat.completion",
    created: 1718000000,
    model: "mistral-small-latest",
    usage: { prompt_tokens: 10, completion_tokens: 7, total_tokens: 17, prompt_audio_seconds: null },
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: "Bonjour !", tool_calls: null, prefix: false },
        finish_reason: "stop",
      },
    ],
  };

  test("an answer becomes OpenAI's chat.completion (logprobs added, Mistral's extras removed)", () => {
    const completion = mistralChat.parseChatResponse(answer);
    assert.deepEqual(completion, {
      id: "cf79f7daaee244b1a0ae5c7b1444424a",
      object: "chat.completion",
      created: 1718000000,
      model: "mistral-small-latest",
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: "Bonjour !", refusal: null },
          logprobs: null,
          finish_reason: "stop",
        },
      ],
      usage: { prompt_tokens: 10, completion_tokens: 7, total_tokens: 17 },
    });
    assertChat("CreateChatCompletionResponse", completion);
  });

  test("tool calls keep their ids; object arguments become JSON text", () => {
    const completion = mistralChat.parseChatResponse({
      ...answer,
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: "",
            tool_calls: [
              { id: "D681PevKs", function: { name: "get_weather", arguments: '{"city": "Paris"}' }, index: 0 },
              { id: "x9Y8z7W6v", type: "function", function: { name: "get_time", arguments: { tz: "CET" } }, index: 1 },
            ],
          },
          finish_reason: "tool_calls",
        },
      ],
    });
    assert.deepEqual(completion.choices, [
      {
        index: 0,
        message: {
          role: "assistant",
          content: "",
          refusal: null,
          tool_calls: [
            { id: "D681PevKs", type: "function", function: { name: "get_weather", arguments: '{"city": "Paris"}' } },
            { id: "x9Y8z7W6v", type: "function", function: { name: "get_time", arguments: '{"tz":"CET"}' } },
          ],
        },
        logprobs: null,
        finish_reason: "tool_calls",
      },
    ]);
    assertChat("CreateChatCompletionResponse", completion);
  });

  test("a reasoning model's chunked content: text joined, thinking as reasoning_content", () => {
    const completion = mistralChat.parseChatResponse({
      ...answer,
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: [
              { type: "thinking", thinking: [{ type: "text", text: "2+2 is 4." }] },
              { type: "text", text: "The answer " },
              { type: "text", text: "is 4." },
            ],
          },
          finish_reason: "stop",
        },
      ],
    });
    assert.deepEqual(completion.choices[0]?.message, {
      role: "assistant",
      content: "The answer is 4.",
      refusal: null,
      reasoning_content: "2+2 is 4.",
    });
    assertChat("CreateChatCompletionResponse", completion);
  });

  test('model_length is length; "error" is a BadGatewayError', () => {
    const withFinish = (reason: string) => ({
      ...answer,
      choices: [{ index: 0, message: { role: "assistant", content: "x" }, finish_reason: reason }],
    });
    assert.equal(mistralChat.parseChatResponse(withFinish("model_length")).choices[0]?.finish_reason, "length");
    assert.throws(() => mistralChat.parseChatResponse(withFinish("error")), BadGatewayError);
  });
});

describe("mistral: streams", () => {
  const head =
    '"id":"6e1b3c8b8c9a4a55b5f0a2d3e4f5a6b7","object":"chat.completion.chunk","created":1718000000,"model":"mistral-small-latest"';
  const events = [
    `{${head},"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`,
    `{${head},"choices":[{"index":0,"delta":{"content":"Bonjour"},"finish_reason":null}]}`,
    `{${head},"choices":[{"index":0,"delta":{"content":" à tous 👋"},"finish_reason":"stop"}],"usage":{"prompt_tokens":10,"total_tokens":15,"completion_tokens":5}}`,
  ];
  const stream = `${events.map((data) => `data: ${data}\n\n`).join("")}data: [DONE]\n\n`;

  for (const size of [1, 5, 13, 100_000]) {
    test(`a stream split every ${size} bytes: OpenAI-valid chunks are forwarded raw`, () => {
      const results = streamThrough(stream, size);
      assert.deepEqual(results, [
        ...events.map((data) => ({ type: "chunk", chunk: JSON.parse(data), raw: data })),
        { type: "done" },
      ]);
      for (const result of results)
        if (result.type === "chunk") assertChat("CreateChatCompletionStreamResponse", result.chunk);
    });
  }

  test("a streamed tool call without `type` is valid OpenAI and stays raw", () => {
    const data = `{${head},"choices":[{"index":0,"delta":{"tool_calls":[{"id":"D681PevKs","function":{"name":"get_weather","arguments":"{\\"city\\": \\"Paris\\"}"},"index":0}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":80,"total_tokens":100,"completion_tokens":20}}`;
    const [result] = streamThrough(`data: ${data}\n\n`, 7);
    assert.deepEqual(result, { type: "chunk", chunk: JSON.parse(data), raw: data });
    if (result?.type === "chunk") assertChat("CreateChatCompletionStreamResponse", result.chunk);
  });

  test("model_length and chunked content are rebuilt (no raw)", () => {
    const results = streamThrough(
      `data: {${head},"choices":[{"index":0,"delta":{"content":[{"type":"thinking","thinking":[{"type":"text","text":"hmm"}]},{"type":"text","text":"ok"}]},"finish_reason":null}]}\n\n` +
        `data: {${head},"choices":[{"index":0,"delta":{"content":"!"},"finish_reason":"model_length"}],"usage":{"prompt_tokens":3,"total_tokens":5,"completion_tokens":2}}\n\n`,
      11,
    );
    const base = {
      id: "6e1b3c8b8c9a4a55b5f0a2d3e4f5a6b7",
      object: "chat.completion.chunk",
      created: 1718000000,
      model: "mistral-small-latest",
    };
    assert.deepEqual(results, [
      {
        type: "chunk",
        chunk: {
          ...base,
          choices: [{ index: 0, delta: { content: "ok", reasoning_content: "hmm" }, finish_reason: null }],
        },
      },
      {
        type: "chunk",
        chunk: {
          ...base,
          choices: [{ index: 0, delta: { content: "!" }, finish_reason: "length" }],
          usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
        },
      },
    ]);
    for (const result of results)
      if (result.type === "chunk") assertChat("CreateChatCompletionStreamResponse", result.chunk);
  });

  test('finish_reason "error" and error events end the stream with an error', () => {
    assert.deepEqual(
      streamThrough(`data: {${head},"choices":[{"index":0,"delta":{"content":""},"finish_reason":"error"}]}\n\n`, 6),
      [
        {
          type: "error",
          status: 502,
          detail: { message: 'mistral stopped generating with finish_reason "error".', type: "api_error" },
        },
      ],
    );
    assert.deepEqual(
      streamThrough(
        'data: {"object":"error","message":"Internal server error","type":"internal_server_error","param":null,"code":null}\n\n',
        6,
      ),
      [
        {
          type: "error",
          status: undefined,
          detail: { message: "Internal server error", type: "internal_server_error", param: null, code: null },
        },
      ],
    );
  });

  test("each stream gets its own reader and framer", () => {
    const first = mistralChat.chatStream();
    const second = mistralChat.chatStream();
    assert.notEqual(first.framer, second.framer);
  });
});

describe("mistral: errors", () => {
  test("an extra_forbidden 422 names the param", () => {
    assert.deepEqual(
      mistralChat.parseError({
        object: "error",
        message: {
          detail: [
            {
              type: "extra_forbidden",
              loc: ["body", "max_completion_tokens"],
              msg: "Extra inputs are not permitted",
              input: 32000,
            },
          ],
        },
        type: "invalid_request_error",
        param: null,
        code: null,
      }),
      {
        message: "Extra inputs are not permitted (max_completion_tokens)",
        type: "invalid_request_error",
        param: "max_completion_tokens",
        code: null,
      },
    );
  });

  test("the validator's list given as message and detail, with a numeric code", () => {
    const list = [
      {
        type: "extra_forbidden",
        loc: ["body", "messages", 0, "user", "name"],
        msg: "Extra inputs are not permitted",
        input: "",
      },
    ];
    assert.deepEqual(
      mistralChat.parseError({
        object: "Error",
        detail: list,
        message: list,
        type: "invalid_request_error",
        code: 3001,
      }),
      {
        message: "Extra inputs are not permitted (messages.0.user.name)",
        type: "invalid_request_error",
        param: "messages.0.user.name",
        code: "3001",
      },
    );
  });

  test("OpenAI's {error} shape and plain text", () => {
    assert.deepEqual(
      mistralChat.parseError({
        error: { message: "Rate limit exceeded", type: "rate_limit", param: null, code: "1300" },
      }),
      {
        message: "Rate limit exceeded",
        type: "rate_limit",
        param: null,
        code: "1300",
      },
    );
    assert.deepEqual(mistralChat.parseError("Bad Gateway"), { message: "Bad Gateway" });
  });

  test("request ids: x-request-id, else mistral-correlation-id", () => {
    assert.equal(mistralChat.requestId({ "x-request-id": "a", "mistral-correlation-id": "b" }), "a");
    assert.equal(mistralChat.requestId({ "mistral-correlation-id": "b" }), "b");
  });
});
