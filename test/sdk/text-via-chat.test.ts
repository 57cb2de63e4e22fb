/** Text completions on chat-only providers: the translation rules one by one, against mock upstreams. */
import assert from "node:assert/strict";
import type { ServerResponse } from "node:http";
import { after, before, beforeEach, describe, test } from "node:test";
import { BadRequestError, isUsageEstimated, textCompletion, UnsupportedParamsError } from "../../src/index.js";
import type {
  ChatCompletion,
  ChatCompletionChunk,
  TextCompletionChunk,
  TextCompletionParams,
} from "../../src/index.js";
import { collect, rejection } from "../helpers/fixtures.js";
import { json, MockUpstream, type RecordedRequest, sse } from "../helpers/mock-upstream.js";
import { assertOpenAI } from "../helpers/openai-schema.js";

let mock: MockUpstream;
before(async () => {
  mock = await MockUpstream.start();
});
after(() => mock.close());
beforeEach(() => mock.reset());

const openai = <const E extends { prompt: TextCompletionParams["prompt"] }>(extra: E) => ({
  model: "openai/gpt-4o",
  api_key: "sk-test",
  api_base: `${mock.url}/v1`,
  ...extra,
});
const anthropicModel = <const E extends { prompt: TextCompletionParams["prompt"] }>(extra: E) => ({
  model: "anthropic/claude-3-5-sonnet-20241022",
  api_key: "ak-test",
  api_base: mock.url,
  ...extra,
});

/** An OpenAI chat answer with `n` choices whose texts say which request and choice they are. */
function chatAnswer(request: RecordedRequest, extra: Partial<ChatCompletion> = {}): ChatCompletion {
  const body = request.json as { messages: { content: string }[]; n?: number };
  const prompt = body.messages[0]?.content ?? "";
  return {
    id: "chatcmpl-abc123",
    object: "chat.completion",
    created: 1700000000,
    model: "gpt-4o-2024-08-06",
    system_fingerprint: "fp_chat",
    choices: Array.from({ length: body.n ?? 1 }, (_, index) => ({
      index,
      message: { role: "assistant" as const, content: `${prompt}:${index}`, refusal: null },
      logprobs: null,
      finish_reason: index === 0 ? ("stop" as const) : ("length" as const),
    })),
    usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
    ...extra,
  };
}

const answerChat =
  (extra: Partial<ChatCompletion> = {}) =>
  (request: RecordedRequest, res: ServerResponse) =>
    json(res, 200, chatAnswer(request, extra));

