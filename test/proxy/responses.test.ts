/**
 * The Responses API through the real proxy: native OpenAI and Azure deployments (the exact
 * upstream request, the provider's bytes back), Anthropic bridged through chat (the exact
 * /v1/messages request, the response object and the stream's semantic events), conversations
 * continued with previous_response_id, store: false, GET/DELETE/input_items, keys (401, another
 * key's response 404) and spend. Through the official openai client and raw fetch.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import type { ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";
import OpenAI from "openai";
import { Router, responses } from "../../src/index.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import type { ResponseObject } from "../../src/wire/responses.js";
import { startGateway, type TestGateway } from "../helpers/gateway.js";
import { call, generateKey, MASTER_KEY } from "../helpers/keys.js";
import { json, MockUpstream } from "../helpers/mock-upstream.js";

const CLAUDE = "claude-3-5-sonnet-20241022";
const PRICES = { input_cost_per_token: 0.001, output_cost_per_token: 0.002 };

let mock: MockUpstream;
let gateway: TestGateway;
let dir: string;

before(async () => {
  mock = await MockUpstream.start();
  dir = mkdtempSync(join(tmpdir(), "litegate-responses-"));
  gateway = await startGateway({
    router: { disable_cooldowns: true },
    modelList: [
      {
        model_name: "gpt-4o",
        litellm_params: { model: "openai/gpt-4o", api_key: "sk-openai-upstream", api_base: `${mock.url}/v1` },
        model_info: PRICES,
      },
      ...["a", "b"].map((account) => ({
        model_name: "gpt-pair",
        litellm_params: { model: "openai/gpt-4o", api_key: `sk-${account}`, api_base: `${mock.url}/${account}/v1` },
      })),
      {
        model_name: "azure-4o",
        litellm_params: { model: "azure/my-4o", api_key: "azure-key", api_base: mock.url },
      },
      {
        model_name: "azure-dated",
        litellm_params: {
          model: "azure/my-4o",
          api_key: "azure-key",
          api_base: mock.url,
          api_version: "2025-03-01-preview",
        },
      },
      {
        model_name: "claude",
        litellm_params: { model: `anthropic/${CLAUDE}`, api_key: "sk-ant-upstream", api_base: mock.url },
        model_info: PRICES,
      },
    ],
    masterKey: MASTER_KEY,
    store: SqliteStore.open({ path: join(dir, "litegate.db") }),
    spendWriter: { intervalMs: 20 },
  });
});
after(async () => {
  await gateway.close();
  await mock.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => mock.reset());

const client = (key = MASTER_KEY) => new OpenAI({ apiKey: key, baseURL: `${gateway.url}/v1`, maxRetries: 0 });

/** The SDK's object without what it adds (`_request_id`, `output_text`). */
function wire<T extends object>(answer: T): Record<string, unknown> {
  const { _request_id, output_text, ...body } = answer as T & { _request_id?: unknown; output_text?: unknown };
  void _request_id;
  void output_text;
  return body;
}

function anthropicMessage(content: unknown[], stop = "end_turn", usage = { input_tokens: 12, output_tokens: 8 }) {
  return {
    id: "msg_01",
    type: "message",
    role: "assistant",
    model: CLAUDE,
    content,
    stop_reason: stop,
    stop_sequence: null,
    usage,
  };
}

/** What the gateway echoes of a request that set nothing but model and input. */
function echoed(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    object: "response",
    status: "completed",
    background: false,
    error: null,
    incomplete_details: null,
    instructions: null,
    max_output_tokens: null,
    max_tool_calls: null,
    model: CLAUDE,
    parallel_tool_calls: true,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    service_tier: "default",
    store: true,
    temperature: 1,
    text: { format: { type: "text" }, verbosity: "medium" },
    tool_choice: "auto",
    tools: [],
    top_logprobs: 0,
    top_p: 1,
    truncation: "disabled",
    user: null,
    metadata: {},
    ...overrides,
  };
}

const WEATHER = {
  type: "function" as const,
  name: "get_weather",
  description: "Current weather in a city",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  strict: false,
};

