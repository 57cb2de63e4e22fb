/**
 * RedisState between instances, against the real Redis at TEST_REDIS_URL (skipped loudly
 * without it; CI sets it). The unreachable-Redis case needs no Redis and always runs.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, describe, test } from "node:test";
import { Redis } from "ioredis";
import { RedisState, type RedisStateOptions } from "../../src/state/redis-state.js";
import { MINUTE_MS, minuteOf } from "../../src/state/router-state.js";
import { TcpRelay } from "../helpers/tcp-relay.js";
import { type Logged, recordingLogger, removeRedisKeys } from "../helpers/services.js";

const REDIS_URL = process.env.TEST_REDIS_URL;
const SKIP_REDIS = "TEST_REDIS_URL is not set: Redis tests skipped";
const UNREACHABLE = /^Redis unreachable at 127\.0\.0\.1:\d+; router state is local to this instance until it returns$/;

/** One key prefix for this run: every key it creates is removed at the end. */
const keyPrefix = `test-${randomBytes(6).toString("hex")}`;
const opened: RedisState[] = [];

function open(options: RedisStateOptions = {}): { state: RedisState; log: Logged } {
  const { log, logger } = recordingLogger();
  const state = RedisState.connect({ url: REDIS_URL, keyPrefix, logger, ...options });
  opened.push(state);
  return { state, log };
}

async function pair(): Promise<[RedisState, RedisState]> {
  const a = open().state;
  const b = open().state;
  assert.equal(await a.ready(), true, "Redis at TEST_REDIS_URL did not answer");
  assert.equal(await b.ready(), true, "Redis at TEST_REDIS_URL did not answer");
  return [a, b];
}

/** Polls until `check` holds, failing after `timeoutMs`; resolves with the ms it took. */
async function eventually(check: () => boolean, what: string, timeoutMs = 2_000): Promise<number> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) assert.fail(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return Date.now() - start;
}

const unique = (name: string): string => `${name}-${randomBytes(3).toString("hex")}`;

function redisTest(name: string, body: (url: string) => Promise<void>): void {
  if (REDIS_URL === undefined) {
    test(name, { skip: SKIP_REDIS }, () => {});
    return;
  }
  const url = REDIS_URL;
  test(name, () => body(url));
}

if (REDIS_URL === undefined)
  console.warn(`\n*** ${SKIP_REDIS} (set TEST_REDIS_URL=redis://127.0.0.1:6379 to run them) ***\n`);

after(async () => {
  await Promise.all(opened.map((state) => state.close()));
  if (REDIS_URL !== undefined) await removeRedisKeys(REDIS_URL, keyPrefix);
});

