/**
 * One behavioural contract for every RouterState: the Router must not be able to tell the
 * implementations apart on one instance. Runs against MemoryState always, and against
 * RedisState when TEST_REDIS_URL points at a Redis (CI sets it).
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import { MemoryState } from "../../src/state/memory-state.js";
import { RedisState } from "../../src/state/redis-state.js";
import { MINUTE_MS, minuteOf, type RouterState } from "../../src/state/router-state.js";
import { removeRedisKeys } from "../helpers/services.js";

const REDIS_URL = process.env.TEST_REDIS_URL;
const SKIP_REDIS = "TEST_REDIS_URL is not set: Redis tests skipped";

interface Subject {
  state: RouterState;
  dispose(): Promise<void>;
}
type Factory = () => Promise<Subject>;

/**
 * A fake clock 15 s into a minute. Anchored on the real minute rather than a fixed date so
 * that RedisState's cooldown keys (whose TTL is measured against the real clock) stay short.
 */
const BASE = minuteOf(Date.now()) + 15_000;

function routerStateContract(name: string, factory: Factory | undefined, skip?: string): void {
  describe(name, () => {
    const it = (title: string, body: (state: RouterState) => Promise<void>): void => {
      if (factory === undefined) {
        test(title, { skip: skip ?? true }, () => {});
        return;
      }
      const make: Factory = factory;
      test(title, async () => {
        const subject = await make();
        try {
          await body(subject.state);
        } finally {
          await subject.dispose();
        }
      });
    };

    it("counts requests up to rpm, then answers with the ms until the minute ends", async (state) => {
      for (let i = 0; i < 3; i += 1) assert.equal(await state.takeRequest("a", 3, BASE + i), undefined);
      assert.equal(await state.takeRequest("a", 3, BASE + 10), MINUTE_MS - 15_000 - 10);
      assert.deepEqual(state.minuteUsage("a", BASE + 10), { requests: 3, tokens: 0 });
      // A refused request is not counted, and the next minute starts from zero.
      assert.equal(await state.takeRequest("a", 3, BASE + MINUTE_MS), undefined);
      assert.deepEqual(state.minuteUsage("a", BASE + MINUTE_MS), { requests: 1, tokens: 0 });
    });

    it("counts every request when there is no rpm, and refuses all at rpm 0", async (state) => {
      for (let i = 0; i < 5; i += 1) assert.equal(await state.takeRequest("free", undefined, BASE), undefined);
      assert.equal(state.minuteUsage("free", BASE).requests, 5);
      assert.equal(await state.takeRequest("closed", 0, BASE), MINUTE_MS - 15_000);
      assert.equal(state.minuteUsage("closed", BASE).requests, 0);
    });

    it("keeps deployments apart", async (state) => {
      assert.equal(await state.takeRequest("x", 1, BASE), undefined);
      assert.equal(typeof (await state.takeRequest("x", 1, BASE)), "number");
      assert.equal(await state.takeRequest("y", 1, BASE), undefined);
      state.addTokens("x", 7, BASE);
      assert.equal(state.minuteUsage("y", BASE).tokens, 0);
    });

    it("adds tokens within the minute and starts over in the next", async (state) => {
      state.addTokens("t", 100, BASE);
      state.addTokens("t", 50, BASE + 1_000);
      assert.deepEqual(state.minuteUsage("t", BASE + 2_000), { requests: 0, tokens: 150 });
      assert.deepEqual(state.minuteUsage("t", BASE + MINUTE_MS), { requests: 0, tokens: 0 });
      state.addTokens("t", 5, BASE + MINUTE_MS);
      assert.equal(state.minuteUsage("t", BASE + MINUTE_MS).tokens, 5);
    });

    it("counts requests in flight and never below zero", async (state) => {
      assert.equal(state.inFlight("f"), 0);
      state.startRequest("f");
      state.startRequest("f");
      state.startRequest("g");
      assert.equal(state.inFlight("f"), 2);
      state.endRequest("f");
      assert.equal(state.inFlight("f"), 1);
      state.endRequest("f");
      state.endRequest("f");
      assert.equal(state.inFlight("f"), 0);
      assert.equal(state.inFlight("g"), 1);
      state.endRequest("g");
    });

    it("counts failures per minute", async (state) => {
      assert.equal(await state.recordFailure("bad", BASE), 1);
      assert.equal(await state.recordFailure("bad", BASE + 1), 2);
      assert.equal(await state.recordFailure("bad", BASE + 2), 3);
      assert.equal(await state.recordFailure("bad", BASE + MINUTE_MS), 1);
    });

    it("runs a cooldown until `until`, and the later of two cooldowns wins", async (state) => {
      assert.equal(state.cooldown("c", BASE), undefined);
      void state.setCooldown("c", { until: BASE + 5_000, cause: "rate_limit" });
      assert.deepEqual(state.cooldown("c", BASE + 4_999), { until: BASE + 5_000, cause: "rate_limit" });
      assert.equal(state.cooldown("c", BASE + 5_000), undefined);
      void state.setCooldown("c", { until: BASE + 10_000, cause: "failure" });
      void state.setCooldown("c", { until: BASE + 1_000, cause: "rate_limit" });
      assert.deepEqual(state.cooldown("c", BASE + 2_000), { until: BASE + 10_000, cause: "failure" });
      assert.equal(state.cooldown("other", BASE + 2_000), undefined);
    });

    it("averages latency samples younger than the ttl", async (state) => {
      assert.equal(state.latency("l", BASE, 60_000), undefined);
      state.recordLatency("l", 10, BASE);
      state.recordLatency("l", 20, BASE + 1_000);
      assert.equal(state.latency("l", BASE + 1_000, 60_000), 15);
      assert.equal(state.latency("l", BASE + 1_000, 500), 20);
      assert.equal(state.latency("l", BASE + 10_000, 5_000), undefined);
    });

    it("keeps only the newest 32 latency samples", async (state) => {
      for (let value = 1; value <= 40; value += 1) state.recordLatency("many", value, BASE);
      assert.equal(state.latency("many", BASE, 60_000), (9 + 40) / 2);
      // The same after Redis has answered every write and a refresh has merged them.
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(state.latency("many", BASE, 60_000), (9 + 40) / 2);
    });

    it("closes", async (state) => {
      await state.close();
    });
  });
}

routerStateContract("MemoryState", async () => {
  const state = new MemoryState();
  return { state, dispose: () => state.close() };
});

if (REDIS_URL === undefined) {
  console.warn(`\n*** ${SKIP_REDIS} (set TEST_REDIS_URL=redis://127.0.0.1:6379 to run them) ***\n`);
  routerStateContract("RedisState", undefined, SKIP_REDIS);
} else {
  const url = REDIS_URL;
  routerStateContract("RedisState", async () => {
    const keyPrefix = `test-${randomBytes(6).toString("hex")}`;
    const warnings: string[] = [];
    const state = RedisState.connect({
      url,
      keyPrefix,
      refreshMs: 20,
      logger: { warn: (message) => warnings.push(message) },
    });
    assert.equal(await state.ready(), true, "Redis at TEST_REDIS_URL did not answer");
    return {
      state,
      dispose: async () => {
        await state.close();
        await removeRedisKeys(url, keyPrefix);
        assert.deepEqual(warnings, []);
      },
    };
  });
}
