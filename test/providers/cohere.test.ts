/**
 * Cohere v2 chat: the exact /v2/chat request (headers, body with Cohere's param names,
 * tools, messages), answers and SSE streams in OpenAI's shape, errors, and cohere/ through
 * the proxy with the official client (text completions fanned out, chat, streams).
 */
import assert from "node:assert/strict";
import type { ServerResponse } from "node:http";
import { after, before, beforeEach, describe, test } from "node:test";
import OpenAI from "openai";
import { chatCompletion } from "../../src/index.js";
import { cohere } from "../../src/providers/cohere/index.js";
import type { Target } from "../../src/providers/types.js";
import type { ChatCompletion, ChatCompletionChunk } from "../../src/wire/chat.js";
import { AuthenticationError, BadRequestError, RateLimitError } from "../../src/wire/errors.js";
import { startGateway, type TestGateway } from "../helpers/gateway.js";
import { json, MockUpstream, type RecordedRequest } from "../helpers/mock-upstream.js";
import { assertOpenAIChat } from "../helpers/openai-chat-schema.js";
import { assertOpenAI } from "../helpers/openai-schema.js";

let mock: MockUpstream;
before(async () => {
  mock = await MockUpstream.start();
});
after(async () => {
  await mock.close();
});
beforeEach(() => mock.reset());

function target(overrides: Partial<Target> = {}): Target {
  return { model: "command-r-plus-08-2024", options: { api_key: "co-key" }, env: {}, dropParams: false, ...overrides };
}

const answer = {
  id: "c14c80c3-18eb-4519-9460-6c92edd8cfb4",
  finish_reason: "TOOL_CALL",
  message: {
    role: "assistant",
    tool_plan: "I will look up the weather.",
    content: [{ type: "text", text: "Checking." }],
    tool_calls: [{ id: "weather_1", type: "function", function: { name: "weather", arguments: '{"city":"Paris"}' } }],
  },
  usage: { billed_units: { input_tokens: 9, output_tokens: 4 }, tokens: { input_tokens: 70, output_tokens: 12 } },
};

/** Cohere's named SSE events (`event:` and a `type` in the data). */
function cohereSse(res: ServerResponse, events: Record<string, unknown>[]): void {
  res.writeHead(200, { "content-type": "text/event-stream" });
  for (const event of events) res.write(`event: ${String(event.type)}\ndata: ${JSON.stringify(event)}\n\n`);
  res.end();
}

const STREAM = [
  {
    type: "message-start",
    id: "msg-1",
    delta: { message: { role: "assistant", content: [], tool_plan: "", tool_calls: [], citations: [] } },
  },
  { type: "content-start", index: 0, delta: { message: { content: { type: "text", text: "" } } } },
  { type: "content-delta", index: 0, delta: { message: { content: { text: "Hel" } } } },
  { type: "content-delta", index: 0, delta: { message: { content: { text: "lo" } } } },
  { type: "content-end", index: 0 },
  { type: "tool-plan-delta", delta: { message: { tool_plan: "thinking" } } },
  {
    type: "tool-call-start",
    index: 0,
    delta: {
      message: { tool_calls: { id: "call_1", type: "function", function: { name: "weather", arguments: "" } } },
    },
  },
  { type: "tool-call-delta", index: 0, delta: { message: { tool_calls: { function: { arguments: '{"city":' } } } } },
  { type: "tool-call-delta", index: 0, delta: { message: { tool_calls: { function: { arguments: '"Paris"}' } } } } },
  { type: "tool-call-end", index: 0 },
  {
    type: "message-end",
    delta: {
      finish_reason: "TOOL_CALL",
      usage: { billed_units: { input_tokens: 3, output_tokens: 5 }, tokens: { input_tokens: 60, output_tokens: 5 } },
    },
  },
];