describe("RedisState shared between instances", () => {
  redisTest("an rpm limit holds exactly across two instances under concurrency", async () => {
    const [a, b] = await pair();
    const now = Date.now();
    const id = unique("rpm");
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? a : b).takeRequest(id, 10, now)),
    );
    assert.equal(results.filter((result) => result === undefined).length, 10);
    for (const result of results.filter((result) => result !== undefined)) {
      assert.ok(typeof result === "number" && result > 0 && result <= MINUTE_MS, `retry-after ${result}`);
      assert.equal(result, minuteOf(now) + MINUTE_MS - now);
    }
    // Both instances see the shared count, not only their own requests.
    assert.equal(a.minuteUsage(id, now).requests, 10);
    assert.equal(b.minuteUsage(id, now).requests, 10);
  });

  redisTest("many deployments and instances under load never overshoot", async () => {
    const instances = [...(await pair()), ...(await pair())];
    const now = Date.now();
    const ids = [unique("load"), unique("load"), unique("load")];
    const calls = ids.flatMap((id) =>
      Array.from({ length: 120 }, (_, i) => ({ id, state: instances[i % instances.length] })),
    );
    const results = await Promise.all(
      calls.map(({ id, state }) => state!.takeRequest(id, 50, now).then((result) => ({ id, result }))),
    );
    for (const id of ids) assert.equal(results.filter((r) => r.id === id && r.result === undefined).length, 50, id);
  });

  redisTest("tokens, requests and failures are counted across instances", async () => {
    const [a, b] = await pair();
    const now = Date.now();
    const id = unique("usage");
    a.addTokens(id, 100, now);
    b.addTokens(id, 50, now);
    await a.takeRequest(id, undefined, now);
    await b.takeRequest(id, undefined, now);
    await eventually(
      () => a.minuteUsage(id, now).tokens === 150 && b.minuteUsage(id, now).tokens === 150,
      "150 tokens on both",
    );
    await eventually(
      () => a.minuteUsage(id, now).requests === 2 && b.minuteUsage(id, now).requests === 2,
      "2 requests on both",
    );
    assert.equal(await a.recordFailure(id, now), 1);
    assert.equal(await b.recordFailure(id, now), 2);
    assert.equal(await a.recordFailure(id, now), 3);
    assert.deepEqual(
      await Promise.all([a.recordFailure(id, now), b.recordFailure(id, now)]).then((counts) => counts.sort()),
      [4, 5],
    );
  });

  redisTest("a cooldown set on one instance is honoured by the other within the refresh interval", async () => {
    const [a, b] = await pair();
    const id = unique("cool");
    assert.equal(b.cooldown(id, Date.now()), undefined);
    const until = Date.now() + 10_000;
    void a.setCooldown(id, { until, cause: "rate_limit" });
    const took = await eventually(() => b.cooldown(id, Date.now()) !== undefined, "b sees a's cooldown");
    assert.ok(took <= 1_000, `seen after ${took} ms`);
    assert.deepEqual(b.cooldown(id, Date.now()), { until, cause: "rate_limit" });
    // A longer cooldown from b reaches a; a shorter one from a does not cut it.
    void b.setCooldown(id, { until: until + 5_000, cause: "failure" });
    void a.setCooldown(id, { until: until - 5_000, cause: "rate_limit" });
    await eventually(() => a.cooldown(id, Date.now())?.until === until + 5_000, "a sees b's longer cooldown");
    await new Promise((resolve) => setTimeout(resolve, 400)); // more than a refresh interval
    assert.deepEqual(a.cooldown(id, Date.now()), { until: until + 5_000, cause: "failure" });
    assert.deepEqual(b.cooldown(id, Date.now()), { until: until + 5_000, cause: "failure" });
  });

  redisTest("latency averages the samples of every instance", async () => {
    const [a, b] = await pair();
    const now = Date.now();
    const id = unique("lat");
    a.recordLatency(id, 10, now);
    b.recordLatency(id, 20, now);
    await eventually(() => a.latency(id, now, 60_000) === 15 && b.latency(id, now, 60_000) === 15, "15 ms on both");
  });

  redisTest("in-flight requests add up across instances and leave with a closed instance", async () => {
    const [a, b] = await pair();
    const id = unique("busy");
    a.startRequest(id);
    a.startRequest(id);
    b.startRequest(id);
    assert.equal(a.inFlight(id), 2); // own requests count at once
    await eventually(() => a.inFlight(id) === 3 && b.inFlight(id) === 3, "3 in flight on both");
    b.endRequest(id);
    await eventually(() => a.inFlight(id) === 2 && b.inFlight(id) === 2, "2 in flight on both");
    await a.close();
    await eventually(() => b.inFlight(id) === 0, "a's requests gone with a");
  });

  redisTest("in-flight counts of an instance that stopped heartbeating are ignored", async (url) => {
    const [a] = await pair();
    const id = unique("stale");
    assert.equal(a.inFlight(id), 0);
    const redis = new Redis(url);
    try {
      const [seconds] = await redis.time();
      const redisNow = Number(seconds) * 1000;
      await redis.hset(
        `litegate:${keyPrefix}:busy:${id}`,
        "crashed",
        `5|${redisNow - 60_000}`,
        "alive",
        `2|${redisNow}`,
      );
      await redis.pexpire(`litegate:${keyPrefix}:busy:${id}`, 30_000);
    } finally {
      redis.disconnect();
    }
    await eventually(() => a.inFlight(id) === 2, "only the live instance's 2 requests");
  });

  redisTest("keys are namespaced under litegate:<keyPrefix>: and all expire", async (url) => {
    const [a] = await pair();
    const now = Date.now();
    const id = unique("ttl");
    await a.takeRequest(id, 5, now);
    await a.recordFailure(id, now);
    a.addTokens(id, 3, now);
    void a.setCooldown(id, { until: now + 1_000, cause: "failure" });
    a.recordLatency(id, 4, now);
    a.startRequest(id);
    await eventually(() => a.latency(id, now, 60_000) === 4, "writes landed");
    const redis = new Redis(url);
    try {
      const keys = (await redis.keys(`litegate:${keyPrefix}:*:${id}*`)).sort();
      assert.deepEqual(
        keys.map((key) => key.slice(`litegate:${keyPrefix}:`.length)),
        [
          `busy:${id}`,
          `cool:${id}`,
          `fail:${id}:${minuteOf(now)}`,
          `lat:${id}`,
          `req:${id}:${minuteOf(now)}`,
          `tok:${id}:${minuteOf(now)}`,
        ],
      );
      for (const key of keys) {
        const ttl = await redis.pttl(key);
        assert.ok(ttl > 0, `${key} expires (pttl ${ttl})`);
      }
      assert.ok((await redis.pttl(`litegate:${keyPrefix}:req:${id}:${minuteOf(now)}`)) <= 120_000);
    } finally {
      redis.disconnect();
    }
    a.endRequest(id);
  });

  redisTest("the local cache stays within maxEntries", async () => {
    const { state } = open({ maxEntries: 5 });
    assert.equal(await state.ready(), true);
    for (let i = 0; i < 50; i += 1) state.cooldown(unique("lru"), Date.now());
    assert.equal(state.status().cachedDeployments, 5);
    assert.equal(state.status().shared, true);
  });

  redisTest("Redis going away and coming back: local state meanwhile, shared again after", async (url) => {
    const target = new URL(url);
    const proxy = await TcpRelay.start(target.hostname, Number(target.port || 6379));
    const { state: a, log } = open({ url: `redis://${proxy.host}:${proxy.port}` });
    const b = open().state;
    assert.equal(await a.ready(), true);
    assert.equal(await b.ready(), true);
    const now = Date.now();
    const id = unique("outage");

    await proxy.stop();
    await eventually(() => !a.status().shared, "a notices the outage");
    const started = Date.now();
    assert.equal(await a.takeRequest(id, 2, now), undefined);
    assert.equal(await a.takeRequest(id, 2, now), undefined);
    assert.equal(typeof (await a.takeRequest(id, 2, now)), "number");
    assert.ok(Date.now() - started < 100, "local answers are immediate");
    const until = Date.now() + 20_000;
    void a.setCooldown(id, { until, cause: "failure" });
    assert.deepEqual(a.cooldown(id, Date.now()), { until, cause: "failure" });
    assert.equal(b.cooldown(id, Date.now()), undefined);
    await eventually(() => log.warnings.length > 0, "a warning");

    await proxy.restart();
    await eventually(() => a.status().shared, "a reconnects", 3_000);
    // The cooldown set during the outage reaches b once a is back; counting is shared again.
    await eventually(() => b.cooldown(id, Date.now())?.until === until, "b sees the cooldown set during the outage");
    assert.equal(await b.takeRequest(id, 1, now), undefined); // Redis never saw a's local requests
    assert.equal(typeof (await a.takeRequest(id, 1, now)), "number");
    assert.equal(log.warnings.length, 1);
    assert.match(log.warnings[0] ?? "", UNREACHABLE);
    assert.deepEqual(log.infos, [`Redis at 127.0.0.1:${proxy.port} is reachable again; router state is shared again`]);
    await a.close();
    await proxy.stop();
  });
  redisTest(
    "Redis hanging: calls give up after commandTimeoutMs, go local, and share again once it answers",
    async (url) => {
      const target = new URL(url);
      const proxy = await TcpRelay.start(target.hostname, Number(target.port || 6379));
      const { state: a, log } = open({ url: `redis://${proxy.host}:${proxy.port}`, commandTimeoutMs: 100 });
      const b = open().state;
      assert.equal(await a.ready(), true);
      const now = Date.now();
      const id = unique("hang");
      try {
        proxy.freeze();
        let started = Date.now();
        assert.equal(await a.takeRequest(id, 5, now), undefined);
        const first = Date.now() - started;
        assert.ok(first >= 90 && first < 400, `first call gave up after ${first} ms`);
        // Later calls do not each wait for a timeout: they go local at once.
        started = Date.now();
        assert.equal(await a.recordFailure(id, now), 1);
        assert.ok(Date.now() - started < 50, `second call took ${Date.now() - started} ms`);
        assert.equal(a.status().shared, false);
        assert.equal(log.warnings.length, 1);
        assert.match(log.warnings[0] ?? "", UNREACHABLE);

        proxy.thaw();
        await eventually(() => a.status().shared, "a shares again", 3_000);
        void a.setCooldown(id, { until: Date.now() + 10_000, cause: "failure" });
        await eventually(() => b.cooldown(id, Date.now()) !== undefined, "b sees a's cooldown");
      } finally {
        await a.close();
        await proxy.stop();
      }
    },
  );
});

