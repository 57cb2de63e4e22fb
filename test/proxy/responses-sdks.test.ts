/**
 * The clients that speak the Responses API, against the proxy: the Vercel AI SDK's default
 * OpenAI model (`createOpenAI({baseURL, apiKey})(model)`: generateText and streamText) and
 * LangChain's `ChatOpenAI({ useResponsesApi: true })` (invoke and stream), on a native OpenAI
 * deployment and on Anthropic and Ollama deployments bridged through chat. Each mock asserts
 * the exact upstream request; each client must read the text and the usage.
 */
import assert from "node:assert/strict";
import type { ServerResponse } from "node:http";
import { after, before, beforeEach, describe, test } from "node:test";
import { createOpenAI } from "@ai-sdk/openai";
import { ChatOpenAI } from "@langchain/openai";
import { generateText, jsonSchema, stepCountIs, streamText, tool } from "ai";
import { startGateway, type TestGateway } from "../helpers/gateway.js";
import { json, MockUpstream, type RecordedRequest } from "../helpers/mock-upstream.js";

const KEY = "sk-1234";
const CLAUDE = "claude-3-5-sonnet-20241022";

let mock: MockUpstream;
let gateway: TestGateway;

before(async () => {
  mock = await MockUpstream.start();
  mock.always(answer);
  gateway = await startGateway({
    modelList: [
      {
        model_name: "gpt-4o",
        litellm_params: { model: "openai/gpt-4o", api_key: "sk-up", api_base: `${mock.url}/v1` },
      },
      { model_name: "claude", litellm_params: { model: `anthropic/${CLAUDE}`, api_key: "sk-ant", api_base: mock.url } },
      { model_name: "llama", litellm_params: { model: "ollama_chat/llama3.2", api_base: mock.url } },
    ],
    masterKey: KEY,
  });
});
after(async () => {
  await gateway.close();
  await mock.close();
});
beforeEach(() => mock.reset());

/** Every provider says "Hello there" (streamed in two pieces), having read 7 tokens and written 2. */
function answer(req: RecordedRequest, res: ServerResponse): void {
  const stream = (req.json as { stream?: boolean }).stream === true;
  if (req.path === "/v1/responses") {
    if (stream) openAIStream(res);
    else json(res, 200, openAIResponse());
  } else if (req.path === "/v1/messages") {
    if (stream) anthropicStream(res);
    else json(res, 200, anthropicMessage());
  } else if (req.path === "/api/chat") {
    if (stream) ollamaStream(res);
    else json(res, 200, ollamaMessage("Hello there", true));
  } else json(res, 404, { error: { message: `no ${req.path}` } });
}

const USAGE = {
  input_tokens: 7,
  input_tokens_details: { cached_tokens: 0 },
  output_tokens: 2,
  output_tokens_details: { reasoning_tokens: 0 },
  total_tokens: 9,
};

function openAIResponse(status = "completed", output: unknown[] = [textItem("Hello there")]) {
  return {
    id: "resp_up",
    object: "response",
    created_at: 1741476542,
    status,
    error: null,
    incomplete_details: null,
    instructions: null,
    max_output_tokens: null,
    model: "gpt-4o-2024-08-06",
    output,
    parallel_tool_calls: true,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    store: true,
    temperature: 1,
    text: { format: { type: "text" } },
    tool_choice: "auto",
    tools: [],
    top_p: 1,
    truncation: "disabled",
    usage: status === "completed" ? USAGE : null,
    user: null,
    metadata: {},
  };
}

function textItem(text: string, status = "completed") {
  return {
    type: "message",
    id: "msg_up",
    status,
    role: "assistant",
    content: status === "completed" ? [{ type: "output_text", text, annotations: [] }] : [],
  };
}

function openAIStream(res: ServerResponse): void {
  const at = { item_id: "msg_up", output_index: 0, content_index: 0 };
  const part = (text: string) => ({ type: "output_text", text, annotations: [] });
  const events = [
    { type: "response.created", response: openAIResponse("in_progress", []) },
    { type: "response.in_progress", response: openAIResponse("in_progress", []) },
    { type: "response.output_item.added", output_index: 0, item: textItem("", "in_progress") },
    { type: "response.content_part.added", ...at, part: part("") },
    { type: "response.output_text.delta", ...at, delta: "Hello", logprobs: [] },
    { type: "response.output_text.delta", ...at, delta: " there", logprobs: [] },
    { type: "response.output_text.done", ...at, text: "Hello there", logprobs: [] },
    { type: "response.content_part.done", ...at, part: part("Hello there") },
    { type: "response.output_item.done", output_index: 0, item: textItem("Hello there") },
    { type: "response.completed", response: openAIResponse() },
  ];
  res.writeHead(200, { "content-type": "text/event-stream" });
  events.forEach((event, sequence_number) => {
    res.write(`event: ${event.type}\ndata: ${JSON.stringify({ ...event, sequence_number })}\n\n`);
  });
  res.end();
}

