/**
 * Ollama adapters: the exact /api/generate and /api/chat requests (OpenAI's defaults
 * made explicit, options, message conversion, extras), answers in OpenAI's shape
 * (checked against OpenAI's schemas), NDJSON streams read through the stateful readers
 * at odd split points (one id per stream), mid-stream errors, and error bodies.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, test } from "node:test";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import type { Framer, SseEvent } from "../../src/http/sse.js";
import { ollamaChat, ollamaGenerate } from "../../src/providers/ollama/index.js";
import { ollamaChatStream, ollamaGenerateStream } from "../../src/providers/ollama/stream.js";
import type { StreamEvent, Target } from "../../src/providers/types.js";
import type { ChatCompletionChunk, ChatCompletionParams } from "../../src/wire/chat.js";
import type { TextCompletionChunk, TextCompletionParams } from "../../src/wire/completions.js";
import { BadRequestError } from "../../src/wire/errors.js";
import { assertOpenAI } from "../helpers/openai-schema.js";

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
  return { model: "qwen2.5-coder:1.5b", options: {}, env: {}, dropParams: false, ...overrides };
}

const generateBody = (params: TextCompletionParams, t: Target = target()): unknown =>
  JSON.parse(ollamaGenerate.buildRequest(params, t).body ?? "null");
const chatBody = (params: ChatCompletionParams, t: Target = target({ model: "llama3.2" })): unknown =>
  JSON.parse(ollamaChat.buildChatRequest(params, t).body ?? "null");

/** Feeds `text` through a stream reader in pieces of `size` bytes (splitting UTF-8 characters too). */
function streamThrough<C>(
  reader: { framer: Framer; parseEvent(event: SseEvent): StreamEvent<C> },
  text: string,
  size: number,
): StreamEvent<C>[] {
  const data = new TextEncoder().encode(text);
  const results: StreamEvent<C>[] = [];
  for (let start = 0; start < data.length; start += size) {
    for (const event of reader.framer.push(data.subarray(start, start + size))) results.push(reader.parseEvent(event));
  }
  for (const event of reader.framer.end()) results.push(reader.parseEvent(event));
  return results;
}

const ID = /^cmpl-[0-9a-f]{32}$/;
const CHAT_ID = /^chatcmpl-[0-9a-f]{32}$/;

describe("ollama (/api/generate): requests", () => {
  test("defaults: raw prompt, explicit stream false, OpenAI's temperature, top_p and 16 tokens; no auth locally", () => {
    const request = ollamaGenerate.buildRequest(
      { model: "ollama/qwen2.5-coder:1.5b", prompt: "def add(a, b):" },
      target(),
    );
    assert.deepEqual(request, {
      method: "POST",
      url: "http://localhost:11434/api/generate",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: "qwen2.5-coder:1.5b",
        prompt: "def add(a, b):",
        raw: true,
        stream: false,
        options: { temperature: 1, top_p: 1, num_predict: 16 },
      }),
    });
  });

  test("every OpenAI param is mapped; stop becomes a list; Ollama's own params pass through", () => {
    assert.deepEqual(
      generateBody({
        model: "m",
        prompt: "def add(a, b):",
        suffix: "\n\nprint(add(1, 2))",
        max_tokens: 64,
        temperature: 0,
        top_p: 0.5,
        stop: "\n\n",
        seed: 3,
        presence_penalty: 0.5,
        frequency_penalty: 0.25,
        stream: true,
        stream_options: { include_usage: true },
        num_ctx: 8192,
        top_k: 20,
        keep_alive: "10m",
        options: { repeat_penalty: 1.1, num_predict: 999 },
      }),
      {
        model: "qwen2.5-coder:1.5b",
        prompt: "def add(a, b):",
        raw: true,
        stream: true,
        suffix: "\n\nprint(add(1, 2))",
        keep_alive: "10m",
        options: {
          temperature: 0,
          top_p: 0.5,
          num_predict: 64,
          stop: ["\n\n"],
          seed: 3,
          presence_penalty: 0.5,
          frequency_penalty: 0.25,
          num_ctx: 8192,
          top_k: 20,
          repeat_penalty: 1.1,
        },
      },
    );
  });

  test("an options object sets what the OpenAI params leave at their defaults; nulls are defaults", () => {
    assert.deepEqual(
      generateBody({ model: "m", prompt: "x", max_tokens: null, stop: null, options: { num_predict: -1 } }),
      {
        model: "qwen2.5-coder:1.5b",
        prompt: "x",
        raw: true,
        stream: false,
        options: { temperature: 1, top_p: 1, num_predict: -1 },
      },
    );
  });

  test("OLLAMA_API_BASE and OLLAMA_API_KEY (a bearer key only when given); options win", () => {
    const env = { OLLAMA_API_BASE: "https://ollama.com/", OLLAMA_API_KEY: "ok-1" };
    const fromEnv = ollamaGenerate.buildRequest({ model: "m", prompt: "x" }, target({ env }));
    assert.equal(fromEnv.url, "https://ollama.com/api/generate");
    assert.deepEqual(fromEnv.headers, { "content-type": "application/json", authorization: "Bearer ok-1" });
    const fromOptions = ollamaGenerate.buildRequest(
      { model: "m", prompt: "x" },
      target({ env, options: { api_base: "http://gpu-box:11434", api_key: "opt" } }),
    );
    assert.equal(fromOptions.url, "http://gpu-box:11434/api/generate");
    assert.equal(fromOptions.headers.authorization, "Bearer opt");
  });

  test("token prompts and several prompts are refused", () => {
    assert.throws(() => generateBody({ model: "m", prompt: [1, 2] }), BadRequestError);
    assert.throws(() => generateBody({ model: "m", prompt: ["a", "b"] }), BadRequestError);
  });

  test("supports the sampling params but not n, echo, best_of, logprobs, logit_bias or user", () => {
    for (const param of ["n", "echo", "best_of", "logprobs", "logit_bias", "user"])
      assert.ok(!ollamaGenerate.supportedParams.has(param), param);
    for (const param of ["max_tokens", "suffix", "stop", "seed", "presence_penalty"])
      assert.ok(ollamaGenerate.supportedParams.has(param), param);
  });
});

