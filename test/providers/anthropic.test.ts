import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, test } from "node:test";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { anthropic } from "../../src/providers/anthropic/index.js";
import { anthropicMaxOutputTokens } from "../../src/providers/anthropic/request.js";
import type { StreamEvent, Target } from "../../src/providers/types.js";
import type { ChatCompletionChunk, ChatCompletionParams } from "../../src/wire/chat.js";
import {
  AuthenticationError,
  BadRequestError,
  errorFromStatus,
  ServiceUnavailableError,
} from "../../src/wire/errors.js";

// The chat schema, loaded here rather than in the shared helper, which only knows completions.
const schemaFile = fileURLToPath(
  new URL("../../../test/fixtures/openai-spec/openai-chat.schema.json", import.meta.url),
);
const ajv = new Ajv2020({ strict: true, allErrors: true });
(addFormatsModule as unknown as { default: (ajv: Ajv2020) => void }).default(ajv);
ajv.addSchema(JSON.parse(readFileSync(schemaFile, "utf8")));

type ChatDefinition =
  | "CreateChatCompletionRequest"
  | "CreateChatCompletionResponse"
  | "CreateChatCompletionStreamResponse";

function assertOpenAIChat(definition: ChatDefinition, value: unknown): void {
  const validate = ajv.getSchema(`urn:llm-gateway:spec:openai-chat#/$defs/${definition}`);
  assert.ok(validate, `schema ${definition} not found`);
  assert.ok(validate(value), `${definition} invalid: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(value)}`);
}

/** Params without `model`: the target names the model. */
type BodyParams = Partial<ChatCompletionParams> & Pick<ChatCompletionParams, "messages">;

function target(overrides: Partial<Target> = {}): Target {
  return {
    model: "claude-3-5-sonnet-20241022",
    options: { api_key: "sk-ant-test" },
    dropParams: false,
    env: {},
    ...overrides,
  };
}

function built(params: BodyParams, t: Target = target()): Record<string, unknown> {
  const request = anthropic.buildChatRequest({ model: t.model, ...params }, t);
  assert.equal(typeof request.body, "string");
  return JSON.parse(request.body as string) as Record<string, unknown>;
}

const HI: ChatCompletionParams["messages"] = [{ role: "user", content: "Hi" }];