describe("bridged through chat: an Anthropic deployment", () => {
  test("responses.create: the exact /v1/messages request, and OpenAI's response object back", async () => {
    mock.always((_req, res) => json(res, 200, anthropicMessage([{ type: "text", text: "Hi! How can I help?" }])));
    const answer = await client().responses.create({
      model: "claude",
      instructions: "Be kind.",
      input: [{ role: "user", content: [{ type: "input_text", text: "Hello!" }] }],
      max_output_tokens: 64,
      temperature: 0.5,
      top_p: 0.9,
      user: "u-1",
      metadata: { team: "ml" },
    });
    assert.equal(answer.output_text, "Hi! How can I help?");
    const body = wire(answer);
    const message = answer.output[0] as { id: string };
    assert.match(String(body.id), /^resp_[0-9a-f]{48}$/);
    // Its items' ids carry the response's, so an item_reference leads back to it.
    assert.equal(message.id, `msg_${String(body.id).slice(5)}_0`);
    assert.equal(typeof body.created_at, "number");
    assert.deepEqual(body, {
      id: body.id,
      created_at: body.created_at,
      ...echoed({
        instructions: "Be kind.",
        max_output_tokens: 64,
        temperature: 0.5,
        top_p: 0.9,
        user: "u-1",
        metadata: { team: "ml" },
      }),
      output: [
        {
          id: message.id,
          type: "message",
          status: "completed",
          role: "assistant",
          content: [{ type: "output_text", text: "Hi! How can I help?", annotations: [], logprobs: [] }],
        },
      ],
      usage: {
        input_tokens: 12,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: 8,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: 20,
      },
    });
    const [upstream] = mock.requests;
    assert.equal(upstream?.path, "/v1/messages");
    assert.equal(upstream?.headers["x-api-key"], "sk-ant-upstream");
    // metadata stays with the gateway; user becomes Anthropic's metadata.user_id.
    assert.deepEqual(upstream?.json, {
      model: CLAUDE,
      max_tokens: 64,
      // Anthropic's adapter sends a lone text part as a string.
      messages: [{ role: "user", content: "Hello!" }],
      system: "Be kind.",
      temperature: 0.5,
      top_p: 0.9,
      metadata: { user_id: "u-1" },
    });
  });

  test("responses.stream: semantic events in OpenAI's order, strictly increasing sequence numbers, finalResponse", async () => {
    mock.always((_req, res) =>
      anthropicSse(res, [
        [
          "message_start",
          {
            type: "message_start",
            message: { ...anthropicMessage([], "", { input_tokens: 25, output_tokens: 1 }), stop_reason: null },
          },
        ],
        ["content_block_start", { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }],
        ["content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Hel" } }],
        ["content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "lo!" } }],
        ["content_block_stop", { type: "content_block_stop", index: 0 }],
        ["message_delta", { type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: 15 } }],
        ["message_stop", { type: "message_stop" }],
      ]),
    );
    const stream = client().responses.stream({ model: "claude", input: "Say hello" });
    const events: { type: string; sequence_number: number }[] = [];
    for await (const event of stream) events.push(event);
    const final = await stream.finalResponse();
    assert.deepEqual(
      events.map((e) => e.type),
      [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
      ],
    );
    assert.deepEqual(
      events.map((e) => e.sequence_number),
      events.map((_, i) => i),
    );
    const itemId = (final.output[0] as { id: string }).id;
    assert.deepEqual(events[4], {
      type: "response.output_text.delta",
      sequence_number: 4,
      item_id: itemId,
      output_index: 0,
      content_index: 0,
      delta: "Hel",
      logprobs: [],
    });
    assert.deepEqual(events[6], {
      type: "response.output_text.done",
      sequence_number: 6,
      item_id: itemId,
      output_index: 0,
      content_index: 0,
      text: "Hello!",
      logprobs: [],
    });
    assert.equal(final.output_text, "Hello!");
    assert.deepEqual(final.usage, {
      input_tokens: 25,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: 15,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 40,
    });
    // The upstream was asked for a stream; the kept response is the completed one.
    assert.deepEqual(mock.requests[0]?.json, {
      model: CLAUDE,
      max_tokens: 8192,
      messages: [{ role: "user", content: "Say hello" }],
      stream: true,
    });
    const kept = wire(await client().responses.retrieve(final.id));
    // The SDK adds `parsed` to the parts of a stream's final response; the wire has none.
    const unparsed = JSON.parse(
      JSON.stringify(wire(final), (k, v: unknown) => (k === "parsed" || k === "output_parsed" ? undefined : v)),
    );
    assert.deepEqual(kept, unparsed);
  });

  test("raw SSE: each event is an `event:` line and a `data:` line, as OpenAI sends them", async () => {
    mock.always((_req, res) =>
      anthropicSse(res, [
        ["message_start", { type: "message_start", message: { ...anthropicMessage([]), stop_reason: null } }],
        ["content_block_start", { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }],
        ["content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Yo" } }],
        ["content_block_stop", { type: "content_block_stop", index: 0 }],
        ["message_delta", { type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: 2 } }],
        ["message_stop", { type: "message_stop" }],
      ]),
    );
    const response = await post({ model: "claude", input: "Hi", stream: true, store: false });
    assert.equal(response.headers.get("content-type"), "text/event-stream");
    const text = await response.text();
    const blocks = text.split("\n\n").filter((b) => b !== "");
    assert.equal(blocks.length, 9);
    for (const block of blocks) {
      const [eventLine, dataLine, ...rest] = block.split("\n");
      assert.deepEqual(rest, []);
      const data = JSON.parse(String(dataLine?.slice(6))) as { type: string };
      assert.equal(eventLine, `event: ${data.type}`);
    }
    assert.ok(!text.includes("[DONE]"));
  });

  test("a function tool round trip, continued with previous_response_id: the mock sees the whole history", async () => {
    mock.enqueue(
      (_req, res) =>
        json(
          res,
          200,
          anthropicMessage(
            [
              { type: "text", text: "Let me check." },
              { type: "tool_use", id: "toolu_01", name: "get_weather", input: { city: "Paris" } },
            ],
            "tool_use",
          ),
        ),
      (_req, res) => json(res, 200, anthropicMessage([{ type: "text", text: "It is 18°C in Paris." }])),
    );
    const first = await client().responses.create({
      model: "claude",
      input: "Weather in Paris?",
      tools: [WEATHER],
      tool_choice: "required",
    });
    const [said, fc] = first.output as unknown as [{ id: string }, { id: string }];
    assert.equal(fc.id, `fc_${first.id.slice(5)}_1`);
    assert.deepEqual(first.output, [
      {
        id: said.id,
        type: "message",
        status: "completed",
        role: "assistant",
        content: [{ type: "output_text", text: "Let me check.", annotations: [], logprobs: [] }],
      },
      {
        id: fc.id,
        type: "function_call",
        status: "completed",
        arguments: '{"city":"Paris"}',
        call_id: "toolu_01",
        name: "get_weather",
      },
    ]);
    assert.deepEqual(mock.requests[0]?.json, {
      model: CLAUDE,
      max_tokens: 8192,
      messages: [{ role: "user", content: "Weather in Paris?" }],
      tools: [
        {
          name: "get_weather",
          description: "Current weather in a city",
          input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
        },
      ],
      tool_choice: { type: "any" },
    });
    const second = await client().responses.create({
      model: "claude",
      previous_response_id: first.id,
      input: [{ type: "function_call_output", call_id: "toolu_01", output: '{"temp_c":18}' }],
      tools: [WEATHER],
    });
    assert.equal(second.output_text, "It is 18°C in Paris.");
    assert.equal(second.previous_response_id, first.id);
    assert.deepEqual(mock.requests[1]?.json, {
      model: CLAUDE,
      max_tokens: 8192,
      messages: [
        { role: "user", content: "Weather in Paris?" },
        {
          role: "assistant",
          content: [
            { type: "text", text: "Let me check." },
            { type: "tool_use", id: "toolu_01", name: "get_weather", input: { city: "Paris" } },
          ],
        },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_01", content: '{"temp_c":18}' }] },
      ],
      tools: [
        {
          name: "get_weather",
          description: "Current weather in a city",
          input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
        },
      ],
    });
    // input_items lists the conversation the second response answered, newest first.
    const items = await client().responses.inputItems.list(second.id);
    assert.deepEqual(
      items.data.map((item) => item.type),
      ["function_call_output", "function_call", "message", "message"],
    );
    const ascending = await client().responses.inputItems.list(second.id, { order: "asc", limit: 2 });
    assert.deepEqual(
      ascending.data.map((item) => [item.type, "role" in item ? item.role : undefined]),
      [
        ["message", "user"],
        ["message", "assistant"],
      ],
    );
    assert.deepEqual((ascending.data[0] as { content: unknown }).content, [
      { type: "input_text", text: "Weather in Paris?" },
    ]);
  });

  test("streamed tool calls: function_call items with arguments deltas", async () => {
    mock.always((_req, res) =>
      anthropicSse(res, [
        ["message_start", { type: "message_start", message: { ...anthropicMessage([]), stop_reason: null } }],
        [
          "content_block_start",
          {
            type: "content_block_start",
            index: 0,
            content_block: { type: "tool_use", id: "toolu_9", name: "get_weather", input: {} },
          },
        ],
        [
          "content_block_delta",
          { type: "content_block_delta", index: 0, delta: { type: "input_json_delta", partial_json: '{"city":' } },
        ],
        [
          "content_block_delta",
          { type: "content_block_delta", index: 0, delta: { type: "input_json_delta", partial_json: '"Oslo"}' } },
        ],
        ["content_block_stop", { type: "content_block_stop", index: 0 }],
        ["message_delta", { type: "message_delta", delta: { stop_reason: "tool_use" }, usage: { output_tokens: 9 } }],
        ["message_stop", { type: "message_stop" }],
      ]),
    );
    const stream = client().responses.stream({ model: "claude", input: "Oslo?", tools: [WEATHER] });
    const events: Record<string, unknown>[] = [];
    for await (const event of stream) events.push(event as unknown as Record<string, unknown>);
    const final = await stream.finalResponse();
    const fc = final.output[0] as { id: string };
    assert.deepEqual(
      events.slice(2, -1).map(({ type, delta, arguments: args }) => [type, delta ?? args ?? null]),
      [
        ["response.output_item.added", null],
        ["response.function_call_arguments.delta", '{"city":'],
        ["response.function_call_arguments.delta", '"Oslo"}'],
        ["response.function_call_arguments.done", '{"city":"Oslo"}'],
        ["response.output_item.done", null],
      ],
    );
    assert.deepEqual(events[5], {
      type: "response.function_call_arguments.done",
      sequence_number: 5,
      item_id: fc.id,
      output_index: 0,
      name: "get_weather",
      arguments: '{"city":"Oslo"}',
    });
    assert.deepEqual(final.output, [
      {
        id: fc.id,
        type: "function_call",
        status: "completed",
        arguments: '{"city":"Oslo"}',
        call_id: "toolu_9",
        name: "get_weather",
        parsed_arguments: null,
      },
    ]);
  });

  test("store: false keeps nothing: GET is a 404, and previous_response_id cannot continue it", async () => {
    mock.always((_req, res) => json(res, 200, anthropicMessage([{ type: "text", text: "ok" }])));
    const key = await generateKey(gateway.url, { models: ["claude"] });
    const answer = await client(key).responses.create({ model: "claude", input: "Hi", store: false });
    assert.equal((answer as unknown as { store: boolean }).store, false);
    const got = await call(gateway.url, "GET", `/v1/responses/${answer.id}`, key);
    assert.equal(got.status, 404);
    assert.deepEqual(got.body.error, {
      message: `Response with id '${answer.id}' not found.`,
      type: "invalid_request_error",
      param: null,
      code: "response_not_found",
    });
    const next = await call(gateway.url, "POST", "/v1/responses", key, {
      model: "claude",
      input: "again",
      previous_response_id: answer.id,
    });
    assert.equal(next.status, 400);
    assert.deepEqual(next.body.error, {
      message: `Previous response with id '${answer.id}' not found.`,
      type: "invalid_request_error",
      param: "previous_response_id",
      code: "previous_response_not_found",
    });
    assert.equal(mock.requests.length, 1);
  });

  test("a built-in tool on a bridged provider is a 400 naming it; nothing reaches the provider", async () => {
    const refused = await call(gateway.url, "POST", "/v1/responses", MASTER_KEY, {
      model: "claude",
      input: "Search the news",
      tools: [{ type: "web_search" }],
    });
    assert.equal(refused.status, 400);
    assert.deepEqual(refused.body.error, {
      message:
        "Invalid 'tools' (at tools.0): the built-in tool 'web_search' is only served by OpenAI and Azure deployments; this model is reached through chat completions, which takes function tools only.",
      type: "invalid_request_error",
      param: "tools",
      code: "unsupported_value",
    });
    assert.equal(mock.requests.length, 0);
  });
});

