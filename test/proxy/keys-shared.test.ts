/**
 * Virtual keys on two proxy instances sharing one Postgres schema and one Redis prefix, as
 * a deployment behind a load balancer runs them. Proves that a key made on one instance
 * works on the other at once; that an rpm limit holds exactly across both (one request
 * after another, and all at once); that spend from both adds up in the shared database
 * and every instance reports it; that a budget holds across instances before the batched
 * spend writes reach the database (Redis counts what is not written yet); and a block on
 * one instance reaches the other at once through Redis, not when its cached lookup expires.
 *
 * Needs TEST_DATABASE_URL and TEST_REDIS_URL; skipped loudly without either.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, beforeEach, describe, test } from "node:test";
import type { GatewayOptions } from "../../src/proxy/server.js";
import { RedisKeyState } from "../../src/state/redis-key-state.js";
import { PostgresStore } from "../../src/store/postgres-store.js";
import { completionAnswer } from "../helpers/fixtures.js";
import { startGateway, type TestGateway } from "../helpers/gateway.js";
import { call, type Call, complete, generateKey, MASTER_KEY } from "../helpers/keys.js";
import { json, MockUpstream } from "../helpers/mock-upstream.js";
import { dropSchemas, eventually, removeRedisKeys, sleep, uniqueName, warnSkipped } from "../helpers/services.js";

const DATABASE_URL = process.env.TEST_DATABASE_URL;
const REDIS_URL = process.env.TEST_REDIS_URL;
const SKIP =
  DATABASE_URL === undefined || REDIS_URL === undefined
    ? "TEST_DATABASE_URL and TEST_REDIS_URL must both be set: shared-instance key tests skipped"
    : undefined;
warnSkipped(SKIP);

/** $0.01 per prompt token, $0.02 per completion token: the fixture's 5 + 7 tokens cost $0.19. */
const PRICES = { input_cost_per_token: 0.01, output_cost_per_token: 0.02 };
const ANSWER_COST = 5 * 0.01 + 7 * 0.02;
const MODEL = "gpt-instruct";
/** Short, so the test can wait it out; the default is 5 s. */
const CACHE_TTL_MS = 200;

/** One schema and one Redis prefix for the whole file: every instance of every pair shares them. */
const schema = uniqueName("litegate_shared");
const keyPrefix = schema.replaceAll("_", "-");

const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

interface Instance {
  gateway: TestGateway;
  url: string;
  store: PostgresStore;
  /** What this instance's RedisKeyState warned: any entry means limits silently went local. */
  redisWarnings: string[];
}

type PairOptions = Pick<GatewayOptions, "spendWriter" | "keyCacheTtlMs">;

/** One instance: its own pool on the shared schema, its own Redis connection on the shared prefix. */
async function startInstance(
  databaseUrl: string,
  redisUrl: string,
  upstream: string,
  options: PairOptions,
): Promise<Instance> {
  const store = await PostgresStore.open({
    connectionString: databaseUrl,
    schema,
    poolMax: 4,
    applicationName: schema,
  });
  const redisWarnings: string[] = [];
  const keyState = RedisKeyState.connect({
    url: redisUrl,
    keyPrefix,
    logger: { warn: (message) => redisWarnings.push(message), info: () => {} },
  });
  assert.equal(await keyState.ready(), true, "Redis at TEST_REDIS_URL did not answer");
  const gateway = await startGateway({
    modelList: [
      {
        model_name: MODEL,
        litellm_params: {
          model: `text-completion-openai/${MODEL}`,
          api_key: "sk-upstream",
          api_base: `${upstream}/v1`,
        },
        model_info: PRICES,
      },
    ],
    masterKey: MASTER_KEY,
    store,
    keyState,
    ...options,
  });
  return { gateway, url: gateway.url, store, redisWarnings };
}

async function startPair(upstream: string, options: PairOptions): Promise<[Instance, Instance]> {
  const databaseUrl = DATABASE_URL ?? "";
  const redisUrl = REDIS_URL ?? "";
  // One after the other: both migrate the same schema (the advisory lock makes that safe either way).
  const a = await startInstance(databaseUrl, redisUrl, upstream, options);
  const b = await startInstance(databaseUrl, redisUrl, upstream, options);
  return [a, b];
}

function writerOf(instance: Instance) {
  const writer = instance.gateway.server.access.writer;
  assert.ok(writer !== undefined, "a gateway with a store has a spend writer");
  return writer;
}

/** Money compared within 1e-9: a sum of $0.19 amounts carries float noise. */
const near = (actual: number, expected: number, what: string): void =>
  assert.ok(Math.abs(actual - expected) < 1e-9, `${what}: ${actual}, expected ${expected}`);