describe("the /v2/chat request", () => {
  test("URL, bearer key and every mapped param under Cohere's names", async () => {
    mock.enqueue((_req, res) => json(res, 200, answer, { "x-request-id": "r1" }));
    const completion = (await chatCompletion({
      model: "cohere/command-r-plus-08-2024",
      api_key: "co-key",
      api_base: `${mock.url}/v2/chat`,
      messages: [
        { role: "developer", content: "Be brief." },
        { role: "user", content: [{ type: "text", text: "Weather?" }] },
        {
          role: "assistant",
          content: "",
          tool_calls: [{ id: "t1", type: "function", function: { name: "weather", arguments: "{}" } }],
        },
        { role: "tool", tool_call_id: "t1", content: "sunny" },
      ],
      max_completion_tokens: 50,
      temperature: 0.3,
      top_p: 0.8,
      stop: "END",
      seed: 7,
      frequency_penalty: 0.1,
      presence_penalty: 0.2,
      tools: [{ type: "function", function: { name: "weather", parameters: { type: "object", properties: {} } } }],
      tool_choice: "required",
      response_format: { type: "json_schema", json_schema: { name: "w", schema: { type: "object" } } },
    })) as ChatCompletion;
    const request = mock.requests[0] as RecordedRequest;
    assert.equal(request.path, "/v2/chat");
    assert.equal(request.headers.authorization, "Bearer co-key");
    assert.equal(request.headers["content-type"], "application/json");
    assert.deepEqual(request.json, {
      model: "command-r-plus-08-2024",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: [{ type: "text", text: "Weather?" }] },
        {
          role: "assistant",
          tool_calls: [{ id: "t1", type: "function", function: { name: "weather", arguments: "{}" } }],
        },
        { role: "tool", tool_call_id: "t1", content: "sunny" },
      ],
      max_tokens: 50,
      temperature: 0.3,
      p: 0.8,
      stop_sequences: ["END"],
      seed: 7,
      frequency_penalty: 0.1,
      presence_penalty: 0.2,
      tools: [{ type: "function", function: { name: "weather", parameters: { type: "object", properties: {} } } }],
      tool_choice: "REQUIRED",
      response_format: { type: "json_object", json_schema: { type: "object" } },
    });
    assert.deepEqual(completion.choices, [
      {
        index: 0,
        message: {
          role: "assistant",
          content: "Checking.",
          refusal: null,
          tool_calls: [
            { id: "weather_1", type: "function", function: { name: "weather", arguments: '{"city":"Paris"}' } },
          ],
        },
        logprobs: null,
        finish_reason: "tool_calls",
      },
    ]);
    assert.deepEqual(completion.usage, { prompt_tokens: 70, completion_tokens: 12, total_tokens: 82 });
    assert.equal(completion.id, answer.id);
    assert.equal(completion.model, "command-r-plus-08-2024");
    assertOpenAIChat("CreateChatCompletionResponse", JSON.parse(JSON.stringify(completion)));
  });

  test("the default URL is https://api.cohere.com/v2/chat; COHERE_API_KEY / CO_API_KEY; no key is a 401", () => {
    const params = { model: "m", messages: [{ role: "user" as const, content: "hi" }] };
    const request = cohere.buildChatRequest(params, target({ options: {}, env: { CO_API_KEY: "sdk-key" } }));
    assert.equal(request.url, "https://api.cohere.com/v2/chat");
    assert.equal(request.headers.authorization, "Bearer sdk-key");
    assert.deepEqual(JSON.parse(request.body ?? ""), {
      model: "command-r-plus-08-2024",
      messages: [{ role: "user", content: "hi" }],
    });
    assert.throws(() => cohere.buildChatRequest(params, target({ options: {} })), AuthenticationError);
  });

  test("tool_choice none and a named tool", () => {
    const params = {
      model: "m",
      messages: [{ role: "user" as const, content: "hi" }],
      tools: [{ type: "function" as const, function: { name: "f" } }],
    };
    assert.equal(
      JSON.parse(cohere.buildChatRequest({ ...params, tool_choice: "none" }, target()).body ?? "").tool_choice,
      "NONE",
    );
    assert.throws(
      () =>
        cohere.buildChatRequest({ ...params, tool_choice: { type: "function", function: { name: "f" } } }, target()),
      (error: unknown) => error instanceof BadRequestError && error.param === "tool_choice",
    );
  });

  test("finish reasons", () => {
    const reasons = ["COMPLETE", "STOP_SEQUENCE", "MAX_TOKENS", "TOOL_CALL", "ERROR"].map(
      (finish_reason) => cohere.parseChatResponse({ ...answer, finish_reason }, "m").choices[0]?.finish_reason,
    );
    assert.deepEqual(reasons, ["stop", "stop", "length", "tool_calls", "stop"]);
  });

  test("errors keep Cohere's message and status", async () => {
    mock.enqueue((_req, res) =>
      json(res, 429, { message: "You are using a Trial key, which is limited to 10 API calls / minute." }),
    );
    await assert.rejects(
      chatCompletion({
        model: "cohere/command-r",
        api_key: "co-key",
        api_base: `${mock.url}/v2/chat`,
        messages: [{ role: "user", content: "hi" }],
      }),
      (error: unknown) =>
        error instanceof RateLimitError &&
        error.message === "You are using a Trial key, which is limited to 10 API calls / minute.",
    );
  });
});

