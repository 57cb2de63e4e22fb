/**
 * The Responses API <-> chat translation as pure functions: a request (string or items,
 * images, function calls and their outputs, instructions, tools, tool_choice, text.format,
 * the tuning params) as the chat request, a chat answer as the response object, and a chat
 * stream as the semantic events with their sequence numbers. Plus the bounded memory store.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { MemoryResponseStore } from "../../src/store/memory-responses.js";
import type { ResponseRecord } from "../../src/store/types.js";
import { toChatParams } from "../../src/translate/responses/request.js";
import { fromChatCompletion, type IdMaker } from "../../src/translate/responses/response.js";
import { ResponseEventTranslator } from "../../src/translate/responses/stream.js";
import type { ChatCompletion, ChatCompletionChunk } from "../../src/wire/chat.js";
import { BadRequestError } from "../../src/wire/errors.js";
import type { ResponseItem } from "../../src/wire/responses.js";

/** resp_1, msg_1, fc_1, msg_2, ...: a fresh counter per prefix. */
function counting(): IdMaker {
  const counts = new Map<string, number>();
  return (prefix) => {
    const next = (counts.get(prefix) ?? 0) + 1;
    counts.set(prefix, next);
    return `${prefix}_${next}`;
  };
}

const ALL: ReadonlySet<string> = new Set(["tool_choice", "user", "parallel_tool_calls", "reasoning_effort"]);
const NONE: ReadonlySet<string> = new Set();

