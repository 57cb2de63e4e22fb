/**
 * Routing strategies, through a real Router and one MockUpstream per deployment: which
 * deployment served each request is read off the mocks' request logs. Randomness is
 * scripted (stratified or seeded draws) and time is a fake clock, so every count is exact.
 */
import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import type { LitellmParams, ModelEntry } from "../../src/config/index.js";
import { Router, type RouterOptions } from "../../src/router/router.js";
import { MemoryState } from "../../src/state/memory-state.js";
import { completionAnswer, streamChunks } from "../helpers/fixtures.js";
import { json, type MockUpstream, sse } from "../helpers/mock-upstream.js";
import {
  answer,
  Clock,
  closeMocks,
  counts,
  deployment,
  gate,
  PROMPT,
  resetMocks,
  seeded,
  sequence,
  startMocks,
  stratified,
  Trace,
} from "../helpers/router.js";

let mocks: MockUpstream[];
before(async () => {
  mocks = await startMocks(4);
});
afterEach(() => resetMocks(mocks));
after(() => closeMocks(mocks));

const IDS = ["a", "b", "c", "d"];

/** Deployments a, b, c, ... of group "g", one per mock, with per-deployment params. */
function group(...params: Partial<LitellmParams>[]): ModelEntry[] {
  return params.map((p, i) => deployment("g", IDS[i] as string, mocks[i] as MockUpstream, p));
}

function router(modelList: ModelEntry[], options: Omit<RouterOptions, "model_list"> = {}): Router {
  return Router.fromLiteLLM({ model_list: modelList, now: new Clock().now, ...options });
}

/** Sends `n` requests one after the other; returns the deployment id that served each. */
async function picks(r: Router, n: number): Promise<string[]> {
  const served: string[] = [];
  for (let i = 0; i < n; i += 1) {
    const trace = new Trace();
    await r.textCompletion({ model: "g", ...PROMPT }, { trace });
    served.push(trace.tried.at(-1) as string);
  }
  return served;
}

describe("simple-shuffle", () => {
  test("weighted by weight: 100 evenly spread draws split 20/30/50 exactly", async () => {
    const r = router(group({ weight: 2 }, { weight: 3 }, { weight: 5 }), { random: stratified(100) });
    await picks(r, 100);
    assert.deepEqual(counts(mocks), [20, 30, 50, 0]);
  });

  test("weighted by weight: 1000 seeded random picks at 1:3 stay within 3 sigma of 250/750", async () => {
    const r = router(group({ weight: 1 }, { weight: 3 }), { random: seeded(1) });
    await picks(r, 1000);
    const [a, b] = counts(mocks) as [number, number];
    assert.equal(a + b, 1000);
    assert.ok(a >= 210 && a <= 290, `a served ${a} of 1000`);
  });

  test("exact picks for given draws: [1, 3] weights split the unit interval at 0.25", async () => {
    const r = router(group({ weight: 1 }, { weight: 3 }), { random: sequence(0, 0.2499, 0.25, 0.999, 0.1) });
    assert.deepEqual(await picks(r, 5), ["a", "a", "b", "b", "a"]);
  });

  test("weight wins over rpm and tpm", async () => {
    const r = router(group({ weight: 1, rpm: 3000, tpm: 900_000 }, { weight: 3, rpm: 1000, tpm: 300_000 }), {
      random: stratified(100),
    });
    await picks(r, 100);
    assert.deepEqual(counts(mocks), [25, 75, 0, 0]);
  });

  test("by rpm when not every deployment has a weight", async () => {
    const r = router(group({ weight: 9, rpm: 100 }, { rpm: 300 }), { random: stratified(100) });
    await picks(r, 100);
    assert.deepEqual(counts(mocks), [25, 75, 0, 0]);
  });

  test("by tpm when neither weight nor rpm is on every deployment", async () => {
    const r = router(group({ rpm: 5000, tpm: 10_000 }, { tpm: 30_000 }), { random: stratified(100) });
    await picks(r, 100);
    assert.deepEqual(counts(mocks), [25, 75, 0, 0]);
  });

  test("uniform without weight, rpm or tpm: 100 evenly spread draws give 25 each", async () => {
    const r = router(group({}, {}, {}, { tpm: 1_000_000 }), { random: stratified(100) });
    await picks(r, 100);
    assert.deepEqual(counts(mocks), [25, 25, 25, 25]);
  });

  test("uniform: 1000 seeded random picks over three deployments stay within 3 sigma of 333", async () => {
    const r = router(group({}, {}, {}), { random: seeded(7) });
    await picks(r, 1000);
    const served = counts(mocks).slice(0, 3);
    assert.equal(
      served.reduce((sum, n) => sum + n, 0),
      1000,
    );
    for (const n of served) assert.ok(n >= 288 && n <= 378, `served ${served.join("/")}`);
  });

  test("is the default strategy", async () => {
    const r = router(group({ weight: 1 }, { weight: 1 }), { random: sequence(0.4, 0.6) });
    assert.deepEqual(await picks(r, 4), ["a", "b", "a", "b"]);
  });
});

