/**
 * The router end to end through the real proxy: a client talks to startGateway(), each
 * deployment is its own MockUpstream, one of them misbehaves (500, 429 with retry-after,
 * timeout, connection reset, a stream cut before its first byte) and traffic moves to the
 * healthy one. The routing headers, the all-cooling-down answers and /health are checked
 * exactly. Random draws are scripted and time is a fake clock.
 */
import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import type { LitellmParams, ModelEntry } from "../../src/config/index.js";
import type { GatewayOptions } from "../../src/proxy/server.js";
import { completionAnswer, streamChunks } from "../helpers/fixtures.js";
import { readEvents, startGateway, type TestGateway } from "../helpers/gateway.js";
import type { MockUpstream } from "../helpers/mock-upstream.js";
import {
  Clock,
  closeMocks,
  counts,
  cutAfterFirstChunk,
  cutBeforeFirstChunk,
  deployment,
  failure,
  hang,
  PROMPT,
  reset,
  resetMocks,
  sequence,
  startMocks,
  stream,
} from "../helpers/router.js";

let m: MockUpstream[];
before(async () => {
  m = await startMocks(3);
});
afterEach(() => resetMocks(m));
after(() => closeMocks(m));

const opened: TestGateway[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((gateway) => gateway.close()));
});

function dep(group: string, id: string, index: number, params: Partial<LitellmParams> = {}): ModelEntry {
  return deployment(group, id, m[index] as MockUpstream, params);
}

/** Group "g": deployment a on mock 0, b on mock 1. */
function pair(params: Partial<LitellmParams> = {}): ModelEntry[] {
  return [dep("g", "a", 0, params), dep("g", "b", 1, params)];
}

async function gateway(
  modelList: ModelEntry[],
  clock: Clock,
  router: GatewayOptions["router"] = {},
): Promise<TestGateway> {
  const started = await startGateway({ modelList, router: { now: clock.now, random: sequence(0), ...router } });
  opened.push(started);
  return started;
}

