/**
 * The store contract on the real Postgres at TEST_DATABASE_URL (skipped loudly without it;
 * CI sets it). Every database is a fresh schema named for this run; all are dropped at the end.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, test } from "node:test";
import pg from "pg";
import { PostgresStore } from "../../src/store/postgres-store.js";
import { hashKey, spend, storeSuite } from "./store-suite.js";

const DATABASE_URL = process.env.TEST_DATABASE_URL;
const SKIP = DATABASE_URL === undefined ? "TEST_DATABASE_URL is not set: Postgres tests skipped" : undefined;
const run = `litegate_test_${randomBytes(5).toString("hex")}`;
const schemas: string[] = [];

function newSchema(): string {
  const schema = `${run}_${schemas.length}`;
  schemas.push(schema);
  return schema;
}

async function admin<T>(body: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    return await body(client);
  } finally {
    await client.end();
  }
}

/** Every text value in the schema's tables (JSON and numbers cast to text). */
async function dump(schema: string): Promise<string> {
  return admin(async (client) => {
    const columns = await client.query(
      "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = $1",
      [schema],
    );
    const parts: string[] = [];
    for (const row of columns.rows as { table_name: string; column_name: string }[]) {
      const values = await client.query(`SELECT "${row.column_name}"::text AS v FROM "${schema}"."${row.table_name}"`);
      for (const value of values.rows as { v: string | null }[]) parts.push(value.v ?? "");
    }
    return parts.join("\n");
  });
}

async function dropAll(): Promise<void> {
  if (DATABASE_URL === undefined || schemas.length === 0) return;
  await admin(async (client) => {
    for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  });
}

storeSuite({
  name: "Postgres",
  ...(SKIP === undefined ? {} : { skip: SKIP }),
  async fresh() {
    const schema = newSchema();
    return {
      open: () => PostgresStore.open({ connectionString: DATABASE_URL ?? "", schema, poolMax: 4 }),
      dump: () => dump(schema),
    };
  },
  // Dropped once, after every test in this file (the ones below make schemas too).
  cleanup: async () => {},
});

after(dropAll);

test("Postgres: the pool recovers after the server terminates its connections", { skip: SKIP }, async () => {
  const schema = newSchema();
  const warnings: string[] = [];
  const store = await PostgresStore.open({
    connectionString: DATABASE_URL ?? "",
    schema,
    applicationName: schema,
    poolMax: 3,
    logger: { warn: (m) => warnings.push(m), info: () => {} },
  });
  try {
    const key = hashKey("sk-recover");
    await store.createKey({ token_hash: key });
    await store.recordSpend([spend({ key_hash: key, cost: 1 })]);
    // Kill every backend of this store (only this store uses this application_name).
    await admin(async (client) => {
      const killed = await client.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
        [schema],
      );
      assert.ok(killed.rowCount !== null && killed.rowCount > 0);
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    // The first query after the kill may fail on a dead client; within a few it works again.
    let ok = false;
    for (let attempt = 0; attempt < 5 && !ok; attempt++) {
      try {
        await store.recordSpend([spend({ key_hash: key, cost: 2, request_id: "after-kill" })]);
        ok = true;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    assert.ok(ok, "the pool did not recover");
    assert.equal((await store.getKey(key))?.spend, 3);
  } finally {
    await store.close();
  }
});

test("Postgres: the pool is bounded by poolMax", { skip: SKIP }, async () => {
  const schema = newSchema();
  const store = await PostgresStore.open({
    connectionString: DATABASE_URL ?? "",
    schema,
    applicationName: schema,
    poolMax: 2,
  });
  try {
    const key = hashKey("sk-pool");
    await store.createKey({ token_hash: key });
    // 50 concurrent lookups through 2 connections: all answer (they queue, none fails).
    const results = await Promise.all(Array.from({ length: 50 }, () => store.getKey(key)));
    assert.ok(results.every((result) => result?.token_hash === key));
    const count = await admin(async (client) => {
      const result = await client.query("SELECT COUNT(*) AS n FROM pg_stat_activity WHERE application_name = $1", [
        schema,
      ]);
      return Number((result.rows[0] as { n: string }).n);
    });
    assert.ok(count >= 1 && count <= 2, `${count} connections open with poolMax 2`);
  } finally {
    await store.close();
  }
});