describe("the v2 stream", () => {
  test("content, tool calls and message-end's finish reason, then its usage in a chunk of its own", async () => {
    mock.enqueue((_req, res) => cohereSse(res, STREAM));
    const stream = await chatCompletion({
      model: "cohere/command-r",
      api_key: "co-key",
      api_base: `${mock.url}/v2/chat`,
      messages: [{ role: "user", content: "hi" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: ChatCompletionChunk[] = [];
    for await (const chunk of stream as AsyncIterable<ChatCompletionChunk>) {
      assertOpenAIChat("CreateChatCompletionStreamResponse", JSON.parse(JSON.stringify(chunk)));
      chunks.push(chunk);
    }
    assert.equal((mock.requests[0] as RecordedRequest).body.includes(`"stream":true`), true);
    assert.deepEqual(
      chunks.map((chunk) => [chunk.choices[0]?.delta, chunk.choices[0]?.finish_reason, chunk.usage]),
      [
        [{ role: "assistant", content: "" }, null, undefined],
        [{ content: "Hel" }, null, undefined],
        [{ content: "lo" }, null, undefined],
        [
          { tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "weather", arguments: "" } }] },
          null,
          undefined,
        ],
        [{ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }, null, undefined],
        [{ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }, null, undefined],
        [{}, "tool_calls", undefined],
        // message-end's usage in a chunk of its own, as OpenAI sends it.
        [undefined, undefined, { prompt_tokens: 60, completion_tokens: 5, total_tokens: 65 }],
      ],
    );
    assert.deepEqual(chunks.at(-1)?.choices, []);
    assert.deepEqual(new Set(chunks.map((chunk) => chunk.id)), new Set(["msg-1"]));
  });
});

describe("cohere/ through the proxy with the official client", () => {
  let gateway: TestGateway;
  before(async () => {
    gateway = await startGateway({
      modelList: [
        {
          model_name: "command",
          litellm_params: { model: "cohere/command-r", api_key: "co-key", api_base: `${mock.url}/v2/chat` },
        },
      ],
    });
  });
  after(async () => {
    await gateway.close();
  });
  const client = () => new OpenAI({ apiKey: "unused", baseURL: `${gateway.url}/v1`, maxRetries: 0 });
  const textAnswer = (text: string) => ({
    ...answer,
    finish_reason: "COMPLETE",
    message: { role: "assistant", content: [{ type: "text", text }] },
  });

  test("text completions: prompt arrays and n, one chat call each; echo", async () => {
    let calls = 0;
    mock.always((_req, res) => {
      calls += 1;
      json(res, 200, textAnswer(`x${calls}`));
    });
    const completion = await client().completions.create({
      model: "command",
      prompt: ["A", "B"],
      n: 2,
      echo: true,
      max_tokens: 4,
    });
    assertOpenAI("CreateCompletionResponse", JSON.parse(JSON.stringify(completion)));
    assert.deepEqual(
      completion.choices.map((choice) => choice.index),
      [0, 1, 2, 3],
    );
    for (const [i, choice] of completion.choices.entries())
      assert.match(choice.text, new RegExp(`^${i < 2 ? "A" : "B"}x\\d$`));
    assert.equal(mock.requests.length, 4);
    for (const request of mock.requests) assert.equal((request.json as { max_tokens: number }).max_tokens, 4);
    assert.deepEqual(completion.usage, { prompt_tokens: 280, completion_tokens: 48, total_tokens: 328 });
    mock.always((_req, res) => json(res, 500, { message: "no handler scripted" }));
  });

  test("chat and a chat stream", async () => {
    mock.enqueue((_req, res) => json(res, 200, textAnswer("hello")));
    const chat = await client().chat.completions.create({
      model: "command",
      messages: [{ role: "user", content: "hi" }],
    });
    assert.equal(chat.choices[0]?.message.content, "hello");
    assertOpenAIChat("CreateChatCompletionResponse", JSON.parse(JSON.stringify(chat)));
    mock.enqueue((_req, res) =>
      cohereSse(res, [
        ...STREAM.slice(0, 5),
        {
          type: "message-end",
          delta: { finish_reason: "COMPLETE", usage: { tokens: { input_tokens: 1, output_tokens: 2 } } },
        },
      ]),
    );
    const stream = await client().chat.completions.create({
      model: "command",
      messages: [{ role: "user", content: "hi" }],
      stream: true,
    });
    let text = "";
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      assertOpenAIChat("CreateChatCompletionStreamResponse", JSON.parse(JSON.stringify(chunk)));
      text += chunk.choices[0]?.delta.content ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    assert.equal(text, "Hello");
    assert.equal(finish, "stop");
  });
});
