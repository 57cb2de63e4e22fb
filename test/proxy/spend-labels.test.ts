/**
 * A request's tags and metadata in its spend record (LiteLLM's `request_tags` and `metadata`),
 * on SQLite and on Postgres, and on its log line: merged with the key's and team's tags in
 * LiteLLM's order, secrets removed, bounded; malformed tags a 400 naming the field.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { PostgresStore } from "../../src/store/postgres-store.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import type { Store } from "../../src/store/types.js";
import { completionAnswer } from "../helpers/fixtures.js";
import { startGateway, type TestGateway } from "../helpers/gateway.js";
import { call, generateKey, MASTER_KEY } from "../helpers/keys.js";
import { json, MockUpstream } from "../helpers/mock-upstream.js";
import { dropSchemas, uniqueName, warnSkipped } from "../helpers/services.js";

const DATABASE_URL = process.env.TEST_DATABASE_URL;
const PG_SKIP =
  DATABASE_URL === undefined ? "TEST_DATABASE_URL is not set: Postgres spend-label tests skipped" : undefined;
warnSkipped(PG_SKIP);

const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

let mock: MockUpstream;
before(async () => {
  mock = await MockUpstream.start();
  mock.always((_req, res) => json(res, 200, completionAnswer()));
});
after(() => mock.close());

const schemas: string[] = [];
const dir = mkdtempSync(join(tmpdir(), "litegate-labels-"));
after(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (DATABASE_URL !== undefined) await dropSchemas(DATABASE_URL, schemas);
});

async function gatewayOn(store: Store): Promise<TestGateway> {
  return startGateway({
    modelList: [
      {
        model_name: "instruct",
        litellm_params: {
          model: "text-completion-openai/instruct",
          api_key: "sk-upstream",
          api_base: `${mock.url}/v1`,
        },
      },
      {
        model_name: "tagged",
        litellm_params: {
          model: "text-completion-openai/instruct",
          api_key: "sk-upstream",
          api_base: `${mock.url}/v1`,
          tags: ["m-tag", "deployment-tag"],
        },
      },
    ],
    masterKey: MASTER_KEY,
    store,
    spendWriter: { intervalMs: 20 },
  });
}

function complete(url: string, key: string, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return fetch(`${url}/v1/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}`, ...headers },
    body: JSON.stringify({ model: "instruct", prompt: "Say this is a test", ...body }),
  });
}

/** The spend rows of `key`, without the fields that vary by run. */
async function rows(url: string, key: string): Promise<Record<string, unknown>[]> {
  const logs = await call(url, "GET", `/spend/logs?api_key=${key}`, MASTER_KEY);
  assert.equal(logs.status, 200);
  return (logs.body as unknown as Record<string, unknown>[]).map(
    ({ request_id, startTime, endTime, model_id, ...row }) => row,
  );
}

const BASE_ROW = {
  user: null,
  model_group: "instruct",
  prompt_tokens: 5,
  completion_tokens: 7,
  total_tokens: 12,
  spend: 0,
  status: "success",
  cache_hit: false,
  end_user: null,
};