describe("request -> chat", () => {
  test("a string input is one user message; instructions the system message; tuning params under chat's names", () => {
    const chat = toChatParams(
      {
        model: "m",
        input: "Hi",
        instructions: "Be brief.",
        max_output_tokens: 50,
        temperature: 0.3,
        top_p: 0.8,
        user: "u",
        reasoning: { effort: "low" },
        metadata: { a: "b" },
        store: true,
      },
      "anthropic/claude",
      [],
      ALL,
    );
    assert.deepEqual(chat, {
      model: "anthropic/claude",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Hi" },
      ],
      max_tokens: 50,
      temperature: 0.3,
      top_p: 0.8,
      user: "u",
      reasoning_effort: "low",
    });
  });

  test("params the provider does not take are left out, never refused: user, reasoning, tool_choice auto", () => {
    const chat = toChatParams(
      {
        model: "m",
        input: "Hi",
        user: "u",
        reasoning: { effort: "high" },
        tools: [{ type: "function", name: "f" }],
        tool_choice: "auto",
        parallel_tool_calls: false,
      },
      "ollama/x",
      [],
      NONE,
    );
    assert.deepEqual(chat, {
      model: "ollama/x",
      messages: [{ role: "user", content: "Hi" }],
      tools: [{ type: "function", function: { name: "f" } }],
    });
  });

  test("items: history first, images, assistant text joined by its function calls, their outputs as tool messages; reasoning skipped", () => {
    const history: ResponseItem[] = [
      { type: "message", role: "user", content: [{ type: "input_text", text: "Weather?" }] },
      { type: "reasoning", id: "rs_1", summary: [] },
      {
        type: "message",
        role: "assistant",
        content: [{ type: "output_text", text: "Checking.", annotations: [] }],
      },
      { type: "function_call", call_id: "c1", name: "w", arguments: '{"city":"Oslo"}' },
      { type: "function_call", call_id: "c2", name: "w", arguments: '{"city":"Rome"}' },
    ];
    const chat = toChatParams(
      {
        model: "m",
        input: [
          { type: "function_call_output", call_id: "c1", output: "5C" },
          { type: "function_call_output", call_id: "c2", output: [{ type: "input_text", text: "20C" }] },
          {
            role: "user",
            content: [
              { type: "input_text", text: "And this?" },
              { type: "input_image", image_url: "https://x/y.png", detail: "low" },
            ],
          },
          { role: "developer", content: "Use metric." },
        ],
      },
      "m",
      history,
      NONE,
    );
    assert.deepEqual(chat.messages, [
      { role: "user", content: [{ type: "text", text: "Weather?" }] },
      {
        role: "assistant",
        content: "Checking.",
        tool_calls: [
          { id: "c1", type: "function", function: { name: "w", arguments: '{"city":"Oslo"}' } },
          { id: "c2", type: "function", function: { name: "w", arguments: '{"city":"Rome"}' } },
        ],
      },
      { role: "tool", tool_call_id: "c1", content: "5C" },
      { role: "tool", tool_call_id: "c2", content: "20C" },
      {
        role: "user",
        content: [
          { type: "text", text: "And this?" },
          { type: "image_url", image_url: { url: "https://x/y.png", detail: "low" } },
        ],
      },
      { role: "developer", content: "Use metric." },
    ]);
  });

  test("params that are not the Responses API's go on as they are (a provider's own, such as top_k); messages never", () => {
    const chat = toChatParams(
      { model: "m", input: "Hi", top_k: 40, messages: [{ role: "user", content: "injected" }], max_output_tokens: 9 },
      "ollama/x",
      [],
      NONE,
    );
    assert.deepEqual(chat, {
      model: "ollama/x",
      messages: [{ role: "user", content: "Hi" }],
      top_k: 40,
      max_tokens: 9,
    });
  });

  test("tools, a named tool_choice and a json_schema format", () => {
    const chat = toChatParams(
      {
        model: "m",
        input: "Hi",
        tools: [{ type: "function", name: "f", description: "d", parameters: { type: "object" }, strict: true }],
        tool_choice: { type: "function", name: "f" },
        text: { format: { type: "json_schema", name: "out", schema: { type: "object" }, strict: true } },
        stream: true,
      },
      "m",
      [],
      NONE,
    );
    assert.deepEqual(chat, {
      model: "m",
      messages: [{ role: "user", content: "Hi" }],
      tools: [
        { type: "function", function: { name: "f", description: "d", parameters: { type: "object" }, strict: true } },
      ],
      tool_choice: { type: "function", function: { name: "f" } },
      response_format: { type: "json_schema", json_schema: { name: "out", schema: { type: "object" }, strict: true } },
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  test("what chat cannot carry is a 400 naming the field", () => {
    const cases: [Parameters<typeof toChatParams>[0], string, string][] = [
      [
        { model: "m", input: [{ role: "user", content: [{ type: "input_image", file_id: "file_1" }] }] },
        "input",
        "Invalid 'input' (at input.0.content.0): an image given by file_id is only served by OpenAI and Azure deployments; give its URL (https or data:) in 'image_url'.",
      ],
      [
        { model: "m", input: [{ type: "item_reference", id: "msg_1" }] },
        "input",
        "Invalid 'input' (at input.0): items of type 'item_reference' are only served by OpenAI and Azure deployments; send messages, function_call and function_call_output items (or continue with previous_response_id).",
      ],
      [
        { model: "m", input: "x", tool_choice: { type: "file_search" } },
        "tool_choice",
        'Invalid \'tool_choice\': {"type": "file_search"} names a built-in tool, which only OpenAI and Azure deployments serve; use "auto", "required", "none" or {"type": "function", "name": ...}.',
      ],
    ];
    for (const [params, param, message] of cases) {
      assert.throws(
        () => toChatParams(params, "m", [], NONE),
        (error: unknown) => error instanceof BadRequestError && error.param === param && error.message === message,
      );
    }
  });
});

function chatAnswer(message: ChatCompletion["choices"][number]["message"], finish: "stop" | "length" | "tool_calls") {
  return {
    id: "chatcmpl-1",
    object: "chat.completion",
    created: 1700000000,
    model: "claude-x",
    choices: [{ index: 0, message, logprobs: null, finish_reason: finish }],
    usage: {
      prompt_tokens: 10,
      completion_tokens: 4,
      total_tokens: 14,
      prompt_tokens_details: { cached_tokens: 3 },
      completion_tokens_details: { reasoning_tokens: 1 },
    },
  } satisfies ChatCompletion;
}

describe("chat answer -> response", () => {
  test("text and tool calls as items, usage details, a length cut as incomplete", () => {
    const response = fromChatCompletion(
      chatAnswer(
        {
          role: "assistant",
          content: "Partial",
          tool_calls: [{ id: "call_1", type: "function", function: { name: "f", arguments: "{}" } }],
        },
        "length",
      ),
      { model: "group", input: "x", max_output_tokens: 4 },
      counting(),
    );
    assert.equal(response.id, "resp_1");
    assert.equal(response.status, "incomplete");
    assert.deepEqual(response.incomplete_details, { reason: "max_output_tokens" });
    assert.equal(response.created_at, 1700000000);
    assert.equal(response.model, "claude-x");
    assert.equal(response.max_output_tokens, 4);
    assert.deepEqual(response.output, [
      {
        id: "msg_1",
        type: "message",
        status: "completed",
        role: "assistant",
        content: [{ type: "output_text", text: "Partial", annotations: [], logprobs: [] }],
      },
      { id: "fc_1", type: "function_call", status: "completed", arguments: "{}", call_id: "call_1", name: "f" },
    ]);
    assert.deepEqual(response.usage, {
      input_tokens: 10,
      input_tokens_details: { cached_tokens: 3 },
      output_tokens: 4,
      output_tokens_details: { reasoning_tokens: 1 },
      total_tokens: 14,
    });
  });

  test("a refusal is a refusal content part", () => {
    const response = fromChatCompletion(
      chatAnswer({ role: "assistant", content: null, refusal: "I can't." }, "stop"),
      { model: "g", input: "x" },
      counting(),
    );
    assert.deepEqual(response.output, [
      {
        id: "msg_1",
        type: "message",
        status: "completed",
        role: "assistant",
        content: [{ type: "refusal", refusal: "I can't." }],
      },
    ]);
  });
});

function chunk(delta: ChatCompletionChunk["choices"][number]["delta"], finish: "stop" | "length" | null = null) {
  return {
    id: "c",
    object: "chat.completion.chunk",
    created: 1700000001,
    model: "up-model",
    choices: [{ index: 0, delta, finish_reason: finish }],
  } satisfies ChatCompletionChunk;
}

describe("chat stream -> semantic events", () => {
  test("text then two tool calls, then usage: every event in order with the next sequence number", () => {
    const translator = new ResponseEventTranslator({ model: "g", input: "x" }, counting(), "g", 1);
    const events = [
      ...translator.push(chunk({ role: "assistant", content: "" })),
      ...translator.push(chunk({ content: "Hi" })),
      ...translator.push(
        chunk({ tool_calls: [{ index: 0, id: "call_a", type: "function", function: { name: "f", arguments: "" } }] }),
      ),
      ...translator.push(chunk({ tool_calls: [{ index: 0, function: { arguments: '{"x":1}' } }] })),
      ...translator.push(
        chunk({ tool_calls: [{ index: 1, id: "call_b", type: "function", function: { name: "g", arguments: "{}" } }] }),
      ),
      ...translator.push(chunk({}, "stop")),
      ...translator.push({
        ...chunk({}),
        choices: [],
        usage: { prompt_tokens: 5, completion_tokens: 6, total_tokens: 11 },
      }),
    ];
    const { events: closing, response } = translator.end();
    const all = [...events, ...closing];
    assert.deepEqual(
      all.map((e) => [e.sequence_number, e.type, e.item_id ?? null]),
      [
        [0, "response.created", null],
        [1, "response.in_progress", null],
        [2, "response.output_item.added", null],
        [3, "response.content_part.added", "msg_1"],
        [4, "response.output_text.delta", "msg_1"],
        [5, "response.output_text.done", "msg_1"],
        [6, "response.content_part.done", "msg_1"],
        [7, "response.output_item.done", null],
        [8, "response.output_item.added", null],
        [9, "response.function_call_arguments.delta", "fc_1"],
        [10, "response.function_call_arguments.done", "fc_1"],
        [11, "response.output_item.done", null],
        [12, "response.output_item.added", null],
        [13, "response.function_call_arguments.delta", "fc_2"],
        [14, "response.function_call_arguments.done", "fc_2"],
        [15, "response.output_item.done", null],
        [16, "response.completed", null],
      ],
    );
    assert.deepEqual(all[0]?.response?.status, "in_progress");
    assert.deepEqual(all[0]?.response?.model, "up-model");
    assert.deepEqual(all[0]?.response?.created_at, 1700000001);
    assert.deepEqual(all[8], {
      type: "response.output_item.added",
      sequence_number: 8,
      output_index: 1,
      item: { id: "fc_1", type: "function_call", status: "in_progress", arguments: "", call_id: "call_a", name: "f" },
    });
    assert.equal(response.status, "completed");
    assert.deepEqual(
      response.output.map((item) => item.id),
      ["msg_1", "fc_1", "fc_2"],
    );
    assert.deepEqual(response.usage, {
      input_tokens: 5,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: 6,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 11,
    });
    assert.deepEqual(all[16]?.response, response);
  });

  test("a length cut ends with response.incomplete; a stream with no chunk still opens and closes the response", () => {
    const cut = new ResponseEventTranslator({ model: "g", input: "x" }, counting(), "g", 1);
    cut.push(chunk({ content: "a" }, "length"));
    const ended = cut.end();
    assert.equal(ended.events.at(-1)?.type, "response.incomplete");
    assert.equal(ended.response.status, "incomplete");
    const empty = new ResponseEventTranslator({ model: "g", input: "x" }, counting(), "g", 7);
    assert.deepEqual(
      empty.end().events.map((e) => [e.sequence_number, e.type]),
      [
        [0, "response.created"],
        [1, "response.in_progress"],
        [2, "response.completed"],
      ],
    );
  });
});

describe("the memory store (a gateway without a database)", () => {
  test("keeps the most recent responses up to its bound", async () => {
    const store = new MemoryResponseStore(2);
    const record = (id: string): ResponseRecord => ({
      id,
      key_hash: "no_key",
      model: "m",
      deployment_id: null,
      input: [],
      output: [],
      response: {},
      created_at: 0,
    });
    await store.saveResponse(record("a"));
    await store.saveResponse(record("b"));
    await store.saveResponse(record("c"));
    assert.equal(await store.getResponse("a"), undefined);
    assert.deepEqual(await store.getResponse("c"), record("c"));
    assert.equal(await store.deleteResponse("b"), true);
    assert.equal(await store.deleteResponse("b"), false);
  });
});
