/** The store contract on embedded SQLite (always runs), plus SQLite-only details. */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import Database from "better-sqlite3";
import { MIGRATIONS } from "../../src/store/migrations.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import { storeSuite } from "./store-suite.js";

const dir = mkdtempSync(join(tmpdir(), "litegate-store-"));
let n = 0;

storeSuite({
  name: "SQLite",
  async fresh() {
    const path = join(dir, `store-${++n}.db`);
    return {
      open: async () => SqliteStore.open({ path }),
      // The file and its WAL, as bytes: a plaintext key anywhere in them would show.
      dump: async () =>
        [path, `${path}-wal`]
          .filter((file) => existsSync(file))
          .map((file) => readFileSync(file).toString("latin1"))
          .join("\n"),
    };
  },
  async cleanup() {
    rmSync(dir, { recursive: true, force: true });
  },
});

test("SQLite: WAL mode on files, :memory: works", async () => {
  const path = join(mkdtempSync(join(tmpdir(), "litegate-wal-")), "wal.db");
  const store = SqliteStore.open({ path });
  await store.createUser({ user_id: "u" });
  const db = new Database(path, { readonly: true });
  assert.equal(db.pragma("journal_mode", { simple: true }), "wal");
  assert.equal((db.prepare("SELECT COUNT(*) AS n FROM schema_version").get() as { n: number }).n, MIGRATIONS.length);
  db.close();
  await store.close();
  const memory = SqliteStore.open({ path: ":memory:" });
  assert.equal(memory.migrationsApplied, MIGRATIONS.length);
  await memory.close();
});

test("SQLite: migration 3 gives the spend logs already stored no tags and empty metadata", async () => {
  const path = join(mkdtempSync(join(tmpdir(), "litegate-m3-")), "m3.db");
  const db = new Database(path);
  db.exec("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)");
  for (const migration of MIGRATIONS.filter((m) => m.version < 3)) {
    for (const statement of migration.sqlite) db.exec(statement);
    db.prepare("INSERT INTO schema_version VALUES (?, ?, 0)").run(migration.version, migration.name);
  }
  db.prepare(
    `INSERT INTO spend_logs (request_id, key_hash, user_id, team_id, model_group, deployment_id, prompt_tokens,
     completion_tokens, cost, status, start_time, end_time, cache_hit) VALUES ('r1', 'k', NULL, NULL, 'm', NULL, 1, 2, 0.5, 'success', 10, 20, 0)`,
  ).run();
  db.close();
  const store = SqliteStore.open({ path });
  assert.equal(store.migrationsApplied, MIGRATIONS.length - 2);
  const [log] = await store.spendLogs({ limit: 10 });
  assert.deepEqual([log?.request_id, log?.request_tags, log?.metadata], ["r1", [], {}]);
  await store.close();
});