describe("least-busy", () => {
  test("picks the deployment with the fewest requests in flight", async () => {
    const state = new MemoryState();
    state.startRequest("a");
    state.startRequest("a");
    state.startRequest("b");
    const r = router(group({}, {}, {}), { routing_strategy: "least-busy", state, random: sequence(0) });
    assert.deepEqual(await picks(r, 5), ["c", "c", "c", "c", "c"]);
    state.startRequest("c");
    state.startRequest("c");
    assert.deepEqual(await picks(r, 2), ["b", "b"]);
    assert.deepEqual(counts(mocks), [0, 2, 5, 0]);
  });

  test("ties are broken at random", async () => {
    const state = new MemoryState();
    state.startRequest("b");
    const r = router(group({}, {}, {}), {
      routing_strategy: "least-busy",
      state,
      random: sequence(0, 0.99, 0.49, 0.51),
    });
    // a and c are tied at 0: the draw picks between them.
    assert.deepEqual(await picks(r, 4), ["a", "c", "a", "c"]);
  });

  test("a request still waiting on its upstream counts as in flight", async () => {
    const held = gate();
    const arrived = gate();
    mocks[0]?.enqueue(async (_req, res) => {
      arrived.open();
      await held.wait;
      json(res, 200, completionAnswer());
    });
    const r = router(group({}, {}), { routing_strategy: "least-busy", random: sequence(0) });
    const first = picks(r, 1);
    await arrived.wait;
    // a is busy with the first request: the next ones go to b, though the draw favours a.
    assert.deepEqual(await picks(r, 2), ["b", "b"]);
    held.open();
    assert.deepEqual(await first, ["a"]);
    // Both idle again: the draw decides.
    assert.deepEqual(await picks(r, 1), ["a"]);
  });

  test("a stream counts as in flight until it ends, not only until its first chunk", async () => {
    const held = gate();
    mocks[0]?.enqueue(async (_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      const [first, last] = streamChunks(["Hello", " world"]);
      res.write(`data: ${JSON.stringify(first)}\n\n`);
      await held.wait;
      res.end(`data: ${JSON.stringify(last)}\n\ndata: [DONE]\n\n`);
    });
    const state = new MemoryState();
    const r = router(group({}, {}), { routing_strategy: "least-busy", state, random: sequence(0) });
    const stream = await r.textCompletion({ model: "g", ...PROMPT, stream: true });
    const texts: string[] = [];
    try {
      assert.equal(state.inFlight("a"), 1);
      assert.deepEqual(await picks(r, 1), ["b"]);
    } finally {
      held.open();
      for await (const chunk of stream) texts.push(chunk.choices[0]?.text ?? "");
    }
    assert.deepEqual(texts, ["Hello", " world"]);
    assert.equal(state.inFlight("a"), 0);
    assert.deepEqual(await picks(r, 1), ["a"]);
  });
});

describe("latency-based-routing", () => {
  /** a takes 10 ms per output token, b 20 (the answers have 7 completion tokens). */
  function timed(clock: Clock): void {
    mocks[0]?.always(answer(() => clock.advance(70)));
    mocks[1]?.always(answer(() => clock.advance(140)));
  }

  test("unmeasured deployments are tried first, then the fastest takes everything", async () => {
    const clock = new Clock();
    timed(clock);
    const state = new MemoryState();
    const r = router(group({}, {}), {
      routing_strategy: "latency-based-routing",
      state,
      now: clock.now,
      random: sequence(0),
    });
    assert.deepEqual(await picks(r, 6), ["a", "b", "a", "a", "a", "a"]);
    assert.equal(state.latency("a", clock.t, 3_600_000), 10);
    assert.equal(state.latency("b", clock.t, 3_600_000), 20);
  });

  test("lowest_latency_buffer: deployments within the buffer of the fastest share the traffic", async () => {
    const clock = new Clock();
    // Each answer takes what the recorded samples say, so the averages stay put.
    mocks[0]?.always(answer(() => clock.advance(70)));
    mocks[1]?.always(answer(() => clock.advance(133)));
    mocks[2]?.always(answer(() => clock.advance(280)));
    const random = sequence(0, 0.99);
    const make = (buffer: number) => {
      const state = new MemoryState();
      state.recordLatency("a", 10, clock.t);
      state.recordLatency("b", 19, clock.t);
      state.recordLatency("c", 40, clock.t);
      return router(group({}, {}, {}), {
        routing_strategy: "latency-based-routing",
        routing_strategy_args: { lowest_latency_buffer: buffer },
        state,
        now: clock.now,
        random,
      });
    };
    // 19 is within 100% of 10 but not within 50%; 40 is within neither.
    assert.deepEqual(await picks(make(0.5), 4), ["a", "a", "a", "a"]);
    assert.deepEqual(await picks(make(1), 4), ["a", "b", "a", "b"]);
    assert.deepEqual(await picks(make(3), 3), ["a", "c", "a"]);
    assert.deepEqual(counts(mocks), [8, 2, 1, 0]);
  });

  test("ttl: samples older than ttl seconds are forgotten", async () => {
    const clock = new Clock();
    const state = new MemoryState();
    state.recordLatency("a", 50, clock.t);
    clock.advance(9_000);
    state.recordLatency("b", 20, clock.t);
    const r = router(group({}, {}), {
      routing_strategy: "latency-based-routing",
      routing_strategy_args: { ttl: 10 },
      state,
      now: clock.now,
      random: sequence(0.99),
    });
    // a's 50 ms is 9 s old, within the 10 s ttl: b is faster.
    assert.deepEqual(await picks(r, 1), ["b"]);
    clock.advance(1_001);
    // Now a's only sample is older than 10 s: a counts as unmeasured, so it is tried.
    assert.deepEqual(await picks(r, 1), ["a"]);
  });

  test("a stream's sample is its time to first chunk, not per token", async () => {
    const clock = new Clock();
    mocks[0]?.always((_req, res) => {
      clock.advance(300);
      sse(res, [...streamChunks(["one", " two", " three"]), "[DONE]"]);
    });
    const state = new MemoryState();
    const r = router(group({}), { routing_strategy: "latency-based-routing", state, now: clock.now });
    const stream = await r.textCompletion({ model: "g", ...PROMPT, stream: true });
    for await (const _ of stream);
    assert.equal(state.latency("a", clock.t, 60_000), 300);
  });
});

