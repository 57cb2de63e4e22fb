/**
 * The health-check store and its background loop with a fake ping and clock: the exact record
 * of each deployment, runs that never overlap, a loop that outlives a failing run, and stop()
 * cancelling the run under way.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type Deployment, deploymentsFromLiteLLM } from "../../src/config/index.js";
import type { AbortLike } from "../../src/http/cancel.js";
import { type HealthCheckRecord, HealthChecks, type HealthTarget } from "../../src/proxy/health-checks.js";
import { RateLimitError } from "../../src/wire/errors.js";

const DEPLOYMENTS = deploymentsFromLiteLLM([
  { model_name: "chat", litellm_params: { model: "openai/gpt-4o", api_key: "sk-a" }, model_info: { id: "dep-a" } },
  { model_name: "chat", litellm_params: { model: "openai/gpt-4o-mini", api_key: "sk-b" }, model_info: { id: "dep-b" } },
]);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** A target whose ping waits for the test to settle it: `pings` records each call, in order. */
class FakeTarget implements HealthTarget {
  deployments: readonly Deployment[] = DEPLOYMENTS;
  readonly pings: { id: string; settle: (error?: Error) => void; signal: AbortLike | undefined }[] = [];
  inFlight = 0;
  maxInFlight = 0;

  ping(deployment: Deployment, timeoutSeconds: number, signal?: AbortLike): Promise<void> {
    assert.equal(timeoutSeconds, 30);
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    return new Promise<void>((resolve, reject) => {
      const settle = (error?: Error) => {
        this.inFlight -= 1;
        if (error === undefined) resolve();
        else reject(error);
      };
      signal?.addEventListener("abort", () => settle(new Error("cancelled")), { once: true });
      this.pings.push({ id: deployment.id, settle, signal });
    });
  }

  /** Settles the pings not settled yet: dep-b fails with a 429, the others answer. */
  settleAll(): void {
    for (const ping of this.pings.splice(0)) {
      ping.settle(ping.id === "dep-b" ? new RateLimitError("Rate limit reached for gpt-4o-mini.") : undefined);
    }
  }
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 2));
  assert.ok(condition(), "the condition never held");
}

function warnings(): { warn: (message: string) => void; seen: string[] } {
  const seen: string[] = [];
  return { seen, warn: (message: string) => seen.push(message) };
}

/** A clock that moves 40 ms each time it is read. */
function steppingClock(start: number): () => number {
  let t = start - 40;
  return () => {
    t += 40;
    return t;
  };
}

