/**
 * The admin UI's spend queries (Store.spendSummary, Store.spendLogPage) on SQLite and, with
 * TEST_DATABASE_URL, on Postgres (skipped loudly without it; each run in its own schema,
 * dropped at the end): exact sums per time bucket and group, filters, paging and order, and
 * the same over 100,000 logs. Costs are multiples of 1/8, so every sum is exact in any order.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { PostgresStore } from "../../src/store/postgres-store.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import type { SpendRecord, SpendSummaryRow, Store } from "../../src/store/types.js";
import { dropSchemas, uniqueName, warnSkipped } from "../helpers/services.js";
import { hashKey, spend } from "./store-suite.js";

const DATABASE_URL = process.env.TEST_DATABASE_URL;
const PG_SKIP =
  DATABASE_URL === undefined ? "TEST_DATABASE_URL is not set: Postgres spend report tests skipped" : undefined;
warnSkipped(PG_SKIP);

const dir = mkdtempSync(join(tmpdir(), "litegate-spend-reports-"));
const schemas: string[] = [];
const opened: Store[] = [];
after(async () => {
  for (const store of opened) await store.close();
  rmSync(dir, { recursive: true, force: true });
  if (DATABASE_URL !== undefined) await dropSchemas(DATABASE_URL, schemas);
});

let files = 0;
const HARNESSES: { name: string; skip: string | undefined; open: () => Promise<Store> }[] = [
  { name: "SQLite", skip: undefined, open: async () => SqliteStore.open({ path: join(dir, `${++files}.db`) }) },
  {
    name: "Postgres",
    skip: PG_SKIP,
    open: async () => {
      const schema = uniqueName("litegate_spend_reports");
      schemas.push(schema);
      return PostgresStore.open({ connectionString: DATABASE_URL ?? "", schema, poolMax: 4 });
    },
  },
];

const HOUR = 3_600_000;
const DAY = 86_400_000;
/** 2026-11-01T00:00:00Z */
const D = Date.UTC(2026, 10, 1);
const A = hashKey("sk-alpha");
const B = hashKey("sk-beta");
/** A key with no row (the master key's spend, or a deleted key's). */
const C = hashKey("sk-gone");

/** The logs every small test reads: two days, three keys, two teams and none, two models. */
function logs(): SpendRecord[] {
  const at = (request_id: string, start: number, fields: Partial<SpendRecord> & Pick<SpendRecord, "key_hash">) =>
    spend({ request_id, start_time: start, end_time: start + 250, ...fields });
  return [
    at("r1", D + HOUR + 10 * 60_000, {
      key_hash: A,
      team_id: "t1",
      model_group: "m1",
      cost: 1.5,
      prompt_tokens: 10,
      completion_tokens: 5,
    }),
    at("r2", D + HOUR + 50 * 60_000, {
      key_hash: A,
      team_id: "t1",
      model_group: "m1",
      cost: 0.5,
      prompt_tokens: 20,
      completion_tokens: 10,
      status: "failure",
    }),
    at("r3", D + 2 * HOUR + 5 * 60_000, {
      key_hash: A,
      team_id: "t1",
      model_group: "m2",
      cost: 2,
      prompt_tokens: 30,
      completion_tokens: 0,
      cache_hit: true,
    }),
    at("r4", D + 2 * HOUR + 30 * 60_000, {
      key_hash: B,
      team_id: "t2",
      model_group: "m1",
      cost: 0.25,
      prompt_tokens: 1,
      completion_tokens: 1,
    }),
    at("r5", D + DAY + 3 * HOUR, {
      key_hash: B,
      team_id: "t2",
      model_group: "m2",
      cost: 4,
      prompt_tokens: 100,
      completion_tokens: 50,
      status: "failure",
    }),
    at("r6", D + DAY + 4 * HOUR - 1, {
      key_hash: C,
      model_group: "m1",
      cost: 0.125,
      prompt_tokens: 2,
      completion_tokens: 3,
    }),
    // Outside 2026-11-01..2026-11-02 on both sides.
    at("r7", D + 2 * DAY, { key_hash: A, team_id: "t1", model_group: "m1", cost: 8 }),
    at("r8", D - 1, { key_hash: A, team_id: "t1", model_group: "m1", cost: 16 }),
  ];
}