describe("bad input: a 400 naming the field", () => {
  const cases: [string, Record<string, unknown>, string, string][] = [
    [
      "input of the wrong type",
      { input: 5 },
      "input",
      "Invalid 'input': got 5. It must be a string, or an array of input items (messages, function_call and function_call_output items).",
    ],
    [
      "a message without content",
      { input: [{ role: "user" }] },
      "input",
      "Invalid 'input' (at input.0.content): 'input.0.content' is required. It must be a string or an array of content parts.",
    ],
    [
      "a function call output without call_id",
      { input: [{ type: "function_call_output", output: "x" }] },
      "input",
      "Invalid 'input' (at input.0.call_id): 'input.0.call_id' is required. It must be a string (the call_id of the function call).",
    ],
    [
      "temperature out of range",
      { input: "hi", temperature: 3 },
      "temperature",
      "Invalid 'temperature': got 3. It must be a number from 0 to 2.",
    ],
    [
      "a json_schema format without a schema",
      { input: "hi", text: { format: { type: "json_schema", name: "x" } } },
      "text",
      "Invalid 'text' (at text.format.schema): 'text.format.schema' is required. It must be an object (a JSON Schema).",
    ],
  ];
  for (const [name, body, param, message] of cases) {
    test(name, async () => {
      const refused = await call(gateway.url, "POST", "/v1/responses", MASTER_KEY, { model: "claude", ...body });
      assert.equal(refused.status, 400);
      assert.deepEqual(refused.body.error, { message, type: "invalid_request_error", param, code: "invalid_value" });
      assert.equal(mock.requests.length, 0);
    });
  }
});

