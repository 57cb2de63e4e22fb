/**
 * KeyState: rate limits (rpm and tpm as GCRA, max_parallel_requests as leases) and spend
 * counters, in memory and shared through the real Redis at TEST_REDIS_URL (those tests are
 * skipped loudly without it; CI sets it). The unreachable-Redis case needs no Redis and
 * always runs.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, describe, test } from "node:test";
import { Redis } from "ioredis";
import type { Admission, KeyLimits, KeyState } from "../../src/state/key-state.js";
import { MemoryKeyState } from "../../src/state/memory-key-state.js";
import { RedisKeyState, type RedisKeyStateOptions } from "../../src/state/redis-key-state.js";
import { TcpRelay } from "../helpers/tcp-relay.js";
import { type Logged, recordingLogger, removeRedisKeys } from "../helpers/services.js";

const REDIS_URL = process.env.TEST_REDIS_URL;
const SKIP_REDIS = "TEST_REDIS_URL is not set: Redis tests skipped";
const NOW = 1_700_000_000_000;

function limits(rpm: number | null, tpm: number | null = null, parallel: number | null = null): KeyLimits {
  return { rpm_limit: rpm, tpm_limit: tpm, max_parallel_requests: parallel };
}
const NONE = limits(null);

const unique = (name: string): string => `${name}-${randomBytes(3).toString("hex")}`;

/** Admits `count` requests in turn and returns what each got. */
async function admitMany(
  state: KeyState,
  key: string,
  keyLimits: KeyLimits,
  count: number,
  now: number,
): Promise<Admission[]> {
  const results: Admission[] = [];
  for (let i = 0; i < count; i += 1) results.push(await state.admit(key, keyLimits, `r${i}`, [], now));
  return results;
}