describe("usage-based-routing", () => {
  test("picks the lowest share of its tpm used this minute; each answer's 12 tokens count", async () => {
    const clock = new Clock();
    const state = new MemoryState();
    state.addTokens("a", 300, clock.t); // 300 / 1000 = 0.30
    state.addTokens("b", 20, clock.t); // 20 / 100 = 0.20
    const r = router(group({ tpm: 1000 }, { tpm: 100 }), {
      routing_strategy: "usage-based-routing",
      state,
      now: clock.now,
      random: sequence(0),
    });
    // b (0.20) -> b at 0.32; a (0.30) -> 0.312; a -> 0.324; b (0.32) -> 0.44; a ...
    assert.deepEqual(await picks(r, 5), ["b", "a", "a", "b", "a"]);
    assert.deepEqual(state.minuteUsage("a", clock.t), { requests: 3, tokens: 336 });
    assert.deepEqual(state.minuteUsage("b", clock.t), { requests: 2, tokens: 44 });
  });

  test("without tpm, the fewest tokens this minute; a new minute starts from zero", async () => {
    const clock = new Clock();
    const state = new MemoryState();
    state.addTokens("a", 50, clock.t);
    state.addTokens("b", 30, clock.t);
    const r = router(group({}, {}), {
      routing_strategy: "usage-based-routing",
      state,
      now: clock.now,
      random: sequence(0),
    });
    assert.deepEqual(await picks(r, 3), ["b", "b", "a"]); // b: 30 -> 42 -> 54 > 50
    clock.advance(60_000);
    // Both at zero again: a tie, broken by the draw.
    assert.deepEqual(await picks(r, 2), ["a", "b"]);
  });
});

describe("order tiers", () => {
  test("only the lowest order serves while it has a deployment available", async () => {
    const r = router(group({ order: 1 }, { order: 1 }, { order: 2 }, {}), { random: stratified(10) });
    await picks(r, 10);
    assert.deepEqual(counts(mocks), [5, 5, 0, 0]);
  });

  test("the next tier serves when the first is at its rpm, and the first again in the next minute", async () => {
    const clock = new Clock();
    const r = router(group({ order: 1, rpm: 2 }, { order: 2 }, { order: 3 }), { now: clock.now, random: sequence(0) });
    assert.deepEqual(await picks(r, 4), ["a", "a", "b", "b"]);
    clock.advance(60_000);
    assert.deepEqual(await picks(r, 1), ["a"]);
  });

  test("the next tier serves while the first is cooling down; deployments without order come last", async () => {
    const clock = new Clock();
    const state = new MemoryState();
    const r = router(group({ order: 1 }, { order: 2 }, {}), { state, now: clock.now, random: sequence(0) });
    state.setCooldown("a", { until: clock.t + 1_000, cause: "failure" });
    assert.deepEqual(await picks(r, 2), ["b", "b"]);
    state.setCooldown("b", { until: clock.t + 1_000, cause: "failure" });
    assert.deepEqual(await picks(r, 1), ["c"]);
    clock.advance(1_000);
    assert.deepEqual(await picks(r, 1), ["a"]);
  });
});