function anthropicMessage() {
  return {
    id: "msg_01",
    type: "message",
    role: "assistant",
    model: CLAUDE,
    content: [{ type: "text", text: "Hello there" }],
    stop_reason: "end_turn",
    stop_sequence: null,
    usage: { input_tokens: 7, output_tokens: 2 },
  };
}

function anthropicStream(res: ServerResponse): void {
  const start = { ...anthropicMessage(), content: [], stop_reason: null, usage: { input_tokens: 7, output_tokens: 1 } };
  const delta = (text: string) => ({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text } });
  const events: [string, unknown][] = [
    ["message_start", { type: "message_start", message: start }],
    ["content_block_start", { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }],
    ["content_block_delta", delta("Hello")],
    ["content_block_delta", delta(" there")],
    ["content_block_stop", { type: "content_block_stop", index: 0 }],
    ["message_delta", { type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: 2 } }],
    ["message_stop", { type: "message_stop" }],
  ];
  res.writeHead(200, { "content-type": "text/event-stream" });
  for (const [name, data] of events) res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
  res.end();
}

function ollamaMessage(content: string, done: boolean) {
  return {
    model: "llama3.2",
    created_at: "2024-07-01T12:00:00Z",
    message: { role: "assistant", content },
    done,
    ...(done ? { done_reason: "stop", prompt_eval_count: 7, eval_count: 2 } : {}),
  };
}

function ollamaStream(res: ServerResponse): void {
  res.writeHead(200, { "content-type": "application/x-ndjson" });
  res.write(`${JSON.stringify(ollamaMessage("Hello", false))}\n`);
  res.end(`${JSON.stringify(ollamaMessage(" there", true))}\n`);
}

/** The upstream request each deployment gets for system "Be brief" and user "Hi". */
const EXPECTED: Record<string, (stream: boolean, client: "ai" | "langchain") => unknown> = {
  "gpt-4o": (stream, client) =>
    client === "ai"
      ? {
          model: "gpt-4o",
          input: [
            { role: "system", content: "Be brief" },
            { role: "user", content: [{ type: "input_text", text: "Hi" }] },
          ],
          ...(stream ? { stream: true } : {}),
        }
      : {
          input: [
            { type: "message", role: "system", content: "Be brief" },
            { type: "message", role: "user", content: "Hi" },
          ],
          model: "gpt-4o",
          stream,
          text: {},
        },
  claude: (stream) => ({
    model: CLAUDE,
    max_tokens: 8192,
    messages: [{ role: "user", content: "Hi" }],
    system: "Be brief",
    ...(stream ? { stream: true } : {}),
  }),
  // Ollama's adapter makes OpenAI's sampling defaults explicit.
  llama: (stream) => ({
    model: "llama3.2",
    messages: [
      { role: "system", content: "Be brief" },
      { role: "user", content: "Hi" },
    ],
    stream,
    options: { temperature: 1, top_p: 1 },
  }),
};

