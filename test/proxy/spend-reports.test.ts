/**
 * The admin UI's spend routes through the real proxy, on SQLite and (with TEST_DATABASE_URL)
 * Postgres: who may call them (the master key; a virtual key only its own logs), every bad
 * query parameter a 400 naming it, and after real requests through a mock provider the
 * report's totals equal the sums of the spend logs, exactly.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { PostgresStore } from "../../src/store/postgres-store.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import type { Store } from "../../src/store/types.js";
import { completionAnswer } from "../helpers/fixtures.js";
import { startGateway, type TestGateway } from "../helpers/gateway.js";
import { call, complete, generateKey, MASTER_KEY } from "../helpers/keys.js";
import { json, MockUpstream } from "../helpers/mock-upstream.js";
import { dropSchemas, uniqueName, warnSkipped } from "../helpers/services.js";

const DATABASE_URL = process.env.TEST_DATABASE_URL;
const PG_SKIP =
  DATABASE_URL === undefined ? "TEST_DATABASE_URL is not set: Postgres spend report route tests skipped" : undefined;
warnSkipped(PG_SKIP);

const DAY = 86_400_000;
const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

let mock: MockUpstream;
before(async () => {
  mock = await MockUpstream.start();
  // 5 prompt and 7 completion tokens a request; a prompt of "fail" is refused (400: not retried).
  mock.always((request, res) => {
    if ((request.json as { prompt?: unknown } | undefined)?.prompt === "fail") {
      json(res, 400, { error: { message: "bad prompt", type: "invalid_request_error", param: null, code: null } });
      return;
    }
    json(res, 200, completionAnswer());
  });
});
after(() => mock.close());

const dir = mkdtempSync(join(tmpdir(), "litegate-spend-routes-"));
const schemas: string[] = [];
after(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (DATABASE_URL !== undefined) await dropSchemas(DATABASE_URL, schemas);
});

const STORES: { name: string; skip: string | undefined; open: () => Promise<Store> }[] = [
  { name: "SQLite", skip: undefined, open: async () => SqliteStore.open({ path: join(dir, "spend.db") }) },
  {
    name: "Postgres",
    skip: PG_SKIP,
    open: async () => {
      const schema = uniqueName("litegate_spend_routes");
      schemas.push(schema);
      return PostgresStore.open({ connectionString: DATABASE_URL ?? "", schema, poolMax: 4 });
    },
  },
];

/** Costs 1/2 per prompt token and 1/4 per completion token: 5 × 0.5 + 7 × 0.25 = 4.25 a request, exactly. */
function modelList(): unknown[] {
  return [
    {
      model_name: "instruct",
      litellm_params: {
        model: "text-completion-openai/instruct",
        api_key: "sk-upstream",
        api_base: `${mock.url}/v1`,
        input_cost_per_token: 0.5,
        output_cost_per_token: 0.25,
      },
    },
  ];
}

const GLOBAL_ROUTES = [
  "/global/spend/report?start_date=2026-11-01&end_date=2026-11-02",
  "/global/spend/keys",
  "/global/spend/models",
  "/global/spend/teams",
];