describe("ollama (/api/generate): answers and streams", () => {
  const answer = {
    model: "qwen2.5-coder:1.5b",
    created_at: "2024-07-22T20:47:51.147561Z",
    response: "\n    return a + b\n",
    done: true,
    done_reason: "stop",
    context: [1, 2, 3],
    total_duration: 1162761250,
    load_duration: 6683708,
    prompt_eval_count: 17,
    prompt_eval_duration: 201222000,
    eval_count: 8,
    eval_duration: 953997000,
  };

  test("an answer becomes OpenAI's text_completion", () => {
    const completion = ollamaGenerate.parseResponse(answer);
    assert.match(completion.id, ID);
    assert.deepEqual(
      { ...completion, id: "X" },
      {
        id: "X",
        object: "text_completion",
        created: 1721681271,
        model: "qwen2.5-coder:1.5b",
        choices: [{ text: "\n    return a + b\n", index: 0, logprobs: null, finish_reason: "stop" }],
        usage: { prompt_tokens: 17, completion_tokens: 8, total_tokens: 25 },
      },
    );
    assertOpenAI("CreateCompletionResponse", completion);
  });

  test("done_reason length is length, others are stop; a cached prompt counts 0 tokens", () => {
    assert.equal(
      ollamaGenerate.parseResponse({ ...answer, done_reason: "length" }).choices[0]?.finish_reason,
      "length",
    );
    assert.equal(ollamaGenerate.parseResponse({ ...answer, done_reason: "unload" }).choices[0]?.finish_reason, "stop");
    const { prompt_eval_count: _dropped, done_reason: _reason, ...cached } = answer;
    const completion = ollamaGenerate.parseResponse(cached);
    assert.equal(completion.choices[0]?.finish_reason, "stop");
    assert.deepEqual(completion.usage, { prompt_tokens: 0, completion_tokens: 8, total_tokens: 8 });
  });

  const lines = [
    '{"model":"qwen2.5-coder:1.5b","created_at":"2024-07-22T20:47:51.147561Z","response":"def","done":false}',
    '{"model":"qwen2.5-coder:1.5b","created_at":"2024-07-22T20:47:52.168732Z","response":"","thinking":"hmm","done":false}',
    '{"model":"qwen2.5-coder:1.5b","created_at":"2024-07-22T20:47:52.190311Z","response":" add(a, b) → ✓","done":false}',
    '{"model":"qwen2.5-coder:1.5b","created_at":"2024-07-22T20:47:53.201991Z","response":"","done":true,"done_reason":"length","context":[1,2,3],"total_duration":1162761250,"load_duration":6683708,"prompt_eval_count":17,"prompt_eval_duration":201222000,"eval_count":16,"eval_duration":953997000}',
  ];

  const textChunk = (text: string, finish: "length" | null): Omit<TextCompletionChunk, "id"> => ({
    object: "text_completion",
    created: 1721681271,
    model: "qwen2.5-coder:1.5b",
    choices: [{ text, index: 0, logprobs: null, finish_reason: finish }],
  });

  for (const [size, ending] of [
    [1, "\n"],
    [4, "\r\n"],
    [17, "\n"],
    [100_000, "\r\n"],
  ] as const) {
    test(`an NDJSON stream split every ${size} bytes (${JSON.stringify(ending)}): one id, one created, usage on the last chunk`, () => {
      const reader = ollamaGenerate.textStream?.();
      assert.ok(reader);
      const text = lines.join(ending) + (size === 17 ? "" : ending);
      const results = streamThrough(reader, text, size);
      const ids = new Set(results.flatMap((result) => (result.type === "chunk" ? [result.chunk.id] : [])));
      assert.equal(ids.size, 1);
      const [id] = ids;
      assert.match(id ?? "", ID);
      assert.deepEqual(results, [
        { type: "chunk", chunk: { id, ...textChunk("def", null) } },
        { type: "skip" },
        { type: "chunk", chunk: { id, ...textChunk(" add(a, b) → ✓", null) } },
        {
          type: "chunk",
          chunk: {
            id,
            ...textChunk("", "length"),
            usage: { prompt_tokens: 17, completion_tokens: 16, total_tokens: 33 },
          },
        },
      ]);
      for (const result of results)
        if (result.type === "chunk") assertOpenAI("CreateCompletionStreamChunk", result.chunk);
    });
  }

  test("each stream has its own id", () => {
    const first = streamThrough(ollamaGenerateStream(), `${lines[0]}\n`, 8);
    const second = streamThrough(ollamaGenerateStream(), `${lines[0]}\n`, 8);
    assert.notEqual(
      first[0]?.type === "chunk" ? first[0].chunk.id : 1,
      second[0]?.type === "chunk" ? second[0].chunk.id : 2,
    );
  });

  test("an error line mid-stream ends it with a 500; a line that is not JSON with a 502", () => {
    const results = streamThrough(
      ollamaGenerateStream(),
      `${lines[0]}\n{"error":"an error was encountered while running the model: unexpected EOF"}\n`,
      10,
    );
    assert.equal(results[0]?.type, "chunk");
    assert.deepEqual(results[1], {
      type: "error",
      status: 500,
      detail: { message: "an error was encountered while running the model: unexpected EOF", param: null, code: null },
    });
    const [bad] = streamThrough(ollamaGenerateStream(), "<html>502 Bad Gateway</html>\n", 3);
    assert.equal(bad?.type, "error");
    assert.equal(bad?.type === "error" ? bad.status : 0, 502);
  });

  test("the stateless parseStreamEvent converts one line", () => {
    const result = ollamaGenerate.parseStreamEvent({ event: undefined, data: lines[0] ?? "", id: undefined });
    assert.equal(result.type, "chunk");
    if (result.type === "chunk")
      assert.deepEqual(result.chunk.choices, [{ text: "def", index: 0, logprobs: null, finish_reason: null }]);
  });

  test("errors: Ollama's {error} string is the message", () => {
    assert.deepEqual(ollamaGenerate.parseError({ error: 'model "llama9" not found, try pulling it first' }), {
      message: 'model "llama9" not found, try pulling it first',
      param: null,
      code: null,
    });
    assert.deepEqual(ollamaChat.parseError("404 page not found"), { message: "404 page not found" });
  });
});

