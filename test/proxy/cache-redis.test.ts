/**
 * The `redis` response cache on the real Redis (TEST_REDIS_URL; skipped loudly without it):
 * text and chat, streamed and not; two proxy instances sharing hits; the TTL kept by Redis;
 * large answers stored deflated; Redis cut mid-run (requests keep succeeding, one warning,
 * caching resumes when it is back); /cache/* on Redis, flushall touching only our keys.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Redis } from "ioredis";
import { ResponseCache } from "../../src/cache/response-cache.js";
import { chatAnswer, completionAnswer } from "../helpers/fixtures.js";
import { readEvents, startGateway, type TestGateway } from "../helpers/gateway.js";
import { call, MASTER_KEY } from "../helpers/keys.js";
import { json, MockUpstream, sse } from "../helpers/mock-upstream.js";
import {
  eventually,
  type Logged,
  recordingLogger,
  removeRedisKeys,
  sleep,
  uniqueName,
  warnSkipped,
} from "../helpers/services.js";
import { TcpRelay } from "../helpers/tcp-relay.js";

const REDIS_URL = process.env.TEST_REDIS_URL;
const SKIP = REDIS_URL === undefined ? "TEST_REDIS_URL is not set: Redis response cache tests skipped" : undefined;
warnSkipped(SKIP);

const chatChunks = (pieces: string[]) =>
  pieces.map((content, i) => ({
    id: "chatcmpl-r",
    object: "chat.completion.chunk",
    created: 1700000000,
    model: "chat-model",
    choices: [{ index: 0, delta: { content }, logprobs: null, finish_reason: i === pieces.length - 1 ? "stop" : null }],
  }));
const USAGE = { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 };
const KEY_HEADER = /^[0-9a-f]{64}$/;

describe("the redis response cache", { skip: SKIP }, () => {
  const url = REDIS_URL ?? "";
  const prefix = uniqueName("cache");
  let mock: MockUpstream;
  let admin: Redis;
  let relay: TcpRelay;
  let one: TestGateway;
  let two: TestGateway;
  let cut: TestGateway;
  let cutLog: Logged;

  const modelList = () => [
    {
      model_name: "instruct",
      litellm_params: { model: "text-completion-openai/instruct", api_key: "sk-u", api_base: `${mock.url}/v1` },
    },
    { model_name: "chat", litellm_params: { model: "openai/chat-model", api_key: "sk-u", api_base: `${mock.url}/v1` } },
  ];

  async function instance(redisUrl: string, logger?: Logged): Promise<TestGateway> {
    const recording = recordingLogger();
    if (logger !== undefined) Object.assign(logger, recording.log);
    const cache = ResponseCache.fromParams(
      { type: "redis", url: redisUrl },
      { keyPrefix: prefix, logger: logger === undefined ? undefined : recording.logger },
    );
    const gateway = await startGateway({ modelList: modelList(), masterKey: MASTER_KEY, router: { cache } });
    await eventually(async () => (await cache.ping()).healthy, "the cache's Redis answers");
    return gateway;
  }

  before(async () => {
    mock = await MockUpstream.start();
    mock.always((req, res) => {
      const body = req.json as { stream?: boolean; prompt?: string };
      const chat = req.path.endsWith("/chat/completions");
      if (body.stream === true) {
        sse(res, [...chatChunks(["Hello", " there"]), { ...chatChunks([""])[0], choices: [], usage: USAGE }, "[DONE]"]);
      } else if (chat) json(res, 200, chatAnswer("Hello there"));
      // A long prompt gets a long answer: one stored deflated.
      else json(res, 200, completionAnswer(body.prompt?.startsWith("long") ? { id: "x".repeat(4000) } : {}));
    });
    admin = new Redis(url);
    const target = new URL(url);
    relay = await TcpRelay.start(target.hostname, Number(target.port || 6379));
    one = await instance(url);
    two = await instance(url);
    cutLog = { warnings: [], infos: [] };
    cut = await instance(`redis://${relay.host}:${relay.port}`, cutLog);
  });
  after(async () => {
    await one?.close();
    await two?.close();
    await cut?.close();
    await relay?.stop();
    await mock?.close();
    admin?.disconnect();
    if (REDIS_URL !== undefined) await removeRedisKeys(REDIS_URL, prefix);
  });

  let prompts = 0;
  const fresh = (): string => `redis prompt ${++prompts} ${prefix}`;
  const post = (gateway: TestGateway, path: string, body: Record<string, unknown>) =>
    fetch(`${gateway.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${MASTER_KEY}` },
      body: JSON.stringify(body),
    });
  /** Waits until the entry of a request just answered is in Redis (an answer is stored after it is sent). */
  const stored = async (count: number) =>
    eventually(
      async () => (await admin.keys(`litegate:${prefix}:cache:*`)).length >= count,
      `${count} entries in Redis`,
    );
  const keys = async () => (await admin.keys(`litegate:${prefix}:cache:*`)).length;

  test("a miss on one instance is a hit on the other: text, not streamed", async () => {
    const body = { model: "instruct", prompt: fresh() };
    const before = mock.requests.length;
    const entries = await keys();
    const miss = await post(one, "/v1/completions", body);
    const missText = await miss.text();
    await stored(entries + 1);
    const hit = await post(two, "/v1/completions", body);
    assert.match(hit.headers.get("x-litellm-cache-key") ?? "", KEY_HEADER);
    assert.equal(hit.headers.get("x-litellm-response-cost"), "0");
    assert.equal(await hit.text(), missText);
    // The same entry replayed as a text stream.
    const streamed = await readEvents(await post(two, "/v1/completions", { ...body, stream: true }));
    const answer = JSON.parse(missText) as { choices: unknown[]; usage: unknown };
    assert.deepEqual(
      streamed.data.map((data) => (data === "[DONE]" ? data : (JSON.parse(data) as { choices: unknown[] }).choices)),
      [answer.choices, "[DONE]"],
    );
    assert.equal(mock.requests.length - before, 1);
  });

  test("chat streamed on one instance, replayed as a stream on the other and as an answer on the first", async () => {
    const messages = [{ role: "user", content: fresh() }];
    const before = mock.requests.length;
    const miss = await readEvents(await post(one, "/v1/chat/completions", { model: "chat", messages, stream: true }));
    assert.equal(miss.data.at(-1), "[DONE]");
    const hitResponse = await post(two, "/v1/chat/completions", {
      model: "chat",
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    assert.match(hitResponse.headers.get("x-litellm-cache-key") ?? "", KEY_HEADER);
    const head = { id: "chatcmpl-r", object: "chat.completion.chunk", created: 1700000000, model: "chat-model" };
    assert.deepEqual((await readEvents(hitResponse)).data, [
      JSON.stringify({
        ...head,
        choices: [
          {
            index: 0,
            delta: { role: "assistant", content: "Hello there" },
            logprobs: null,
            finish_reason: "stop",
          },
        ],
      }),
      JSON.stringify({ ...head, choices: [], usage: USAGE }),
      "[DONE]",
    ]);
    const plain = await post(one, "/v1/chat/completions", { model: "chat", messages });
    assert.deepEqual(await plain.json(), {
      id: "chatcmpl-r",
      object: "chat.completion",
      created: 1700000000,
      model: "chat-model",
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: "Hello there", refusal: null },
          logprobs: null,
          finish_reason: "stop",
        },
      ],
      usage: USAGE,
    });
    assert.equal(mock.requests.length - before, 1);
  });

  test("Redis keeps the TTL: the entry expires after the request's ttl", async () => {
    const body = { model: "instruct", prompt: fresh(), cache: { ttl: 1 } };
    const entries = await keys();
    await (await post(one, "/v1/completions", body)).text();
    await stored(entries + 1);
    const hit = await post(two, "/v1/completions", body);
    const key = hit.headers.get("x-litellm-cache-key") ?? "";
    await hit.text();
    const ttl = await admin.pttl(`litegate:${prefix}:cache:${key}`);
    assert.ok(ttl > 0 && ttl <= 1000, `pttl ${ttl}`);
    await sleep(1100);
    assert.equal(await admin.exists(`litegate:${prefix}:cache:${key}`), 0);
    const expired = await post(two, "/v1/completions", body);
    assert.equal(expired.headers.get("x-litellm-cache-key"), null);
    await expired.text();
  });

  test("a large answer is stored deflated, a small one as it is", async () => {
    const entries = await keys();
    const long = { model: "instruct", prompt: `long ${fresh()}` };
    const short = { model: "instruct", prompt: fresh() };
    const longText = await (await post(one, "/v1/completions", long)).text();
    await (await post(one, "/v1/completions", short)).text();
    await stored(entries + 2);
    const longHit = await post(two, "/v1/completions", long);
    const shortHit = await post(two, "/v1/completions", short);
    assert.equal(await longHit.text(), longText);
    await shortHit.text();
    const value = async (response: Response) =>
      admin.getBuffer(`litegate:${prefix}:cache:${response.headers.get("x-litellm-cache-key")}`);
    const longValue = await value(longHit);
    const shortValue = await value(shortHit);
    assert.equal(String.fromCharCode(longValue?.[0] ?? 0), "z");
    assert.ok((longValue?.length ?? 0) < longText.length / 4, `${longValue?.length} bytes for ${longText.length}`);
    assert.equal(String.fromCharCode(shortValue?.[0] ?? 0), "p");
  });

  test("Redis cut mid-run: requests keep succeeding with one warning; caching resumes when it is back", async () => {
    const body = { model: "instruct", prompt: fresh() };
    const entries = await keys();
    await (await post(cut, "/v1/completions", body)).text();
    await stored(entries + 1);
    const warm = await post(cut, "/v1/completions", body);
    assert.match(warm.headers.get("x-litellm-cache-key") ?? "", KEY_HEADER);
    await warm.text();
    // Redis used by the cache alone is Redis in use: readiness names it.
    const readiness = async () =>
      (await (await fetch(`${cut.url}/health/readiness`)).json()) as { redis: string; cache: string };
    assert.deepEqual(await readiness().then(({ redis, cache }) => ({ redis, cache })), {
      redis: "connected",
      cache: "redis",
    });

    await relay.stop();
    const before = mock.requests.length;
    for (let i = 0; i < 5; i++) {
      const response = await post(cut, "/v1/completions", body);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("x-litellm-cache-key"), null);
      await response.text();
    }
    assert.equal(mock.requests.length - before, 5);
    assert.equal(cutLog.warnings.length, 1, cutLog.warnings.join("\n"));
    assert.match(
      cutLog.warnings[0] ?? "",
      /^Redis unreachable at 127\.0\.0\.1:\d+; the response cache is off \(every request calls its model\) until it returns$/,
    );
    const ping = await call(cut.url, "GET", "/cache/ping", MASTER_KEY);
    assert.equal(ping.status, 503);
    assert.equal((await readiness()).redis, "disconnected");

    await relay.restart();
    await eventually(async () => (await call(cut.url, "GET", "/cache/ping", MASTER_KEY)).status === 200, "Redis back");
    const resumed = await post(cut, "/v1/completions", body);
    assert.match(resumed.headers.get("x-litellm-cache-key") ?? "", KEY_HEADER);
    await resumed.text();
    assert.equal(mock.requests.length - before, 5);
    assert.ok(cutLog.infos.some((line) => line.includes("reachable again")));
  });

  test("/cache/ping names redis; delete and flushall remove only this gateway's entries", async () => {
    const ping = await call(one.url, "GET", "/cache/ping", MASTER_KEY);
    assert.deepEqual(
      [ping.status, ping.body],
      [200, { status: "healthy", cache_type: "redis", ping_response: true, namespace: null }],
    );
    const body = { model: "instruct", prompt: fresh() };
    const entries = await keys();
    await (await post(one, "/v1/completions", body)).text();
    await stored(entries + 1);
    const hit = await post(one, "/v1/completions", body);
    const key = hit.headers.get("x-litellm-cache-key") ?? "";
    await hit.text();
    const deleted = await call(one.url, "POST", "/cache/delete", MASTER_KEY, { keys: [key] });
    assert.deepEqual(deleted.body, { status: "success", deleted: 1 });
    assert.equal(await admin.exists(`litegate:${prefix}:cache:${key}`), 0);
    const other = `litegate:${uniqueName("other")}:cache:keep`;
    await admin.set(other, "kept", "EX", 60);
    const flushed = await call(two.url, "POST", "/cache/flushall", MASTER_KEY);
    assert.equal(flushed.status, 200);
    assert.equal(await keys(), 0);
    assert.equal(await admin.get(other), "kept");
    await admin.del(other);
  });
});