/** A native OpenAI answer, as OpenAI writes it (spacing included: its bytes must come back unchanged). */
function openAIResponse(id: string, text: string): Record<string, unknown> {
  return {
    id,
    object: "response",
    created_at: 1741476542,
    status: "completed",
    error: null,
    incomplete_details: null,
    instructions: null,
    max_output_tokens: null,
    model: "gpt-4o-2024-08-06",
    output: [
      {
        type: "message",
        id: "msg_67ccd2bf17f0819081ff3bb2cf6508e60bb6a6b452d3795b",
        status: "completed",
        role: "assistant",
        content: [{ type: "output_text", text, annotations: [] }],
      },
    ],
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
    usage: {
      input_tokens: 36,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: 87,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 123,
    },
    user: null,
    metadata: {},
  };
}

function post(body: unknown, key = MASTER_KEY): Promise<Response> {
  return fetch(`${gateway.url}/v1/responses`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify(body),
  });
}

function anthropicSse(res: ServerResponse, events: [name: string, data: unknown][]): void {
  res.writeHead(200, { "content-type": "text/event-stream" });
  for (const [name, data] of events) res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
  res.end();
}

describe("native: an OpenAI deployment", () => {
  test("the request goes to {api_base}/responses as the client sent it; the provider's bytes come back; spend has its usage", async () => {
    const upstreamText = JSON.stringify(openAIResponse("resp_native1", "Hi!"), null, 2);
    mock.always((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(upstreamText);
    });
    const key = await generateKey(gateway.url, { models: ["gpt-4o"] });
    const body = {
      model: "gpt-4o",
      input: [{ role: "user", content: [{ type: "input_text", text: "Hi" }] }],
      tools: [{ type: "web_search" }],
      include: ["reasoning.encrypted_content"],
      metadata: { team: "ml" },
      reasoning: { effort: "low" },
    };
    const response = await post(body, key);
    assert.equal(response.status, 200);
    assert.equal(await response.text(), upstreamText);
    assert.ok(Math.abs(Number(response.headers.get("x-litellm-response-cost")) - 0.21) < 1e-9);
    const [upstream] = mock.requests;
    assert.equal(upstream?.method, "POST");
    assert.equal(upstream?.path, "/v1/responses");
    assert.equal(upstream?.headers.authorization, "Bearer sk-openai-upstream");
    assert.deepEqual(upstream?.json, body);
    // Spend: the provider's usage, priced by the deployment's model_info.
    await gateway.server.access.flushSpend(2000);
    const logs = await call(gateway.url, "GET", `/spend/logs?api_key=${key}`, MASTER_KEY);
    const rows = logs.body as unknown as Record<string, unknown>[];
    assert.equal(rows.length, 1);
    assert.deepEqual(
      [
        rows[0]?.model_group,
        rows[0]?.prompt_tokens,
        rows[0]?.completion_tokens,
        rows[0]?.total_tokens,
        rows[0]?.status,
      ],
      ["gpt-4o", 36, 87, 123, "success"],
    );
    assert.ok(Math.abs(Number(rows[0]?.spend) - 0.21) < 1e-9);
    // Kept for its key: GET answers it; another key and the master key get 404.
    const got = await call(gateway.url, "GET", "/v1/responses/resp_native1", key);
    assert.equal(got.status, 200);
    assert.deepEqual(got.body, JSON.parse(upstreamText));
    const other = await generateKey(gateway.url);
    assert.equal((await call(gateway.url, "GET", "/v1/responses/resp_native1", other)).status, 404);
    assert.equal((await call(gateway.url, "GET", "/v1/responses/resp_native1/input_items", other)).status, 404);
    assert.equal((await call(gateway.url, "DELETE", "/v1/responses/resp_native1", other)).status, 404);
    assert.equal(mock.requests.length, 1);
    // DELETE by its owner: gone here, and at the provider.
    mock.always((_req, res) => json(res, 200, { id: "resp_native1", object: "response", deleted: true }));
    const deleted = await call(gateway.url, "DELETE", "/v1/responses/resp_native1", key);
    assert.deepEqual([deleted.status, deleted.body], [200, { id: "resp_native1", object: "response", deleted: true }]);
    assert.deepEqual([mock.requests[1]?.method, mock.requests[1]?.path], ["DELETE", "/v1/responses/resp_native1"]);
    assert.equal((await call(gateway.url, "GET", "/v1/responses/resp_native1", key)).status, 404);
  });

  test("streamed: every event forwarded as the provider sent it, with its event: line", async () => {
    const final = openAIResponse("resp_native2", "Hi");
    const events = [
      {
        type: "response.created",
        sequence_number: 0,
        response: { ...final, status: "in_progress", output: [], usage: null },
      },
      {
        type: "response.output_text.delta",
        sequence_number: 1,
        item_id: "msg_1",
        output_index: 0,
        content_index: 0,
        delta: "Hi",
        logprobs: [],
      },
      { type: "response.completed", sequence_number: 2, response: final },
    ];
    const upstream = events.map((e) => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`).join("");
    mock.always((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end(upstream);
    });
    const response = await post({ model: "gpt-4o", input: "Hi", stream: true });
    assert.equal(await response.text(), upstream);
    assert.deepEqual(mock.requests[0]?.json, { model: "gpt-4o", input: "Hi", stream: true });
    // Kept from its response.completed event.
    const got = await call(gateway.url, "GET", "/v1/responses/resp_native2", MASTER_KEY);
    assert.deepEqual(got.body, final);
  });

  test("a native stream cut before response.completed ends with an error event", async () => {
    mock.always((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end(
        `event: response.created\ndata: ${JSON.stringify({ type: "response.created", sequence_number: 0, response: { id: "resp_cut" } })}\n\n`,
      );
    });
    const text = await (await post({ model: "gpt-4o", input: "Hi", stream: true })).text();
    const blocks = text.split("\n\n").filter((b) => b !== "");
    assert.equal(blocks.length, 2);
    assert.equal(blocks[1]?.split("\n")[0], "event: error");
    const error = JSON.parse(String(blocks[1]?.split("\n")[1]?.slice(6))) as Record<string, unknown>;
    assert.equal(error.type, "error");
    assert.equal(error.sequence_number, 1);
    assert.equal(error.code, "502");
  });

  test("an id the gateway never kept is asked of the native deployment, for the master key only", async () => {
    mock.always((_req, res) => json(res, 200, openAIResponse("resp_elsewhere", "old")));
    const got = await call(
      gateway.url,
      "GET",
      "/v1/responses/resp_elsewhere?include=message.output_text.logprobs",
      MASTER_KEY,
    );
    assert.equal(got.status, 200);
    assert.equal(got.body.id, "resp_elsewhere");
    assert.deepEqual(
      [mock.requests[0]?.method, mock.requests[0]?.path, mock.requests[0]?.query],
      ["GET", "/v1/responses/resp_elsewhere", { include: "message.output_text.logprobs" }],
    );
    const key = await generateKey(gateway.url);
    const refused = await call(gateway.url, "GET", "/v1/responses/resp_elsewhere", key);
    assert.equal(refused.status, 404);
    assert.equal(mock.requests.length, 1);
  });
});

describe("a conversation across providers", () => {
  test("a bridged response continued on a native deployment: the conversation is sent as input, without previous_response_id", async () => {
    mock.enqueue(
      (_req, res) => json(res, 200, anthropicMessage([{ type: "text", text: "Bonjour" }])),
      (_req, res) => json(res, 200, openAIResponse("resp_next", "Hello")),
    );
    const first = await client().responses.create({ model: "claude", input: "Say hi in French" });
    const second = await client().responses.create({
      model: "gpt-4o",
      input: "Now in English",
      previous_response_id: first.id,
      instructions: "Be brief.",
    });
    assert.equal(second.id, "resp_next");
    const said = first.output[0] as { id: string };
    const asked = (mock.requests[1]?.json as { input?: { id: string }[] } | undefined)?.input ?? [];
    assert.deepEqual(mock.requests[1]?.json, {
      model: "gpt-4o",
      input: [
        {
          role: "user",
          content: [{ type: "input_text", text: "Say hi in French" }],
          type: "message",
          id: asked[0]?.id,
        },
        {
          id: said.id,
          type: "message",
          status: "completed",
          role: "assistant",
          content: [{ type: "output_text", text: "Bonjour", annotations: [], logprobs: [] }],
        },
        { role: "user", content: "Now in English" },
      ],
      instructions: "Be brief.",
    });
  });
});

describe("a native conversation stays with its deployment", () => {
  test("previous_response_id of a native response goes to the deployment that made it, unchanged", async () => {
    mock.always((req, res) =>
      json(res, 200, openAIResponse(`resp_${req.path.split("/")[1]}_${mock.requests.length}`, "ok")),
    );
    const first = await client().responses.create({ model: "gpt-pair", input: "Hi" });
    const account = String(mock.requests[0]?.path.split("/")[1]);
    for (let turn = 0; turn < 6; turn++) {
      await client().responses.create({ model: "gpt-pair", input: "more", previous_response_id: first.id });
    }
    assert.deepEqual(
      mock.requests.map((r) => r.path),
      Array.from({ length: 7 }, () => `/${account}/v1/responses`),
    );
    assert.deepEqual(mock.requests[1]?.json, { model: "gpt-4o", input: "more", previous_response_id: first.id });
  });
});

describe("the SDK: router.run(responses, …)", () => {
  test("a mock_response deployment answers a response object without calling a provider", async () => {
    const router = Router.fromLiteLLM({
      model_list: [{ model_name: "demo", litellm_params: { model: "openai/gpt-4o", mock_response: "Mocked!" } }],
    });
    const answer = (await router.run(responses, { model: "demo", input: "Hi" })) as ResponseObject;
    assert.equal(answer.status, "completed");
    assert.deepEqual(
      answer.output.map((item) => (item as { content: { text: string }[] }).content[0]?.text),
      ["Mocked!"],
    );
    assert.equal(mock.requests.length, 0);
    await router.close();
  });
});

describe("native: Azure deployments (LiteLLM's URL form)", () => {
  test("no api_version: /openai/v1/responses?api-version=preview with api-key; a dated one: /openai/responses", async () => {
    mock.always((_req, res) => json(res, 200, openAIResponse("resp_az", "Hi")));
    await client().responses.create({ model: "azure-4o", input: "Hi", store: false });
    await client().responses.create({ model: "azure-dated", input: "Hi", store: false });
    assert.deepEqual(
      mock.requests.map((r) => [r.path, r.query, r.headers["api-key"], (r.json as { model: string }).model]),
      [
        ["/openai/v1/responses", { "api-version": "preview" }, "azure-key", "my-4o"],
        ["/openai/responses", { "api-version": "2025-03-01-preview" }, "azure-key", "my-4o"],
      ],
    );
  });
});

describe("keys", () => {
  test("401 without a key on every route", async () => {
    for (const [method, path] of [
      ["POST", "/v1/responses"],
      ["POST", "/responses"],
      ["GET", "/v1/responses/resp_x"],
      ["DELETE", "/v1/responses/resp_x"],
      ["GET", "/v1/responses/resp_x/input_items"],
      ["GET", "/responses/resp_x"],
    ] as const) {
      const answer = await call(
        gateway.url,
        method,
        path,
        undefined,
        method === "POST" ? { model: "claude", input: "hi" } : undefined,
      );
      assert.equal(answer.status, 401, `${method} ${path}`);
      assert.equal(answer.body.error?.code, "missing_api_key");
    }
    assert.equal(mock.requests.length, 0);
  });

  test("a response belongs to its key: another key gets 404 and cannot continue it", async () => {
    mock.always((_req, res) => json(res, 200, anthropicMessage([{ type: "text", text: "mine" }])));
    const owner = await generateKey(gateway.url, { models: ["claude"] });
    const other = await generateKey(gateway.url, { models: ["claude"] });
    const made = await client(owner).responses.create({ model: "claude", input: "Hi" });
    assert.equal((await client(owner).responses.retrieve(made.id)).id, made.id);
    for (const [method, path] of [
      ["GET", `/v1/responses/${made.id}`],
      ["GET", `/v1/responses/${made.id}/input_items`],
      ["DELETE", `/v1/responses/${made.id}`],
    ] as const) {
      assert.equal((await call(gateway.url, method, path, other)).status, 404, `${method} ${path}`);
      assert.equal((await call(gateway.url, method, path, MASTER_KEY)).status, 404, `${method} ${path}`);
    }
    const stolen = await call(gateway.url, "POST", "/v1/responses", other, {
      model: "claude",
      input: "go on",
      previous_response_id: made.id,
    });
    assert.equal(stolen.status, 400);
    assert.equal(stolen.body.error?.param, "previous_response_id");
    assert.equal(mock.requests.length, 1);
    const deleted = await client(owner).responses.delete(made.id);
    assert.deepEqual(deleted, { id: made.id, object: "response", deleted: true });
    assert.equal((await call(gateway.url, "GET", `/responses/${made.id}`, owner)).status, 404);
  });

  test("a key without the model gets 403; spend of a bridged response is recorded with its usage", async () => {
    mock.always((_req, res) => json(res, 200, anthropicMessage([{ type: "text", text: "ok" }])));
    const key = await generateKey(gateway.url, { models: ["gpt-4o"] });
    const refused = await call(gateway.url, "POST", "/v1/responses", key, { model: "claude", input: "hi" });
    assert.equal(refused.status, 403);
    const allowed = await generateKey(gateway.url, { models: ["claude"] });
    // The body's own fallbacks must be allowed too, as on chat.
    const fallback = await call(gateway.url, "POST", "/v1/responses", allowed, {
      model: "claude",
      input: "hi",
      fallbacks: ["gpt-4o"],
    });
    assert.deepEqual([fallback.status, fallback.body.error?.param], [403, "fallbacks"]);
    const made = await call(gateway.url, "POST", "/responses", allowed, { model: "claude", input: "hi" });
    assert.equal(made.status, 200);
    assert.equal(made.headers.get("x-litellm-response-cost"), "0.028");
    await gateway.server.access.flushSpend(2000);
    const rows = (await call(gateway.url, "GET", `/spend/logs?api_key=${allowed}`, MASTER_KEY))
      .body as unknown as Record<string, unknown>[];
    assert.deepEqual(
      rows.map((r) => [r.model_group, r.prompt_tokens, r.completion_tokens, r.status]),
      [["claude", 12, 8, "success"]],
    );
  });
});

describe("a response's outcome, as a chat completion's", () => {
  test("the end user and tags reach its spend record and log line; its end user's budget applies", async () => {
    mock.always((_req, res) => json(res, 200, anthropicMessage([{ type: "text", text: "ok" }])));
    const key = await generateKey(gateway.url, { key_alias: "resp-key" });
    const created = await call(gateway.url, "POST", "/customer/new", MASTER_KEY, { user_id: "cust-9", max_budget: 1 });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const response = await post({ model: "claude", input: "Hi", user: "cust-9", tags: ["resp-tag"] }, key);
    assert.equal(response.status, 200);
    assert.ok(!JSON.stringify(mock.requests[0]?.json).includes("resp-tag"), "LiteLLM's tags are never forwarded");
    await gateway.server.access.flushSpend(2000);
    const rows = (await call(gateway.url, "GET", `/spend/logs?api_key=${key}`, MASTER_KEY)).body as unknown as Record<
      string,
      unknown
    >[];
    assert.deepEqual(
      rows.map((row) => [row.model_group, row.end_user, row.request_tags, row.prompt_tokens]),
      [["claude", "cust-9", ["resp-tag"], 12]],
    );
    const line = gateway.logs.find((entry) => entry.route === "/v1/responses" && entry.key_alias === "resp-key");
    assert.deepEqual([line?.end_user, line?.request_tags, line?.status], ["cust-9", ["resp-tag"], 200]);
    // A blocked end user is refused here as on chat.
    assert.equal(
      (await call(gateway.url, "POST", "/customer/block", MASTER_KEY, { user_ids: ["cust-9"] })).status,
      200,
    );
    const refused = await post({ model: "claude", input: "Hi", user: "cust-9" }, key);
    assert.equal(refused.status, 400);
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, "end_user_blocked");
  });
});