describe("MemoryKeyState", () => {
  test("rpm admits a burst of exactly the limit, then refuses with the exact retry-after", () => {
    const state = new MemoryKeyState();
    for (let i = 0; i < 10; i += 1) {
      assert.deepEqual(state.admit("k", limits(10), `r${i}`, [], NOW), {
        admitted: true,
        recorded: [],
        limitRequests: 10,
        remainingRequests: 9 - i,
      });
    }
    // T = 6000 ms, tau = 54000 ms: the TAT is a minute ahead, the next cell frees in 6 s.
    assert.deepEqual(state.admit("k", limits(10), "r10", [], NOW), {
      admitted: false,
      limit: "rpm_limit",
      retryAfterMs: 6_000,
      limitRequests: 10,
      remainingRequests: 0,
    });
    assert.deepEqual(state.admit("k", limits(10), "r10", [], NOW + 5_999), {
      admitted: false,
      limit: "rpm_limit",
      retryAfterMs: 1,
      limitRequests: 10,
      remainingRequests: 0,
    });
    // One interval later exactly one more goes through: a steady one per 6 s, no window edge.
    assert.deepEqual(state.admit("k", limits(10), "r10", [], NOW + 6_000), {
      admitted: true,
      recorded: [],
      limitRequests: 10,
      remainingRequests: 0,
    });
    assert.equal(state.admit("k", limits(10), "r11", [], NOW + 6_000).admitted, false);
    assert.deepEqual(state.admit("k", limits(10), "r11", [], NOW + 12_000), {
      admitted: true,
      recorded: [],
      limitRequests: 10,
      remainingRequests: 0,
    });
    // Idle for a minute: the whole burst is back.
    assert.deepEqual(state.admit("k", limits(10), "r12", [], NOW + 72_000), {
      admitted: true,
      recorded: [],
      limitRequests: 10,
      remainingRequests: 9,
    });
  });

  test("rpm whose interval is not a whole number of ms still admits exactly its burst", async () => {
    // 60000/11 ms: adding it up in floats lands just short of the minute, or just past it.
    const state = new MemoryKeyState();
    const results = await admitMany(state, "k", limits(11), 12, NOW);
    assert.deepEqual(
      results.map((result) => result.remainingRequests),
      [10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 0],
    );
    assert.deepEqual(results[11], {
      admitted: false,
      limit: "rpm_limit",
      retryAfterMs: 5_455,
      limitRequests: 11,
      remainingRequests: 0,
    });
    assert.equal(state.admit("k", limits(11), "r12", [], NOW + 5_454).admitted, false);
    assert.equal(state.admit("k", limits(11), "r12", [], NOW + 5_455).admitted, true);
  });

  test("tpm is checked on admit and charged on finish; overuse waits for all of it", () => {
    const state = new MemoryKeyState();
    const tpm = limits(null, 1_000); // U = 60 ms per token
    assert.deepEqual(state.admit("k", tpm, "r1", [], NOW), {
      admitted: true,
      recorded: [],
      limitTokens: 1_000,
      remainingTokens: 1_000,
    });
    // Checking does not take: admitting again still sees all 1000.
    assert.equal(state.admit("k", tpm, "r2", [], NOW).remainingTokens, 1_000);
    state.finish("k", tpm, "r1", 400, NOW);
    assert.deepEqual(state.admit("k", tpm, "r3", [], NOW), {
      admitted: true,
      recorded: [],
      limitTokens: 1_000,
      remainingTokens: 600,
    });
    state.finish("k", tpm, "r2", 600, NOW);
    assert.deepEqual(state.admit("k", tpm, "r4", [], NOW), {
      admitted: false,
      limit: "tpm_limit",
      retryAfterMs: 60,
      limitTokens: 1_000,
      remainingTokens: 0,
    });
    assert.deepEqual(state.admit("k", tpm, "r4", [], NOW + 60), {
      admitted: true,
      recorded: [],
      limitTokens: 1_000,
      remainingTokens: 1,
    });
    assert.equal(state.admit("k", tpm, "r5", [], NOW + 30_000).remainingTokens, 500);

    // 3x the limit in one request: two minutes past the window before a token is free.
    state.finish("big", tpm, "r1", 3_000, NOW);
    assert.deepEqual(state.admit("big", tpm, "r2", [], NOW), {
      admitted: false,
      limit: "tpm_limit",
      retryAfterMs: 120_060,
      limitTokens: 1_000,
      remainingTokens: 0,
    });
    assert.equal(state.admit("big", tpm, "r2", [], NOW + 120_060).admitted, true);
    // Tokens of a key without a tpm limit, and counts that are not counts, are not charged.
    state.finish("free", NONE, "r1", 5_000, NOW);
    state.finish("nan", tpm, "r1", Number.NaN, NOW);
    assert.equal(state.admit("free", tpm, "r2", [], NOW).remainingTokens, 1_000);
    assert.equal(state.admit("nan", tpm, "r2", [], NOW).remainingTokens, 1_000);
  });

  test("max_parallel_requests holds leases until finish, or until they expire", () => {
    const state = new MemoryKeyState({ leaseMs: 1_000 });
    const two = limits(null, null, 2);
    assert.deepEqual(state.admit("k", two, "a", [], NOW), { admitted: true, recorded: [] });
    assert.deepEqual(state.admit("k", two, "b", [], NOW), { admitted: true, recorded: [] });
    assert.deepEqual(state.admit("k", two, "c", [], NOW), {
      admitted: false,
      limit: "max_parallel_requests",
      retryAfterMs: 1_000,
    });
    state.finish("k", two, "a", 0, NOW);
    assert.equal(state.admit("k", two, "c", [], NOW).admitted, true);
    assert.equal(state.admit("other", two, "x", [], NOW).admitted, true, "leases are per key");
    // b and c were never finished (their instance crashed): they stop counting at expiry.
    assert.equal(state.admit("k", two, "d", [], NOW + 999).admitted, false);
    assert.equal(state.admit("k", two, "d", [], NOW + 1_000).admitted, true);
    assert.equal(state.admit("k", two, "e", [], NOW + 1_000).admitted, true);
    assert.equal(state.admit("k", two, "f", [], NOW + 1_000).admitted, false);
  });

  test("a refused request takes nothing", () => {
    const state = new MemoryKeyState();
    const keyLimits = limits(5, null, 1);
    assert.equal(state.admit("k", keyLimits, "a", [], NOW).remainingRequests, 4);
    // Refused by the lease: the rpm cell is not taken, and the status says so.
    assert.deepEqual(state.admit("k", keyLimits, "b", [], NOW), {
      admitted: false,
      limit: "max_parallel_requests",
      retryAfterMs: 1_000,
      limitRequests: 5,
      remainingRequests: 4,
    });
    state.finish("k", keyLimits, "a", 0, NOW);
    assert.equal(state.admit("k", keyLimits, "c", [], NOW).remainingRequests, 3);
    state.finish("k", keyLimits, "c", 0, NOW);

    // Refused by tpm: neither the rpm cell nor a lease is taken.
    const withTokens = limits(5, 100, 1);
    state.finish("k", withTokens, "none", 100, NOW);
    assert.deepEqual(state.admit("k", withTokens, "d", [], NOW), {
      admitted: false,
      limit: "tpm_limit",
      retryAfterMs: 600,
      limitRequests: 5,
      remainingRequests: 3,
      limitTokens: 100,
      remainingTokens: 0,
    });
    assert.equal(state.admit("k", limits(5, null, 1), "e", [], NOW).remainingRequests, 2);

    // Refused by rpm: no lease is taken, so the other limits are still free after it.
    const rpmOnly = limits(1, null, 1);
    assert.equal(state.admit("r", rpmOnly, "a", [], NOW).admitted, true);
    state.finish("r", rpmOnly, "a", 0, NOW);
    assert.equal(state.admit("r", rpmOnly, "b", [], NOW).admitted, false);
    assert.equal(state.admit("r", rpmOnly, "c", [], NOW + 60_000).admitted, true);
  });

  test("when several limits refuse, the first in rpm, tpm, parallel order is named", () => {
    const state = new MemoryKeyState();
    const all = limits(1, 10, 1);
    assert.equal(state.admit("k", all, "a", [], NOW).admitted, true);
    state.finish("k", all, "x", 10, NOW);
    assert.deepEqual(state.admit("k", all, "b", [], NOW), {
      admitted: false,
      limit: "rpm_limit",
      retryAfterMs: 60_000,
      limitRequests: 1,
      remainingRequests: 0,
      limitTokens: 10,
      remainingTokens: 0,
    });
  });

  test("a limit of 0 refuses everything", () => {
    const state = new MemoryKeyState();
    const noRequests = {
      admitted: false,
      limit: "rpm_limit",
      retryAfterMs: 60_000,
      limitRequests: 0,
      remainingRequests: 0,
    };
    assert.deepEqual(state.admit("k", limits(0), "a", [], NOW), noRequests);
    const noTokens = { admitted: false, limit: "tpm_limit", retryAfterMs: 60_000, limitTokens: 0, remainingTokens: 0 };
    assert.deepEqual(state.admit("k", limits(null, 0), "a", [], NOW), noTokens);
    assert.deepEqual(state.admit("k", limits(null, null, 0), "a", [], NOW), {
      admitted: false,
      limit: "max_parallel_requests",
      retryAfterMs: 1_000,
    });
    state.finish("k", limits(null, 0), "a", 10, NOW);
    assert.equal(state.admit("k", limits(null, 0), "a", [], NOW + 3_600_000).admitted, false);
  });

  test("spend counters: recorded read on admit, flushed read apart, both only grow", () => {
    const state = new MemoryKeyState();
    assert.deepEqual(state.admit("k", NONE, "a", [], NOW), { admitted: true, recorded: [] });
    state.addSpend([
      { id: "key:k", cost: 1.5 },
      { id: "user:u", cost: 2 },
    ]);
    state.addSpend([
      { id: "key:k", cost: 0.25 },
      { id: "key:k", cost: -1 },
      { id: "key:k", cost: Number.NaN },
      { id: "user:u", cost: 0 },
    ]);
    assert.deepEqual(state.admit("k", NONE, "b", ["key:k", "user:u", "team:t"], NOW), {
      admitted: true,
      recorded: [1.75, 2, 0],
    });
    state.markFlushed([{ id: "key:k", cost: 1.5 }]);
    state.markFlushed([{ id: "key:k", cost: 0.25 }]);
    assert.deepEqual(state.flushed(["key:k", "user:u"]), [1.75, 0]);
    // A refused admission reads nothing.
    const refused = {
      admitted: false,
      limit: "rpm_limit",
      retryAfterMs: 60_000,
      limitRequests: 0,
      remainingRequests: 0,
    };
    assert.deepEqual(state.admit("k", limits(0), "c", ["key:k"], NOW), refused);
  });
});

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

