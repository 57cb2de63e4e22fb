/**
 * Chat on text completion deployments (`text-completion-openai/`, `azure_text/`,
 * `text-completion-codestral/`), as LiteLLM serves it: the upstream sees a text completion
 * with LiteLLM's prompt, the client a chat.completion (and chat chunks), and the request's
 * usage is billed once.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";
import OpenAI from "openai";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import { completionAnswer, streamChunks } from "../helpers/fixtures.js";
import { readEvents, startGateway, type TestGateway } from "../helpers/gateway.js";
import { call, generateKey, MASTER_KEY } from "../helpers/keys.js";
import { json, MockUpstream, type RecordedRequest, sse } from "../helpers/mock-upstream.js";
import { assertOpenAIChat } from "../helpers/openai-chat-schema.js";

const USAGE = { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 };
/** Codestral's FIM endpoint answers in the chat shape (see src/providers/mistral/fim.ts). */
const FIM_ANSWER = {
  id: "fim-1",
  object: "chat.completion",
  created: 1700000000,
  model: "codestral-latest",
  choices: [{ index: 0, message: { role: "assistant", content: "hello" }, finish_reason: "stop", logprobs: null }],
  usage: USAGE,
};

const dir = mkdtempSync(join(tmpdir(), "litegate-chat-on-text-"));
let mock: MockUpstream;
let gateway: TestGateway;

/** The three prefixes: the deployment's name, what the mock sees, and what it answers. */
const DEPLOYMENTS = {
  openai: {
    name: "instruct",
    path: "/v1/completions",
    model: "gpt-3.5-turbo-instruct",
  },
  azure: {
    name: "azure-instruct",
    path: "/openai/deployments/my-instruct/completions",
    model: "my-instruct",
  },
  codestral: {
    name: "fim",
    path: "/v1/fim/completions",
    model: "codestral-latest",
  },
} as const;

before(async () => {
  mock = await MockUpstream.start();
  mock.always((req, res) => {
    if (req.path.endsWith("/fim/completions")) json(res, 200, FIM_ANSWER);
    else json(res, 200, completionAnswer());
  });
  gateway = await startGateway({
    modelList: [
      {
        model_name: "instruct",
        litellm_params: {
          model: "text-completion-openai/gpt-3.5-turbo-instruct",
          api_key: "sk-upstream",
          api_base: `${mock.url}/v1`,
        },
        model_info: { input_cost_per_token: 0.01, output_cost_per_token: 0.02 },
      },
      {
        model_name: "azure-instruct",
        litellm_params: {
          model: "azure_text/my-instruct",
          api_key: "azure-key",
          api_base: mock.url,
          api_version: "2024-10-21",
        },
      },
      {
        model_name: "fim",
        litellm_params: { model: "text-completion-codestral/codestral-latest", api_key: "cs-key", api_base: mock.url },
      },
      {
        model_name: "instruct-drop",
        litellm_params: {
          model: "text-completion-openai/gpt-3.5-turbo-instruct",
          api_key: "sk-upstream",
          api_base: `${mock.url}/v1`,
          drop_params: true,
        },
      },
    ],
    masterKey: MASTER_KEY,
    store: SqliteStore.open({ path: join(dir, "spend.db") }),
    spendWriter: { intervalMs: 20 },
  });
});
beforeEach(() => mock.reset());
after(async () => {
  await gateway.close();
  await mock.close();
  rmSync(dir, { recursive: true, force: true });
});

const client = () => new OpenAI({ apiKey: MASTER_KEY, baseURL: `${gateway.url}/v1`, maxRetries: 0 });

function chat(body: Record<string, unknown>, key = MASTER_KEY) {
  return call(gateway.url, "POST", "/v1/chat/completions", key, body);
}

const only = (): RecordedRequest => {
  assert.equal(mock.requests.length, 1);
  return mock.requests[0] as RecordedRequest;
};

