/** Codestral FIM, Ollama and Mistral end to end through the SDK: fan-out per prompt and choice, NDJSON streams, chat. */
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { chatCompletion, textCompletion } from "../../src/index.js";
import { collect } from "../helpers/fixtures.js";
import { json, MockUpstream } from "../helpers/mock-upstream.js";
import { assertOpenAI } from "../helpers/openai-schema.js";

let mock: MockUpstream;
before(async () => {
  mock = await MockUpstream.start();
});
after(() => mock.close());
beforeEach(() => mock.reset());

describe("text-completion-codestral (FIM)", () => {
  test("a prompt list with n=2 and a suffix: one FIM call per prompt and choice, merged in OpenAI's order", async () => {
    let calls = 0;
    mock.always((req, res) => {
      calls += 1;
      const body = req.json as { prompt: string };
      json(res, 200, {
        id: `fim-${calls}`,
        object: "chat.completion",
        created: 1700000000,
        model: "codestral-latest",
        choices: [{ index: 0, message: { role: "assistant", content: `<${body.prompt}>` }, finish_reason: "stop" }],
        usage: { prompt_tokens: 2, completion_tokens: 1, total_tokens: 3 },
      });
    });
    const result = await textCompletion({
      model: "text-completion-codestral/codestral-latest",
      prompt: ["def a():", "def b():"],
      suffix: "return 1",
      n: 2,
      seed: 7,
      api_key: "cs-key",
      api_base: mock.url,
    });
    assert.equal(mock.requests.length, 4);
    for (const request of mock.requests) {
      assert.equal(request.path, "/v1/fim/completions");
      assert.equal(request.headers.authorization, "Bearer cs-key");
      const body = request.json as Record<string, unknown>;
      assert.equal(body.suffix, "return 1");
      assert.equal(body.random_seed, 7);
      assert.equal(body.n, undefined);
    }
    assert.deepEqual(
      result.choices.map((c) => [c.index, c.text]),
      [
        [0, "<def a():>"],
        [1, "<def a():>"],
        [2, "<def b():>"],
        [3, "<def b():>"],
      ],
    );
    assert.deepEqual(result.usage, { prompt_tokens: 8, completion_tokens: 4, total_tokens: 12 });
    assertOpenAI("CreateCompletionResponse", result);
  });
});

describe("ollama (/api/generate, NDJSON)", () => {
  test("a streamed completion: raw prompt, NDJSON read as text chunks, one usage chunk when asked", async () => {
    mock.always((_req, res) => {
      res.writeHead(200, { "content-type": "application/x-ndjson" });
      const lines = [
        { model: "qwen2.5-coder", created_at: "2024-01-01T00:00:00Z", response: "Hel", done: false },
        { model: "qwen2.5-coder", created_at: "2024-01-01T00:00:00Z", response: "lo", done: false },
        {
          model: "qwen2.5-coder",
          created_at: "2024-01-01T00:00:00Z",
          response: "",
          done: true,
          done_reason: "length",
          prompt_eval_count: 4,
          eval_count: 2,
        },
      ];
      res.end(`${lines.map((line) => JSON.stringify(line)).join("\n")}\n`);
    });
    const chunks = await collect(
      await textCompletion({
        model: "ollama/qwen2.5-coder",
        prompt: "Say",
        max_tokens: 2,
        stream: true,
        stream_options: { include_usage: true },
        api_base: mock.url,
      }),
    );
    const body = mock.requests[0]?.json as Record<string, unknown>;
    assert.equal(mock.requests[0]?.path, "/api/generate");
    assert.equal(body.raw, true);
    assert.equal(body.stream, true);
    assert.equal((body.options as Record<string, unknown>).num_predict, 2);
    assert.deepEqual(
      chunks.map((c) => [c.choices.map((x) => [x.index, x.text, x.finish_reason]), c.usage ?? null]),
      [
        [[[0, "Hel", null]], null],
        [[[0, "lo", null]], null],
        [[[0, "", "length"]], null],
        [[], { prompt_tokens: 4, completion_tokens: 2, total_tokens: 6 }],
      ],
    );
    assert.equal(new Set(chunks.map((c) => c.id)).size, 1);
    for (const chunk of chunks) assertOpenAI("CreateCompletionStreamChunk", chunk);
  });

  test('Ollama\'s {"error": "..."} answer keeps its message', async () => {
    mock.always((_req, res) => json(res, 404, { error: "model 'nope' not found, try pulling it first" }));
    const error = await textCompletion({ model: "ollama/nope", prompt: "x", api_base: mock.url }).catch(
      (e: unknown) => e,
    );
    assert.equal((error as Error).message, "model 'nope' not found, try pulling it first");
    assert.equal((error as { status: number }).status, 404);
  });
});

describe("mistral (chat) and ollama_chat", () => {
  test("text completions on mistral/ go through its chat endpoint; chat completions on ollama_chat/ through /api/chat", async () => {
    mock.enqueue((_req, res) =>
      json(res, 200, {
        id: "mistral-1",
        object: "chat.completion",
        created: 1700000000,
        model: "mistral-small-latest",
        choices: [{ index: 0, message: { role: "assistant", content: "Bonjour" }, finish_reason: "stop" }],
        usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
      }),
    );
    const text = await textCompletion({
      model: "mistral/mistral-small-latest",
      prompt: "Say hello in French",
      seed: 1,
      api_key: "m-key",
      api_base: `${mock.url}/v1`,
    });
    assert.equal(mock.requests[0]?.path, "/v1/chat/completions");
    assert.deepEqual((mock.requests[0]?.json as Record<string, unknown> | undefined)?.messages, [
      { role: "user", content: "Say hello in French" },
    ]);
    assert.equal((mock.requests[0]?.json as Record<string, unknown> | undefined)?.random_seed, 1);
    assert.equal(text.choices[0]?.text, "Bonjour");
    assert.equal(text.id, "cmpl-mistral-1");

    mock.enqueue((_req, res) =>
      json(res, 200, {
        model: "llama3.2",
        created_at: "2024-01-01T00:00:00Z",
        message: { role: "assistant", content: "Hi there" },
        done: true,
        done_reason: "stop",
        prompt_eval_count: 5,
        eval_count: 2,
      }),
    );
    const chat = await chatCompletion({
      model: "ollama_chat/llama3.2",
      messages: [{ role: "user", content: "Hi" }],
      api_base: mock.url,
    });
    assert.equal(mock.requests[1]?.path, "/api/chat");
    assert.equal(chat.choices[0]?.message.content, "Hi there");
    assert.deepEqual(chat.usage, { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 });
  });
});

describe("codestral/ chat", () => {
  test("chat completions on codestral/ go to Codestral's own host and key, at /v1/chat/completions", async () => {
    mock.always((_req, res) =>
      json(res, 200, {
        id: "cs-chat-1",
        object: "chat.completion",
        created: 1700000000,
        model: "codestral-latest",
        choices: [{ index: 0, message: { role: "assistant", content: "def f(): pass" }, finish_reason: "stop" }],
        usage: { prompt_tokens: 4, completion_tokens: 5, total_tokens: 9 },
      }),
    );
    const answer = await chatCompletion({
      model: "codestral/codestral-latest",
      messages: [{ role: "user", content: "a function" }],
      api_key: "cs-key",
      api_base: mock.url,
    });
    assert.equal(mock.requests[0]?.path, "/v1/chat/completions");
    assert.equal(mock.requests[0]?.headers.authorization, "Bearer cs-key");
    assert.equal(answer.choices[0]?.message.content, "def f(): pass");
  });
});