describe("text completions through OpenAI chat", () => {
  test("a string prompt is one user message; sampling params keep their names; the answer reads as text", async () => {
    mock.always(answerChat());
    const result = await textCompletion(
      openai({
        prompt: "Say hi",
        max_tokens: 5,
        temperature: 0.2,
        top_p: 0.9,
        stop: ["\n"],
        presence_penalty: 0.1,
        frequency_penalty: 0.2,
        seed: 3,
        user: "u",
        logit_bias: { "50": 1 },
      }),
    );
    assert.deepEqual(mock.requests[0]?.json, {
      model: "gpt-4o",
      messages: [{ role: "user", content: "Say hi" }],
      max_tokens: 5,
      temperature: 0.2,
      top_p: 0.9,
      stop: ["\n"],
      presence_penalty: 0.1,
      frequency_penalty: 0.2,
      seed: 3,
      user: "u",
      logit_bias: { "50": 1 },
    });
    assert.equal(mock.requests[0]?.path, "/v1/chat/completions");
    assert.deepEqual(result, {
      id: "cmpl-abc123",
      object: "text_completion",
      created: 1700000000,
      model: "gpt-4o-2024-08-06",
      system_fingerprint: "fp_chat",
      choices: [{ text: "Say hi:0", index: 0, logprobs: null, finish_reason: "stop" }],
      usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
    });
    assertOpenAI("CreateCompletionResponse", result);
  });

  test("a prompt list is one conversation per prompt; n goes to the provider; choices indexed prompt*n+j; usage summed", async () => {
    mock.always(answerChat());
    const result = await textCompletion(openai({ prompt: ["a", "b"], n: 2 }));
    assert.equal(mock.requests.length, 2);
    assert.deepEqual(
      mock.requests.map((r) => r.json).sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y))),
      [
        { model: "gpt-4o", messages: [{ role: "user", content: "a" }], n: 2 },
        { model: "gpt-4o", messages: [{ role: "user", content: "b" }], n: 2 },
      ],
    );
    assert.deepEqual(
      result.choices.map((c) => [c.index, c.text, c.finish_reason]),
      [
        [0, "a:0", "stop"],
        [1, "a:1", "length"],
        [2, "b:0", "stop"],
        [3, "b:1", "length"],
      ],
    );
    assert.deepEqual(result.usage, { prompt_tokens: 6, completion_tokens: 4, total_tokens: 10 });
  });

  test("echo prepends the prompt; finish reasons map to stop/length/content_filter", async () => {
    mock.enqueue(
      answerChat({
        choices: [
          { index: 0, message: { role: "assistant", content: " there" }, logprobs: null, finish_reason: "tool_calls" },
        ],
      }),
    );
    const echoed = await textCompletion(openai({ prompt: "Hello", echo: true }));
    assert.equal(echoed.choices[0]?.text, "Hello there");
    assert.equal(echoed.choices[0]?.finish_reason, "stop");
    mock.enqueue(
      answerChat({
        choices: [
          { index: 0, message: { role: "assistant", content: null }, logprobs: null, finish_reason: "content_filter" },
        ],
      }),
    );
    const filtered = await textCompletion(openai({ prompt: "x" }));
    assert.deepEqual(filtered.choices[0], { text: "", index: 0, logprobs: null, finish_reason: "content_filter" });
    const forwarded = mock.requests[0]?.json as Record<string, unknown> | undefined;
    assert.ok(forwarded, "the chat request was sent");
    assert.equal(forwarded.echo, undefined);
  });

  test("logprobs N becomes logprobs + top_logprobs, and the answer's logprobs the four text arrays", async () => {
    const logprobs = {
      content: [
        {
          token: "Hi",
          logprob: -0.1,
          bytes: [72, 105],
          top_logprobs: [
            { token: "Hi", logprob: -0.1, bytes: null },
            { token: "Hello", logprob: -2.5, bytes: null },
          ],
        },
        {
          token: "!",
          logprob: -0.3,
          bytes: [33],
          top_logprobs: [
            { token: "!", logprob: -0.3, bytes: null },
            { token: ".", logprob: -1.4, bytes: null },
          ],
        },
      ],
      refusal: null,
    };
    mock.always(
      answerChat({
        choices: [{ index: 0, message: { role: "assistant", content: "Hi!" }, logprobs, finish_reason: "stop" }],
      }),
    );
    const result = await textCompletion(openai({ prompt: "Greet", logprobs: 2 }));
    assert.equal((mock.requests[0]?.json as Record<string, unknown> | undefined)?.logprobs, true);
    assert.equal((mock.requests[0]?.json as Record<string, unknown> | undefined)?.top_logprobs, 2);
    assert.deepEqual(result.choices[0]?.logprobs, {
      tokens: ["Hi", "!"],
      token_logprobs: [-0.1, -0.3],
      top_logprobs: [
        { Hi: -0.1, Hello: -2.5 },
        { "!": -0.3, ".": -1.4 },
      ],
      text_offset: [0, 2],
    });
    assertOpenAI("CreateCompletionResponse", result);
  });

  test("suffix, best_of and echo with logprobs are refused by name; drop_params and additional_drop_params drop them", async () => {
    mock.always(answerChat());
    for (const [extra, param] of [
      [{ suffix: "end" }, "suffix"],
      [{ best_of: 3 }, "best_of"],
      [{ echo: true, logprobs: 1 }, "logprobs"],
    ] as const) {
      const error = await rejection(textCompletion(openai({ prompt: "x", ...extra })));
      assert.ok(error instanceof UnsupportedParamsError, `${param}: ${error.message}`);
      assert.equal(error.param, param);
    }
    assert.equal(mock.requests.length, 0);
    await textCompletion(
      openai({ prompt: "x", suffix: "end", best_of: 3, echo: true, logprobs: 1, drop_params: true }),
    );
    await textCompletion(openai({ prompt: "x", temperature: 0.5, additional_drop_params: ["temperature"] }));
    assert.deepEqual(
      mock.requests.map((r) => r.json),
      [
        { model: "gpt-4o", messages: [{ role: "user", content: "x" }] },
        { model: "gpt-4o", messages: [{ role: "user", content: "x" }] },
      ],
    );
  });

  test("token-id prompts cannot go to a chat model: a 400 naming the limitation", async () => {
    const error = await rejection(textCompletion(openai({ prompt: [1, 2, 3] })));
    assert.ok(error instanceof BadRequestError);
    assert.equal(error.param, "prompt");
    assert.match(error.message, /^Token-id prompts cannot be sent to openai/);
  });

  test("a streamed n=2: every choice carried, one chunk per delta, one final chunk per choice, usage, cmpl- ids", async () => {
    const base = { id: "chatcmpl-s1", object: "chat.completion.chunk" as const, created: 1700000001, model: "gpt-4o" };
    const delta = (
      index: number,
      content: string | undefined,
      finish: "stop" | "length" | null,
      role?: "assistant",
    ): ChatCompletionChunk => ({
      ...base,
      choices: [
        {
          index,
          delta: { ...(role ? { role } : {}), ...(content !== undefined ? { content } : {}) },
          logprobs: null,
          finish_reason: finish,
        },
      ],
    });
    const events: (ChatCompletionChunk | string)[] = [
      delta(0, "", null, "assistant"),
      delta(1, "", null, "assistant"),
      delta(0, "Hel", null),
      delta(1, "Wor", null),
      delta(0, "lo", null),
      delta(1, "ld", null),
      delta(0, undefined, "stop"),
      delta(1, undefined, "length"),
      { ...base, choices: [], usage: { prompt_tokens: 4, completion_tokens: 4, total_tokens: 8 } },
      "[DONE]",
    ];
    mock.always((_req, res) => sse(res, events));
    const chunks = await collect(
      await textCompletion(openai({ prompt: "p", n: 2, stream: true, stream_options: { include_usage: true } })),
    );
    assert.deepEqual((mock.requests[0]?.json as Record<string, unknown> | undefined)?.stream_options, {
      include_usage: true,
    });
    assert.deepEqual(
      chunks.map((c) => [c.id, c.choices.map((x) => [x.index, x.text, x.finish_reason]), c.usage ?? null]),
      [
        ["cmpl-s1", [[0, "Hel", null]], null],
        ["cmpl-s1", [[1, "Wor", null]], null],
        ["cmpl-s1", [[0, "lo", null]], null],
        ["cmpl-s1", [[1, "ld", null]], null],
        ["cmpl-s1", [[0, "", "stop"]], null],
        ["cmpl-s1", [[1, "", "length"]], null],
        ["cmpl-s1", [], { prompt_tokens: 4, completion_tokens: 4, total_tokens: 8 }],
      ],
    );
    for (const chunk of chunks) assertOpenAI("CreateCompletionStreamChunk", chunk);
    assert.equal(isUsageEstimated(chunks.at(-1) as TextCompletionChunk), false);
  });

  test("a streamed prompt list merges the streams with prompt*n+j indexes and echoes each prompt once", async () => {
    mock.always((req, res) => {
      const prompt = (req.json as { messages: { content: string }[] }).messages[0]?.content ?? "";
      const chunk = (content: string | undefined, finish: "stop" | null) => ({
        id: `chatcmpl-${prompt}`,
        object: "chat.completion.chunk",
        created: 1,
        model: "gpt-4o",
        choices: [{ index: 0, delta: content === undefined ? {} : { content }, logprobs: null, finish_reason: finish }],
      });
      sse(res, [chunk(` ${prompt}1`, null), chunk(` ${prompt}2`, null), chunk(undefined, "stop"), "[DONE]"]);
    });
    const chunks = await collect(await textCompletion(openai({ prompt: ["A", "B"], echo: true, stream: true })));
    const texts = new Map<number, string>();
    for (const chunk of chunks)
      for (const choice of chunk.choices) texts.set(choice.index, (texts.get(choice.index) ?? "") + choice.text);
    assert.deepEqual([...texts.entries()].sort(), [
      [0, "A A1 A2"],
      [1, "B B1 B2"],
    ]);
    assert.equal(new Set(chunks.map((c) => c.id)).size, 1);
    assert.equal(chunks.filter((c) => c.choices.some((x) => x.finish_reason !== null)).length, 2);
  });
});