describe("ollama_chat (/api/chat): requests", () => {
  const png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

  test("converts OpenAI messages: roles, text parts, data: URL images, tool calls and results", () => {
    const request = ollamaChat.buildChatRequest(
      {
        model: "ollama_chat/llama3.2",
        messages: [
          { role: "system", content: "You are terse." },
          { role: "developer", content: [{ type: "text", text: "Use metric units." }] },
          {
            role: "user",
            content: [
              { type: "text", text: "What is in this picture?" },
              { type: "image_url", image_url: { url: `data:image/png;base64,${png}`, detail: "low" } },
              { type: "text", text: "And the weather in Paris?" },
            ],
          },
          {
            role: "assistant",
            content: null,
            tool_calls: [
              { id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
            ],
          },
          { role: "tool", content: "18°C", tool_call_id: "call_1" },
        ],
        tools: [
          {
            type: "function",
            function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } },
          },
        ],
      },
      target({ model: "llama3.2" }),
    );
    assert.equal(request.url, "http://localhost:11434/api/chat");
    assert.deepEqual(request.headers, { "content-type": "application/json" });
    assert.deepEqual(JSON.parse(request.body ?? ""), {
      model: "llama3.2",
      messages: [
        { role: "system", content: "You are terse." },
        { role: "system", content: "Use metric units." },
        { role: "user", content: "What is in this picture?\nAnd the weather in Paris?", images: [png] },
        {
          role: "assistant",
          content: "",
          tool_calls: [{ function: { name: "get_weather", arguments: { city: "Paris" } }, id: "call_1" }],
        },
        { role: "tool", content: "18°C", tool_name: "get_weather" },
      ],
      stream: false,
      tools: [
        {
          type: "function",
          function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } },
        },
      ],
      options: { temperature: 1, top_p: 1 },
    });
  });

  test("options: num_predict only when a limit is given; response_format, reasoning_effort and extras", () => {
    assert.deepEqual(
      chatBody({
        model: "m",
        messages: [{ role: "user", content: "hi" }],
        max_completion_tokens: 128,
        max_tokens: 5,
        temperature: 0.2,
        stop: ["</s>"],
        seed: 11,
        stream: true,
        stream_options: { include_usage: true },
        response_format: {
          type: "json_schema",
          json_schema: { name: "age", schema: { type: "object", properties: { age: { type: "integer" } } } },
        },
        reasoning_effort: "none",
        keep_alive: 0,
        num_ctx: 4096,
      }),
      {
        model: "llama3.2",
        messages: [{ role: "user", content: "hi" }],
        stream: true,
        format: { type: "object", properties: { age: { type: "integer" } } },
        think: false,
        keep_alive: 0,
        options: { temperature: 0.2, top_p: 1, num_ctx: 4096, num_predict: 128, stop: ["</s>"], seed: 11 },
      },
    );
    assert.deepEqual(
      chatBody({ model: "m", messages: [], response_format: { type: "json_object" }, reasoning_effort: "high" }),
      {
        model: "llama3.2",
        messages: [],
        stream: false,
        format: "json",
        think: "high",
        options: { temperature: 1, top_p: 1 },
      },
    );
  });

  test("image URLs that are not data: URLs, other content parts and non-object tool arguments are refused", () => {
    assert.throws(
      () =>
        chatBody({
          model: "m",
          messages: [
            { role: "user", content: [{ type: "image_url", image_url: { url: "https://example.com/cat.png" } }] },
          ],
        }),
      (error: unknown) => error instanceof BadRequestError && error.param === "messages[0].content",
    );
    assert.throws(
      () =>
        chatBody({
          model: "m",
          messages: [{ role: "user", content: [{ type: "input_audio", input_audio: { data: "", format: "wav" } }] }],
        }),
      BadRequestError,
    );
    assert.throws(
      () =>
        chatBody({
          model: "m",
          messages: [
            {
              role: "assistant",
              tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: "[1]" } }],
            },
          ],
        }),
      (error: unknown) => error instanceof BadRequestError && error.param === "messages[0].tool_calls[0]",
    );
  });

  test("one choice per call; no tool_choice, n or logprobs", () => {
    assert.equal(ollamaChat.supportsN, false);
    for (const param of ["n", "tool_choice", "logprobs", "logit_bias", "user"])
      assert.ok(!ollamaChat.supportedParams.has(param), param);
  });
});