/** Each test skipped on its own, so the run's summary counts every skip. */
function sharedTest(name: string, body: () => Promise<void>): void {
  test(name, { skip: SKIP }, body);
}

const statuses = (answers: readonly Call[]): number[] => answers.map((answer) => answer.status);

describe("virtual keys on two instances sharing Postgres and Redis", () => {
  let mock: MockUpstream;
  /** Spend written every 20 ms, key lookups cached 200 ms. */
  let fast: [Instance, Instance];
  /** Spend written only at shutdown (or on a management route): budgets must rely on Redis alone. */
  let slow: [Instance, Instance];

  before(async () => {
    if (SKIP !== undefined) return;
    mock = await MockUpstream.start();
    fast = await startPair(mock.url, { spendWriter: { intervalMs: 20 }, keyCacheTtlMs: CACHE_TTL_MS });
    slow = await startPair(mock.url, { spendWriter: { intervalMs: 60_000 } });
  });

  after(async () => {
    for (const instance of [...(fast ?? []), ...(slow ?? [])]) await instance.gateway.close();
    await mock?.close();
    if (DATABASE_URL !== undefined) await dropSchemas(DATABASE_URL, [schema]);
    if (REDIS_URL !== undefined) await removeRedisKeys(REDIS_URL, keyPrefix);
  });

  beforeEach(() => {
    if (SKIP !== undefined) return;
    mock.reset();
    mock.always((_req, res) => json(res, 200, completionAnswer()));
  });

  sharedTest(
    "a key made on A works on B at once; rpm_limit 10 holds across both, one request after another",
    async () => {
      const [a, b] = fast;
      const key = await generateKey(a.url, { rpm_limit: 10 });
      const answers: Call[] = [];
      // B first: it has never seen the key, and must find it in the shared database.
      for (let i = 0; i < 12; i++) answers.push(await complete((i % 2 === 0 ? b : a).url, key, MODEL));
      assert.deepEqual(statuses(answers), [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 429, 429]);
      // One shared counter: the remaining count falls by one per request whichever instance took it.
      assert.deepEqual(
        answers.slice(0, 10).map((answer) => answer.headers.get("x-ratelimit-remaining-requests")),
        ["9", "8", "7", "6", "5", "4", "3", "2", "1", "0"],
      );
      for (const refused of answers.slice(10)) {
        assert.equal(refused.body.error?.param, "rpm_limit");
        assert.equal(refused.body.error?.code, "rate_limit_exceeded");
        assert.equal(refused.body.error?.type, "rate_limit_error");
        assert.equal(refused.headers.get("x-ratelimit-remaining-requests"), "0");
      }
      assert.equal(mock.requests.length, 10, "refused requests never reach the upstream");
      assert.deepEqual([...a.redisWarnings, ...b.redisWarnings], [], "Redis fell back to local state");
    },
  );

  sharedTest("rpm_limit 10 holds across both when 12 requests arrive at once", async () => {
    const [a, b] = fast;
    const key = await generateKey(a.url, { rpm_limit: 10 });
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) => complete((i % 2 === 0 ? b : a).url, key, MODEL)),
    );
    assert.equal(answers.filter((answer) => answer.status === 200).length, 10);
    const refused = answers.filter((answer) => answer.status !== 200);
    assert.deepEqual(statuses(refused), [429, 429]);
    for (const answer of refused) assert.equal(answer.body.error?.param, "rpm_limit");
    assert.equal(mock.requests.length, 10);
  });

  sharedTest(
    "spend from both instances adds up in the shared database; either instance reports all of it",
    async () => {
      const [a, b] = fast;
      const key = await generateKey(a.url);
      const answers: Call[] = [];
      for (let i = 0; i < 6; i++) answers.push(await complete((i % 2 === 0 ? a : b).url, key, MODEL));
      answers.push(
        ...(await Promise.all(Array.from({ length: 6 }, (_, i) => complete((i % 2 === 0 ? a : b).url, key, MODEL)))),
      );
      const n = answers.length;
      assert.deepEqual(
        statuses(answers),
        Array.from({ length: n }, () => 200),
      );
      const charged = answers.reduce((sum, answer) => sum + Number(answer.headers.get("x-litellm-response-cost")), 0);
      near(charged, n * ANSWER_COST, "sum of x-litellm-response-cost");

      // A management route flushes only its own instance's buffer; the other instance's
      // records land on its own 20 ms timer. Wait for that timer, do not force it.
      await eventually(() => writerOf(a).pending() === 0 && writerOf(b).pending() === 0, "both spend writers drained");

      for (const instance of [a, b]) {
        const info = await call(instance.url, "GET", `/key/info?key=${key}`, MASTER_KEY);
        assert.equal(info.status, 200);
        const spend = Number((info.body.info as { spend: number }).spend);
        near(spend, n * ANSWER_COST, `/key/info spend on ${instance.url}`);
        near(spend, charged, `/key/info spend vs the cost headers on ${instance.url}`);

        const logs = await call(instance.url, "GET", `/spend/logs?api_key=${key}`, MASTER_KEY);
        assert.equal(logs.status, 200);
        const rows = logs.body as unknown as { api_key: string; status: string; spend: number }[];
        assert.equal(rows.length, n);
        assert.deepEqual(new Set(rows.map((row) => row.status)), new Set(["success"]));
        assert.deepEqual(new Set(rows.map((row) => row.api_key)), new Set([sha256(key)]));
        near(
          rows.reduce((sum, row) => sum + row.spend, 0),
          charged,
          "sum of /spend/logs spend",
        );
      }
    },
  );

  sharedTest("max_budget holds across instances before the batched spend writes land", async () => {
    const [a, b] = slow;
    const key = await generateKey(a.url, { max_budget: 0.5 });
    // A, B, A: $0.38 spent before the third, under $0.5, so it runs and brings spend to $0.57.
    for (const instance of [a, b, a]) assert.equal((await complete(instance.url, key, MODEL)).status, 200);
    // Nothing has reached the database: the only record of the $0.57 is in Redis.
    assert.equal(writerOf(a).pending(), 2);
    assert.equal(writerOf(b).pending(), 1);
    assert.equal((await a.store.getKey(sha256(key)))?.spend, 0);

    const refused = await complete(b.url, key, MODEL);
    assert.equal(refused.status, 400);
    assert.deepEqual(refused.body.error, {
      message: `Budget exceeded for key sk-...${key.slice(-4)}: spent $0.57 of its max_budget $0.5. It does not reset; the gateway's admin can raise max_budget (POST /key/update).`,
      type: "budget_exceeded",
      param: "max_budget",
      code: "400",
    });
    assert.equal((await complete(a.url, key, MODEL)).status, 400, "A refuses too");
    assert.equal(mock.requests.length, 3);

    // Once both buffers are written the database holds exactly the three requests that ran.
    assert.equal(await a.gateway.server.access.flushSpend(5_000), true);
    assert.equal(await b.gateway.server.access.flushSpend(5_000), true);
    near((await a.store.getKey(sha256(key)))?.spend ?? -1, 3 * ANSWER_COST, "database spend after the flush");
    assert.equal((await a.store.spendLogs({ key_hash: sha256(key), limit: 100 })).length, 3);
    // And the counters agree with the database: still refused, not double-counted into a different message.
    const again = await complete(b.url, key, MODEL);
    assert.equal(again.body.error?.message, refused.body.error?.message);
  });

  sharedTest(
    "a key blocked on A: A refuses at once, B as soon as the change reaches it through Redis (not at its cache TTL)",
    async () => {
      // This pair caches lookups for the default 5 s: B's refusal must come from the announcement.
      const [a, b] = slow;
      const key = await generateKey(a.url, { key_alias: "shared-block" });
      assert.equal((await complete(b.url, key, MODEL)).status, 200, "B loads and caches the key");
      assert.equal((await complete(a.url, key, MODEL)).status, 200);

      const blockedAt = Date.now();
      const blocked = await call(a.url, "POST", "/key/block", MASTER_KEY, { key });
      assert.equal(blocked.status, 200);
      assert.equal(blocked.body.blocked, true);
      const refusal = {
        message: `The key 'shared-block' (sk-...${key.slice(-4)}) is blocked; the gateway's admin can unblock it with POST /key/unblock.`,
        type: "authentication_error",
        param: null,
        code: "key_blocked",
      };
      const onA = await complete(a.url, key, MODEL);
      assert.equal(onA.status, 401);
      assert.deepEqual(onA.body.error, refusal);

      let onB = await complete(b.url, key, MODEL);
      while (onB.status === 200) {
        assert.ok(Date.now() - blockedAt < 1_000, "B still served the blocked key a second after the block");
        await sleep(20);
        onB = await complete(b.url, key, MODEL);
      }
      assert.equal(onB.status, 401);
      assert.deepEqual(onB.body.error, refusal);
      // And unblocking reaches B the same way.
      assert.equal((await call(a.url, "POST", "/key/unblock", MASTER_KEY, { key })).status, 200);
      await eventually(
        async () => (await complete(b.url, key, MODEL)).status === 200,
        "B serves the unblocked key",
        1_000,
      );
    },
  );
});
