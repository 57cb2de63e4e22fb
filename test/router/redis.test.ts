/**
 * Two proxy instances sharing router state through the real Redis at TEST_REDIS_URL (CI
 * sets it; without it every test here is skipped, saying so). Both instances serve the
 * same deployment ids, each deployment being one MockUpstream, so the mocks' logs show
 * what the pair did together: a cooldown set by one is honoured by the other, an rpm limit
 * holds across both, and Redis going away mid-run leaves both serving.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, afterEach, before, describe, test } from "node:test";
import type { LitellmParams, ModelEntry } from "../../src/config/index.js";
import { RedisState } from "../../src/state/redis-state.js";
import { MINUTE_MS, minuteOf } from "../../src/state/router-state.js";
import { completionAnswer } from "../helpers/fixtures.js";
import { startGateway, type TestGateway } from "../helpers/gateway.js";
import type { MockUpstream } from "../helpers/mock-upstream.js";
import {
  closeMocks,
  counts,
  deployment,
  failure,
  PROMPT,
  resetMocks,
  sequence,
  startMocks,
} from "../helpers/router.js";
import { TcpRelay } from "../helpers/tcp-relay.js";
import { removeRedisKeys } from "../helpers/services.js";

const REDIS_URL = process.env.TEST_REDIS_URL;
const SKIP_REDIS = "TEST_REDIS_URL is not set: Redis tests skipped";

if (REDIS_URL === undefined)
  console.warn(`\n*** ${SKIP_REDIS} (set TEST_REDIS_URL=redis://127.0.0.1:6379 to run them) ***\n`);

function redisTest(name: string, body: (url: string) => Promise<void>): void {
  if (REDIS_URL === undefined) {
    test(name, { skip: SKIP_REDIS }, () => {});
    return;
  }
  const url = REDIS_URL;
  test(name, () => body(url));
}

let m: MockUpstream[];
before(async () => {
  m = await startMocks(3);
});
afterEach(() => resetMocks(m));
after(() => closeMocks(m));

/** What one test opened, closed after it whatever happened; its keys removed from Redis. */
const opened: { gateways: TestGateway[]; states: RedisState[]; prefixes: string[] } = {
  gateways: [],
  states: [],
  prefixes: [],
};
afterEach(async () => {
  await Promise.all(opened.gateways.splice(0).map((gateway) => gateway.close()));
  await Promise.all(opened.states.splice(0).map((state) => state.close()));
  const prefixes = opened.prefixes.splice(0);
  if (REDIS_URL !== undefined) for (const prefix of prefixes) await removeRedisKeys(REDIS_URL, prefix);
});

interface Instance {
  gateway: TestGateway;
  state: RedisState;
  warnings: string[];
}

/**
 * Two gateways over the same deployments, each with its own RedisState on `url` under one
 * key prefix fresh for the test. Both read one frozen clock, so minutes and retry-after
 * values are exact; it is the real time of the test's start, so Redis key TTLs stay right.
 */
async function twoInstances(
  url: string,
  modelList: ModelEntry[],
  router: Record<string, unknown> = {},
  refreshMs = 50,
): Promise<[Instance, Instance, number]> {
  const keyPrefix = `router-test-${randomBytes(6).toString("hex")}`;
  opened.prefixes.push(keyPrefix);
  const frozen = Date.now();
  const instances: Instance[] = [];
  for (let i = 0; i < 2; i += 1) {
    const warnings: string[] = [];
    const state = RedisState.connect({
      url,
      keyPrefix,
      refreshMs,
      logger: { warn: (message) => warnings.push(message) },
    });
    opened.states.push(state);
    assert.equal(await state.ready(), true, `Redis at ${url} did not answer`);
    const gateway = await startGateway({
      modelList,
      router: { state, now: () => frozen, random: sequence(0), cooldown_time: 5, ...router },
    });
    opened.gateways.push(gateway);
    instances.push({ gateway, state, warnings });
  }
  return [instances[0] as Instance, instances[1] as Instance, frozen];
}