function post(gw: TestGateway, body: Record<string, unknown> = {}): Promise<Response> {
  return fetch(`${gw.url}/v1/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "g", ...PROMPT, ...body }),
  });
}

/** The routing headers of a response: [model id, attempted retries, attempted fallbacks]. */
function routing(response: Response): (string | null)[] {
  return ["x-litellm-model-id", "x-litellm-attempted-retries", "x-litellm-attempted-fallbacks"].map((name) =>
    response.headers.get(name),
  );
}

describe("one deployment failing, traffic moving to the healthy one", () => {
  test("500: retried on the other deployment; once cooled down, skipped", async () => {
    m[0]?.always(failure(500));
    const gw = await gateway(pair(), new Clock(), { num_retries: 1, allowed_fails: 0, cooldown_time: 30 });
    const first = await post(gw);
    assert.equal(first.status, 200);
    assert.deepEqual(await first.json(), completionAnswer());
    assert.deepEqual(routing(first), ["b", "1", "0"]);
    const second = await post(gw);
    assert.equal(second.status, 200);
    await second.body?.cancel();
    assert.deepEqual(routing(second), ["b", "0", "0"]);
    assert.deepEqual(counts(m), [1, 2, 0]);
  });

  test("429 with retry-after: passed to the client, and the deployment cools down at once for as long", async () => {
    const clock = new Clock();
    m[0]?.enqueue(
      failure(429, { message: "Rate limit reached for requests", code: "rate_limit_exceeded" }, { "retry-after": "2" }),
    );
    const gw = await gateway(pair(), clock, { cooldown_time: 1 });
    const limited = await post(gw);
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get("retry-after"), "2");
    assert.deepEqual(routing(limited), ["a", "0", "0"]);
    assert.deepEqual(await limited.json(), {
      error: {
        message: "Rate limit reached for requests",
        type: "rate_limit_error",
        param: null,
        code: "rate_limit_exceeded",
      },
    });
    for (let i = 0; i < 3; i += 1) {
      const response = await post(gw);
      await response.body?.cancel();
      assert.deepEqual(routing(response), ["b", "0", "0"]);
    }
    clock.advance(2_000);
    const back = await post(gw);
    await back.body?.cancel();
    assert.deepEqual(routing(back), ["a", "0", "0"]);
    assert.deepEqual(counts(m), [2, 3, 0]);
  });

  test("429 with retry-after-ms and num_retries: the other deployment answers at once; the limited one waits out its retry-after", async () => {
    let limitedAt = 0;
    m[0]?.always((req, res, raw) => {
      limitedAt = performance.now();
      return failure(429, {}, { "retry-after-ms": "150" })(req, res, raw);
    });
    const gw = await gateway(pair(), new Clock(), { num_retries: 1 });
    const response = await post(gw);
    const waited = performance.now() - limitedAt;
    assert.equal(response.status, 200);
    assert.deepEqual(routing(response), ["b", "1", "0"]);
    await response.body?.cancel();
    assert.ok(waited < 145, `answered ${waited} ms after the 429`);
  });

  test("timeout: a deployment that never answers is given up after its timeout", async () => {
    m[0]?.always(hang);
    const gw = await gateway([dep("g", "a", 0, { timeout: 0.2 }), dep("g", "b", 1)], new Clock(), { num_retries: 1 });
    const started = performance.now();
    const response = await post(gw);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), completionAnswer());
    assert.deepEqual(routing(response), ["b", "1", "0"]);
    assert.ok(performance.now() - started < 3_000);
    assert.deepEqual(counts(m), [1, 1, 0]);
  });

  test("timeout without a retry left: 504 to the client", async () => {
    m[0]?.always(hang);
    const gw = await gateway([dep("g", "a", 0)], new Clock(), { timeout: 0.2 });
    const response = await post(gw);
    assert.equal(response.status, 504);
    assert.equal(((await response.json()) as { error: { type: string } }).error.type, "timeout");
  });

  test("connection reset: retried on the other deployment", async () => {
    m[0]?.always(reset);
    const gw = await gateway(pair(), new Clock(), { num_retries: 1 });
    const response = await post(gw);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), completionAnswer());
    assert.deepEqual(routing(response), ["b", "1", "0"]);
  });

  test("a stream cut before its first byte: the client gets the other deployment's stream", async () => {
    m[0]?.always(cutBeforeFirstChunk);
    m[1]?.always(stream(["Hello", " world"]));
    const gw = await gateway(pair(), new Clock(), { num_retries: 1 });
    const response = await post(gw, { stream: true });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "text/event-stream");
    assert.deepEqual(routing(response), ["b", "1", "0"]);
    const { data } = await readEvents(response);
    assert.deepEqual(data, [...streamChunks(["Hello", " world"]).map((chunk) => JSON.stringify(chunk)), "[DONE]"]);
    assert.deepEqual(counts(m), [1, 1, 0]);
  });

  test("a stream cut after its first chunk is not retried: the client gets the chunk, then an error event", async () => {
    m[0]?.always(cutAfterFirstChunk("Hello"));
    const gw = await gateway(pair(), new Clock(), { num_retries: 3 });
    const response = await post(gw, { stream: true });
    assert.equal(response.status, 200);
    assert.deepEqual(routing(response), ["a", "0", "0"]);
    const { data } = await readEvents(response);
    assert.equal(data.length, 2);
    assert.equal(data[0], JSON.stringify(streamChunks(["Hello", "never sent"])[0]));
    assert.equal((JSON.parse(data[1] as string) as { error: { type: string } }).error.type, "api_connection_error");
    assert.deepEqual(counts(m), [1, 0, 0]);
  });
});

describe("fallbacks through the proxy", () => {
  test("a chain a -> b -> c: the headers count the fallbacks and name c's deployment", async () => {
    m[0]?.always(failure(500));
    m[1]?.always(failure(503));
    const modelList = [dep("a", "a1", 0), dep("b", "b1", 1), dep("c", "c1", 2)];
    const gw = await gateway(modelList, new Clock(), { fallbacks: [{ a: ["b"] }, { b: ["c"] }] });
    const response = await post(gw, { model: "a" });
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), completionAnswer());
    assert.deepEqual(routing(response), ["c1", "0", "2"]);
    assert.deepEqual(counts(m), [1, 1, 1]);
  });

  test("per-request fallbacks in the body", async () => {
    m[0]?.always(failure(500));
    const gw = await gateway([dep("a", "a1", 0), dep("b", "b1", 1)], new Clock());
    const response = await post(gw, { model: "a", fallbacks: ["b"] });
    assert.equal(response.status, 200);
    await response.body?.cancel();
    assert.deepEqual(routing(response), ["b1", "0", "1"]);
    assert.deepEqual(m[1]?.requests[0]?.json, { model: "gpt-3.5-turbo-instruct", ...PROMPT });
  });
});

describe("every deployment unavailable", () => {
  test("all cooling down after rate limits: the request goes to the one whose cooldown ends first (panic routing)", async () => {
    const clock = new Clock();
    m[0]?.enqueue(failure(429));
    m[1]?.enqueue(failure(429));
    const gw = await gateway(pair(), clock, { cooldown_time: 5 });
    assert.equal((await post(gw)).status, 429); // a, until +5 s
    clock.advance(1_000);
    assert.equal((await post(gw)).status, 429); // b, until +6 s
    const response = await post(gw);
    assert.equal(response.status, 200);
    assert.deepEqual(routing(response), ["a", "0", "0"]);
    assert.deepEqual(await response.json(), completionAnswer());
    assert.deepEqual(counts(m), [2, 1, 0]);
  });

  test("disable_panic_routing, all cooling down after rate limits: 429 JSON with retry-after, no upstream call", async () => {
    const clock = new Clock();
    m[0]?.enqueue(failure(429));
    m[1]?.enqueue(failure(429));
    const gw = await gateway(pair(), clock, { cooldown_time: 5, disable_panic_routing: true });
    assert.equal((await post(gw)).status, 429);
    assert.equal((await post(gw)).status, 429);
    clock.advance(1_500);
    const response = await post(gw);
    assert.equal(response.status, 429);
    assert.equal(response.headers.get("retry-after"), "4");
    assert.equal(response.headers.get("x-litellm-model-id"), null);
    assert.deepEqual(await response.json(), {
      error: {
        message: "Every deployment of 'g' is cooling down after rate limits; the first frees up in 4 s.",
        type: "rate_limit_error",
        param: null,
        code: "no_deployment_available",
      },
    });
    assert.deepEqual(counts(m), [1, 1, 0]);
  });

  test("disable_panic_routing, all cooling down after failures: 503 JSON with retry-after", async () => {
    m[0]?.always(failure(500));
    m[1]?.always(failure(502));
    const gw = await gateway(pair(), new Clock(), { allowed_fails: 0, cooldown_time: 7, disable_panic_routing: true });
    assert.equal((await post(gw)).status, 500);
    assert.equal((await post(gw)).status, 502);
    const response = await post(gw);
    assert.equal(response.status, 503);
    assert.equal(response.headers.get("retry-after"), "7");
    assert.deepEqual(await response.json(), {
      error: {
        message: "Every deployment of 'g' is cooling down after failures; the first frees up in 7 s.",
        type: "api_error",
        param: null,
        code: "no_deployment_available",
      },
    });
  });

  test("all at their rpm: 429 JSON with retry-after until the minute ends", async () => {
    const gw = await gateway(pair({ rpm: 1 }), new Clock());
    assert.equal((await post(gw)).status, 200);
    assert.equal((await post(gw)).status, 200);
    const response = await post(gw);
    assert.equal(response.status, 429);
    assert.equal(response.headers.get("retry-after"), "45");
    assert.deepEqual(await response.json(), {
      error: {
        message: "Every deployment of 'g' is at its rate limit or cooling down after one; the first frees up in 45 s.",
        type: "rate_limit_error",
        param: null,
        code: "rate_limit_exceeded",
      },
    });
    assert.deepEqual(counts(m), [1, 1, 0]);
  });
});

test("GET /health shows a cooled-down deployment and until when", async () => {
  const clock = new Clock();
  m[0]?.enqueue(failure(429));
  const gw = await gateway(pair(), clock, { cooldown_time: 30 });
  assert.equal((await post(gw)).status, 429);
  clock.advance(10_000);
  const response = await fetch(`${gw.url}/health`);
  assert.equal(response.status, 200);
  const endpoint = (id: string, index: number) => ({
    model: "text-completion-openai/gpt-3.5-turbo-instruct",
    model_name: "g",
    model_id: id,
    api_base: `${m[index]?.url}/v1`,
  });
  assert.deepEqual(await response.json(), {
    healthy_endpoints: [
      // Clock.START is 22:14:15Z; the 429 came then, with a 30 s cooldown.
      { ...endpoint("a", 0), cooldown_until: "2023-11-14T22:14:45.000Z", cooldown_cause: "rate_limit" },
      endpoint("b", 1),
    ],
    unhealthy_endpoints: [],
    healthy_count: 2,
    unhealthy_count: 0,
  });
  clock.advance(20_000);
  const later = (await (await fetch(`${gw.url}/health`)).json()) as { healthy_endpoints: Record<string, unknown>[] };
  assert.deepEqual(later.healthy_endpoints[0], endpoint("a", 0));
});