/** A value as JSON has it: the SDKs leave keys set to undefined, which are not on the wire. */
function plain(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

const PATHS: Record<string, string> = { "gpt-4o": "/v1/responses", claude: "/v1/messages", llama: "/api/chat" };

function assertUpstream(model: string, stream: boolean, client: "ai" | "langchain"): void {
  assert.equal(mock.requests.length, 1);
  const [request] = mock.requests;
  assert.equal(request?.path, PATHS[model]);
  assert.deepEqual(request?.json, EXPECTED[model]?.(stream, client));
}

const AI_USAGE = {
  inputTokens: 7,
  inputTokenDetails: { noCacheTokens: 7, cacheReadTokens: 0 },
  outputTokens: 2,
  outputTokenDetails: { textTokens: 2, reasoningTokens: 0 },
  totalTokens: 9,
  raw: USAGE,
  reasoningTokens: 0,
  cachedInputTokens: 0,
};

const LANGCHAIN_USAGE = {
  input_tokens: 7,
  output_tokens: 2,
  total_tokens: 9,
  input_token_details: { cache_read: 0 },
  output_token_details: { reasoning: 0 },
};

for (const model of ["gpt-4o", "claude", "llama"]) {
  describe(`${model}: ${model === "gpt-4o" ? "native" : "bridged through chat"}`, () => {
    const ai = () => createOpenAI({ baseURL: `${gateway.url}/v1`, apiKey: KEY })(model);
    const langchain = () =>
      new ChatOpenAI({
        model,
        apiKey: KEY,
        configuration: { baseURL: `${gateway.url}/v1` },
        useResponsesApi: true,
        maxRetries: 0,
      });

    test("Vercel AI SDK: generateText", async () => {
      const result = await generateText({ model: ai(), system: "Be brief", prompt: "Hi" });
      assert.equal(result.text, "Hello there");
      assert.equal(result.finishReason, "stop");
      assert.deepEqual(plain(result.usage), AI_USAGE);
      assertUpstream(model, false, "ai");
    });

    test("Vercel AI SDK: streamText", async () => {
      const result = streamText({ model: ai(), system: "Be brief", prompt: "Hi" });
      const pieces: string[] = [];
      for await (const piece of result.textStream) pieces.push(piece);
      assert.deepEqual(pieces, ["Hello", " there"]);
      assert.deepEqual(plain(await result.usage), AI_USAGE);
      assert.equal(await result.finishReason, "stop");
      assertUpstream(model, true, "ai");
    });

    test("LangChain ChatOpenAI({ useResponsesApi: true }): invoke", async () => {
      const message = await langchain().invoke([
        ["system", "Be brief"],
        ["human", "Hi"],
      ]);
      assert.deepEqual(plain(message.content), [{ type: "text", text: "Hello there", annotations: [] }]);
      assert.deepEqual(plain(message.usage_metadata), LANGCHAIN_USAGE);
      assertUpstream(model, false, "langchain");
    });

    test("LangChain ChatOpenAI({ useResponsesApi: true }): stream", async () => {
      const texts: string[] = [];
      let usage: unknown;
      for await (const chunk of await langchain().stream([
        ["system", "Be brief"],
        ["human", "Hi"],
      ])) {
        if (Array.isArray(chunk.content)) {
          for (const part of chunk.content) if (part.type === "text") texts.push(String(part.text));
        }
        usage = chunk.usage_metadata ?? usage;
      }
      assert.deepEqual(texts, ["Hello", " there"]);
      assert.deepEqual(plain(usage), LANGCHAIN_USAGE);
      assertUpstream(model, true, "langchain");
    });
  });
}

describe("the Vercel AI SDK over several turns on a bridged provider", () => {
  test("a conversation passed back (result.response.messages): the earlier answer comes as an item_reference, sent in full", async () => {
    mock.enqueue(
      (_req, res) => json(res, 200, { ...anthropicMessage(), content: [{ type: "text", text: "Paris." }] }),
      (_req, res) => json(res, 200, { ...anthropicMessage(), content: [{ type: "text", text: "About 2 million." }] }),
    );
    const model = createOpenAI({ baseURL: `${gateway.url}/v1`, apiKey: KEY })("claude");
    const messages: Parameters<typeof generateText>[0]["messages"] & object[] = [
      { role: "user", content: "Capital of France?" },
    ];
    const first = await generateText({ model, messages });
    messages.push(...first.response.messages, { role: "user", content: "Its population?" });
    const second = await generateText({ model, messages });
    assert.equal(second.text, "About 2 million.");
    assert.deepEqual(mock.requests[1]?.json, {
      model: CLAUDE,
      max_tokens: 8192,
      messages: [
        { role: "user", content: "Capital of France?" },
        { role: "assistant", content: "Paris." },
        { role: "user", content: "Its population?" },
      ],
    });
  });

  test("a tool loop (an executed tool, two steps): the second step sends the call and its output", async () => {
    const toolUse = {
      ...anthropicMessage(),
      content: [{ type: "tool_use", id: "toolu_1", name: "weather", input: { city: "Oslo" } }],
      stop_reason: "tool_use",
    };
    mock.enqueue(
      (_req, res) => json(res, 200, toolUse),
      (_req, res) => json(res, 200, { ...anthropicMessage(), content: [{ type: "text", text: "5°C in Oslo." }] }),
    );
    const result = await generateText({
      model: createOpenAI({ baseURL: `${gateway.url}/v1`, apiKey: KEY })("claude"),
      prompt: "Weather in Oslo?",
      tools: {
        weather: tool({
          description: "The weather in a city",
          inputSchema: jsonSchema<{ city: string }>({
            type: "object",
            properties: { city: { type: "string" } },
            required: ["city"],
          }),
          execute: async ({ city }) => ({ city, celsius: 5 }),
        }),
      },
      stopWhen: stepCountIs(2),
    });
    assert.equal(result.text, "5°C in Oslo.");
    assert.equal(mock.requests.length, 2);
    const weather = {
      name: "weather",
      description: "The weather in a city",
      input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
    };
    assert.deepEqual(mock.requests[1]?.json, {
      model: CLAUDE,
      max_tokens: 8192,
      messages: [
        { role: "user", content: "Weather in Oslo?" },
        { role: "assistant", content: [{ type: "tool_use", id: "toolu_1", name: "weather", input: { city: "Oslo" } }] },
        {
          role: "user",
          content: [{ type: "tool_result", tool_use_id: "toolu_1", content: '{"city":"Oslo","celsius":5}' }],
        },
      ],
      tools: [weather],
      tool_choice: { type: "auto" },
    });
  });
});