describe("ollama_chat (/api/chat): answers and streams", () => {
  test("a text answer becomes OpenAI's chat.completion", () => {
    const completion = ollamaChat.parseChatResponse({
      model: "llama3.1",
      created_at: "2024-12-06T00:46:58.265747Z",
      message: { role: "assistant", content: '{"age": 22}' },
      done_reason: "stop",
      done: true,
      total_duration: 2254970291,
      prompt_eval_count: 34,
      eval_count: 12,
    });
    assert.match(completion.id, CHAT_ID);
    assert.deepEqual(
      { ...completion, id: "X" },
      {
        id: "X",
        object: "chat.completion",
        created: 1733446018,
        model: "llama3.1",
        choices: [
          {
            index: 0,
            message: { role: "assistant", content: '{"age": 22}', refusal: null },
            logprobs: null,
            finish_reason: "stop",
          },
        ],
        usage: { prompt_tokens: 34, completion_tokens: 12, total_tokens: 46 },
      },
    );
    assertChat("CreateChatCompletionResponse", completion);
  });

  test("tool calls: object arguments become JSON text, ids are made when missing, finish is tool_calls", () => {
    const completion = ollamaChat.parseChatResponse({
      model: "llama3.2",
      created_at: "2024-07-22T20:33:28.123648Z",
      message: {
        role: "assistant",
        content: "",
        thinking: "The user wants weather.",
        tool_calls: [
          { function: { name: "get_current_weather", arguments: { format: "celsius", location: "Paris, FR" } } },
          { id: "call_keep", function: { index: 1, name: "get_time", arguments: {} } },
        ],
      },
      done_reason: "stop",
      done: true,
      prompt_eval_count: 122,
      eval_count: 33,
    });
    const message = completion.choices[0]?.message;
    assert.match(message?.tool_calls?.[0]?.id ?? "", /^call_[0-9a-f]{24}$/);
    assert.deepEqual(
      { ...message, tool_calls: message?.tool_calls?.map((call, i) => (i === 0 ? { ...call, id: "X" } : call)) },
      {
        role: "assistant",
        content: null,
        refusal: null,
        reasoning_content: "The user wants weather.",
        tool_calls: [
          {
            id: "X",
            type: "function",
            function: { name: "get_current_weather", arguments: '{"format":"celsius","location":"Paris, FR"}' },
          },
          { id: "call_keep", type: "function", function: { name: "get_time", arguments: "{}" } },
        ],
      },
    );
    assert.equal(completion.choices[0]?.finish_reason, "tool_calls");
    assertChat("CreateChatCompletionResponse", completion);
  });

  const head = '"model":"llama3.2","created_at":"2023-08-04T08:52:19.385406455-07:00"';
  const lines = [
    `{${head},"message":{"role":"assistant","content":"The","images":null},"done":false}`,
    `{${head},"message":{"role":"assistant","content":""},"done":false}`,
    `{${head},"message":{"role":"assistant","content":" sky is blue ☀️"},"done":false}`,
    `{${head},"message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","total_duration":4883583458,"load_duration":1334875,"prompt_eval_count":26,"prompt_eval_duration":342546000,"eval_count":4,"eval_duration":4535599000}`,
  ];

  const chatChunk = (
    delta: ChatCompletionChunk["choices"][number]["delta"],
    finish: "stop" | "tool_calls" | null,
  ): Omit<ChatCompletionChunk, "id"> => ({
    object: "chat.completion.chunk",
    created: 1691164339,
    model: "llama3.2",
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  });

  for (const size of [1, 6, 29, 100_000]) {
    test(`an NDJSON chat stream split every ${size} bytes: role first, one id, usage on the last chunk`, () => {
      const results = streamThrough(ollamaChat.chatStream(), `${lines.join("\n")}\n`, size);
      const first = results[0];
      const id = first?.type === "chunk" ? first.chunk.id : "";
      assert.match(id, CHAT_ID);
      assert.deepEqual(results, [
        { type: "chunk", chunk: { id, ...chatChunk({ role: "assistant", content: "The" }, null) } },
        { type: "skip" },
        { type: "chunk", chunk: { id, ...chatChunk({ content: " sky is blue ☀️" }, null) } },
        {
          type: "chunk",
          chunk: { id, ...chatChunk({}, "stop"), usage: { prompt_tokens: 26, completion_tokens: 4, total_tokens: 30 } },
        },
      ]);
      for (const result of results)
        if (result.type === "chunk") assertChat("CreateChatCompletionStreamResponse", result.chunk);
    });
  }

  test("a streamed tool call: whole in one delta with index and id, and the stream finishes with tool_calls", () => {
    const results = streamThrough(
      ollamaChatStream(),
      `{${head},"message":{"role":"assistant","content":"","tool_calls":[{"id":"call_w","function":{"index":0,"name":"get_weather","arguments":{"city":"Paris"}}}]},"done":false}\n` +
        `{${head},"message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","prompt_eval_count":50,"eval_count":10}\n`,
      7,
    );
    const id = results[0]?.type === "chunk" ? results[0].chunk.id : "";
    assert.deepEqual(results, [
      {
        type: "chunk",
        chunk: {
          id,
          ...chatChunk(
            {
              role: "assistant",
              content: "",
              tool_calls: [
                {
                  index: 0,
                  id: "call_w",
                  type: "function",
                  function: { name: "get_weather", arguments: '{"city":"Paris"}' },
                },
              ],
            },
            null,
          ),
        },
      },
      {
        type: "chunk",
        chunk: {
          id,
          ...chatChunk({}, "tool_calls"),
          usage: { prompt_tokens: 50, completion_tokens: 10, total_tokens: 60 },
        },
      },
    ]);
    for (const result of results)
      if (result.type === "chunk") assertChat("CreateChatCompletionStreamResponse", result.chunk);
  });

  test("an error line ends a chat stream with a 500", () => {
    const results = streamThrough(
      ollamaChatStream(),
      `${lines[0]}\r\n{"error":"llama runner process has terminated: signal: killed"}`,
      5,
    );
    assert.equal(results[0]?.type, "chunk");
    assert.deepEqual(results[1], {
      type: "error",
      status: 500,
      detail: { message: "llama runner process has terminated: signal: killed", param: null, code: null },
    });
  });
});
