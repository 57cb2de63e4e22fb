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