/** One key prefix for this run: every key it creates is removed at the end. */
const keyPrefix = `keytest-${randomBytes(6).toString("hex")}`;
const opened: RedisKeyState[] = [];

function open(options: RedisKeyStateOptions = {}): { state: RedisKeyState; log: Logged } {
  const { log, logger } = recordingLogger();
  const state = RedisKeyState.connect({ url: REDIS_URL, keyPrefix, logger, ...options });
  opened.push(state);
  return { state, log };
}

async function pair(options: RedisKeyStateOptions = {}): Promise<[RedisKeyState, RedisKeyState]> {
  const a = open(options).state;
  const b = open(options).state;
  assert.equal(await a.ready(), true, "Redis at TEST_REDIS_URL did not answer");
  assert.equal(await b.ready(), true, "Redis at TEST_REDIS_URL did not answer");
  return [a, b];
}

/** Polls `read` until it deep-equals `expected` (fire-and-forget writes land soon after). */
async function eventually<T>(read: () => T | Promise<T>, expected: T, timeoutMs = 2_000): Promise<void> {
  const start = Date.now();
  for (;;) {
    const value = await read();
    try {
      assert.deepEqual(value, expected);
      return;
    } catch (error) {
      if (Date.now() - start > timeoutMs) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

after(async () => {
  await Promise.all(opened.map((state) => state.close()));
  if (REDIS_URL !== undefined) await removeRedisKeys(REDIS_URL, keyPrefix);
});

describe("RedisKeyState shared between instances", () => {
  redisTest("an rpm limit of 10 admits exactly 10 across two instances under concurrency", async () => {
    const [a, b] = await pair();
    const key = unique("rpm");
    const now = Date.now();
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? a : b).admit(key, limits(10), `r${i}`, [], now)),
    );
    const admitted = results.filter((result) => result.admitted);
    assert.equal(admitted.length, 10);
    assert.deepEqual(
      admitted.map((result) => result.remainingRequests).sort((x, y) => (x ?? 0) - (y ?? 0)),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    );
    for (const result of results.filter((result) => !result.admitted)) {
      assert.deepEqual(result, {
        admitted: false,
        limit: "rpm_limit",
        retryAfterMs: 6_000,
        limitRequests: 10,
        remainingRequests: 0,
      });
    }
    assert.equal((await a.admit(key, limits(10), "late-a", [], now + 5_999)).admitted, false);
    assert.equal((await b.admit(key, limits(10), "late-b", [], now + 6_000)).admitted, true);
    assert.equal((await a.admit(key, limits(10), "late-c", [], now + 6_000)).admitted, false);
  });

  redisTest("Redis answers exactly what memory answers (the Lua mirrors the TypeScript)", async () => {
    const [a] = await pair();
    const memory = new MemoryKeyState({ leaseMs: 600_000 });
    const key = unique("same");
    const now = Date.now();
    const steps: [string, KeyLimits, number, number][] = [
      // [request, limits, tokens charged at its finish (-1: not finished), ms after now]
      ["a", limits(7, 1_000, 3), 700, 0],
      ["b", limits(7, 1_000, 3), -1, 0],
      ["c", limits(7, 1_000, 3), 500, 1],
      ["d", limits(7, 1_000, 3), -1, 2],
      ["e", limits(7, 1_000, 3), 0, 2],
      ["f", limits(7, 1_000, 3), 0, 90_000],
      ["g", limits(7, 1_000, 3), -1, 90_001],
      ["h", limits(7, 1_000, 3), -1, 90_002],
      ["i", limits(7, 1_000, 3), -1, 90_003],
      ["j", limits(7, 1_000, 3), -1, 90_004],
      ["k", limits(7, 1_000, 3), -1, 90_004],
    ];
    for (const [request, keyLimits, tokens, at] of steps) {
      const expected = memory.admit(key, keyLimits, request, [], now + at);
      assert.deepEqual(await a.admit(key, keyLimits, request, [], now + at), expected, `request ${request}`);
      if (tokens >= 0) {
        memory.finish(key, keyLimits, request, tokens, now + at);
        a.finish(key, keyLimits, request, tokens, now + at);
      }
    }
    // Limits whose interval sums lose bits in floats: the Lua rounds as TypeScript does.
    for (const rpm of [11, 13, 31]) {
      const burst = unique("burst");
      const fromRedis = await admitMany(a, burst, limits(rpm), rpm + 1, now);
      assert.deepEqual(fromRedis, await admitMany(memory, burst, limits(rpm), rpm + 1, now));
      assert.equal(fromRedis.filter((result) => result.admitted).length, rpm);
    }
  });

  redisTest("max_parallel_requests leases are shared, released by finish, and expire", async () => {
    const [a, b] = await pair({ leaseMs: 1_000 });
    const key = unique("parallel");
    const two = limits(null, null, 2);
    const now = Date.now();
    assert.deepEqual(await a.admit(key, two, "r1", [], now), { admitted: true, recorded: [] });
    assert.deepEqual(await b.admit(key, two, "r2", [], now), { admitted: true, recorded: [] });
    assert.deepEqual(await a.admit(key, two, "r3", [], now), {
      admitted: false,
      limit: "max_parallel_requests",
      retryAfterMs: 1_000,
    });
    assert.deepEqual(await b.admit(key, two, "r3", [], now), {
      admitted: false,
      limit: "max_parallel_requests",
      retryAfterMs: 1_000,
    });
    // Any instance may end a request; b's next command follows its finish on the same connection.
    b.finish(key, two, "r1", 0, now);
    assert.equal((await b.admit(key, two, "r3", [], now)).admitted, true);
    assert.equal((await a.admit(key, two, "r4", [], now)).admitted, false);
    // Nobody ends r2 and r3: their leases stop counting at now + leaseMs.
    assert.equal((await a.admit(key, two, "r4", [], now + 999)).admitted, false);
    assert.equal((await a.admit(key, two, "r4", [], now + 1_000)).admitted, true);
    assert.equal((await b.admit(key, two, "r5", [], now + 1_000)).admitted, true);
    assert.equal((await a.admit(key, two, "r6", [], now + 1_000)).admitted, false);
  });

  redisTest("tokens charged on one instance count on the other", async () => {
    const [a, b] = await pair();
    const key = unique("tpm");
    const tpm = limits(null, 1_000);
    const now = Date.now();
    assert.deepEqual(await a.admit(key, tpm, "r1", [], now), {
      admitted: true,
      recorded: [],
      limitTokens: 1_000,
      remainingTokens: 1_000,
    });
    a.finish(key, tpm, "r1", 600, now);
    await eventually(() => b.admit(key, tpm, "r2", [], now), {
      admitted: true,
      recorded: [],
      limitTokens: 1_000,
      remainingTokens: 400,
    });
    b.finish(key, tpm, "r2", 400, now);
    await eventually(() => a.admit(key, tpm, "r3", [], now), {
      admitted: false,
      limit: "tpm_limit",
      retryAfterMs: 60,
      limitTokens: 1_000,
      remainingTokens: 0,
    });
    assert.equal((await b.admit(key, tpm, "r3", [], now + 60)).admitted, true);
  });

  redisTest("spend counters are shared: recorded on admit, flushed apart", async () => {
    const [a, b] = await pair();
    const owner = unique("key:owner");
    const other = unique("team:other");
    a.addSpend([{ id: owner, cost: 1.5 }]);
    b.addSpend([
      { id: owner, cost: 0.25 },
      { id: other, cost: 2 },
      { id: owner, cost: -4 },
    ]);
    await eventually(() => b.admit("k", NONE, "r1", [owner, other, unique("none")], Date.now()), {
      admitted: true,
      recorded: [1.75, 2, 0],
    });
    // With limits too, the same script reads them.
    const withLimits = await a.admit(unique("k"), limits(5), "r2", [owner], Date.now());
    assert.deepEqual(withLimits, { admitted: true, recorded: [1.75], limitRequests: 5, remainingRequests: 4 });
    a.markFlushed([{ id: owner, cost: 1.5 }]);
    b.markFlushed([{ id: owner, cost: 0.25 }]);
    await eventually(() => a.flushed([owner, other]), [1.75, 0]);
    assert.deepEqual(await b.flushed([owner, other]), [1.75, 0]);
    assert.deepEqual(await b.flushed([]), []);
  });

  redisTest("a key without limits or budgets is admitted at once, without a promise", async () => {
    const [a] = await pair();
    assert.deepEqual(a.admit("k", NONE, "r1", [], Date.now()), { admitted: true, recorded: [] });
  });

  redisTest("a fresh instance waits for its first connection before admitting", async () => {
    const [a] = await pair();
    const key = unique("fresh");
    const now = Date.now();
    for (let i = 0; i < 3; i += 1) assert.equal((await a.admit(key, limits(3), `r${i}`, [], now)).admitted, true);
    const { state: fresh } = open();
    // Not awaiting ready(): answering locally would admit a 4th.
    assert.deepEqual(await fresh.admit(key, limits(3), "r3", [], now), {
      admitted: false,
      limit: "rpm_limit",
      retryAfterMs: 20_000,
      limitRequests: 3,
      remainingRequests: 0,
    });
  });

  redisTest("keys are namespaced under litegate:<keyPrefix>:key: and all expire", async (url) => {
    const [a] = await pair({ leaseMs: 30_000 });
    const key = unique("ttl");
    const owner = unique("user:ttl");
    const all = limits(10, 1_000, 2);
    const now = Date.now();
    await a.admit(key, all, "r1", [], now);
    a.finish(key, all, "r0", 50, now);
    a.addSpend([{ id: owner, cost: 1 }]);
    a.markFlushed([{ id: owner, cost: 1 }]);
    await eventually(() => a.flushed([owner]), [1]);
    const redis = new Redis(url);
    try {
      const base = `litegate:${keyPrefix}:key:`;
      const keys = (await redis.keys(`${base}*:${key}`)).concat(await redis.keys(`${base}*:${owner}`)).sort();
      assert.deepEqual(
        keys.map((name) => name.slice(base.length)),
        [`flushed:${owner}`, `lease:${key}`, `recorded:${owner}`, `rpm:${key}`, `tpm:${key}`].sort(),
      );
      const ttl = async (name: string): Promise<number> => redis.pttl(`${base}${name}`);
      const rpmTtl = await ttl(`rpm:${key}`);
      assert.ok(rpmTtl > 0 && rpmTtl <= 6_000 + 5_000, `rpm cell pttl ${rpmTtl}`);
      const tpmTtl = await ttl(`tpm:${key}`);
      assert.ok(tpmTtl > 0 && tpmTtl <= 3_000 + 5_000, `tpm cell pttl ${tpmTtl}`);
      const leaseTtl = await ttl(`lease:${key}`);
      assert.ok(leaseTtl > 25_000 && leaseTtl <= 30_000 + 5_000, `lease set pttl ${leaseTtl}`);
      for (const name of [`recorded:${owner}`, `flushed:${owner}`]) {
        const spendTtl = await ttl(name);
        assert.ok(spendTtl > 7 * 24 * 3_600_000 - 60_000 && spendTtl <= 7 * 24 * 3_600_000, `${name} pttl ${spendTtl}`);
      }
    } finally {
      redis.disconnect();
    }
  });

  redisTest(
    "Redis going away and coming back: local limits meanwhile, one warning, shared again after",
    async (url) => {
      const target = new URL(url);
      const relay = await TcpRelay.start(target.hostname, Number(target.port || 6379));
      try {
        const { state: a, log } = open({ url: `redis://${relay.host}:${relay.port}` });
        const b = open().state;
        assert.equal(await a.ready(), true);
        assert.equal(await b.ready(), true);
        const key = unique("outage");
        const now = Date.now();
        assert.equal((await b.admit(key, limits(2), "b1", [], now)).admitted, true);
        assert.equal((await b.admit(key, limits(2), "b2", [], now)).admitted, true);

        await relay.stop();
        await eventually(() => a.status().shared, false);
        const started = Date.now();
        // Redis is full for this key, but a only knows its own requests now.
        assert.deepEqual(await a.admit(key, limits(2), "a1", [], now), {
          admitted: true,
          recorded: [],
          limitRequests: 2,
          remainingRequests: 1,
        });
        assert.equal((await a.admit(key, limits(2), "a2", [], now)).admitted, true);
        assert.equal((await a.admit(key, limits(2), "a3", [], now)).admitted, false);
        a.finish(key, limits(2, 100, 1), "a1", 10, now);
        a.addSpend([{ id: "key:outage", cost: 1 }]);
        a.markFlushed([{ id: "key:outage", cost: 0.5 }]);
        assert.deepEqual(await a.flushed(["key:outage"]), [0.5]);
        assert.deepEqual(await a.admit(key, NONE, "a4", ["key:outage"], now), { admitted: true, recorded: [1] });
        assert.ok(Date.now() - started < 100, `local answers took ${Date.now() - started} ms`);
        assert.deepEqual(log.warnings, [
          `Redis unreachable at 127.0.0.1:${relay.port}; key limits are local to this instance until it returns`,
        ]);

        await relay.restart();
        await eventually(() => a.status().shared, true, 3_000);
        assert.equal((await a.admit(key, limits(2), "a5", [], now)).admitted, false, "Redis's count holds again");
        assert.equal(log.warnings.length, 1);
        assert.deepEqual(log.infos, [
          `Redis at 127.0.0.1:${relay.port} is reachable again; key limits are shared again`,
        ]);
      } finally {
        await relay.stop();
      }
    },
  );

  redisTest("a lease whose request ended while Redis was away is released in Redis when it is back", async (url) => {
    const target = new URL(url);
    const relay = await TcpRelay.start(target.hostname, Number(target.port || 6379));
    try {
      const a = open({ url: `redis://${relay.host}:${relay.port}` }).state;
      const b = open().state;
      assert.equal(await a.ready(), true);
      assert.equal(await b.ready(), true);
      const key = unique("lease-outage");
      const one = limits(null, null, 1);
      assert.equal((await a.admit(key, one, "held", [], Date.now())).admitted, true);
      await relay.stop();
      await eventually(() => a.status().shared, false);
      a.finish(key, one, "held", 0, Date.now());
      assert.equal((await b.admit(key, one, "b1", [], Date.now())).admitted, false, "Redis still holds the lease");
      await relay.restart();
      await eventually(() => a.status().shared, true, 3_000);
      // Released on reconnect, not after the lease's 10 minutes.
      const started = Date.now();
      while (!(await b.admit(key, one, "b2", [], Date.now())).admitted) {
        assert.ok(Date.now() - started < 2_000, "the lease was not released after Redis came back");
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    } finally {
      await relay.stop();
    }
  });

  redisTest(
    "Redis hanging: admit gives up after commandTimeoutMs, goes local, and shares again once it answers",
    async (url) => {
      const target = new URL(url);
      const relay = await TcpRelay.start(target.hostname, Number(target.port || 6379));
      const { state: a, log } = open({ url: `redis://${relay.host}:${relay.port}`, commandTimeoutMs: 100 });
      try {
        assert.equal(await a.ready(), true);
        const key = unique("hang");
        const now = Date.now();
        relay.freeze();
        let started = Date.now();
        assert.deepEqual(await a.admit(key, limits(5), "r1", [], now), {
          admitted: true,
          recorded: [],
          limitRequests: 5,
          remainingRequests: 4,
        });
        const first = Date.now() - started;
        assert.ok(first >= 90 && first < 400, `first call gave up after ${first} ms`);
        // Later calls do not each wait for a timeout: they go local at once.
        started = Date.now();
        assert.equal((await a.admit(key, limits(5), "r2", [], now)).remainingRequests, 3);
        assert.ok(Date.now() - started < 50, `second call took ${Date.now() - started} ms`);
        assert.deepEqual(a.status(), { shared: false });
        assert.deepEqual(log.warnings, [
          `Redis unreachable at 127.0.0.1:${relay.port}; key limits are local to this instance until it returns`,
        ]);

        relay.thaw();
        await eventually(() => a.status().shared, true, 3_000);
        assert.equal((await a.admit(unique("after-hang"), limits(5), "r3", [], now)).remainingRequests, 4);
        assert.deepEqual(log.infos, [
          `Redis at 127.0.0.1:${relay.port} is reachable again; key limits are shared again`,
        ]);
      } finally {
        await a.close();
        await relay.stop();
      }
    },
  );
});

describe("RedisKeyState without Redis", () => {
  test("Redis unreachable: every call answers from memory quickly, nothing throws, one warning", async () => {
    const warnings: string[] = [];
    const started = Date.now();
    const state = RedisKeyState.connect({
      host: "127.0.0.1",
      port: 1, // nothing listens on port 1
      password: "s3cret-password",
      keyPrefix,
      leaseMs: 1_000,
      logger: { warn: (message) => warnings.push(message) },
    });
    try {
      assert.equal(await state.ready(), false);
      assert.deepEqual(state.status(), { shared: false });
      const all = limits(2, 100, 1);
      assert.deepEqual(await state.admit("k", all, "a", ["key:k"], NOW), {
        admitted: true,
        recorded: [0],
        limitRequests: 2,
        remainingRequests: 1,
        limitTokens: 100,
        remainingTokens: 100,
      });
      assert.equal((await state.admit("k", all, "b", [], NOW)).admitted, false, "the lease holds");
      state.finish("k", all, "a", 40, NOW);
      assert.deepEqual(await state.admit("k", all, "b", [], NOW), {
        admitted: true,
        recorded: [],
        limitRequests: 2,
        remainingRequests: 0,
        limitTokens: 100,
        remainingTokens: 60,
      });
      assert.deepEqual(await state.admit("k", all, "c", [], NOW), {
        admitted: false,
        limit: "rpm_limit",
        retryAfterMs: 30_000,
        limitRequests: 2,
        remainingRequests: 0,
        limitTokens: 100,
        remainingTokens: 60,
      });
      state.addSpend([{ id: "key:k", cost: 2.5 }]);
      state.markFlushed([{ id: "key:k", cost: 2 }]);
      assert.deepEqual(await state.flushed(["key:k", "team:t"]), [2, 0]);
      assert.deepEqual(await state.admit("k", NONE, "d", ["key:k"], NOW), { admitted: true, recorded: [2.5] });
      assert.ok(Date.now() - started < 1_000, `took ${Date.now() - started} ms`);
      // Reconnect attempts keep failing meanwhile: still one warning.
      await new Promise((resolve) => setTimeout(resolve, 400));
      assert.deepEqual(warnings, [
        "Redis unreachable at 127.0.0.1:1; key limits are local to this instance until it returns",
      ]);
    } finally {
      await state.close();
    }
    // After close, calls still answer locally and log nothing more.
    assert.equal((await state.admit("after-close", limits(5), "e", [], NOW)).admitted, true);
    assert.equal(warnings.length, 1);
  });

  test("the warning names host and port from redis_url, never its password", async () => {
    const warnings: string[] = [];
    const state = RedisKeyState.connect({
      url: "redis://user:hunter2@127.0.0.1:1/0",
      logger: { warn: (message) => warnings.push(message) },
    });
    try {
      await state.admit("k", limits(1), "a", [], NOW);
      assert.deepEqual(warnings, [
        "Redis unreachable at 127.0.0.1:1; key limits are local to this instance until it returns",
      ]);
    } finally {
      await state.close();
    }
  });
});
