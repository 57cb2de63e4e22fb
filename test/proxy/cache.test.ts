/**
 * The response cache (`local`) through the real proxy: text and chat, streamed and not, a miss
 * then a hit with exactly one upstream call; each per-request control; default_off; a per-key
 * namespace; a hit's headers, spend row and metrics; what is never stored (errors, a cut
 * stream); the key's rpm limit still applying and the deployment's not charged; /cache/*.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import OpenAI from "openai";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import { chatAnswer, completionAnswer, streamChunks } from "../helpers/fixtures.js";
import { readEvents, startGateway, type TestGateway } from "../helpers/gateway.js";
import { call, generateKey, MASTER_KEY } from "../helpers/keys.js";
import { json, MockUpstream, sse } from "../helpers/mock-upstream.js";
import { assertOpenAIChat } from "../helpers/openai-chat-schema.js";
import { assertOpenAI } from "../helpers/openai-schema.js";
import { sleep } from "../helpers/services.js";

const chatChunks = (pieces: string[]) =>
  pieces.map((content, i) => ({
    id: "chatcmpl-s",
    object: "chat.completion.chunk",
    created: 1700000000,
    model: "chat-model",
    choices: [
      {
        index: 0,
        delta: i === 0 ? { role: "assistant", content } : { content },
        logprobs: null,
        finish_reason: i === pieces.length - 1 ? "stop" : null,
      },
    ],
  }));
const USAGE = { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 };

let mock: MockUpstream;
let gateway: TestGateway;
const dir = mkdtempSync(join(tmpdir(), "litegate-cache-"));

/** The mock answers every request by its path and `stream`, with the usage chunk when asked. */
function answerAll(): void {
  mock.always((req, res) => {
    const body = req.json as Record<string, unknown>;
    const chat = req.path.endsWith("/chat/completions");
    if (body.stream !== true) {
      json(res, 200, chat ? chatAnswer("Hello there") : completionAnswer());
      return;
    }
    const chunks: object[] = chat ? chatChunks(["Hello", " there"]) : streamChunks(["Hi", " there"]);
    const usage = { ...(chunks[0] as Record<string, unknown>), choices: [], usage: USAGE };
    const asked = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
    sse(res, [...chunks, ...(asked ? [usage] : []), "[DONE]"]);
  });
}

const modelList = () => [
  {
    model_name: "instruct",
    litellm_params: { model: "text-completion-openai/instruct", api_key: "sk-upstream", api_base: `${mock.url}/v1` },
    model_info: { input_cost_per_token: 0.001, output_cost_per_token: 0.002 },
  },
  {
    model_name: "chat",
    litellm_params: { model: "openai/chat-model", api_key: "sk-upstream", api_base: `${mock.url}/v1` },
    model_info: { input_cost_per_token: 0.001, output_cost_per_token: 0.002 },
  },
  {
    model_name: "limited",
    litellm_params: { model: "text-completion-openai/instruct", api_key: "sk-upstream", api_base: `${mock.url}/v1` },
    rpm: 1,
  },
];

before(async () => {
  mock = await MockUpstream.start();
  answerAll();
  gateway = await startGateway({
    modelList: modelList(),
    masterKey: MASTER_KEY,
    store: await SqliteStore.open({ path: join(dir, "spend.db") }),
    spendWriter: { intervalMs: 20 },
    metrics: { requireAuth: true, endUserLabels: true, endUserLimit: 100 },
    router: { cache: { type: "local" } },
  });
});
after(async () => {
  await gateway.close();
  await mock.close();
  rmSync(dir, { recursive: true, force: true });
});

let prompts = 0;
/** A prompt no other test sends: each test starts with an empty entry. */
const fresh = (): string => `prompt ${++prompts} of ${process.pid}`;