describe("text completions through Anthropic", () => {
  test("n is fanned out (Anthropic makes one choice per call), max_tokens defaults, answers read as text", async () => {
    let call = 0;
    mock.always((req, res) => {
      call += 1;
      json(res, 200, {
        id: `msg_${call}`,
        type: "message",
        role: "assistant",
        model: "claude-3-5-sonnet-20241022",
        content: [
          { type: "text", text: `answer ${(req.json as { messages: { content: string }[] }).messages[0]?.content}` },
        ],
        stop_reason: "end_turn",
        stop_sequence: null,
        usage: { input_tokens: 4, output_tokens: 3 },
      });
    });
    const result = await textCompletion(anthropicModel({ prompt: "Why?", n: 2, stop: "\n" }));
    assert.equal(mock.requests.length, 2);
    assert.equal(mock.requests[0]?.path, "/v1/messages");
    assert.equal(mock.requests[0]?.headers["x-api-key"], "ak-test");
    assert.equal(mock.requests[0]?.headers["anthropic-version"], "2023-06-01");
    assert.deepEqual(mock.requests[0]?.json, {
      model: "claude-3-5-sonnet-20241022",
      max_tokens: 8192,
      messages: [{ role: "user", content: "Why?" }],
      stop_sequences: ["\n"],
    });
    assert.deepEqual(
      result.choices.map((c) => [c.index, c.text, c.finish_reason]),
      [
        [0, "answer Why?", "stop"],
        [1, "answer Why?", "stop"],
      ],
    );
    assert.match(result.id, /^cmpl-msg_/);
    assert.deepEqual(result.usage, { prompt_tokens: 8, completion_tokens: 6, total_tokens: 14 });
    assertOpenAI("CreateCompletionResponse", result);
  });

  test("logprobs cannot come from Anthropic: UnsupportedParamsError unless drop_params", async () => {
    const error = await rejection(textCompletion(anthropicModel({ prompt: "x", logprobs: 1 })));
    assert.ok(error instanceof UnsupportedParamsError);
    assert.equal(error.param, "logprobs");
  });

  test("Anthropic's full SSE sequence (with ping) streams as text chunks; an error event raises a typed error", async () => {
    const events = [
      [
        "message_start",
        {
          type: "message_start",
          message: {
            id: "msg_s",
            type: "message",
            role: "assistant",
            model: "claude-3-5-sonnet-20241022",
            content: [],
            stop_reason: null,
            stop_sequence: null,
            usage: { input_tokens: 5, output_tokens: 1 },
          },
        },
      ],
      ["content_block_start", { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }],
      ["ping", { type: "ping" }],
      ["content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Hello" } }],
      ["content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: " world" } }],
      ["content_block_stop", { type: "content_block_stop", index: 0 }],
      [
        "message_delta",
        {
          type: "message_delta",
          delta: { stop_reason: "max_tokens", stop_sequence: null },
          usage: { output_tokens: 2 },
        },
      ],
      ["message_stop", { type: "message_stop" }],
    ] as const;
    const body = events.map(([name, data]) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`).join("");
    mock.enqueue((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end(body);
    });
    const chunks = await collect(
      await textCompletion(
        anthropicModel({ prompt: "Say hello", stream: true, stream_options: { include_usage: true } }),
      ),
    );
    assert.deepEqual(
      chunks.map((c) => [c.choices.map((x) => [x.index, x.text, x.finish_reason]), c.usage ?? null]),
      [
        [[[0, "Hello", null]], null],
        [[[0, " world", null]], null],
        [[[0, "", "length"]], null],
        [[], { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 }],
      ],
    );
    for (const chunk of chunks) assertOpenAI("CreateCompletionStreamChunk", chunk);

    mock.enqueue((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end(
        `event: message_start\ndata: ${JSON.stringify(events[0][1])}\n\nevent: content_block_delta\ndata: ${JSON.stringify(events[3][1])}\n\n` +
          `event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n`,
      );
    });
    const iterator = (await textCompletion(anthropicModel({ prompt: "Say hello", stream: true })))[
      Symbol.asyncIterator
    ]();
    assert.equal((await iterator.next()).value?.choices[0]?.text, "Hello");
    const error = await rejection(iterator.next());
    assert.equal((error as { status?: number }).status, 503);
    assert.equal(error.message, "Overloaded");
  });
});

describe("fan-out lifecycle", () => {
  test("one failing call cancels its siblings: their upstream connections close at once", async () => {
    mock.always((req, res) => {
      const prompt = (req.json as { messages: { content: string }[] }).messages[0]?.content;
      if (prompt === "bad") {
        json(res, 400, { error: { message: "bad prompt", type: "invalid_request_error", param: null, code: null } });
        return;
      }
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(
        `data: ${JSON.stringify({ id: "chatcmpl-x", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta: { content: "a" }, logprobs: null, finish_reason: null }] })}\n\n`,
      );
      // ...and never finishes
    });
    const closedBefore = mock.closedSockets;
    const started = Date.now();
    const error = await rejection(textCompletion(openai({ prompt: ["ok1", "ok2", "bad"], stream: true, timeout: 30 })));
    assert.ok(error instanceof BadRequestError);
    await mock.socketClosed(closedBefore + 1);
    assert.ok(Date.now() - started < 5000);
  });

  test("stopping a merged stream early returns at once and closes every upstream", async () => {
    mock.always((req, res) => {
      const prompt = (req.json as { messages: { content: string }[] }).messages[0]?.content ?? "";
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(
        `data: ${JSON.stringify({ id: `chatcmpl-${prompt}`, object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta: { content: prompt }, logprobs: null, finish_reason: null }] })}\n\n`,
      );
    });
    const stream = await textCompletion(openai({ prompt: ["A", "B"], stream: true }));
    const started = Date.now();
    for await (const chunk of stream) {
      assert.equal(chunk.choices.length, 1);
      break;
    }
    assert.ok(Date.now() - started < 2000, `break took ${Date.now() - started} ms`);
    await mock.socketClosed(1);
  });

  test("a single call's usage details (cached, reasoning tokens) are carried over", async () => {
    const usage = {
      prompt_tokens: 10,
      completion_tokens: 2,
      total_tokens: 12,
      prompt_tokens_details: { cached_tokens: 8 },
      completion_tokens_details: { reasoning_tokens: 1 },
    };
    mock.always(answerChat({ usage }));
    const result = await textCompletion(openai({ prompt: "x" }));
    assert.deepEqual(result.usage, usage);
  });

  test("logprobs: false, OpenAI's default, is not refused where logprobs are unsupported", async () => {
    mock.always((_req, res) =>
      json(res, 200, {
        id: "msg_1",
        type: "message",
        role: "assistant",
        model: "c",
        content: [{ type: "text", text: "ok" }],
        stop_reason: "end_turn",
        stop_sequence: null,
        usage: { input_tokens: 1, output_tokens: 1 },
      }),
    );
    const { chatCompletion } = await import("../../src/index.js");
    const answer = await chatCompletion({
      model: "anthropic/claude-3-5-haiku-20241022",
      messages: [{ role: "user", content: "x" }],
      logprobs: false,
      api_key: "ak",
      api_base: mock.url,
    });
    assert.equal(answer.choices[0]?.message.content, "ok");
  });
});