function post(instance: Instance, model = "g"): Promise<Response> {
  return fetch(`${instance.gateway.url}/v1/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model, ...PROMPT }),
  });
}

/** Sends a request; resolves with [status, x-litellm-model-id], the body read. */
async function send(instance: Instance, model = "g"): Promise<[number, string | null]> {
  const response = await post(instance, model);
  await response.arrayBuffer();
  return [response.status, response.headers.get("x-litellm-model-id")];
}

/** Polls until `check` holds, failing after `timeoutMs`. */
async function eventually(check: () => boolean, what: string, timeoutMs = 2_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) assert.fail(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Group "g": a on mock 0, b on mock 1; group "solo": s on mock 2. */
function models(params: Partial<LitellmParams> = {}): ModelEntry[] {
  return [
    deployment("g", "a", m[0] as MockUpstream, params),
    deployment("g", "b", m[1] as MockUpstream, params),
    deployment("solo", "s", m[2] as MockUpstream, params),
  ];
}

describe("two proxy instances sharing router state through Redis", () => {
  redisTest(
    "a cooldown is published as it happens: after one instance cools a deployment, the other sends it 0 of 20 requests",
    async (url) => {
      // Refreshes far apart: only the published cooldown can tell the second instance in time.
      const [one, two] = await twoInstances(url, models(), {}, 60_000);
      assert.deepEqual(await send(two), [200, "a"]);
      m[0]?.enqueue(failure(429));
      assert.deepEqual(await send(one), [429, "a"]);
      const served = await Promise.all(Array.from({ length: 20 }, () => send(two)));
      assert.deepEqual(
        served,
        Array.from({ length: 20 }, () => [200, "b"]),
      );
      assert.deepEqual(counts(m), [2, 20, 0]);
    },
  );

  redisTest(
    "a cooldown set by one instance (a 429) is honoured by the other: its next request goes to the other deployment",
    async (url) => {
      const [one, two] = await twoInstances(url, models());
      // Both have served from a: each has it in its local cache, refreshed from Redis.
      assert.deepEqual(await send(one), [200, "a"]);
      assert.deepEqual(await send(two), [200, "a"]);
      m[0]?.enqueue(failure(429));
      assert.deepEqual(await send(one), [429, "a"]);
      await eventually(
        () => two.state.cooldown("a", Date.now())?.cause === "rate_limit",
        "the second instance sees a's cooldown",
      );
      assert.deepEqual(await send(two), [200, "b"]);
      assert.deepEqual(await send(one), [200, "b"]);
      assert.deepEqual(await send(two), [200, "b"]);
      assert.deepEqual(counts(m), [3, 3, 0]);
    },
  );

  redisTest(
    "a group's only deployment is cooled on neither instance: after a 429 through one, the other still calls it",
    async (url) => {
      const [one, two] = await twoInstances(url, models());
      assert.deepEqual(await send(two, "solo"), [200, "s"]);
      m[2]?.enqueue(failure(429));
      assert.deepEqual(await send(one, "solo"), [429, "s"]);
      assert.deepEqual(await send(two, "solo"), [200, "s"]);
      assert.equal(two.state.cooldown("s", Date.now()), undefined);
      assert.deepEqual(counts(m), [0, 0, 3]);
    },
  );

  redisTest(
    "an rpm limit of 10 holds across both: 12 requests alternating, the 11th and 12th get 429 whichever instance they hit",
    async (url) => {
      const [one, two, frozen] = await twoInstances(url, models({ rpm: 10 }));
      const results: [number, string | null, unknown][] = [];
      for (let i = 0; i < 12; i += 1) {
        const response = await post(i % 2 === 0 ? one : two, "solo");
        results.push([response.status, response.headers.get("retry-after"), await response.json()]);
      }
      assert.equal(m[2]?.requests.length, 10);
      assert.deepEqual(
        results.slice(0, 10).map(([status, retryAfter, body]) => [status, retryAfter, body]),
        Array.from({ length: 10 }, () => [200, null, completionAnswer()]),
      );
      // Both instances read the clock frozen at the test's start: the minute frees up this long after it.
      const seconds = Math.max(1, Math.ceil((minuteOf(frozen) + MINUTE_MS - frozen) / 1000));
      const limited = [
        429,
        String(seconds),
        {
          error: {
            message: `Every deployment of 'solo' is at its rate limit or cooling down after one; the first frees up in ${seconds} s.`,
            type: "rate_limit_error",
            param: null,
            code: "rate_limit_exceeded",
          },
        },
      ];
      assert.deepEqual(results.slice(10), [limited, limited]);
    },
  );

  redisTest(
    "the rpm limit holds under concurrency too: 16 requests at once over both instances, exactly 10 served",
    async (url) => {
      const [one, two] = await twoInstances(url, models({ rpm: 10 }));
      const statuses = await Promise.all(
        Array.from({ length: 16 }, (_, i) => send(i % 2 === 0 ? one : two, "solo").then(([status]) => status)),
      );
      assert.equal(statuses.filter((status) => status === 200).length, 10);
      assert.equal(statuses.filter((status) => status === 429).length, 6);
      assert.equal(m[2]?.requests.length, 10);
    },
  );

  redisTest(
    "Redis becoming unreachable mid-run: both instances keep serving on local state, and warn once",
    async (url) => {
      const target = new URL(url);
      const relay = await TcpRelay.start(target.hostname, Number(target.port || 6379));
      try {
        const [one, two] = await twoInstances(`redis://127.0.0.1:${relay.port}`, models());
        assert.deepEqual(await send(one), [200, "a"]);
        assert.deepEqual(await send(two), [200, "a"]);
        assert.equal(one.state.status().shared, true);
        assert.equal(two.state.status().shared, true);

        await relay.stop();
        const started = Date.now();
        for (let i = 0; i < 6; i += 1) assert.deepEqual(await send(i % 2 === 0 ? one : two), [200, "a"]);
        assert.ok(Date.now() - started < 3_000, `6 requests took ${Date.now() - started} ms`);
        // Local rules still apply: a 429 cools a down on the instance that saw it.
        m[0]?.enqueue(failure(429));
        assert.deepEqual(await send(one), [429, "a"]);
        assert.deepEqual(await send(one), [200, "b"]);
        assert.deepEqual(await send(two), [200, "a"]);

        await eventually(() => one.warnings.length > 0 && two.warnings.length > 0, "both instances warn");
        for (const { warnings, state } of [one, two]) {
          assert.deepEqual(warnings, [
            `Redis unreachable at 127.0.0.1:${relay.port}; router state is local to this instance until it returns`,
          ]);
          assert.equal(state.status().shared, false);
        }
        assert.deepEqual(counts(m), [6 + 2 + 2, 1, 0]);
      } finally {
        await relay.stop();
      }
    },
  );
});
