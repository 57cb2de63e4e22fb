/**
 * Models added at runtime reach every instance: instances on one SQLite file pick up a
 * change on their periodic refresh (and one started later loads it at start); instances on
 * one Postgres with Redis hear it at once over pub/sub, their refresh set to an hour so only
 * the announcement can have carried it.
 *
 * The Postgres + Redis half needs TEST_DATABASE_URL and TEST_REDIS_URL; skipped loudly without.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { RedisModelChanges } from "../../src/state/model-changes.js";
import { PostgresStore } from "../../src/store/postgres-store.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import type { Store } from "../../src/store/types.js";
import { chatAnswer } from "../helpers/fixtures.js";
import { startGateway, type TestGateway } from "../helpers/gateway.js";
import { call, MASTER_KEY } from "../helpers/keys.js";
import { json, MockUpstream } from "../helpers/mock-upstream.js";
import { dropSchemas, eventually, removeRedisKeys, uniqueName, warnSkipped } from "../helpers/services.js";

const DATABASE_URL = process.env.TEST_DATABASE_URL;
const REDIS_URL = process.env.TEST_REDIS_URL;
const SHARED_SKIP =
  DATABASE_URL === undefined || REDIS_URL === undefined
    ? "TEST_DATABASE_URL and TEST_REDIS_URL must both be set: model changes over Postgres + Redis skipped"
    : undefined;
warnSkipped(SHARED_SKIP);

const CONFIG = [{ model_name: "base", litellm_params: { model: "openai/gpt-4o", mock_response: "from the config" } }];
const HI = [{ role: "user", content: "Hello!" }];

let upstreamA: MockUpstream;
let upstreamB: MockUpstream;

before(async () => {
  upstreamA = await MockUpstream.start();
  upstreamB = await MockUpstream.start();
  upstreamA.always((_request, res) => json(res, 200, chatAnswer("from A")));
  upstreamB.always((_request, res) => json(res, 200, chatAnswer("from B")));
});
after(async () => {
  await upstreamA.close();
  await upstreamB.close();
});

async function names(gateway: TestGateway): Promise<string[]> {
  const answer = await call(gateway.url, "GET", "/v1/models", MASTER_KEY);
  return (answer.body.data as { id: string }[]).map((model) => model.id);
}

/** The answer's content when `gateway` sends a chat to `model`, or its error code. */
async function chatVia(gateway: TestGateway, model: string): Promise<string> {
  const answer = await call(gateway.url, "POST", "/v1/chat/completions", MASTER_KEY, { model, messages: HI });
  if (answer.status !== 200) return `${answer.status} ${answer.body.error?.code}`;
  const [choice] = answer.body.choices as { message: { content: string } }[];
  return choice?.message.content ?? "";
}

function gateway(store: Store, refreshSeconds: number, modelChanges?: RedisModelChanges): Promise<TestGateway> {
  return startGateway({
    modelList: CONFIG,
    masterKey: MASTER_KEY,
    store,
    storeModelInDb: true,
    modelChanges,
    modelRefreshSeconds: refreshSeconds,
  });
}

/** Add, move to upstream B, delete on `writer`; `reader` must follow each step within `withinMs`. */
async function followsChanges(writer: TestGateway, reader: TestGateway, withinMs: number): Promise<void> {
  const created = await call(writer.url, "POST", "/model/new", MASTER_KEY, {
    model_name: "shared",
    litellm_params: { model: "openai/gpt-4o", api_key: "sk-upstream", api_base: `${upstreamA.url}/v1` },
    model_info: { id: "shared-1" },
  });
  assert.equal(created.status, 200);
  await eventually(async () => (await names(reader)).includes("shared"), "the reader lists the new model", withinMs);
  assert.deepEqual(await names(reader), ["base", "shared"]);
  assert.equal(await chatVia(reader, "shared"), "from A");

  const updated = await call(writer.url, "POST", "/model/update", MASTER_KEY, {
    model_info: { id: "shared-1" },
    litellm_params: { api_base: `${upstreamB.url}/v1` },
  });
  assert.equal(updated.status, 200);
  await eventually(async () => (await chatVia(reader, "shared")) === "from B", "the reader routes to B", withinMs);

  const deleted = await call(writer.url, "POST", "/model/delete", MASTER_KEY, { id: "shared-1" });
  assert.equal(deleted.status, 200);
  await eventually(async () => !(await names(reader)).includes("shared"), "the reader drops the model", withinMs);
  assert.equal(await chatVia(reader, "shared"), "400 model_not_found");
  assert.equal(await chatVia(reader, "base"), "from the config");
}

describe("instances on one SQLite file", () => {
  const dir = mkdtempSync(join(tmpdir(), "litegate-models-shared-"));
  const path = join(dir, "gateway.db");
  const gateways: TestGateway[] = [];
  after(async () => {
    for (const each of gateways) await each.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("the other instance picks each change up on its refresh; one started later loads the stored models at start", async () => {
    const writer = await gateway(SqliteStore.open({ path }), 3600);
    const reader = await gateway(SqliteStore.open({ path }), 0.2);
    gateways.push(writer, reader);
    await followsChanges(writer, reader, 3_000);

    const kept = await call(writer.url, "POST", "/model/new", MASTER_KEY, {
      model_name: "kept",
      litellm_params: { model: "openai/gpt-4o", api_key: "sk-upstream", api_base: `${upstreamA.url}/v1` },
    });
    assert.equal(kept.status, 200);
    const late = await gateway(SqliteStore.open({ path }), 3600);
    gateways.push(late);
    assert.deepEqual(await names(late), ["base", "kept"]);
    assert.equal(await chatVia(late, "kept"), "from A");
  });
});

describe("instances on one Postgres with Redis", { skip: SHARED_SKIP }, () => {
  const schema = uniqueName("litegate_models_shared");
  const keyPrefix = schema.replaceAll("_", "-");
  const gateways: TestGateway[] = [];
  after(async () => {
    for (const each of gateways) await each.close();
    await dropSchemas(DATABASE_URL ?? "", [schema]);
    await removeRedisKeys(REDIS_URL ?? "", keyPrefix);
  });

  async function instance(): Promise<TestGateway> {
    const store = await PostgresStore.open({ connectionString: DATABASE_URL ?? "", schema, poolMax: 2 });
    const warnings: string[] = [];
    const changes = RedisModelChanges.connect({
      url: REDIS_URL,
      keyPrefix,
      logger: { warn: (message) => warnings.push(message) },
    });
    // An hour: a change can only arrive through Redis within this test.
    const started = await gateway(store, 3600, changes);
    await changes.listening();
    return started;
  }

  test("a change made on one instance reaches the other at once", async () => {
    const writer = await instance();
    const reader = await instance();
    gateways.push(writer, reader);
    await followsChanges(writer, reader, 2_000);
    await followsChanges(reader, writer, 2_000);
  });
});