describe("chat on a text deployment", () => {
  test("text-completion-openai: POST /completions with LiteLLM's prompt, answered as chat.completion", async () => {
    const answer = await chat({
      model: "instruct",
      messages: [{ role: "user", content: "Say this is a test" }],
      max_tokens: 7,
      temperature: 0,
      stop: ["\n\n\n"],
      user: "u1",
    });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const seen = only();
    assert.equal(seen.method, "POST");
    assert.equal(seen.path, DEPLOYMENTS.openai.path);
    assert.equal(seen.headers.authorization, "Bearer sk-upstream");
    assert.deepEqual(seen.json, {
      model: "gpt-3.5-turbo-instruct",
      prompt: "Say this is a test",
      max_tokens: 7,
      temperature: 0,
      stop: ["\n\n\n"],
      user: "u1",
    });
    assert.deepEqual(answer.body, {
      id: "chatcmpl-uqkvlQyYK7bGYrRHQ0eXlWi7",
      object: "chat.completion",
      created: 1589478378,
      model: "gpt-3.5-turbo-instruct",
      system_fingerprint: "fp_44709d6fcb",
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: "\n\nThis is indeed a test", refusal: null },
          logprobs: null,
          finish_reason: "length",
        },
      ],
      usage: USAGE,
    });
    assertOpenAIChat("CreateChatCompletionResponse", answer.body);
  });

  test("several messages become one prompt: contents joined by a space (LiteLLM's default_pt), text parts concatenated", async () => {
    const answer = await chat({
      model: "instruct",
      messages: [
        { role: "system", content: "You are terse." },
        {
          role: "user",
          content: [
            { type: "text", text: "Say " },
            { type: "text", text: "hi" },
          ],
        },
      ],
      max_completion_tokens: 3,
    });
    assert.equal(answer.status, 200);
    assert.deepEqual(only().json, { model: "gpt-3.5-turbo-instruct", prompt: "You are terse. Say hi", max_tokens: 3 });
  });

  test("azure_text: the deployment's /completions with api-version and api-key; contents concatenated (LiteLLM's azure_text_pt)", async () => {
    const answer = await chat({
      model: "azure-instruct",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Hi" },
      ],
      max_tokens: 5,
    });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const seen = only();
    assert.equal(seen.path, DEPLOYMENTS.azure.path);
    assert.deepEqual(seen.query, { "api-version": "2024-10-21" });
    assert.equal(seen.headers["api-key"], "azure-key");
    assert.deepEqual(seen.json, { model: "my-instruct", prompt: "Be brief.Hi", max_tokens: 5 });
    assert.equal(answer.body.object, "chat.completion");
    assertOpenAIChat("CreateChatCompletionResponse", answer.body);
  });

  test("text-completion-codestral: Mistral's FIM endpoint, seed as random_seed, n by one call per choice", async () => {
    const answer = await chat({
      model: "fim",
      messages: [{ role: "user", content: "def add(a, b):" }],
      max_tokens: 9,
      seed: 4,
      n: 2,
    });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(mock.requests.length, 2);
    for (const seen of mock.requests) {
      assert.equal(seen.path, DEPLOYMENTS.codestral.path);
      assert.equal(seen.headers.authorization, "Bearer cs-key");
      assert.deepEqual(seen.json, {
        model: "codestral-latest",
        prompt: "def add(a, b):",
        max_tokens: 9,
        random_seed: 4,
      });
    }
    assert.deepEqual(
      (answer.body.choices as { index: number; message: unknown; finish_reason: string }[]).map((choice) => [
        choice.index,
        choice.message,
        choice.finish_reason,
      ]),
      [
        [0, { role: "assistant", content: "hello", refusal: null }, "stop"],
        [1, { role: "assistant", content: "hello", refusal: null }, "stop"],
      ],
    );
    assert.deepEqual(answer.body.usage, { prompt_tokens: 10, completion_tokens: 14, total_tokens: 24 });
    assertOpenAIChat("CreateChatCompletionResponse", answer.body);
  });

  test("n and logprobs: n passed on, logprobs: true + top_logprobs: 2 asked as logprobs: 2, answered in the chat shape", async () => {
    mock.always((_req, res) =>
      json(
        res,
        200,
        completionAnswer({
          choices: [
            {
              text: "Hi",
              index: 0,
              logprobs: {
                tokens: ["Hi"],
                token_logprobs: [-0.5],
                top_logprobs: [{ Hi: -0.5, Hey: -1.5 }],
                text_offset: [0],
              },
              finish_reason: "stop",
            },
            { text: "Yo", index: 1, logprobs: null, finish_reason: "length" },
          ],
        }),
      ),
    );
    const answer = await chat({
      model: "instruct",
      messages: [{ role: "user", content: "Greet" }],
      n: 2,
      logprobs: true,
      top_logprobs: 2,
    });
    assert.equal(answer.status, 200);
    assert.deepEqual(only().json, { model: "gpt-3.5-turbo-instruct", prompt: "Greet", n: 2, logprobs: 2 });
    const choices = answer.body.choices as unknown[];
    assert.deepEqual(choices[0], {
      index: 0,
      message: { role: "assistant", content: "Hi", refusal: null },
      logprobs: {
        content: [
          {
            token: "Hi",
            logprob: -0.5,
            bytes: [72, 105],
            top_logprobs: [
              { token: "Hi", logprob: -0.5, bytes: [72, 105] },
              { token: "Hey", logprob: -1.5, bytes: [72, 101, 121] },
            ],
          },
        ],
        refusal: null,
      },
      finish_reason: "stop",
    });
    assert.deepEqual(choices[1], {
      index: 1,
      message: { role: "assistant", content: "Yo", refusal: null },
      logprobs: null,
      finish_reason: "length",
    });
    assertOpenAIChat("CreateChatCompletionResponse", answer.body);
  });

  test("tools are refused naming the field (a text model cannot call them), dropped with drop_params; never sent upstream", async () => {
    const tools = [{ type: "function", function: { name: "f", parameters: { type: "object" } } }];
    const refused = await chat({ model: "instruct", messages: [{ role: "user", content: "Hi" }], tools });
    assert.equal(refused.status, 400);
    assert.deepEqual(refused.body.error, {
      message:
        "text-completion-openai serves text completion models, which cannot call tools. Remove 'tools', use a chat deployment for tool calls, or set drop_params: true to drop it.",
      type: "invalid_request_error",
      param: "tools",
      code: "unsupported_param",
    });
    const format = await chat({
      model: "instruct",
      messages: [{ role: "user", content: "Hi" }],
      response_format: { type: "json_object" },
    });
    assert.equal(format.status, 400);
    assert.equal(format.body.error?.param, "response_format");
    const image = await chat({
      model: "instruct",
      messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "https://x/y.png" } }] }],
    });
    assert.equal(image.status, 400);
    assert.equal(image.body.error?.param, "messages.0.content.0");
    assert.equal(mock.requests.length, 0);
    const dropped = await chat({
      model: "instruct-drop",
      messages: [{ role: "user", content: "Hi" }],
      tools,
      tool_choice: "auto",
      response_format: { type: "json_object" },
    });
    assert.equal(dropped.status, 200);
    assert.deepEqual(only().json, { model: "gpt-3.5-turbo-instruct", prompt: "Hi" });
  });

  test("the official client, non-streamed, on every prefix", async () => {
    for (const deployment of Object.values(DEPLOYMENTS)) {
      mock.reset();
      const completion = await client().chat.completions.create({
        model: deployment.name,
        messages: [{ role: "user", content: "Hello" }],
      });
      assert.equal(only().path, deployment.path);
      assert.equal(completion.object, "chat.completion");
      assert.equal(completion.choices[0]?.message.role, "assistant");
      assertOpenAIChat("CreateChatCompletionResponse", JSON.parse(JSON.stringify(completion)));
    }
  });
});