function labelSuite(name: string, skip: string | undefined, open: () => Promise<Store>): void {
  describe(`request tags and metadata in spend logs: ${name}`, { skip }, () => {
    let gateway: TestGateway;
    before(async () => {
      gateway = await gatewayOn(await open());
    });
    after(() => gateway?.close());

    test("tags merged as LiteLLM merges them (metadata.tags, key, team, body tags, deployment), metadata without secrets", async () => {
      const url = gateway.url;
      const team = await call(url, "POST", "/team/new", MASTER_KEY, {
        team_id: `ml-${name}`,
        metadata: { tags: ["team-tag", "key-tag"], spend_logs_metadata: { cost_center: "team-cc", region: "eu" } },
      });
      assert.equal(team.status, 200, JSON.stringify(team.body));
      const key = await generateKey(url, {
        team_id: `ml-${name}`,
        metadata: { tags: ["key-tag"], spend_logs_metadata: { cost_center: "key-cc" } },
      });
      const answer = await complete(url, key, {
        model: "tagged",
        tags: ["body-tag", "m-tag"],
        metadata: {
          tags: ["m-tag"],
          trace_id: "abc",
          generation_name: "gen-1",
          api_key: "sk-provider-secret",
          headers: { Authorization: "Bearer sk-leaked", "x-trace": "t" },
          oauth: {
            refresh_token: "rt-leaked",
            id_token: "it-leaked",
            googleIdToken: "gt-leaked",
            "oidc.id_token": "ot-leaked",
            private_key: "pk-leaked",
            jwt: "jwt-leaked",
            // Words that only contain a secret's name stay.
            valid_token: "v",
            paid_tokens: 3,
          },
          copied: "sk-abcdefghijklmnopqrstuvwxyz",
          user_api_key_alias: "forged",
          spend_logs_metadata: { job: "j1", cost_center: "req-cc" },
        },
        litellm_metadata: { trace_id: "ignored", session: "s1" },
      });
      assert.equal(answer.status, 200);
      // The provider never sees LiteLLM's fields.
      assert.deepEqual(mock.requests.at(-1)?.json, {
        model: "instruct",
        prompt: "Say this is a test",
      });
      assert.deepEqual(await rows(url, key), [
        {
          ...BASE_ROW,
          model_group: "tagged",
          api_key: sha256(key),
          team_id: `ml-${name}`,
          // The deployment's own tags last (LiteLLM's `tags` in litellm_params).
          request_tags: ["m-tag", "key-tag", "team-tag", "body-tag", "deployment-tag"],
          metadata: {
            session: "s1",
            trace_id: "abc",
            generation_name: "gen-1",
            headers: { "x-trace": "t" },
            oauth: { valid_token: "v", paid_tokens: 3 },
            spend_logs_metadata: { cost_center: "req-cc", region: "eu", job: "j1" },
          },
        },
      ]);
      const serialized = JSON.stringify(gateway.logs);
      assert.ok(!serialized.includes("sk-provider-secret") && !serialized.includes("sk-leaked"));
      const line = gateway.logs.find((entry) => entry.route === "/v1/completions" && entry.request_tags !== undefined);
      assert.deepEqual(line?.request_tags, ["m-tag", "key-tag", "team-tag", "body-tag", "deployment-tag"]);
      assert.equal((line?.metadata as { trace_id?: string } | undefined)?.trace_id, "abc");
    });

    test("x-litellm-tags without body tags; nothing labelled stores [] and {}; oversized metadata is cut and says so", async () => {
      const url = gateway.url;
      const key = await generateKey(url);
      assert.equal((await complete(url, key, {}, { "x-litellm-tags": " a, b ,a" })).status, 200);
      assert.equal((await complete(url, key, { tags: ["c"] }, { "x-litellm-tags": "a" })).status, 200);
      assert.equal((await complete(url, key, {})).status, 200);
      const big = "x".repeat(1200);
      assert.equal((await complete(url, key, { metadata: { first: big, second: big, third: 1 } })).status, 200);
      const labels = (await rows(url, key)).map((row) => [row.request_tags, row.metadata]);
      assert.deepEqual(labels, [
        [["a", "b"], {}],
        [["c"], {}],
        [[], {}],
        [[], { first: big, third: 1, litegate_truncated: ["second"] }],
      ]);
      // Many long names dropped: the list naming them is cut too, so the whole stays within its bound.
      const many = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`${"n".repeat(50)}${i}`, "v".repeat(60)]));
      assert.equal((await complete(url, key, { metadata: many })).status, 200);
      const stored = (await rows(url, key)).at(-1)?.metadata as Record<string, unknown>;
      assert.ok(JSON.stringify(stored).length <= 2048, `${JSON.stringify(stored).length} characters`);
      const named = stored.litegate_truncated as string[];
      assert.ok(named.length > 0 && named.every((name) => name === "n".repeat(40)));
    });

    test("malformed tags or metadata: 400 naming the field, nothing sent upstream, nothing spent", async () => {
      const url = gateway.url;
      const key = await generateKey(url);
      const before = mock.requests.length;
      const cases: [Record<string, unknown>, Record<string, string>, string, string][] = [
        [
          { tags: "prod" },
          {},
          "tags",
          `Invalid 'tags': expected a list of strings, got string. Send a list of strings, e.g. ["prod", "team-a"].`,
        ],
        [
          { tags: ["ok", 7] },
          {},
          "tags",
          `Invalid 'tags': item 1 is number, not a string. Send a list of strings, e.g. ["prod", "team-a"].`,
        ],
        [
          { metadata: { tags: { env: "prod" } } },
          {},
          "metadata.tags",
          `Invalid 'metadata.tags': expected a list of strings, got object. Send a list of strings, e.g. ["prod", "team-a"].`,
        ],
        [
          { tags: Array.from({ length: 33 }, (_, i) => `t${i}`) },
          {},
          "tags",
          `Invalid 'tags': 33 tags; at most 32 are taken. Send a list of strings, e.g. ["prod", "team-a"].`,
        ],
        [
          { metadata: 5 },
          {},
          "metadata",
          `Invalid 'metadata': expected an object of your own key-value pairs, e.g. {"trace_id": "abc"}.`,
        ],
        [
          // JSON in a string, nested past the body's own depth limit: refused, never a stack overflow.
          { metadata: `{"a":${"[".repeat(20_000)}${"]".repeat(20_000)}}` },
          {},
          "metadata",
          `Invalid 'metadata': its JSON nests arrays and objects more than 64 levels deep; send a flatter object.`,
        ],
        [
          {},
          { "x-litellm-tags": `a,${"y".repeat(129)}` },
          "x-litellm-tags",
          `Invalid 'x-litellm-tags': item 1 is longer than 128 characters. Send a list of strings, e.g. ["prod", "team-a"].`,
        ],
      ];
      for (const [body, headers, param, message] of cases) {
        const answer = await complete(url, key, body, headers);
        assert.equal(answer.status, 400, param);
        assert.deepEqual(await answer.json(), {
          error: { message, type: "invalid_request_error", param, code: codeOf(param) },
        });
      }
      assert.equal(mock.requests.length, before);
      assert.deepEqual(await rows(url, key), []);
    });
  });
}

function codeOf(param: string): string {
  return param === "metadata" ? "invalid_metadata" : "invalid_tags";
}

labelSuite("SQLite", undefined, async () => SqliteStore.open({ path: join(dir, "labels.db") }));
labelSuite("Postgres", PG_SKIP, async () => {
  const schema = uniqueName("litegate_labels");
  schemas.push(schema);
  return PostgresStore.open({ connectionString: DATABASE_URL as string, schema, poolMax: 4 });
});