async function seeded(open: () => Promise<Store>): Promise<Store> {
  const store = await open();
  opened.push(store);
  await store.createTeam({ team_id: "t1", team_alias: "Team One" });
  await store.createTeam({ team_id: "t2" });
  await store.createKey({ token_hash: A, key_alias: "alpha", key_name: "sk-...ALFA", team_id: "t1" });
  await store.createKey({ token_hash: B, key_name: "sk-...BETA", team_id: "t2" });
  await store.recordSpend(logs());
  return store;
}

/** A summary row with the fields a group does not set left null. */
function row(
  fields: Partial<SpendSummaryRow> &
    Pick<
      SpendSummaryRow,
      "id" | "total_spend" | "total_requests" | "prompt_tokens" | "completion_tokens" | "failed_requests"
    >,
): SpendSummaryRow {
  return { bucket: null, alias: null, key_name: null, team_id: null, ...fields };
}

const RANGE = { from: D, to: D + 2 * DAY };

for (const harness of HARNESSES) {
  describe(`spend reports: ${harness.name}`, { skip: harness.skip }, () => {
    test("per day and team: exact sums, aliases, unassigned spend, buckets in order and groups by spend", async () => {
      const store = await seeded(harness.open);
      assert.deepEqual(await store.spendSummary({ ...RANGE, group_by: "team", bucket: "day" }), [
        row({
          bucket: D,
          id: "t1",
          alias: "Team One",
          total_spend: 4,
          total_requests: 3,
          prompt_tokens: 60,
          completion_tokens: 15,
          failed_requests: 1,
        }),
        row({
          bucket: D,
          id: "t2",
          total_spend: 0.25,
          total_requests: 1,
          prompt_tokens: 1,
          completion_tokens: 1,
          failed_requests: 0,
        }),
        row({
          bucket: D + DAY,
          id: "t2",
          total_spend: 4,
          total_requests: 1,
          prompt_tokens: 100,
          completion_tokens: 50,
          failed_requests: 1,
        }),
        row({
          bucket: D + DAY,
          id: null,
          total_spend: 0.125,
          total_requests: 1,
          prompt_tokens: 2,
          completion_tokens: 3,
          failed_requests: 0,
        }),
      ]);
    });

    test("per hour and key: the key's alias, masked name and team from its row; a key without a row by hash", async () => {
      const store = await seeded(harness.open);
      const alpha = { alias: "alpha", key_name: "sk-...ALFA", team_id: "t1" };
      const beta = { key_name: "sk-...BETA", team_id: "t2" };
      assert.deepEqual(await store.spendSummary({ ...RANGE, group_by: "key", bucket: "hour" }), [
        row({
          bucket: D + HOUR,
          id: A,
          ...alpha,
          total_spend: 2,
          total_requests: 2,
          prompt_tokens: 30,
          completion_tokens: 15,
          failed_requests: 1,
        }),
        row({
          bucket: D + 2 * HOUR,
          id: A,
          ...alpha,
          total_spend: 2,
          total_requests: 1,
          prompt_tokens: 30,
          completion_tokens: 0,
          failed_requests: 0,
        }),
        row({
          bucket: D + 2 * HOUR,
          id: B,
          ...beta,
          total_spend: 0.25,
          total_requests: 1,
          prompt_tokens: 1,
          completion_tokens: 1,
          failed_requests: 0,
        }),
        row({
          bucket: D + DAY + 3 * HOUR,
          id: B,
          ...beta,
          total_spend: 4,
          total_requests: 1,
          prompt_tokens: 100,
          completion_tokens: 50,
          failed_requests: 1,
        }),
        row({
          bucket: D + DAY + 3 * HOUR,
          id: C,
          total_spend: 0.125,
          total_requests: 1,
          prompt_tokens: 2,
          completion_tokens: 3,
          failed_requests: 0,
        }),
      ]);
    });

    test("per model over the range, top N, and filters narrowing the totals", async () => {
      const store = await seeded(harness.open);
      const m2 = row({
        id: "m2",
        total_spend: 6,
        total_requests: 2,
        prompt_tokens: 130,
        completion_tokens: 50,
        failed_requests: 1,
      });
      const m1 = row({
        id: "m1",
        total_spend: 2.375,
        total_requests: 4,
        prompt_tokens: 33,
        completion_tokens: 19,
        failed_requests: 1,
      });
      assert.deepEqual(await store.spendSummary({ ...RANGE, group_by: "model" }), [m2, m1]);
      assert.deepEqual(await store.spendSummary({ ...RANGE, group_by: "model", limit: 1 }), [m2]);
      // Without a range: the logs outside it count too (m1 gains r7 and r8).
      assert.deepEqual(
        (await store.spendSummary({ group_by: "model" })).map((r) => [r.id, r.total_spend, r.total_requests]),
        [
          ["m1", 26.375, 6],
          ["m2", 6, 2],
        ],
      );
      assert.deepEqual(await store.spendSummary({ ...RANGE, group_by: "model", team_id: "t1", status: "success" }), [
        row({
          id: "m2",
          total_spend: 2,
          total_requests: 1,
          prompt_tokens: 30,
          completion_tokens: 0,
          failed_requests: 0,
        }),
        row({
          id: "m1",
          total_spend: 1.5,
          total_requests: 1,
          prompt_tokens: 10,
          completion_tokens: 5,
          failed_requests: 0,
        }),
      ]);
      assert.deepEqual(
        (await store.spendSummary({ ...RANGE, group_by: "team", key_hash: B, model_group: "m2" })).map((r) => [
          r.id,
          r.total_spend,
        ]),
        [["t2", 4]],
      );
      assert.deepEqual(await store.spendSummary({ from: D + 3 * DAY, group_by: "key", bucket: "day" }), []);
    });

    test("log pages: newest first, totals, filters, the key's alias joined, never beyond the range", async () => {
      const store = await seeded(harness.open);
      const all = await store.spendLogPage({ ...RANGE, limit: 50, offset: 0 });
      assert.equal(all.total, 6);
      assert.deepEqual(
        all.data.map((log) => log.request_id),
        ["r6", "r5", "r4", "r3", "r2", "r1"],
      );
      const r3 = all.data.find((log) => log.request_id === "r3");
      assert.deepEqual(r3, { ...logs()[2], key_alias: "alpha" });
      assert.equal(all.data.find((log) => log.request_id === "r6")?.key_alias, null);
      assert.equal(all.data.find((log) => log.request_id === "r4")?.key_alias, null);

      const second = await store.spendLogPage({ ...RANGE, limit: 4, offset: 4 });
      assert.equal(second.total, 6);
      assert.deepEqual(
        second.data.map((log) => log.request_id),
        ["r2", "r1"],
      );
      const ids = async (query: Parameters<Store["spendLogPage"]>[0]) => {
        const page = await store.spendLogPage(query);
        return [page.total, page.data.map((log) => log.request_id)];
      };
      assert.deepEqual(await ids({ ...RANGE, key_hash: A, limit: 10, offset: 0 }), [3, ["r3", "r2", "r1"]]);
      assert.deepEqual(await ids({ ...RANGE, team_id: "t2", limit: 10, offset: 0 }), [2, ["r5", "r4"]]);
      assert.deepEqual(await ids({ ...RANGE, model_group: "m2", limit: 10, offset: 0 }), [2, ["r5", "r3"]]);
      assert.deepEqual(await ids({ ...RANGE, status: "failure", limit: 10, offset: 0 }), [2, ["r5", "r2"]]);
      assert.deepEqual(await ids({ request_id: "r8", limit: 10, offset: 0 }), [1, ["r8"]]);
      assert.deepEqual(await ids({ limit: 2, offset: 0 }), [8, ["r7", "r6"]]);
      assert.deepEqual(await ids({ ...RANGE, key_hash: A, model_group: "m2", limit: 10, offset: 0 }), [1, ["r3"]]);
      assert.deepEqual(await ids({ ...RANGE, key_hash: "nobody", limit: 10, offset: 0 }), [0, []]);
      // The key's alias now, exactly (B has none; no alias matches a part or another case).
      assert.deepEqual(await ids({ ...RANGE, key_alias: "alpha", limit: 10, offset: 0 }), [3, ["r3", "r2", "r1"]]);
      assert.deepEqual(await ids({ ...RANGE, key_alias: "alpha", status: "failure", limit: 10, offset: 0 }), [
        1,
        ["r2"],
      ]);
      assert.deepEqual(await ids({ ...RANGE, key_alias: "alp", limit: 10, offset: 0 }), [0, []]);
      assert.deepEqual(await ids({ ...RANGE, key_alias: "Alpha", limit: 10, offset: 0 }), [0, []]);
    });

    test("100,000 logs: a deep page and the totals per day, key, team and model are exact", async () => {
      const store = await harness.open();
      opened.push(store);
      const N = 100_000;
      const records: SpendRecord[] = [];
      for (let i = 0; i < N; i++) {
        records.push(
          spend({
            request_id: `req-${String(i).padStart(6, "0")}`,
            key_hash: `key-${i % 100}`,
            team_id: i % 7 === 0 ? null : `team-${i % 5}`,
            model_group: `model-${i % 4}`,
            // Ten days, about 8.6 s apart.
            start_time: D + Math.floor((i * 10 * DAY) / N),
            end_time: D + Math.floor((i * 10 * DAY) / N) + 100,
            cost: (i % 8) * 0.125,
            prompt_tokens: i % 13,
            completion_tokens: i % 11,
            status: i % 10 === 0 ? "failure" : "success",
          }),
        );
      }
      for (let start = 0; start < N; start += 10_000) await store.recordSpend(records.slice(start, start + 10_000));

      // The expected totals, added up here from the records this test made.
      const expected = new Map<string, { spend: number; requests: number; tokens: number; failed: number }>();
      for (const r of records) {
        const id = `${Math.floor(r.start_time / DAY) * DAY}|${r.model_group}`;
        const e = expected.get(id) ?? { spend: 0, requests: 0, tokens: 0, failed: 0 };
        e.spend += r.cost;
        e.requests += 1;
        e.tokens += r.prompt_tokens + r.completion_tokens;
        e.failed += r.status === "failure" ? 1 : 0;
        expected.set(id, e);
      }
      const report = await store.spendSummary({ group_by: "model", bucket: "day" });
      assert.equal(report.length, expected.size);
      for (const r of report) {
        const e = expected.get(`${r.bucket}|${r.id}`);
        assert.deepEqual(
          {
            spend: r.total_spend,
            requests: r.total_requests,
            tokens: r.prompt_tokens + r.completion_tokens,
            failed: r.failed_requests,
          },
          e,
          `day ${r.bucket} model ${r.id}`,
        );
      }
      assert.equal(
        report.reduce((sum, r) => sum + r.total_requests, 0),
        N,
      );

      const keys = await store.spendSummary({ group_by: "key", limit: 3 });
      assert.equal(keys.length, 3);
      const byKey = new Map<string, number>();
      for (const r of records) byKey.set(r.key_hash, (byKey.get(r.key_hash) ?? 0) + r.cost);
      // Most spend first, ties by id (as the store orders them).
      const top = [...byKey.entries()].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1)).slice(0, 3);
      assert.deepEqual(
        keys.map((k) => [k.id, k.total_spend]),
        top,
      );

      const page = await store.spendLogPage({ limit: 50, offset: N - 50 });
      assert.equal(page.total, N);
      assert.deepEqual(
        page.data.map((log) => log.request_id),
        records
          .slice(0, 50)
          .map((r) => r.request_id)
          .reverse(),
      );
      const filtered = await store.spendLogPage({
        key_hash: "key-42",
        from: D + DAY,
        to: D + 2 * DAY,
        limit: 20,
        offset: 20,
      });
      const matching = records
        .filter((r) => r.key_hash === "key-42" && r.start_time >= D + DAY && r.start_time < D + 2 * DAY)
        .reverse();
      assert.equal(filtered.total, matching.length);
      assert.deepEqual(
        filtered.data.map((log) => log.request_id),
        matching.slice(20, 40).map((r) => r.request_id),
      );
    });
  });
}