describe("HealthChecks", () => {
  test("a run keeps each deployment's latest check in LiteLLM's record fields", async () => {
    const target = new FakeTarget();
    const checks = new HealthChecks({ target, logger: warnings(), now: steppingClock(Date.UTC(2026, 11, 4, 12)) });
    assert.deepEqual(checks.latest(), []);
    const run = checks.run();
    await tick();
    target.settleAll();
    const results = await run;
    const records = results.map((check) => check.record);
    for (const record of records) assert.match(record.health_check_id, UUID);
    const expected: Omit<HealthCheckRecord, "health_check_id">[] = [
      {
        model_name: "chat",
        model_id: "dep-a",
        status: "healthy",
        healthy_count: 1,
        unhealthy_count: 0,
        error_message: null,
        // Started at 12:00:00.000 and 12:00:00.040; each ended at the next two reads.
        response_time_ms: 80,
        details: null,
        checked_by: null,
        checked_at: "2026-12-04T12:00:00.080Z",
        created_at: "2026-12-04T12:00:00.080Z",
      },
      {
        model_name: "chat",
        model_id: "dep-b",
        status: "unhealthy",
        healthy_count: 0,
        unhealthy_count: 1,
        error_message: "Rate limit reached for gpt-4o-mini.",
        response_time_ms: 80,
        details: null,
        checked_by: null,
        checked_at: "2026-12-04T12:00:00.120Z",
        created_at: "2026-12-04T12:00:00.120Z",
      },
    ];
    assert.deepEqual(
      records.map(({ health_check_id: _, ...rest }) => rest),
      expected,
    );
    assert.deepEqual(
      checks.latest().map((check) => check.record),
      records,
    );
    assert.equal(new Set(records.map((r) => r.health_check_id)).size, 2);
  });

  test("an error message is cut at 500 characters, as LiteLLM stores it", async () => {
    const target = new FakeTarget();
    target.deployments = [DEPLOYMENTS[1] as Deployment];
    const checks = new HealthChecks({ target, logger: warnings() });
    const run = checks.run();
    await tick();
    for (const ping of target.pings.splice(0)) ping.settle(new RateLimitError("x".repeat(2000)));
    const [check] = await run;
    assert.equal(check?.record.error_message, "x".repeat(500));
  });

  test("a run asked for while one is under way joins it: each deployment is pinged once", async () => {
    const target = new FakeTarget();
    const checks = new HealthChecks({ target, logger: warnings() });
    const first = checks.run();
    const second = checks.run();
    await tick();
    assert.equal(first, second);
    assert.deepEqual(
      target.pings.map((ping) => ping.id),
      ["dep-a", "dep-b"],
    );
    target.settleAll();
    await first;
    // Once it has ended, the next run pings again.
    const third = checks.run();
    assert.notEqual(third, first);
    await tick();
    assert.equal(target.pings.length, 2);
    target.settleAll();
    await third;
  });

  test("a deployment removed since is dropped from the latest checks", async () => {
    const target = new FakeTarget();
    const checks = new HealthChecks({ target, logger: warnings() });
    const run = checks.run();
    await tick();
    target.settleAll();
    await run;
    target.deployments = [DEPLOYMENTS[0] as Deployment];
    assert.deepEqual(
      checks.latest().map((check) => check.record.model_id),
      ["dep-a"],
    );
  });

  test("the background loop: a run at start, the next one only an interval after it ended, never two at once", async () => {
    const target = new FakeTarget();
    const checks = new HealthChecks({ target, intervalSeconds: 0.005, logger: warnings() });
    assert.equal(checks.background, true);
    checks.start();
    checks.start();
    await tick();
    assert.equal(target.pings.length, 2);
    let settled = false;
    const first = checks.settled().then(() => {
      settled = true;
    });
    // Many intervals pass while the first run hangs: no second run starts.
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(target.pings.length, 2);
    assert.equal(settled, false);
    target.settleAll();
    await first;
    assert.deepEqual(
      checks.latest().map((check) => [check.record.model_id, check.record.status, check.record.checked_by]),
      [
        ["dep-a", "healthy", "background_health_check"],
        ["dep-b", "unhealthy", "background_health_check"],
      ],
    );
    await until(() => target.pings.length === 2);
    target.settleAll();
    await until(() => target.pings.length === 2);
    assert.equal(target.maxInFlight, 2);
    // stop() cancels the run under way; its results are dropped and no run follows.
    const before = checks.latest().map((check) => check.record.health_check_id);
    await checks.stop();
    assert.equal(
      target.pings.every((ping) => ping.signal?.aborted === true),
      true,
    );
    assert.deepEqual(
      checks.latest().map((check) => check.record.health_check_id),
      before,
    );
    target.pings.splice(0);
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.deepEqual(target.pings, []);
  });

  test("a run that throws is logged, and the loop goes on", async () => {
    let calls = 0;
    const target: HealthTarget = {
      get deployments(): readonly Deployment[] {
        calls += 1;
        if (calls === 1) throw new Error("model list unreadable");
        return [];
      },
      ping: () => Promise.resolve(),
    };
    const logger = warnings();
    const checks = new HealthChecks({ target, intervalSeconds: 0.005, logger });
    checks.start();
    await checks.settled();
    assert.deepEqual(logger.seen, ["health check run failed: model list unreadable; the next run retries"]);
    await until(() => calls >= 3);
    await checks.stop();
  });

  test("without an interval there is no loop: start() does nothing and settled() is at once", async () => {
    const target = new FakeTarget();
    const checks = new HealthChecks({ target, logger: warnings() });
    assert.equal(checks.background, false);
    checks.start();
    await checks.settled();
    await tick();
    assert.deepEqual(target.pings, []);
  });
});