describe("streamed chat on a text deployment", () => {
  test("text chunks become chat chunks: the role in each choice's first delta, finish_reason, the usage chunk when asked", async () => {
    const chunks = streamChunks(["Hel", "lo"]);
    mock.always((_req, res) => sse(res, [...chunks, { ...chunks[0], choices: [], usage: USAGE }, "[DONE]"]));
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${MASTER_KEY}` },
      body: JSON.stringify({
        model: "instruct",
        messages: [{ role: "user", content: "Say hello" }],
        stream: true,
        stream_options: { include_usage: true },
      }),
    });
    assert.equal(response.status, 200);
    const { data } = await readEvents(response);
    assert.deepEqual(only().json, {
      model: "gpt-3.5-turbo-instruct",
      prompt: "Say hello",
      stream: true,
      stream_options: { include_usage: true },
    });
    assert.equal(data.at(-1), "[DONE]");
    const parsed = data.slice(0, -1).map((item) => JSON.parse(item) as Record<string, unknown>);
    const head = {
      id: "chatcmpl-stream1",
      object: "chat.completion.chunk",
      created: 1700000000,
      model: "gpt-3.5-turbo-instruct",
    };
    assert.deepEqual(parsed, [
      {
        ...head,
        choices: [{ index: 0, delta: { role: "assistant", content: "Hel" }, logprobs: null, finish_reason: null }],
      },
      { ...head, choices: [{ index: 0, delta: { content: "lo" }, logprobs: null, finish_reason: "stop" }] },
      { ...head, choices: [], usage: USAGE },
    ]);
    for (const chunk of parsed) assertOpenAIChat("CreateChatCompletionStreamResponse", chunk);
  });

  test("the official client streams every prefix; without include_usage no usage chunk reaches it", async () => {
    for (const deployment of Object.values(DEPLOYMENTS)) {
      mock.reset();
      if (deployment === DEPLOYMENTS.codestral) {
        const fimChunk = (content: string, finish: string | null) => ({
          id: "fim-s",
          object: "chat.completion.chunk",
          created: 1700000000,
          model: "codestral-latest",
          choices: [{ index: 0, delta: { content }, finish_reason: finish }],
        });
        mock.always((_req, res) => sse(res, [fimChunk("Hel", null), fimChunk("lo", "stop"), "[DONE]"]));
      } else {
        mock.always((_req, res) => sse(res, [...streamChunks(["Hel", "lo"]), "[DONE]"]));
      }
      const stream = await client().chat.completions.create({
        model: deployment.name,
        messages: [{ role: "user", content: "Say hello" }],
        stream: true,
      });
      let text = "";
      const finishes: (string | null)[] = [];
      let first = true;
      for await (const chunk of stream) {
        assertOpenAIChat("CreateChatCompletionStreamResponse", JSON.parse(JSON.stringify(chunk)));
        assert.equal(chunk.object, "chat.completion.chunk");
        assert.equal(chunk.usage ?? null, null, deployment.name);
        const choice = chunk.choices[0];
        if (choice === undefined) continue;
        if (first) assert.equal(choice.delta.role, "assistant", deployment.name);
        first = false;
        text += choice.delta.content ?? "";
        finishes.push(choice.finish_reason);
      }
      assert.equal(text, "Hello", deployment.name);
      assert.equal(finishes.at(-1), "stop", deployment.name);
      assert.equal(only().path, deployment.path);
    }
  });
});

test("usage and spend are counted once: one spend record with the provider's tokens, streamed or not", async () => {
  const key = await generateKey(gateway.url);
  mock.always((_req, res) => json(res, 200, completionAnswer()));
  assert.equal((await chat({ model: "instruct", messages: [{ role: "user", content: "Hi" }] }, key)).status, 200);
  const chunks = streamChunks(["a", "b"]);
  mock.always((_req, res) => sse(res, [...chunks, { ...chunks[0], choices: [], usage: USAGE }, "[DONE]"]));
  const streamed = await fetch(`${gateway.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ model: "instruct", messages: [{ role: "user", content: "Hi" }], stream: true }),
  });
  const { data } = await readEvents(streamed);
  // The gateway asked upstream for usage on the client's behalf; the client, who did not, gets none.
  assert.equal(data.filter((item) => item.includes('"usage":{')).length, 0);
  const logs = await call(gateway.url, "GET", `/spend/logs?api_key=${key}`, MASTER_KEY);
  const rows = logs.body as unknown as Record<string, unknown>[];
  const hash = createHash("sha256").update(key).digest("hex");
  assert.deepEqual(
    rows.map((row) => [row.api_key, row.model_group, row.prompt_tokens, row.completion_tokens, row.spend, row.status]),
    [
      [hash, "instruct", 5, 7, 5 * 0.01 + 7 * 0.02, "success"],
      [hash, "instruct", 5, 7, 5 * 0.01 + 7 * 0.02, "success"],
    ],
  );
});