describe("RedisState without Redis", () => {
  test("Redis unreachable: every call resolves from local state quickly, nothing throws, one warning", async () => {
    const warnings: string[] = [];
    const started = Date.now();
    const state = RedisState.connect({
      host: "127.0.0.1",
      port: 1, // nothing listens on port 1
      password: "s3cret-password",
      keyPrefix,
      logger: { warn: (message) => warnings.push(message) },
    });
    try {
      assert.equal(await state.ready(), false);
      const now = Date.now();
      assert.equal(await state.takeRequest("d", 2, now), undefined);
      assert.equal(await state.takeRequest("d", 2, now), undefined);
      assert.equal(await state.takeRequest("d", 2, now), minuteOf(now) + MINUTE_MS - now);
      state.addTokens("d", 40, now);
      assert.deepEqual(state.minuteUsage("d", now), { requests: 2, tokens: 40 });
      assert.equal(await state.recordFailure("d", now), 1);
      assert.equal(await state.recordFailure("d", now), 2);
      void state.setCooldown("d", { until: now + 1_000, cause: "failure" });
      assert.deepEqual(state.cooldown("d", now), { until: now + 1_000, cause: "failure" });
      state.startRequest("d");
      assert.equal(state.inFlight("d"), 1);
      state.endRequest("d");
      state.recordLatency("d", 12, now);
      assert.equal(state.latency("d", now, 60_000), 12);
      assert.deepEqual(state.status(), { shared: false, cachedDeployments: 1 });
      assert.ok(Date.now() - started < 1_000, `took ${Date.now() - started} ms`);
      // Reconnect attempts keep failing meanwhile: still one warning.
      await new Promise((resolve) => setTimeout(resolve, 400));
      assert.equal(warnings.length, 1, warnings.join("\n"));
      assert.equal(
        warnings[0],
        "Redis unreachable at 127.0.0.1:1; router state is local to this instance until it returns",
      );
    } finally {
      await state.close();
    }
    // After close, calls still answer locally and log nothing more.
    assert.equal(await state.takeRequest("d", undefined, Date.now()), undefined);
    assert.equal(warnings.length, 1);
  });

  test("the warning names host and port from redis_url, never its password", async () => {
    const warnings: string[] = [];
    const state = RedisState.connect({
      url: "redis://user:hunter2@127.0.0.1:1/0",
      logger: { warn: (message) => warnings.push(message) },
    });
    try {
      await state.ready();
      await state.takeRequest("d", undefined, Date.now());
      assert.deepEqual(warnings, [
        "Redis unreachable at 127.0.0.1:1; router state is local to this instance until it returns",
      ]);
    } finally {
      await state.close();
    }
  });
});
