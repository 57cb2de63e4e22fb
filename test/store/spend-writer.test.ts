/** SpendWriter against fake stores (batching, outages, the bound) and a real SQLite store. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { SpendWriter } from "../../src/store/spend-writer.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import type { SpendRecord, Store } from "../../src/store/types.js";
import { hashKey, spend } from "./store-suite.js";

/** A store that records each batch, and fails while `down` is true. */
class FakeStore implements Pick<Store, "recordSpend"> {
  batches: SpendRecord[][] = [];
  calls = 0;
  down = false;
  async recordSpend(records: readonly SpendRecord[]): Promise<void> {
    this.calls += 1;
    await Promise.resolve();
    if (this.down) throw new Error("connect ECONNREFUSED 127.0.0.1:5432");
    this.batches.push([...records]);
  }
  written(): string[] {
    return this.batches.flat().map((record) => record.request_id);
  }
}

function records(n: number, from = 0): SpendRecord[] {
  return Array.from({ length: n }, (_, i) =>
    spend({ key_hash: "k", request_id: `r${String(from + i).padStart(6, "0")}` }),
  );
}

function logger(): { warn: (m: string) => void; info: (m: string) => void; warnings: string[]; infos: string[] } {
  const warnings: string[] = [];
  const infos: string[] = [];
  return { warn: (m) => warnings.push(m), info: (m) => infos.push(m), warnings, infos };
}

const tick = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

test("full batches are written at once, the rest on the interval", async () => {
  const store = new FakeStore();
  const writer = new SpendWriter(store, { intervalMs: 100, batchSize: 10 });
  const all = records(25);
  for (const record of all) writer.add(record); // add() is synchronous: nothing awaited
  assert.equal(store.calls, 0, "add must not write synchronously");
  await tick(10);
  assert.deepEqual(
    store.batches.map((batch) => batch.length),
    [10, 10],
  );
  assert.equal(writer.pending(), 5);
  await tick(150);
  assert.deepEqual(
    store.batches.map((batch) => batch.length),
    [10, 10, 5],
  );
  assert.deepEqual(
    store.written(),
    all.map((r) => r.request_id),
  );
  assert.equal(writer.pending(), 0);
  await writer.close();
});

/** Adds `n` new records, keeping only weak references to them (so no frame of the caller holds one). */
function addWeakly(writer: SpendWriter, n: number): WeakRef<SpendRecord>[] {
  return records(n).map((record) => {
    writer.add(record);
    return new WeakRef(record);
  });
}

test("records written are let go at once: none lives on in the writer's buffer", async () => {
  // A record the writer still holds is promoted to the old generation under load: garbage only
  // a full collection frees. The collector is asked for directly to see what is still reachable.
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  let written = 0;
  const writer = new SpendWriter(
    {
      async recordSpend(batch) {
        written += batch.length;
      },
    },
    { intervalMs: 20, batchSize: 10 },
  );
  const refs = addWeakly(writer, 25);
  while (written < 25) await tick(5);
  // A WeakRef keeps its target through the job that made or read it: collect in a later one.
  await tick(0);
  gc();
  assert.equal(refs.filter((ref) => ref.deref() !== undefined).length, 0);
  assert.equal(await writer.close(), true);
});

test("database down then back: no record lost, order kept, unavailable() reports it", async () => {
  const store = new FakeStore();
  const log = logger();
  const writer = new SpendWriter(store, {
    intervalMs: 20,
    batchSize: 10,
    initialBackoffMs: 10,
    maxBackoffMs: 40,
    logger: log,
  });
  store.down = true;
  const all = records(55);
  for (const record of all.slice(0, 30)) writer.add(record);
  await tick(80);
  assert.equal(writer.unavailable(), true);
  assert.ok(store.calls >= 2, "retried");
  assert.equal(writer.pending(), 30);
  for (const record of all.slice(30)) writer.add(record);
  assert.match(log.warnings[0] ?? "", /^spend write failed \(connect ECONNREFUSED/);
  store.down = false;
  await tick(150);
  assert.equal(writer.unavailable(), false);
  assert.deepEqual(
    store.written(),
    all.map((r) => r.request_id),
  );
  assert.equal(writer.dropped(), 0);
  assert.ok(log.infos.some((m) => m.startsWith("spend writes recovered")));
  await writer.close();
});

test("the buffer is bounded: the oldest are dropped, counted and logged", async () => {
  const store = new FakeStore();
  store.down = true;
  const log = logger();
  const writer = new SpendWriter(store, { intervalMs: 10_000, batchSize: 10, maxBuffered: 100, logger: log });
  const all = records(130);
  for (const record of all) writer.add(record);
  assert.equal(writer.pending(), 100);
  assert.equal(writer.dropped(), 30);
  assert.ok(log.warnings.some((m) => /spend buffer full \(100 records\).*30|dropped/.test(m)));
  store.down = false;
  assert.equal(await writer.close(1000), true);
  // The newest 100 survive, in order.
  assert.deepEqual(
    store.written(),
    all.slice(30).map((r) => r.request_id),
  );
});

test("flush on close writes everything buffered; a dead database ends at the deadline", async () => {
  const store = new FakeStore();
  const writer = new SpendWriter(store, { intervalMs: 60_000, batchSize: 1000 });
  for (const record of records(42)) writer.add(record);
  assert.equal(store.calls, 0);
  assert.equal(await writer.close(), true);
  assert.equal(store.written().length, 42);

  const dead = new FakeStore();
  dead.down = true;
  const log = logger();
  const stuck = new SpendWriter(dead, { intervalMs: 60_000, initialBackoffMs: 10, logger: log });
  for (const record of records(5)) stuck.add(record);
  const started = Date.now();
  assert.equal(await stuck.close(100), false);
  assert.ok(Date.now() - started < 1000);
  assert.equal(stuck.pending(), 5);
  assert.ok(log.warnings.some((m) => m === "spend writer closed with 5 records not written"));

  // A write that hangs (a connection timing out) does not hold shutdown past the deadline.
  const hung = new SpendWriter({ recordSpend: () => new Promise<void>(() => {}) }, { intervalMs: 60_000 });
  hung.add(spend({ key_hash: "k" }));
  assert.equal(await hung.close(50), false);
});

test("end to end on SQLite: totals equal the sum of the costs written through the writer", async () => {
  const store = SqliteStore.open({ path: ":memory:" });
  const key = hashKey("sk-e2e");
  await store.createKey({ token_hash: key, team_id: "t" });
  await store.createTeam({ team_id: "t" });
  const writer = new SpendWriter(store, { intervalMs: 10, batchSize: 50 });
  let total = 0;
  for (let i = 0; i < 500; i++) {
    const cost = (i % 11) / 64;
    total += cost;
    writer.add(spend({ key_hash: key, team_id: "t", cost, request_id: `req-${i}` }));
  }
  assert.equal(await writer.close(), true);
  assert.equal((await store.getKey(key))?.spend, total);
  assert.equal((await store.getTeam("t"))?.spend, total);
  assert.equal((await store.spendLogs({ key_hash: key, limit: 1000 })).length, 500);
  await store.close();
});