function post(path: string, body: Record<string, unknown>, key: string = MASTER_KEY): Promise<Response> {
  return fetch(`${gateway.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify(body),
  });
}

/** How many upstream calls `body` costs: the mock's count before and after. */
async function upstreamCalls<T>(fn: () => Promise<T>): Promise<{ result: T; calls: number }> {
  const before = mock.requests.length;
  const result = await fn();
  return { result, calls: mock.requests.length - before };
}

const KEY_HEADER = /^[0-9a-f]{64}$/;

describe("a miss then a hit: one upstream call, the same body, the hit's headers", () => {
  test("text completion, not streamed", async () => {
    const body = { model: "instruct", prompt: fresh(), max_tokens: 7 };
    const { result, calls } = await upstreamCalls(async () => {
      const miss = await post("/v1/completions", body);
      const missText = await miss.text();
      const hit = await post("/v1/completions", body);
      return { miss, missText, hit, hitText: await hit.text() };
    });
    assert.equal(calls, 1);
    assert.equal(result.miss.status, 200);
    // LiteLLM sends the key on hits only: clients tell a hit by it.
    assert.equal(result.miss.headers.get("x-litellm-cache-key"), null);
    assert.equal(result.hit.status, 200);
    assert.match(result.hit.headers.get("x-litellm-cache-key") ?? "", KEY_HEADER);
    assert.equal(result.hit.headers.get("x-litellm-response-cost"), "0");
    assert.equal(result.hitText, result.missText);
    assert.deepEqual(JSON.parse(result.hitText), completionAnswer());
    assertOpenAI("CreateCompletionResponse", JSON.parse(result.hitText));
  });

  test("chat completion through the official openai client, not streamed", async () => {
    const client = new OpenAI({ apiKey: MASTER_KEY, baseURL: `${gateway.url}/v1` });
    const request = { model: "chat", messages: [{ role: "user" as const, content: fresh() }], temperature: 0 };
    const { result, calls } = await upstreamCalls(async () => [
      await client.chat.completions.create(request),
      await client.chat.completions.create(request).withResponse(),
    ]);
    const [miss, hit] = result as [OpenAI.ChatCompletion, { data: OpenAI.ChatCompletion; response: Response }];
    assert.equal(calls, 1);
    assert.deepEqual(hit.data, miss);
    assert.deepEqual(hit.data, chatAnswer("Hello there"));
    assert.match(hit.response.headers.get("x-litellm-cache-key") ?? "", KEY_HEADER);
    assertOpenAIChat("CreateChatCompletionResponse", hit.data);
  });

  test("text completion streamed: the hit replays as SSE, usage chunk when asked, [DONE]", async () => {
    const prompt = fresh();
    const { result, calls } = await upstreamCalls(async () => {
      const miss = await readEvents(await post("/v1/completions", { model: "instruct", prompt, stream: true }));
      const hitResponse = await post("/v1/completions", {
        model: "instruct",
        prompt,
        stream: true,
        stream_options: { include_usage: true },
      });
      const hit = await readEvents(hitResponse);
      const plain = await post("/v1/completions", { model: "instruct", prompt });
      return { miss, hit, hitResponse, plain: await plain.json() };
    });
    assert.equal(calls, 1);
    assert.deepEqual(result.miss.data, [...streamChunks(["Hi", " there"]).map((c) => JSON.stringify(c)), "[DONE]"]);
    assert.equal(result.hitResponse.headers.get("content-type"), "text/event-stream");
    assert.match(result.hitResponse.headers.get("x-litellm-cache-key") ?? "", KEY_HEADER);
    const head = {
      id: "cmpl-stream1",
      object: "text_completion",
      created: 1700000000,
      model: "gpt-3.5-turbo-instruct",
    };
    // The stored answer, gathered from the stream, played back: one chunk per choice, then usage.
    assert.deepEqual(result.hit.data, [
      JSON.stringify({ ...head, choices: [{ text: "Hi there", index: 0, logprobs: null, finish_reason: "stop" }] }),
      JSON.stringify({ ...head, choices: [], usage: USAGE }),
      "[DONE]",
    ]);
    for (const data of result.hit.data.slice(0, -1)) assertOpenAI("CreateCompletionStreamChunk", JSON.parse(data));
    // `stream` is not in the key: the streamed answer serves a plain request too.
    assert.deepEqual(result.plain, {
      ...head,
      choices: [{ text: "Hi there", index: 0, logprobs: null, finish_reason: "stop" }],
      usage: USAGE,
    });
  });

  test("chat streamed through the openai client: the hit's chunks read back the same text", async () => {
    const client = new OpenAI({ apiKey: MASTER_KEY, baseURL: `${gateway.url}/v1` });
    const request = { model: "chat", messages: [{ role: "user" as const, content: fresh() }] };
    const read = async () => {
      let text = "";
      const chunks: OpenAI.ChatCompletionChunk[] = [];
      for await (const chunk of await client.chat.completions.create({ ...request, stream: true })) {
        chunks.push(chunk);
        text += chunk.choices[0]?.delta.content ?? "";
      }
      return { text, chunks };
    };
    const { result, calls } = await upstreamCalls(async () => [await read(), await read()]);
    const [miss, hit] = result as [Awaited<ReturnType<typeof read>>, Awaited<ReturnType<typeof read>>];
    assert.equal(calls, 1);
    assert.equal(miss.text, "Hello there");
    assert.equal(hit.text, "Hello there");
    // No usage chunk: the client did not ask for one.
    assert.deepEqual(hit.chunks, [
      {
        id: "chatcmpl-s",
        object: "chat.completion.chunk",
        created: 1700000000,
        model: "chat-model",
        choices: [
          { index: 0, delta: { role: "assistant", content: "Hello there" }, logprobs: null, finish_reason: "stop" },
        ],
      },
    ]);
    for (const chunk of hit.chunks) assertOpenAIChat("CreateChatCompletionStreamResponse", chunk);
  });

  test("a streamed chat answer with tool calls is stored whole: a plain request gets them assembled", async () => {
    const content = fresh();
    const head = { id: "chatcmpl-t", object: "chat.completion.chunk", created: 1700000000, model: "chat-model" };
    const delta = (d: object, finish: string | null = null) => ({
      ...head,
      choices: [{ index: 0, delta: d, logprobs: null, finish_reason: finish }],
    });
    mock.enqueue((_req, res) =>
      sse(res, [
        delta({
          role: "assistant",
          content: null,
          tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "get_weather", arguments: "" } }],
        }),
        delta({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
        delta({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }, "tool_calls"),
        "[DONE]",
      ]),
    );
    const { result, calls } = await upstreamCalls(async () => {
      await readEvents(
        await post("/v1/chat/completions", { model: "chat", messages: [{ role: "user", content }], stream: true }),
      );
      return (await post("/v1/chat/completions", { model: "chat", messages: [{ role: "user", content }] })).json();
    });
    assert.equal(calls, 1);
    const message = {
      role: "assistant",
      content: null,
      refusal: null,
      tool_calls: [
        { id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
      ],
    };
    const answer = result as Record<string, unknown>;
    assert.deepEqual(answer.choices, [{ index: 0, message, logprobs: null, finish_reason: "tool_calls" }]);
    // Usage was counted (the provider sent none), so the stored answer has it.
    assert.equal(typeof (answer.usage as { total_tokens?: unknown }).total_tokens, "number");
    assertOpenAIChat("CreateChatCompletionResponse", answer);
  });
});

describe("per-request controls (the body's `cache` object)", () => {
  test("never sent upstream", async () => {
    const response = await post("/v1/completions", { model: "instruct", prompt: "controls", cache: { ttl: 60 } });
    assert.equal(response.status, 200);
    assert.deepEqual(mock.requests.at(-1)?.json, { model: "instruct", prompt: "controls" });
  });

  test("no-cache: the model is called though an entry exists, and the entry is refreshed", async () => {
    const body = { model: "instruct", prompt: fresh() };
    await post("/v1/completions", body);
    mock.enqueue((_req, res) => json(res, 200, completionAnswer({ id: "cmpl-refreshed" })));
    const { result, calls } = await upstreamCalls(async () => {
      const refreshed = await (await post("/v1/completions", { ...body, cache: { "no-cache": true } })).json();
      const hit = await post("/v1/completions", body);
      return { refreshed, hit, hitBody: await hit.json() };
    });
    assert.equal(calls, 1);
    assert.equal((result.refreshed as { id: string }).id, "cmpl-refreshed");
    assert.match(result.hit.headers.get("x-litellm-cache-key") ?? "", KEY_HEADER);
    assert.equal((result.hitBody as { id: string }).id, "cmpl-refreshed");
  });

  test("no-store: the answer is not written", async () => {
    const body = { model: "instruct", prompt: fresh() };
    const { calls } = await upstreamCalls(async () => {
      await post("/v1/completions", { ...body, cache: { "no-store": true } });
      await post("/v1/completions", body);
    });
    assert.equal(calls, 2);
  });

  test("ttl: the entry expires after it", async () => {
    const body = { model: "instruct", prompt: fresh() };
    const { calls } = await upstreamCalls(async () => {
      await post("/v1/completions", { ...body, cache: { ttl: 1 } });
      const hit = await post("/v1/completions", body);
      assert.match(hit.headers.get("x-litellm-cache-key") ?? "", KEY_HEADER);
      await sleep(1100);
      const expired = await post("/v1/completions", body);
      assert.equal(expired.headers.get("x-litellm-cache-key"), null);
    });
    assert.equal(calls, 2);
  });

  test("s-maxage: only an entry younger than it is accepted (s-max-age too)", async () => {
    const body = { model: "instruct", prompt: fresh() };
    const { calls } = await upstreamCalls(async () => {
      await post("/v1/completions", body);
      const young = await post("/v1/completions", { ...body, cache: { "s-maxage": 60 } });
      assert.match(young.headers.get("x-litellm-cache-key") ?? "", KEY_HEADER);
      await sleep(1100);
      const old = await post("/v1/completions", { ...body, cache: { "s-max-age": 1 } });
      assert.equal(old.headers.get("x-litellm-cache-key"), null);
    });
    assert.equal(calls, 2);
  });

  test("namespace: entries of another namespace are not read; the key names it", async () => {
    const body = { model: "instruct", prompt: fresh() };
    const { calls } = await upstreamCalls(async () => {
      await post("/v1/completions", body);
      await post("/v1/completions", { ...body, cache: { namespace: "team-x" } });
      const hit = await post("/v1/completions", { ...body, cache: { namespace: "team-x" } });
      assert.match(hit.headers.get("x-litellm-cache-key") ?? "", /^team-x:[0-9a-f]{64}$/);
    });
    assert.equal(calls, 2);
  });

  test("invalid values are 400s naming the field", async () => {
    const cases: [unknown, string, string][] = [
      ["yes", "cache", `Invalid 'cache': it must be an object of cache controls, e.g. {"no-cache": true}.`],
      [
        { ttl: -1 },
        "cache.ttl",
        "Invalid 'cache.ttl': it must be seconds, more than 0 and at most 315360000 (ten years).",
      ],
      [
        { ttl: 1e300 },
        "cache.ttl",
        "Invalid 'cache.ttl': it must be seconds, more than 0 and at most 315360000 (ten years).",
      ],
      [{ "no-cache": "true" }, "cache.no-cache", "Invalid 'cache.no-cache': it must be true or false."],
      [{ "s-maxage": "10" }, "cache.s-maxage", "Invalid 'cache.s-maxage': it must be seconds, 0 or more."],
      [
        { namespace: "" },
        "cache.namespace",
        "Invalid 'cache.namespace': it must be a non-empty string of at most 256 characters.",
      ],
      [
        { no_cache: true },
        "cache.no_cache",
        "Unknown cache control 'cache.no_cache'; the controls are no-cache, no-store, use-cache, ttl, s-maxage, s-max-age, namespace.",
      ],
    ];
    const before = mock.requests.length;
    for (const [cache, param, message] of cases) {
      const response = await post("/v1/chat/completions", {
        model: "chat",
        messages: [{ role: "user", content: "x" }],
        cache,
      });
      assert.equal(response.status, 400);
      assert.deepEqual(await response.json(), {
        error: { message, type: "invalid_request_error", param, code: "invalid_value" },
      });
    }
    assert.equal(mock.requests.length, before);
  });
});

describe("what is never stored", () => {
  test("an error answer", async () => {
    const body = { model: "instruct", prompt: fresh() };
    mock.enqueue((_req, res) => json(res, 400, { error: { message: "bad", type: "invalid_request_error" } }));
    const { calls } = await upstreamCalls(async () => {
      assert.equal((await post("/v1/completions", body)).status, 400);
      assert.equal((await post("/v1/completions", body)).status, 200);
    });
    assert.equal(calls, 2);
  });

  test("a stream cut before its end", async () => {
    const prompt = fresh();
    mock.enqueue((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(`data: ${JSON.stringify(streamChunks(["Hi", " there"])[0])}\n\n`);
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const { calls } = await upstreamCalls(async () => {
      const cut = await readEvents(await post("/v1/completions", { model: "instruct", prompt, stream: true }));
      assert.equal(JSON.parse(cut.data.at(-1) ?? "{}").error?.type !== undefined, true);
      const after = await post("/v1/completions", { model: "instruct", prompt });
      assert.equal(after.headers.get("x-litellm-cache-key"), null);
      await after.text();
    });
    assert.equal(calls, 2);
  });

  test("a stream the client left before its end", async () => {
    const prompt = fresh();
    mock.enqueue((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(`data: ${JSON.stringify(streamChunks(["Hi", " there"])[0])}\n\n`);
      res.on("close", () => res.destroy());
    });
    const response = await post("/v1/completions", { model: "instruct", prompt, stream: true });
    const reader = response.body?.getReader();
    await reader?.read();
    await reader?.cancel();
    await sleep(50);
    const { calls } = await upstreamCalls(async () =>
      (await post("/v1/completions", { model: "instruct", prompt })).text(),
    );
    assert.equal(calls, 1);
  });
});

describe("a hit's accounting", () => {
  test("spend row cache_hit true at cost 0, the miss's at its cost; metrics count hits and misses", async () => {
    const key = await generateKey(gateway.url, { key_alias: "cache-spend" });
    const body = { model: "instruct", prompt: fresh() };
    assert.equal((await post("/v1/completions", body, key)).status, 200);
    const hit = await post("/v1/completions", body, key);
    assert.equal(hit.headers.get("x-litellm-response-cost"), "0");
    await hit.text();
    let rows: Record<string, unknown>[] = [];
    for (let i = 0; i < 100 && rows.length < 2; i++) {
      await sleep(20);
      rows = (await call(gateway.url, "GET", `/spend/logs?api_key=${key}`, MASTER_KEY)).body as unknown as Record<
        string,
        unknown
      >[];
    }
    const seen = rows
      .map(({ cache_hit, spend, prompt_tokens, completion_tokens, model_group, status, model_id }) => ({
        cache_hit,
        spend,
        prompt_tokens,
        completion_tokens,
        model_group,
        status,
        model_id,
      }))
      .sort((a, b) => Number(a.cache_hit) - Number(b.cache_hit));
    assert.deepEqual(seen, [
      {
        cache_hit: false,
        spend: 5 * 0.001 + 7 * 0.002,
        prompt_tokens: 5,
        completion_tokens: 7,
        model_group: "instruct",
        status: "success",
        model_id: seen[0]?.model_id,
      },
      {
        cache_hit: true,
        spend: 0,
        prompt_tokens: 5,
        completion_tokens: 7,
        model_group: "instruct",
        status: "success",
        model_id: null,
      },
    ]);
    assert.equal(typeof seen[0]?.model_id, "string");
    const metrics = await (
      await fetch(`${gateway.url}/metrics`, { headers: { authorization: `Bearer ${MASTER_KEY}` } })
    ).text();
    const series = (name: string) =>
      metrics.split("\n").find((line) => line.startsWith(`${name}{`) && line.includes('api_key_alias="cache-spend"'));
    assert.match(series("litellm_cache_hits_metric_total") ?? "", /model="instruct".* 1$/);
    assert.match(series("litellm_cache_misses_metric_total") ?? "", /model="instruct".* 1$/);
    // The hit is no failed request.
    assert.equal(series("litellm_proxy_failed_requests_metric_total"), undefined);
    assert.match(
      gateway.logs.find((line) => line.cache_hit === true && line.key_alias === "cache-spend")?.cost?.toString() ?? "",
      /^0$/,
    );
  });

  test("the key's rpm limit still applies to hits", async () => {
    const key = await generateKey(gateway.url, { rpm_limit: 2 });
    const body = { model: "instruct", prompt: fresh() };
    assert.equal((await post("/v1/completions", body, key)).status, 200);
    assert.equal((await post("/v1/completions", body, key)).status, 200);
    const third = await post("/v1/completions", body, key);
    assert.equal(third.status, 429);
    await third.text();
  });

  test("hits take nothing of the deployment's rpm", async () => {
    const body = { model: "limited", prompt: fresh() };
    const { calls } = await upstreamCalls(async () => {
      for (let i = 0; i < 4; i++) {
        const response = await post("/v1/completions", body);
        assert.equal(response.status, 200, await response.text());
      }
    });
    assert.equal(calls, 1);
  });

  test("two keys asking the same share the entry; a key's metadata.redis_namespace keeps its own", async () => {
    const one = await generateKey(gateway.url);
    const two = await generateKey(gateway.url);
    const own = await generateKey(gateway.url, { metadata: { redis_namespace: "team-a" } });
    const body = { model: "instruct", prompt: fresh() };
    const { calls } = await upstreamCalls(async () => {
      await (await post("/v1/completions", body, one)).text();
      const shared = await post("/v1/completions", body, two);
      assert.match(shared.headers.get("x-litellm-cache-key") ?? "", KEY_HEADER);
      await (await post("/v1/completions", body, own)).text();
      const ownHit = await post("/v1/completions", body, own);
      assert.match(ownHit.headers.get("x-litellm-cache-key") ?? "", /^team-a:[0-9a-f]{64}$/);
      // A namespace partitions entries, it does not lock them (as in LiteLLM): a key without one
      // that names team-a in its request reads team-a's entry...
      const named = await post("/v1/completions", { ...body, cache: { namespace: "team-a" } }, one);
      assert.match(named.headers.get("x-litellm-cache-key") ?? "", /^team-a:[0-9a-f]{64}$/);
      // ...while a key with its own namespace cannot be moved out of it by a request.
      const kept = await post("/v1/completions", { ...body, cache: { namespace: "elsewhere" } }, own);
      assert.match(kept.headers.get("x-litellm-cache-key") ?? "", /^team-a:[0-9a-f]{64}$/);
    });
    assert.equal(calls, 2);
  });

  test("a fallback's answer is not stored under the model group asked for", async () => {
    const prompt = fresh();
    const { calls } = await upstreamCalls(async () => {
      // mock_testing_fallbacks fails "instruct" on purpose: "chat" answers (text on chat).
      const fellBack = await post("/v1/completions", {
        model: "instruct",
        prompt,
        fallbacks: ["chat"],
        mock_testing_fallbacks: true,
      });
      assert.equal(fellBack.status, 200);
      assert.equal(fellBack.headers.get("x-litellm-attempted-fallbacks"), "1");
      await fellBack.text();
      const asked = await post("/v1/completions", { model: "instruct", prompt });
      assert.equal(asked.headers.get("x-litellm-cache-key"), null);
      await asked.text();
      const hit = await post("/v1/completions", { model: "instruct", prompt });
      assert.match(hit.headers.get("x-litellm-cache-key") ?? "", KEY_HEADER);
      await hit.text();
    });
    assert.equal(calls, 2);
  });

  test("caching: false (LiteLLM's per-request switch) neither reads nor writes the cache", async () => {
    const body = { model: "instruct", prompt: fresh() };
    const { calls } = await upstreamCalls(async () => {
      await (await post("/v1/completions", body)).text();
      const skipped = await post("/v1/completions", { ...body, caching: false });
      assert.equal(skipped.status, 200);
      assert.equal(skipped.headers.get("x-litellm-cache-key"), null);
      await skipped.text();
      const other = { model: "instruct", prompt: fresh() };
      await (await post("/v1/completions", { ...other, caching: false })).text();
      const stillMiss = await post("/v1/completions", other);
      assert.equal(stillMiss.headers.get("x-litellm-cache-key"), null);
      await stillMiss.text();
    });
    assert.equal(calls, 4);
  });
});

describe("/cache/* routes: the master key only", () => {
  test("ping, delete and flushall", async () => {
    const ping = await call(gateway.url, "GET", "/cache/ping", MASTER_KEY);
    assert.equal(ping.status, 200);
    assert.deepEqual(ping.body, { status: "healthy", cache_type: "local", ping_response: true, namespace: null });

    const body = { model: "instruct", prompt: fresh() };
    await (await post("/v1/completions", body)).text();
    const hit = await post("/v1/completions", body);
    const key = hit.headers.get("x-litellm-cache-key") ?? "";
    const deleted = await call(gateway.url, "POST", "/cache/delete", MASTER_KEY, { keys: [key, "no-such-key"] });
    assert.deepEqual([deleted.status, deleted.body], [200, { status: "success", deleted: 1 }]);
    const { calls } = await upstreamCalls(async () => {
      await (await post("/v1/completions", body)).text();
      const flushed = await call(gateway.url, "POST", "/cache/flushall", MASTER_KEY);
      assert.deepEqual([flushed.status, flushed.body], [200, { status: "success" }]);
      await (await post("/v1/completions", body)).text();
    });
    assert.equal(calls, 2);

    const bad = await call(gateway.url, "POST", "/cache/delete", MASTER_KEY, { keys: "k" });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error?.param, "keys");
  });

  test("/health/readiness names the cache's type, as LiteLLM's does", async () => {
    const readiness = await call(gateway.url, "GET", "/health/readiness", undefined);
    assert.equal(readiness.status, 200);
    assert.equal(readiness.body.cache, "local");
  });

  test("403 with a virtual key, 401 with none", async () => {
    const key = await generateKey(gateway.url);
    for (const [method, path] of [
      ["GET", "/cache/ping"],
      ["POST", "/cache/delete"],
      ["POST", "/cache/flushall"],
    ] as const) {
      const body = method === "POST" ? { keys: ["k"] } : undefined;
      const virtual = await call(gateway.url, method, path, key, body);
      assert.equal(virtual.status, 403, path);
      assert.equal(virtual.body.error?.code, "master_key_required");
      assert.equal((await call(gateway.url, method, path, undefined, body)).status, 401, path);
    }
  });
});

test("mode default_off: only requests with cache.use-cache are cached", async () => {
  const optIn = await startGateway({
    modelList: modelList(),
    router: { cache: { type: "local", mode: "default_off" } },
  });
  try {
    const body = { model: "instruct", prompt: fresh() };
    const send = () =>
      fetch(`${optIn.url}/v1/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const sendOptIn = () =>
      fetch(`${optIn.url}/v1/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ ...body, cache: { "use-cache": true } }),
      });
    const { calls } = await upstreamCalls(async () => {
      await (await send()).text();
      await (await send()).text();
      await (await sendOptIn()).text();
      const hit = await sendOptIn();
      assert.match(hit.headers.get("x-litellm-cache-key") ?? "", KEY_HEADER);
    });
    assert.equal(calls, 3);
  } finally {
    await optIn.close();
  }
});

test("without a cache, /cache/ping is a 503 saying how to turn it on", async () => {
  const plain = await startGateway({ modelList: modelList() });
  try {
    const ping = await call(plain.url, "GET", "/cache/ping", undefined);
    assert.equal(ping.status, 503);
    assert.deepEqual(ping.body.error, {
      message:
        "The response cache is off: set litellm_settings.cache: true (and cache_params) in config.yaml and restart the gateway.",
      type: "api_error",
      param: null,
      code: "cache_not_initialized",
    });
  } finally {
    await plain.close();
  }
});
