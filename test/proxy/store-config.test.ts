/** Which store config.yaml opens: Postgres at database_url or DATABASE_URL, else SQLite; none for an open gateway. */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import pg from "pg";
import { loadConfig } from "../../src/config/index.js";
import { openStore } from "../../src/proxy/start.js";
import { PostgresStore } from "../../src/store/postgres-store.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";

const BASE_URL = process.env.TEST_DATABASE_URL;
/** A schema of its own, named in the URL, so the migrations land there and are dropped after. */
const SCHEMA = `store_config_${process.pid}`;
const DATABASE_URL =
  BASE_URL === undefined ? undefined : `${BASE_URL}?options=${encodeURIComponent(`-c search_path=${SCHEMA}`)}`;
const dir = mkdtempSync(join(tmpdir(), "litegate-store-config-"));
after(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (BASE_URL !== undefined) await sql(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
});

async function sql(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: BASE_URL });
  await client.connect();
  await client.query(statement);
  await client.end();
}

const MODELS = "model_list:\n  - model_name: m\n    litellm_params: { model: openai/gpt-4o-mini, mock_response: hi }\n";

async function configWith(name: string, general: string, env: NodeJS.ProcessEnv = {}) {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, `${MODELS}general_settings:\n${general}`);
  return loadConfig(file, env);
}

test("an open gateway (no master key, no database setting) opens no store", async () => {
  assert.equal(await openStore(await configWith("open", "  max_request_size_mb: 5\n"), undefined, {}), undefined);
});

test("a master key opens SQLite at database_path, migrated", async () => {
  const path = join(dir, "keys.db");
  const store = await openStore(
    await configWith("sqlite", `  master_key: sk-1\n  database_path: ${path}\n`),
    undefined,
    {},
  );
  assert.ok(store instanceof SqliteStore);
  assert.ok(existsSync(path));
  await store.close();
});

test("without database_path, SQLite lives at ./litegate.db", async () => {
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    const store = await openStore(await configWith("default", "  master_key: sk-1\n"), undefined, {});
    assert.ok(store instanceof SqliteStore);
    assert.ok(existsSync(join(dir, "litegate.db")));
    await store?.close();
  } finally {
    process.chdir(cwd);
  }
});

for (const [name, general, env] of [
  ["database_url", `  master_key: sk-1\n  database_url: ${DATABASE_URL}\n  database_connection_pool_limit: 2\n`, {}],
  ["DATABASE_URL", "  master_key: sk-1\n", { DATABASE_URL }],
] as const) {
  test(`${name} opens Postgres`, {
    skip: DATABASE_URL === undefined ? "TEST_DATABASE_URL is not set: Postgres tests skipped" : false,
  }, async () => {
    await sql(`CREATE SCHEMA IF NOT EXISTS ${SCHEMA}`);
    const store = await openStore(await configWith(name, general), undefined, env);
    assert.ok(store instanceof PostgresStore);
    await store.createUser({ user_id: name });
    await store.close();
  });
}
