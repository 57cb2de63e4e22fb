/**
 * /health/readiness in LiteLLM's shape: what the gateway depends on (database, Redis, the
 * callbacks in use), 503 while a configured database does not answer. The Postgres and
 * Redis cases need TEST_DATABASE_URL and TEST_REDIS_URL (skipped loudly without them).
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { RedisKeyState } from "../../src/state/redis-key-state.js";
import { PostgresStore } from "../../src/store/postgres-store.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import { packageVersion } from "../../src/version.js";
import { startGateway, type TestGateway } from "../helpers/gateway.js";
import { MASTER_KEY } from "../helpers/keys.js";
import { dropSchemas, removeRedisKeys, uniqueName, warnSkipped } from "../helpers/services.js";
import { TcpRelay } from "../helpers/tcp-relay.js";

const DATABASE_URL = process.env.TEST_DATABASE_URL;
const REDIS_URL = process.env.TEST_REDIS_URL;
const SKIP =
  DATABASE_URL === undefined || REDIS_URL === undefined
    ? "TEST_DATABASE_URL or TEST_REDIS_URL is not set: the Postgres and Redis readiness test is skipped"
    : undefined;
warnSkipped(SKIP);

async function readiness(gateway: TestGateway): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${gateway.url}/health/readiness`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const base = { cache: null, litellm_version: packageVersion(), log_level: "INFO", is_detailed_debug: false };

describe("GET /health/readiness", () => {
  const dir = mkdtempSync(join(tmpdir(), "litegate-readiness-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("no database, no Redis: healthy, both 'Not connected' (LiteLLM's words)", async () => {
    const gateway = await startGateway({ modelList: [] });
    try {
      assert.deepEqual(await readiness(gateway), {
        status: 200,
        body: { status: "healthy", db: "Not connected", redis: "Not connected", ...base, success_callbacks: [] },
      });
    } finally {
      await gateway.close();
    }
  });

  test("SQLite and the prometheus callback: the database connected, the callback named; no key needed", async () => {
    const gateway = await startGateway({
      modelList: [],
      masterKey: MASTER_KEY,
      store: SqliteStore.open({ path: join(dir, "ready.db") }),
      metrics: { requireAuth: true, endUserLimit: 10, endUserLabels: true },
    });
    try {
      assert.deepEqual(await readiness(gateway), {
        status: 200,
        body: {
          status: "healthy",
          db: "connected",
          redis: "Not connected",
          ...base,
          success_callbacks: ["prometheus"],
        },
      });
    } finally {
      await gateway.close();
    }
  });

  test("Postgres and Redis connected; the database cut: 503 'disconnected', back: healthy", {
    skip: SKIP,
  }, async () => {
    const target = new URL(DATABASE_URL ?? "");
    const relay = await TcpRelay.start(target.hostname, Number(target.port || 5432));
    const viaRelay = new URL(DATABASE_URL ?? "");
    viaRelay.hostname = relay.host;
    viaRelay.port = String(relay.port);
    const schema = uniqueName("litegate_ready");
    const keyPrefix = uniqueName("ready");
    const keyState = RedisKeyState.connect({ url: REDIS_URL ?? "", keyPrefix, logger: { warn() {}, info() {} } });
    await keyState.ready();
    const gateway = await startGateway({
      modelList: [],
      masterKey: MASTER_KEY,
      keyState,
      store: await PostgresStore.open({
        connectionString: viaRelay.toString(),
        schema,
        poolMax: 2,
        connectionTimeoutMillis: 500,
      }),
    });
    try {
      assert.deepEqual(await readiness(gateway), {
        status: 200,
        body: { status: "healthy", db: "connected", redis: "connected", ...base, success_callbacks: [] },
      });
      await relay.stop();
      assert.deepEqual(await readiness(gateway), {
        status: 503,
        body: { status: "unhealthy", db: "disconnected", redis: "connected", ...base, success_callbacks: [] },
      });
      await relay.restart();
      assert.equal((await readiness(gateway)).status, 200);
    } finally {
      await relay.restart().catch(() => undefined);
      await gateway.close();
      await relay.stop();
      await dropSchemas(DATABASE_URL ?? "", [schema]);
      await removeRedisKeys(REDIS_URL ?? "", keyPrefix);
    }
  });
});