const WEATHER_TOOL = {
  type: "function" as const,
  function: {
    name: "get_weather",
    description: "Current weather in a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};

/** Feeds SSE text through a fresh reader in pieces of `step` bytes, returning every result. */
function readStream(sse: string, step = 7): StreamEvent<ChatCompletionChunk>[] {
  const reader = anthropic.chatStream();
  const bytes = new TextEncoder().encode(sse);
  const results: StreamEvent<ChatCompletionChunk>[] = [];
  for (let i = 0; i < bytes.length; i += step) {
    for (const event of reader.framer.push(bytes.subarray(i, i + step))) results.push(reader.parseEvent(event));
  }
  for (const event of reader.framer.end()) results.push(reader.parseEvent(event));
  return results;
}

function sse(events: [name: string, data: unknown][]): string {
  return events.map(([name, data]) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`).join("");
}

function chunksOf(results: StreamEvent<ChatCompletionChunk>[]): ChatCompletionChunk[] {
  return results.flatMap((result) => (result.type === "chunk" ? [result.chunk] : []));
}

describe("anthropic: request", () => {
  test("a rich conversation becomes one /v1/messages request with every field translated", () => {
    const params: ChatCompletionParams = {
      model: "claude-3-5-sonnet-20241022",
      messages: [
        { role: "system", content: "You are terse." },
        { role: "developer", content: [{ type: "text", text: "Answer in English." }] },
        {
          role: "user",
          content: [
            { type: "text", text: "What is in these images, and what is the weather in Paris?" },
            { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } },
            { type: "image_url", image_url: { url: "https://example.com/cat.jpg", detail: "high" } },
          ],
        },
        {
          role: "assistant",
          content: "Let me check.",
          tool_calls: [
            { id: "toolu_01", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
            { id: "toolu_02", type: "function", function: { name: "get_weather", arguments: '{"city":"Lyon"}' } },
          ],
        },
        { role: "tool", tool_call_id: "toolu_01", content: "18°C, sunny" },
        { role: "tool", tool_call_id: "toolu_02", content: [{ type: "text", text: "15°C, rain" }] },
        { role: "user", content: "And tomorrow?" },
      ],
      tools: [WEATHER_TOOL, { type: "function", function: { name: "now" } }],
      tool_choice: { type: "function", function: { name: "get_weather" } },
      parallel_tool_calls: false,
      stop: "\n\nHuman:",
      user: "user-42",
      temperature: 0.2,
      top_p: 0.9,
      top_k: 40,
      max_tokens: 300,
      stream: true,
      stream_options: { include_usage: true },
    };
    assertOpenAIChat("CreateChatCompletionRequest", params);
    const request = anthropic.buildChatRequest(
      params,
      target({ options: { api_key: "sk-ant-test", extra_headers: { "anthropic-beta": "x" } } }),
    );
    assert.equal(request.method, "POST");
    assert.equal(request.url, "https://api.anthropic.com/v1/messages");
    assert.deepEqual(request.headers, {
      "x-api-key": "sk-ant-test",
      "anthropic-version": "2023-06-01",
      "content-type": "application/json",
      "anthropic-beta": "x",
    });
    assert.deepEqual(JSON.parse(request.body as string), {
      model: "claude-3-5-sonnet-20241022",
      max_tokens: 300,
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "What is in these images, and what is the weather in Paris?" },
            { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } },
            { type: "image", source: { type: "url", url: "https://example.com/cat.jpg" } },
          ],
        },
        {
          role: "assistant",
          content: [
            { type: "text", text: "Let me check." },
            { type: "tool_use", id: "toolu_01", name: "get_weather", input: { city: "Paris" } },
            { type: "tool_use", id: "toolu_02", name: "get_weather", input: { city: "Lyon" } },
          ],
        },
        {
          role: "user",
          content: [
            { type: "tool_result", tool_use_id: "toolu_01", content: "18°C, sunny" },
            { type: "tool_result", tool_use_id: "toolu_02", content: [{ type: "text", text: "15°C, rain" }] },
            { type: "text", text: "And tomorrow?" },
          ],
        },
      ],
      system: [
        { type: "text", text: "You are terse." },
        { type: "text", text: "Answer in English." },
      ],
      stop_sequences: ["\n\nHuman:"],
      temperature: 0.2,
      top_p: 0.9,
      top_k: 40,
      stream: true,
      metadata: { user_id: "user-42" },
      tools: [
        {
          name: "get_weather",
          description: "Current weather in a city",
          input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
        },
        { name: "now", input_schema: { type: "object", properties: {} } },
      ],
      tool_choice: { type: "tool", name: "get_weather", disable_parallel_tool_use: true },
    });
  });

  test("a simple chat: one system string, string contents, consecutive user turns merged, empty assistant text dropped", () => {
    assert.deepEqual(
      built({
        messages: [
          { role: "system", content: "Be brief." },
          { role: "user", content: "Hello" },
          { role: "user", content: "Anyone there?" },
          { role: "assistant", content: "" },
          { role: "assistant", content: "Yes." },
          { role: "user", content: "Good" },
        ],
        stop: ["END", "STOP"],
      }),
      {
        model: "claude-3-5-sonnet-20241022",
        max_tokens: 8192,
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: "Hello" },
              { type: "text", text: "Anyone there?" },
            ],
          },
          { role: "assistant", content: "Yes." },
          { role: "user", content: "Good" },
        ],
        system: "Be brief.",
        stop_sequences: ["END", "STOP"],
      },
    );
  });

  test("tool_choice: auto, required, none, a named function, and parallel_tool_calls: false", () => {
    const choice = (extra: Partial<ChatCompletionParams>): unknown =>
      built({ messages: HI, tools: [WEATHER_TOOL], ...extra }).tool_choice;
    assert.deepEqual(choice({ tool_choice: "auto" }), { type: "auto" });
    assert.deepEqual(choice({ tool_choice: "required" }), { type: "any" });
    assert.deepEqual(choice({ tool_choice: "none" }), { type: "none" });
    assert.deepEqual(choice({ tool_choice: { type: "function", function: { name: "get_weather" } } }), {
      type: "tool",
      name: "get_weather",
    });
    assert.deepEqual(choice({}), undefined);
    assert.deepEqual(choice({ parallel_tool_calls: true }), undefined);
    assert.deepEqual(choice({ parallel_tool_calls: false }), { type: "auto", disable_parallel_tool_use: true });
    assert.deepEqual(choice({ tool_choice: "auto", parallel_tool_calls: false }), {
      type: "auto",
      disable_parallel_tool_use: true,
    });
    assert.deepEqual(choice({ tool_choice: "required", parallel_tool_calls: false }), {
      type: "any",
      disable_parallel_tool_use: true,
    });
    assert.deepEqual(choice({ tool_choice: "none", parallel_tool_calls: false }), { type: "none" });
    // Without tools neither tools nor tool_choice is sent: Anthropic refuses tool_choice alone.
    const bare = built({ messages: HI, tools: [], tool_choice: "auto" });
    assert.equal("tools" in bare, false);
    assert.equal("tool_choice" in bare, false);
  });

  test("max_tokens: max_completion_tokens first, then max_tokens, then the model's known limit, then 4096", () => {
    const maxTokens = (model: string, extra: Partial<ChatCompletionParams> = {}): unknown =>
      built({ messages: HI, ...extra }, target({ model })).max_tokens;
    assert.equal(maxTokens("claude-3-5-sonnet-20241022", { max_tokens: 100, max_completion_tokens: 50 }), 50);
    assert.equal(maxTokens("claude-3-5-sonnet-20241022", { max_tokens: 100, max_completion_tokens: null }), 100);
    assert.equal(maxTokens("claude-3-5-sonnet-latest"), 8192);
    assert.equal(maxTokens("claude-3-haiku-20240307"), 4096);
    assert.equal(maxTokens("claude-3-7-sonnet-20250219"), 64000);
    assert.equal(maxTokens("claude-sonnet-4-20250514"), 64000);
    assert.equal(maxTokens("claude-opus-4-1-20250805"), 32000);
    assert.equal(maxTokens("claude-opus-4-5"), 64000);
    assert.equal(maxTokens("claude-haiku-4-5-20251001"), 64000);
    assert.equal(maxTokens("my-finetune"), 4096);
    assert.equal(anthropicMaxOutputTokens("claude-3-opus-20240229"), 4096);
    assert.equal(anthropicMaxOutputTokens("gpt-4o"), undefined);
  });

  test("temperature above 1 is refused naming Anthropic's range, or clamped to 1 with drop_params", () => {
    assert.throws(
      () => built({ messages: HI, temperature: 1.5 }),
      (error: unknown) => {
        assert.ok(error instanceof BadRequestError);
        assert.equal(error.status, 400);
        assert.equal(error.param, "temperature");
        assert.equal(error.provider, "anthropic");
        assert.match(error.message, /between 0 and 1/);
        assert.match(error.message, /drop_params/);
        return true;
      },
    );
    assert.equal(built({ messages: HI, temperature: 1.5 }, target({ dropParams: true })).temperature, 1);
    assert.equal(built({ messages: HI, temperature: 1 }).temperature, 1);
    assert.equal(built({ messages: HI, temperature: 0 }).temperature, 0);
    assert.equal("temperature" in built({ messages: HI, temperature: null }), false);
  });

  test("a missing API key fails before any request, naming ANTHROPIC_API_KEY; the env key and base are read", () => {
    assert.throws(
      () =>
        anthropic.buildChatRequest(
          { model: "claude-3-haiku-20240307", messages: HI },
          target({ options: {}, env: {} }),
        ),
      (error: unknown) => {
        assert.ok(error instanceof AuthenticationError);
        assert.equal(
          error.message,
          "No Anthropic API key: set the ANTHROPIC_API_KEY environment variable or pass api_key.",
        );
        assert.equal(error.status, 401);
        assert.equal(error.param, "api_key");
        return true;
      },
    );
    const fromEnv = anthropic.buildChatRequest(
      { model: "m", messages: HI },
      target({ options: {}, env: { ANTHROPIC_API_KEY: "env-key", ANTHROPIC_API_BASE: "http://127.0.0.1:9999/" } }),
    );
    assert.equal(fromEnv.headers["x-api-key"], "env-key");
    assert.equal(fromEnv.url, "http://127.0.0.1:9999/v1/messages");
    const explicit = anthropic.buildChatRequest(
      { model: "m", messages: HI },
      target({
        options: { api_key: "opt-key", api_base: "https://proxy.example/anthropic/v1" },
        env: { ANTHROPIC_API_KEY: "env-key" },
      }),
    );
    assert.equal(explicit.headers["x-api-key"], "opt-key");
    assert.equal(explicit.url, "https://proxy.example/anthropic/v1/messages");
    const full = anthropic.buildChatRequest(
      { model: "m", messages: HI },
      target({ options: { api_key: "k", api_base: "https://gw.example/v1/messages" } }),
    );
    assert.equal(full.url, "https://gw.example/v1/messages");
  });

  test("what Anthropic cannot take is refused with the param named", () => {
    const param = (params: BodyParams): string | null => {
      try {
        built(params);
      } catch (error) {
        assert.ok(error instanceof BadRequestError);
        return error.param;
      }
      assert.fail("expected a BadRequestError");
    };
    assert.equal(
      param({ messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "ftp://x/y.png" } }] }] }),
      "messages[0].content[0].image_url.url",
    );
    assert.equal(
      param({
        messages: [{ role: "user", content: [{ type: "input_audio", input_audio: { data: "", format: "wav" } }] }],
      }),
      "messages[0].content[0]",
    );
    assert.equal(
      param({
        messages: [
          { role: "user", content: "hi" },
          {
            role: "assistant",
            tool_calls: [{ id: "t", type: "function", function: { name: "f", arguments: "{oops" } }],
          },
        ],
      }),
      "messages[1].tool_calls[0].function.arguments",
    );
    assert.equal(param({ messages: [{ role: "system", content: "only a system prompt" }] }), "messages");
  });

  test("tool calls with empty arguments send an empty input object", () => {
    const body = built({
      messages: [
        { role: "user", content: "time?" },
        {
          role: "assistant",
          content: null,
          tool_calls: [{ id: "t1", type: "function", function: { name: "now", arguments: "" } }],
        },
        { role: "tool", tool_call_id: "t1", content: "12:00" },
      ],
    });
    assert.deepEqual(body.messages, [
      { role: "user", content: "time?" },
      { role: "assistant", content: [{ type: "tool_use", id: "t1", name: "now", input: {} }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "t1", content: "12:00" }] },
    ]);
  });
});

describe("anthropic: response", () => {
  const message = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
    id: "msg_013Zva2CMHLNnXjNJJKqJ2EF",
    type: "message",
    role: "assistant",
    content: [{ type: "text", text: "Hi! My name is Claude." }],
    model: "claude-3-5-sonnet-20241022",
    stop_reason: "end_turn",
    stop_sequence: null,
    usage: { input_tokens: 10, output_tokens: 25 },
    ...overrides,
  });

  test("a text message becomes a chat.completion", () => {
    const before = Math.floor(Date.now() / 1000);
    const completion = anthropic.parseChatResponse(message());
    assert.ok(completion.created >= before && completion.created <= before + 1);
    assert.deepEqual(completion, {
      id: "msg_013Zva2CMHLNnXjNJJKqJ2EF",
      object: "chat.completion",
      created: completion.created,
      model: "claude-3-5-sonnet-20241022",
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: "Hi! My name is Claude.", refusal: null },
          logprobs: null,
          finish_reason: "stop",
        },
      ],
      usage: { prompt_tokens: 10, completion_tokens: 25, total_tokens: 35 },
    });
    assertOpenAIChat("CreateChatCompletionResponse", completion);
  });

  test("tool_use blocks become tool_calls; text blocks are joined; cached tokens count as prompt tokens", () => {
    const completion = anthropic.parseChatResponse(
      message({
        content: [
          { type: "thinking", thinking: "The user wants weather.", signature: "sig" },
          { type: "text", text: "Let me " },
          { type: "text", text: "check." },
          {
            type: "tool_use",
            id: "toolu_01A09q90qw90lq917835lq9",
            name: "get_weather",
            input: { location: "San Francisco, CA", unit: "celsius" },
          },
          { type: "tool_use", id: "toolu_02", name: "now", input: {} },
        ],
        stop_reason: "tool_use",
        usage: { input_tokens: 100, cache_read_input_tokens: 2000, cache_creation_input_tokens: 50, output_tokens: 40 },
      }),
    );
    assert.deepEqual(completion.choices, [
      {
        index: 0,
        message: {
          role: "assistant",
          content: "Let me check.",
          refusal: null,
          tool_calls: [
            {
              id: "toolu_01A09q90qw90lq917835lq9",
              type: "function",
              function: { name: "get_weather", arguments: '{"location":"San Francisco, CA","unit":"celsius"}' },
            },
            { id: "toolu_02", type: "function", function: { name: "now", arguments: "{}" } },
          ],
        },
        logprobs: null,
        finish_reason: "tool_calls",
      },
    ]);
    assert.deepEqual(completion.usage, {
      prompt_tokens: 2150,
      completion_tokens: 40,
      total_tokens: 2190,
      prompt_tokens_details: { cached_tokens: 2000, cache_write_tokens: 50 },
    });
    assertOpenAIChat("CreateChatCompletionResponse", completion);
  });

  test("only tool calls: content is null", () => {
    const completion = anthropic.parseChatResponse(
      message({ content: [{ type: "tool_use", id: "t", name: "f", input: { a: 1 } }], stop_reason: "tool_use" }),
    );
    assert.equal(completion.choices[0]?.message.content, null);
    assertOpenAIChat("CreateChatCompletionResponse", completion);
  });

  test("every stop_reason maps to OpenAI's finish_reason", () => {
    const expected: Record<string, string> = {
      end_turn: "stop",
      stop_sequence: "stop",
      pause_turn: "stop",
      max_tokens: "length",
      model_context_window_exceeded: "length",
      tool_use: "tool_calls",
      refusal: "content_filter",
      something_new: "stop",
    };
    for (const [stopReason, finishReason] of Object.entries(expected)) {
      const completion = anthropic.parseChatResponse(message({ stop_reason: stopReason }));
      assert.equal(completion.choices[0]?.finish_reason, finishReason, stopReason);
      assertOpenAIChat("CreateChatCompletionResponse", completion);
    }
  });
});

/** A realistic transcript, in the shape of Anthropic's streaming docs: text, then a tool call. */
const TRANSCRIPT = sse([
  [
    "message_start",
    {
      type: "message_start",
      message: {
        id: "msg_014p7gG3wDgGV9EUtLvnow3U",
        type: "message",
        role: "assistant",
        model: "claude-sonnet-4-5-20250929",
        stop_sequence: null,
        usage: { input_tokens: 472, output_tokens: 2 },
        content: [],
        stop_reason: null,
      },
    },
  ],
  ["content_block_start", { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }],
  ["ping", { type: "ping" }],
  ["content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Okay" } }],
  [
    "content_block_delta",
    { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: ", let's check " } },
  ],
  [
    "content_block_delta",
    { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "the weather — ☀️?" } },
  ],
  ["content_block_stop", { type: "content_block_stop", index: 0 }],
  [
    "content_block_start",
    {
      type: "content_block_start",
      index: 1,
      content_block: { type: "tool_use", id: "toolu_01T1x1fJ34qAmk2tNTrN7Up6", name: "get_weather", input: {} },
    },
  ],
  [
    "content_block_delta",
    { type: "content_block_delta", index: 1, delta: { type: "input_json_delta", partial_json: "" } },
  ],
  [
    "content_block_delta",
    { type: "content_block_delta", index: 1, delta: { type: "input_json_delta", partial_json: '{"location":' } },
  ],
  [
    "content_block_delta",
    {
      type: "content_block_delta",
      index: 1,
      delta: { type: "input_json_delta", partial_json: ' "San Francisco, CA"' },
    },
  ],
  [
    "content_block_delta",
    { type: "content_block_delta", index: 1, delta: { type: "input_json_delta", partial_json: "}" } },
  ],
  ["content_block_stop", { type: "content_block_stop", index: 1 }],
  [
    "message_delta",
    { type: "message_delta", delta: { stop_reason: "tool_use", stop_sequence: null }, usage: { output_tokens: 89 } },
  ],
  ["message_stop", { type: "message_stop" }],
]);

describe("anthropic: stream", () => {
  test("a full transcript becomes OpenAI's chunk sequence, ending with a usage chunk", () => {
    const results = readStream(TRANSCRIPT);
    const chunks = chunksOf(results);
    const created = chunks[0]?.created ?? 0;
    assert.ok(Math.abs(created - Date.now() / 1000) < 5);
    const base = {
      id: "msg_014p7gG3wDgGV9EUtLvnow3U",
      object: "chat.completion.chunk",
      created,
      model: "claude-sonnet-4-5-20250929",
    };
    const choice = (delta: object, finish_reason: string | null = null): object => ({
      ...base,
      choices: [{ index: 0, delta, logprobs: null, finish_reason }],
    });
    assert.deepEqual(chunks, [
      choice({ role: "assistant", content: "" }),
      choice({ content: "Okay" }),
      choice({ content: ", let's check " }),
      choice({ content: "the weather — ☀️?" }),
      choice({
        tool_calls: [
          {
            index: 0,
            id: "toolu_01T1x1fJ34qAmk2tNTrN7Up6",
            type: "function",
            function: { name: "get_weather", arguments: "" },
          },
        ],
      }),
      choice({ tool_calls: [{ index: 0, function: { arguments: '{"location":' } }] }),
      choice({ tool_calls: [{ index: 0, function: { arguments: ' "San Francisco, CA"' } }] }),
      choice({ tool_calls: [{ index: 0, function: { arguments: "}" } }] }),
      { ...choice({}, "tool_calls"), usage: null },
      { ...base, choices: [], usage: { prompt_tokens: 472, completion_tokens: 89, total_tokens: 561 } },
    ]);
    // content_block_start (text), ping, two content_block_stop and the empty JSON delta are skipped.
    assert.deepEqual(
      results.map((result) => result.type),
      [
        "chunk",
        "skip",
        "skip",
        "chunk",
        "chunk",
        "chunk",
        "skip",
        "chunk",
        "skip",
        "chunk",
        "chunk",
        "chunk",
        "skip",
        "chunk",
        "chunk",
      ],
    );
    for (const chunk of chunks) {
      assert.equal((chunk as { raw?: unknown }).raw, undefined);
      assertOpenAIChat("CreateChatCompletionStreamResponse", chunk);
    }
    assert.ok(results.every((result) => result.type !== "chunk" || result.raw === undefined));
  });

  test("the chunks do not depend on how the bytes are split", () => {
    const strip = (results: StreamEvent<ChatCompletionChunk>[]): unknown =>
      chunksOf(results).map((chunk) => ({ ...chunk, created: 0 }));
    const whole = strip(readStream(TRANSCRIPT, TRANSCRIPT.length * 4));
    for (const step of [1, 2, 3, 5, 64]) assert.deepEqual(strip(readStream(TRANSCRIPT, step)), whole, `step ${step}`);
  });

  test("several tool calls get their own indexes; a call without arguments ends with {}; cache tokens and late usage count", () => {
    const chunks = chunksOf(
      readStream(
        sse([
          [
            "message_start",
            {
              type: "message_start",
              message: {
                id: "msg_2",
                model: "claude-3-5-haiku-20241022",
                content: [],
                usage: {
                  input_tokens: 20,
                  cache_read_input_tokens: 100,
                  cache_creation_input_tokens: 0,
                  output_tokens: 1,
                },
              },
            },
          ],
          [
            "content_block_start",
            {
              type: "content_block_start",
              index: 0,
              content_block: { type: "tool_use", id: "t_a", name: "now", input: {} },
            },
          ],
          [
            "content_block_delta",
            { type: "content_block_delta", index: 0, delta: { type: "input_json_delta", partial_json: "" } },
          ],
          ["content_block_stop", { type: "content_block_stop", index: 0 }],
          [
            "content_block_start",
            {
              type: "content_block_start",
              index: 1,
              content_block: { type: "tool_use", id: "t_b", name: "f", input: {} },
            },
          ],
          [
            "content_block_delta",
            { type: "content_block_delta", index: 1, delta: { type: "input_json_delta", partial_json: '{"x":1}' } },
          ],
          ["content_block_stop", { type: "content_block_stop", index: 1 }],
          [
            "message_delta",
            {
              type: "message_delta",
              delta: { stop_reason: "tool_use", stop_sequence: null },
              usage: { input_tokens: 20, output_tokens: 30 },
            },
          ],
          ["message_stop", { type: "message_stop" }],
        ]),
      ),
    );
    assert.deepEqual(
      chunks.map((chunk) => chunk.choices[0]?.delta.tool_calls),
      [
        undefined,
        [{ index: 0, id: "t_a", type: "function", function: { name: "now", arguments: "" } }],
        [{ index: 0, function: { arguments: "{}" } }],
        [{ index: 1, id: "t_b", type: "function", function: { name: "f", arguments: "" } }],
        [{ index: 1, function: { arguments: '{"x":1}' } }],
        undefined,
        undefined,
      ],
    );
    assert.deepEqual(chunks.at(-1)?.usage, {
      prompt_tokens: 120,
      completion_tokens: 30,
      total_tokens: 150,
      prompt_tokens_details: { cached_tokens: 100, cache_write_tokens: 0 },
    });
    for (const chunk of chunks) assertOpenAIChat("CreateChatCompletionStreamResponse", chunk);
  });

  test("max_tokens and stop_sequence end with length and stop", () => {
    for (const [stopReason, finish] of [
      ["max_tokens", "length"],
      ["stop_sequence", "stop"],
      ["refusal", "content_filter"],
    ] as const) {
      const chunks = chunksOf(
        readStream(
          sse([
            [
              "message_start",
              {
                type: "message_start",
                message: { id: "msg_3", model: "m", content: [], usage: { input_tokens: 1, output_tokens: 1 } },
              },
            ],
            [
              "message_delta",
              {
                type: "message_delta",
                delta: { stop_reason: stopReason, stop_sequence: null },
                usage: { output_tokens: 5 },
              },
            ],
            ["message_stop", { type: "message_stop" }],
          ]),
        ),
      );
      assert.equal(chunks[1]?.choices[0]?.finish_reason, finish);
    }
  });

  test("events after message_stop end the stream", () => {
    const reader = anthropic.chatStream();
    const event = (name: string, data: unknown) => ({ event: name, data: JSON.stringify(data), id: undefined });
    assert.equal(reader.parseEvent(event("message_stop", { type: "message_stop" })).type, "chunk");
    assert.deepEqual(reader.parseEvent(event("ping", { type: "ping" })), { type: "done" });
  });

  test("each reader keeps its own state", () => {
    const first = readStream(TRANSCRIPT);
    const second = readStream(TRANSCRIPT);
    assert.deepEqual(
      chunksOf(first).map((chunk) => chunk.choices[0]?.delta.tool_calls?.[0]?.index),
      chunksOf(second).map((chunk) => chunk.choices[0]?.delta.tool_calls?.[0]?.index),
    );
  });

  test("an overloaded error event after some text is an error with status 529 and Anthropic's message", () => {
    const results = readStream(
      sse([
        [
          "message_start",
          {
            type: "message_start",
            message: { id: "msg_4", model: "m", content: [], usage: { input_tokens: 3, output_tokens: 1 } },
          },
        ],
        ["content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Hel" } }],
        ["error", { type: "error", error: { type: "overloaded_error", message: "Overloaded" } }],
      ]),
    );
    assert.deepEqual(results.at(-1), {
      type: "error",
      status: 529,
      detail: { message: "Overloaded", type: "overloaded_error", code: "overloaded_error", param: null },
    });
    const error = errorFromStatus(
      529,
      anthropic.parseError({ type: "error", error: { type: "overloaded_error", message: "Overloaded" } }),
      {},
    );
    assert.ok(error instanceof ServiceUnavailableError);
    assert.equal(error.status, 503);
  });

  test("a stream event that is not JSON is an error", () => {
    const reader = anthropic.chatStream();
    const result = reader.parseEvent({ event: "content_block_delta", data: "{nope", id: undefined });
    assert.equal(result.type, "error");
    assert.equal(result.type === "error" ? result.status : undefined, 502);
  });

  test("error types inside a stream map to their HTTP statuses", () => {
    const statuses: Record<string, number | undefined> = {
      invalid_request_error: 400,
      authentication_error: 401,
      billing_error: 402,
      permission_error: 403,
      not_found_error: 404,
      request_too_large: 413,
      rate_limit_error: 429,
      api_error: 500,
      timeout_error: 504,
      overloaded_error: 529,
      brand_new_error: undefined,
    };
    for (const [type, status] of Object.entries(statuses)) {
      const result = anthropic.chatStream().parseEvent({
        event: "error",
        data: JSON.stringify({ type: "error", error: { type, message: "m" } }),
        id: undefined,
      });
      assert.equal(result.type, "error");
      assert.equal(result.type === "error" ? result.status : null, status, type);
    }
  });
});

describe("anthropic: errors", () => {
  test("every error type is kept as type and code, with the message", () => {
    for (const type of [
      "invalid_request_error",
      "authentication_error",
      "billing_error",
      "permission_error",
      "not_found_error",
      "request_too_large",
      "rate_limit_error",
      "api_error",
      "timeout_error",
      "overloaded_error",
    ]) {
      assert.deepEqual(
        anthropic.parseError({
          type: "error",
          error: { type, message: `about ${type}` },
          request_id: "req_011CSHoEeqs5C35K2UUqR7Fy",
        }),
        { message: `about ${type}`, type, code: type, param: null },
      );
    }
  });

  test("a prompt too long is a context window error", () => {
    assert.deepEqual(
      anthropic.parseError({
        type: "error",
        error: { type: "invalid_request_error", message: "prompt is too long: 215473 tokens > 200000 maximum" },
        request_id: "req_1",
      }),
      {
        message: "prompt is too long: 215473 tokens > 200000 maximum",
        type: "invalid_request_error",
        code: "invalid_request_error",
        param: null,
        kind: "context_window",
      },
    );
    assert.equal(
      anthropic.parseError({
        type: "error",
        error: {
          type: "invalid_request_error",
          message: "input length and `max_tokens` exceed context limit: 198000 + 8192 > 200000",
        },
      }).kind,
      "context_window",
    );
    assert.equal(
      anthropic.parseError({
        type: "error",
        error: { type: "invalid_request_error", message: "max_tokens: field required" },
      }).kind,
      undefined,
    );
  });

  test("plain text and other shapes still give a message", () => {
    assert.deepEqual(anthropic.parseError("upstream connect error"), { message: "upstream connect error" });
    assert.equal(anthropic.parseError("").message, "Anthropic returned an error without a message.");
    assert.equal(
      anthropic.parseError({ error: { message: "from a proxy", type: "invalid_request_error" } }).message,
      "from a proxy",
    );
    assert.match(anthropic.parseError({ unexpected: true }).message, /unexpected/);
  });

  test("the request id comes from the request-id header", () => {
    assert.equal(anthropic.requestId({ "request-id": "req_018EeWyXxfu5pfWkrYcMdjWG" }), "req_018EeWyXxfu5pfWkrYcMdjWG");
    assert.equal(anthropic.requestId({ "x-request-id": "other" }), undefined);
  });

  test("the adapter declares its params and no n", () => {
    assert.equal(anthropic.provider, "anthropic");
    assert.equal(anthropic.supportsN, false);
    for (const param of [
      "max_tokens",
      "max_completion_tokens",
      "stop",
      "temperature",
      "top_p",
      "stream",
      "stream_options",
      "tools",
      "tool_choice",
      "parallel_tool_calls",
      "user",
    ]) {
      assert.ok(anthropic.supportedParams.has(param), param);
    }
    for (const param of [
      "n",
      "logprobs",
      "top_logprobs",
      "logit_bias",
      "presence_penalty",
      "frequency_penalty",
      "seed",
      "response_format",
    ]) {
      assert.equal(anthropic.supportedParams.has(param), false, param);
    }
  });
});