for (const backend of STORES) {
  describe(`spend report routes: ${backend.name}`, { skip: backend.skip }, () => {
    let gateway: TestGateway;
    let store: Store;
    let alpha: string;
    let beta: string;
    before(async () => {
      store = await backend.open();
      gateway = await startGateway({
        modelList: modelList(),
        masterKey: MASTER_KEY,
        store,
        spendWriter: { intervalMs: 20 },
      });
      assert.equal(
        (await call(gateway.url, "POST", "/team/new", MASTER_KEY, { team_id: "t1", team_alias: "Team One" })).status,
        200,
      );
      alpha = await generateKey(gateway.url, { key_alias: "alpha", team_id: "t1" });
      beta = await generateKey(gateway.url);
    });
    after(async () => {
      await gateway.close();
      await store.close();
    });

    test("the global routes are the master key's: 401 without a key, 403 for a virtual key", async () => {
      for (const route of [...GLOBAL_ROUTES, "/spend/logs/ui"]) {
        const none = await call(gateway.url, "GET", route, undefined);
        assert.equal(none.status, 401, route);
        assert.equal(none.body.error?.type, "authentication_error", route);
      }
      for (const route of GLOBAL_ROUTES) {
        const virtual = await call(gateway.url, "GET", route, alpha);
        assert.equal(virtual.status, 403, route);
        assert.equal(virtual.body.error?.code, "master_key_required", route);
        assert.equal((await call(gateway.url, "GET", route, MASTER_KEY)).status, 200, route);
      }
    });

    test("bad query parameters: a 400 naming the parameter and what it takes", async () => {
      const cases: [string, string, string][] = [
        [
          "/global/spend/report?start_date=2026-13-01&end_date=2026-11-02",
          "start_date",
          "Invalid 'start_date': got '2026-13-01'. It must be a date (2026-11-25) or a date-time (2026-11-25T13:45:00Z, or 2026-11-25 13:45:00 in UTC).",
        ],
        [
          "/global/spend/report?start_date=2026-02-31&end_date=2026-03-02",
          "start_date",
          "Invalid 'start_date': got '2026-02-31'. It must be a date (2026-11-25) or a date-time (2026-11-25T13:45:00Z, or 2026-11-25 13:45:00 in UTC).",
        ],
        [
          "/global/spend/report?start_date=2026-11-01",
          "end_date",
          "'end_date' is required: a date such as 2026-11-25, or a date-time.",
        ],
        [
          "/global/spend/report?start_date=2026-11-03&end_date=2026-11-02",
          "start_date",
          "'start_date' is after 'end_date': give a start on or before the end.",
        ],
        [
          "/global/spend/report?start_date=2026-11-01&end_date=2026-11-02&group_by=user",
          "group_by",
          "Invalid 'group_by': got 'user'. It must be one of: team, key, api_key, model.",
        ],
        [
          "/global/spend/report?start_date=2026-11-01&end_date=2026-11-02&bucket=week",
          "bucket",
          "Invalid 'bucket': got 'week'. It must be one of: day, hour, minute.",
        ],
        [
          "/global/spend/report?start_date=2026-11-01&end_date=2026-11-08&bucket=minute",
          "bucket",
          "'bucket' minute splits this range into 11520 buckets; at most 10080 are answered: give a shorter range or a longer bucket (minute, hour, day).",
        ],
        ["/global/spend/keys?limit=0", "limit", "Invalid 'limit': got '0'. It must be a whole number from 1 to 1000."],
        [
          "/global/spend/models?limit=ten",
          "limit",
          "Invalid 'limit': got 'ten'. It must be a whole number from 1 to 1000.",
        ],
        [
          "/global/spend/teams?start_date=yesterday",
          "start_date",
          "Invalid 'start_date': got 'yesterday'. It must be a date (2026-11-25) or a date-time (2026-11-25T13:45:00Z, or 2026-11-25 13:45:00 in UTC).",
        ],
        [
          "/spend/logs/ui?page_size=501",
          "page_size",
          "Invalid 'page_size': got '501'. It must be a whole number from 1 to 500.",
        ],
        ["/spend/logs/ui?page=0", "page", "Invalid 'page': got '0'. It must be a whole number from 1 to 1000000."],
        ["/spend/logs/ui?status=ok", "status", "Invalid 'status': got 'ok'. It must be one of: success, failure."],
        [
          "/spend/logs/ui?status_filter=failed",
          "status_filter",
          "Invalid 'status_filter': got 'failed'. It must be one of: success, failure.",
        ],
        [
          "/spend/logs/ui?end_date=2026-11-02T25:00:00Z",
          "end_date",
          "Invalid 'end_date': got '2026-11-02T25:00:00Z'. It must be a date (2026-11-25) or a date-time (2026-11-25T13:45:00Z, or 2026-11-25 13:45:00 in UTC).",
        ],
        [
          "/spend/logs/ui?models=m1",
          "models",
          "/spend/logs/ui does not take 'models' in the query string; it takes: page, page_size, api_key, key_hash, key_alias, team_id, user_id, request_id, model, end_user, status, status_filter, start_date, end_date.",
        ],
      ];
      for (const [route, param, message] of cases) {
        const answer = await call(gateway.url, "GET", route, MASTER_KEY);
        assert.equal(answer.status, 400, route);
        assert.equal(answer.body.error?.param, param, route);
        assert.equal(answer.body.error?.message, message, route);
        assert.equal(answer.body.error?.type, "invalid_request_error", route);
      }
    });

    test("after real requests the report's totals are the spend logs' sums; the lists and logs agree", async () => {
      for (let i = 0; i < 3; i++) assert.equal((await complete(gateway.url, alpha, "instruct")).status, 200);
      assert.equal((await complete(gateway.url, alpha, "instruct", { prompt: "fail" })).status, 400);
      for (let i = 0; i < 2; i++) assert.equal((await complete(gateway.url, beta, "instruct")).status, 200);

      const now = Date.now();
      const range = `start_date=${day(now - DAY)}&end_date=${day(now + DAY)}`;
      const logs = await call(gateway.url, "GET", `/spend/logs?${range}`, MASTER_KEY);
      const rows = logs.body as unknown as { spend: number; total_tokens: number; status: string; api_key: string }[];
      assert.equal(rows.length, 6);

      // Per hour and key: summed over the buckets, each key's totals are its logs'.
      const report = await call(
        gateway.url,
        "GET",
        `/global/spend/report?${range}&group_by=api_key&bucket=hour`,
        MASTER_KEY,
      );
      assert.equal(report.status, 200);
      const buckets = report.body as unknown as { group_by_day: string; keys: Record<string, unknown>[] }[];
      for (const bucket of buckets) assert.match(bucket.group_by_day, /^\d{4}-\d{2}-\d{2}T\d{2}:00:00\.000Z$/);
      const byKey = new Map<string, { spend: number; requests: number; tokens: number; failed: number }>();
      for (const entry of buckets.flatMap((bucket) => bucket.keys)) {
        const sum = byKey.get(String(entry.api_key)) ?? { spend: 0, requests: 0, tokens: 0, failed: 0 };
        sum.spend += Number(entry.total_spend);
        sum.requests += Number(entry.total_requests);
        sum.tokens += Number(entry.total_tokens);
        sum.failed += Number(entry.failed_requests);
        byKey.set(String(entry.api_key), sum);
      }
      const fromLogs = new Map<string, { spend: number; requests: number; tokens: number; failed: number }>();
      for (const row of rows) {
        const sum = fromLogs.get(row.api_key) ?? { spend: 0, requests: 0, tokens: 0, failed: 0 };
        sum.spend += row.spend;
        sum.requests += 1;
        sum.tokens += row.total_tokens;
        sum.failed += row.status === "failure" ? 1 : 0;
        fromLogs.set(row.api_key, sum);
      }
      assert.deepEqual(byKey, fromLogs);
      const alphaHash = rows.find((row) => row.status === "failure")?.api_key ?? "";
      assert.deepEqual(byKey.get(alphaHash), { spend: 12.75, requests: 4, tokens: 36, failed: 1 });

      // Per day and team (LiteLLM's default): the team's alias; keyless spend "Unassigned Team".
      const teams = await call(gateway.url, "GET", `/global/spend/report?${range}`, MASTER_KEY);
      const entries = (teams.body as unknown as { teams: Record<string, unknown>[] }[]).flatMap((b) => b.teams);
      const team = (name: string) => {
        const mine = entries.filter((entry) => entry.name === name);
        return {
          total_spend: mine.reduce((sum, entry) => sum + Number(entry.total_spend), 0),
          total_requests: mine.reduce((sum, entry) => sum + Number(entry.total_requests), 0),
          failed_requests: mine.reduce((sum, entry) => sum + Number(entry.failed_requests), 0),
        };
      };
      assert.deepEqual(team("Team One"), { total_spend: 12.75, total_requests: 4, failed_requests: 1 });
      assert.deepEqual(team("Unassigned Team"), { total_spend: 8.5, total_requests: 2, failed_requests: 0 });
      assert.equal(entries.find((entry) => entry.name === "Team One")?.team_id, "t1");

      // The admin UI's last hour: per minute and model, between two instants (not whole days).
      const hour = `start_date=${new Date(now - 3_600_000).toISOString()}&end_date=${new Date(Date.now()).toISOString()}`;
      const minutes = await call(
        gateway.url,
        "GET",
        `/global/spend/report?${hour}&group_by=model&bucket=minute`,
        MASTER_KEY,
      );
      assert.equal(minutes.status, 200);
      const perMinute = minutes.body as unknown as { group_by_day: string; models: Record<string, unknown>[] }[];
      for (const bucket of perMinute) assert.match(bucket.group_by_day, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00\.000Z$/);
      const models = perMinute.flatMap((bucket) => bucket.models);
      assert.deepEqual(
        [
          models.reduce((sum, entry) => sum + Number(entry.total_spend), 0),
          models.reduce((sum, entry) => sum + Number(entry.total_requests), 0),
          models.reduce((sum, entry) => sum + Number(entry.failed_requests), 0),
        ],
        [21.25, 6, 1],
      );

      // The top lists, LiteLLM's shapes.
      const keys = await call(gateway.url, "GET", "/global/spend/keys?limit=5", MASTER_KEY);
      const listed = keys.body as unknown as Record<string, unknown>[];
      assert.deepEqual(
        listed.map(({ api_key, key_name, ...rest }) => rest),
        [
          { key_alias: "alpha", team_id: "t1", total_spend: 12.75, total_requests: 4, total_tokens: 36 },
          { key_alias: "", team_id: "", total_spend: 8.5, total_requests: 2, total_tokens: 24 },
        ],
      );
      assert.equal(listed[0]?.key_name, `sk-...${alpha.slice(-4)}`);
      assert.equal((await call(gateway.url, "GET", "/global/spend/keys?limit=1", MASTER_KEY)).body.length, 1);
      assert.deepEqual((await call(gateway.url, "GET", "/global/spend/models", MASTER_KEY)).body, [
        { model: "instruct", total_spend: 21.25, total_requests: 6, total_tokens: 60 },
      ]);
      const perTeam = await call(gateway.url, "GET", "/global/spend/teams", MASTER_KEY);
      assert.deepEqual(perTeam.body.total_spend_per_team, [
        { team_id: "Team One", total_spend: 12.75 },
        { team_id: "Unassigned", total_spend: 8.5 },
      ]);
      assert.deepEqual(new Set(perTeam.body.teams as string[]), new Set(["Team One", "Unassigned"]));

      // The logs page: newest first, paged, filtered, the key's alias and never a key.
      const page = await call(gateway.url, "GET", `/spend/logs/ui?${range}&page_size=4`, MASTER_KEY);
      assert.equal(page.status, 200);
      assert.deepEqual(
        { total: page.body.total, page: page.body.page, page_size: page.body.page_size, pages: page.body.total_pages },
        { total: 6, page: 1, page_size: 4, pages: 2 },
      );
      const data = page.body.data as { startTime: string; request_id: string; key_alias: string | null }[];
      assert.equal(data.length, 4);
      const times = data.map((row) => row.startTime);
      assert.deepEqual(times, [...times].sort().reverse());
      const text = JSON.stringify(page.body);
      assert.ok(!text.includes(alpha) && !text.includes(beta) && !text.includes(MASTER_KEY));
      const second = await call(gateway.url, "GET", `/spend/logs/ui?${range}&page_size=4&page=2`, MASTER_KEY);
      assert.equal((second.body.data as unknown[]).length, 2);

      const failures = await call(gateway.url, "GET", "/spend/logs/ui?status_filter=failure", MASTER_KEY);
      const failure = (failures.body.data as Record<string, unknown>[])[0];
      assert.equal(failures.body.total, 1);
      assert.equal(failure?.key_alias, "alpha");
      assert.equal(failure?.status, "failure");
      assert.equal(failure?.spend, 0);
      assert.equal(typeof failure?.latency_ms, "number");
      assert.equal((await call(gateway.url, "GET", `/spend/logs/ui?api_key=${beta}`, MASTER_KEY)).body.total, 2);
      assert.equal(
        (await call(gateway.url, "GET", "/spend/logs/ui?team_id=t1&status=success", MASTER_KEY)).body.total,
        3,
      );
      assert.equal((await call(gateway.url, "GET", "/spend/logs/ui?model=nothing", MASTER_KEY)).body.total, 0);
      // By the key's alias (LiteLLM's key_alias), exactly: the admin UI's filter, no key in the URL.
      const aliased = await call(gateway.url, "GET", "/spend/logs/ui?key_alias=alpha&status=success", MASTER_KEY);
      assert.deepEqual(
        [aliased.body.total, (aliased.body.data as { api_key: string }[]).every((row) => row.api_key === alphaHash)],
        [3, true],
      );
      assert.equal((await call(gateway.url, "GET", "/spend/logs/ui?key_alias=alph", MASTER_KEY)).body.total, 0);
      assert.equal((await call(gateway.url, "GET", "/spend/logs/ui?key_alias=ALPHA", MASTER_KEY)).body.total, 0);
      // A plaintext key given as the hash filter is hashed, and no answer says it back.
      assert.equal((await call(gateway.url, "GET", `/spend/logs/ui?key_hash=${beta}`, MASTER_KEY)).body.total, 2);
      const refused = await call(gateway.url, "GET", `/spend/logs/ui?key_hash=${beta}&status=ok`, MASTER_KEY);
      assert.equal(refused.status, 400);
      assert.ok(!JSON.stringify(refused.body).includes(beta));
      // The request log names the route, never its query string.
      assert.ok(gateway.rawLogs.some((line) => line.includes('"/spend/logs/ui"')));
      assert.ok(!gateway.rawLogs.join("\n").includes(beta));

      // A virtual key reads its own logs only.
      const own = await call(gateway.url, "GET", "/spend/logs/ui", alpha);
      assert.equal(own.status, 200);
      assert.equal(own.body.total, 4);
      assert.ok((own.body.data as { api_key: string }[]).every((row) => row.api_key === alphaHash));
      assert.equal((await call(gateway.url, "GET", `/spend/logs/ui?api_key=${alpha}`, alpha)).body.total, 4);
      const other = await call(gateway.url, "GET", `/spend/logs/ui?api_key=${beta}`, alpha);
      assert.equal(other.status, 403);
      assert.equal(other.body.error?.param, "api_key");
      assert.ok(!JSON.stringify(other.body).includes(beta));
      // Its own alias narrows its own logs; another key's alias finds none of them.
      assert.equal((await call(gateway.url, "GET", "/spend/logs/ui?key_alias=alpha", alpha)).body.total, 4);
      assert.equal((await call(gateway.url, "GET", "/spend/logs/ui?key_alias=beta", alpha)).body.total, 0);
    });
  });
}
