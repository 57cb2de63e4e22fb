/**
 * LiteLLM's organisation routes end to end through the proxy, on SQLite and on the real
 * Postgres (TEST_DATABASE_URL; skipped loudly without it): teams and their members, users,
 * end users (customers) and budgets. Every route with the master key (exact bodies), a
 * virtual key (403) and no key (401); and what they do to requests: a blocked team's keys
 * are refused, a deleted user's keys are gone, an end user's budget and block hold on
 * completions, /user/new's key works and expires per its duration.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";
import { PostgresStore } from "../../src/store/postgres-store.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import type { Store } from "../../src/store/types.js";
import { completionAnswer } from "../helpers/fixtures.js";
import { startGateway, type TestGateway } from "../helpers/gateway.js";
import { call, complete, generateKey, MASTER_KEY } from "../helpers/keys.js";
import { json, MockUpstream } from "../helpers/mock-upstream.js";
import { dropSchemas, sleep, uniqueName, warnSkipped } from "../helpers/services.js";

/** $0.01 per prompt token, $0.02 per completion token: the fixture's 5 + 7 tokens cost $0.19. */
const PRICES = { input_cost_per_token: 0.01, output_cost_per_token: 0.02 };
const ANSWER_COST = 5 * 0.01 + 7 * 0.02;

const DATABASE_URL = process.env.TEST_DATABASE_URL;
const PG_SKIP =
  DATABASE_URL === undefined ? "TEST_DATABASE_URL is not set: Postgres organisation-route tests skipped" : undefined;
warnSkipped(PG_SKIP);

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** `value` with every created_at/updated_at checked to be an ISO time and removed, at any depth. */
function unstamped(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unstamped);
  if (typeof value !== "object" || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(value)) {
    if (name === "created_at" || name === "updated_at") {
      assert.match(String(field), ISO, name);
      continue;
    }
    out[name] = unstamped(field);
  }
  return out;
}

/** A team as the routes show it, with LiteLLM's defaults for what the test leaves out. */
function team(fields: Record<string, unknown>) {
  return {
    team_alias: null,
    members_with_roles: [],
    models: [],
    spend: 0,
    max_budget: null,
    budget_duration: null,
    budget_reset_at: null,
    tpm_limit: null,
    rpm_limit: null,
    max_parallel_requests: null,
    blocked: false,
    metadata: {},
    ...fields,
  };
}

function user(fields: Record<string, unknown>) {
  return {
    user_email: null,
    user_alias: null,
    user_role: null,
    teams: [],
    models: [],
    spend: 0,
    max_budget: null,
    budget_duration: null,
    budget_reset_at: null,
    tpm_limit: null,
    rpm_limit: null,
    max_parallel_requests: null,
    metadata: {},
    ...fields,
  };
}

function budget(fields: Record<string, unknown>) {
  return {
    max_budget: null,
    soft_budget: null,
    max_parallel_requests: null,
    tpm_limit: null,
    rpm_limit: null,
    model_max_budget: null,
    budget_duration: null,
    ...fields,
  };
}

function customer(fields: Record<string, unknown>) {
  return {
    alias: null,
    spend: 0,
    allowed_model_region: null,
    default_model: null,
    budget_id: null,
    litellm_budget_table: null,
    blocked: false,
    budget_reset_at: null,
    metadata: {},
    ...fields,
  };
}

function error(message: string, type: string, param: string | null, code: string) {
  return { error: { message, type, param, code } };
}

/** Every organisation route, with a body that would be valid for the master key. */
const ROUTES: [method: string, path: string, body?: unknown][] = [
  ["GET", "/team/list"],
  ["POST", "/team/delete", { team_ids: ["nope"] }],
  ["POST", "/team/member_add", { team_id: "nope", member: { role: "user", user_id: "x" } }],
  ["POST", "/team/member_delete", { team_id: "nope", user_id: "x" }],
  ["POST", "/team/block", { team_id: "nope" }],
  ["POST", "/team/unblock", { team_id: "nope" }],
  ["GET", "/user/list"],
  ["POST", "/user/delete", { user_ids: ["nope"] }],
  ["POST", "/customer/new", { user_id: "nope" }],
  ["GET", "/customer/info?end_user_id=nope"],
  ["POST", "/customer/update", { user_id: "nope" }],
  ["POST", "/customer/delete", { user_ids: ["nope"] }],
  ["POST", "/customer/block", { user_ids: ["nope"] }],
  ["POST", "/customer/unblock", { user_ids: ["nope"] }],
  ["GET", "/customer/list"],
  ["POST", "/budget/new", { budget_id: "nope" }],
  ["POST", "/budget/info", { budgets: ["nope"] }],
  ["POST", "/budget/update", { budget_id: "nope" }],
  ["POST", "/budget/delete", { id: "nope" }],
  ["GET", "/budget/list"],
];

function routeSuite(name: string, open: () => Promise<Store>, skip: string | undefined): void {
  describe(`organisation routes on ${name}`, { skip }, () => {
    let mock: MockUpstream;
    let gateway: TestGateway;
    let url: string;

    before(async () => {
      mock = await MockUpstream.start();
      gateway = await startGateway({
        modelList: ["gpt-instruct", "other-model"].map((model) => ({
          model_name: model,
          litellm_params: {
            model: `text-completion-openai/${model}`,
            api_key: "sk-upstream",
            api_base: `${mock.url}/v1`,
          },
          model_info: PRICES,
        })),
        masterKey: MASTER_KEY,
        store: await open(),
        spendWriter: { intervalMs: 20 },
      });
      url = gateway.url;
    });
    after(async () => {
      await gateway.close();
      await mock.close();
    });
    beforeEach(() => {
      mock.reset();
      mock.always((_req, res) => json(res, 200, completionAnswer()));
    });

    test("every route: the master key is let in, a virtual key gets 403, no key 401", async () => {
      const key = await generateKey(url);
      for (const [method, path, body] of ROUTES) {
        const anonymous = await call(url, method, path, undefined, body);
        assert.equal(anonymous.status, 401, `${method} ${path} without a key`);
        assert.equal(anonymous.body.error?.code, "missing_api_key");
        const byKey = await call(url, method, path, key, body);
        assert.equal(byKey.status, 403, `${method} ${path} with a virtual key`);
        assert.deepEqual(
          byKey.body,
          error(
            "Only the master key may call this route; virtual keys may call the completion and model routes.",
            "permission_error",
            null,
            "master_key_required",
          ),
        );
        const byMaster = await call(url, method, path, MASTER_KEY, body);
        assert.ok([200, 404].includes(byMaster.status), `${method} ${path} with the master key: ${byMaster.status}`);
      }
      assert.equal((await call(url, "GET", "/key/info", undefined)).status, 401);
      assert.equal((await call(url, "GET", "/user/info", undefined)).status, 401);
    });

    test("teams: new with members, member_add, member_delete, list, block, unblock, delete", async () => {
      await call(url, "POST", "/user/new", MASTER_KEY, { user_id: "alice", auto_create_key: false });
      const created = await call(url, "POST", "/team/new", MASTER_KEY, {
        team_id: "t-org",
        team_alias: "Org",
        models: ["gpt-instruct"],
        max_budget: 10,
        tpm_limit: 1000,
        rpm_limit: 60,
        metadata: { a: 1 },
        members_with_roles: [
          { role: "admin", user_id: "alice" },
          { role: "user", user_id: "bob", user_email: "bob@example.com" },
        ],
        // LiteLLM's fields litegate accepts and ignores.
        tags: ["x"],
        guardrails: ["g"],
        organization_id: null,
      });
      assert.equal(created.status, 200, JSON.stringify(created.body));
      const members = [
        { user_id: "alice", user_email: null, role: "admin" },
        { user_id: "bob", user_email: "bob@example.com", role: "user" },
      ];
      const orgTeam = team({
        team_id: "t-org",
        team_alias: "Org",
        members_with_roles: members,
        models: ["gpt-instruct"],
        max_budget: 10,
        tpm_limit: 1000,
        rpm_limit: 60,
        metadata: { a: 1 },
      });
      assert.deepEqual(unstamped(created.body), orgTeam);
      // bob did not exist: the member made him, as LiteLLM does.
      const bob = await call(url, "GET", "/user/info?user_id=bob", MASTER_KEY);
      assert.deepEqual(unstamped(bob.body), {
        user_id: "bob",
        user_info: user({ user_id: "bob", user_email: "bob@example.com", teams: ["t-org"] }),
        keys: [],
        teams: [orgTeam],
      });

      const added = await call(url, "POST", "/team/member_add", MASTER_KEY, {
        team_id: "t-org",
        member: { role: "user", user_email: "carol@example.com" },
      });
      assert.equal(added.status, 200, JSON.stringify(added.body));
      const updatedUsers = added.body.updated_users as { user_id: string }[];
      const carol = String(updatedUsers[0]?.user_id);
      assert.match(carol, UUID);
      const withCarol = [...members, { user_id: carol, user_email: "carol@example.com", role: "user" }].sort((a, b) =>
        a.user_id < b.user_id ? -1 : 1,
      );
      assert.deepEqual(unstamped(added.body), {
        ...orgTeam,
        members_with_roles: withCarol,
        updated_users: [user({ user_id: carol, user_email: "carol@example.com", teams: ["t-org"] })],
        updated_team_memberships: [],
      });
      const again = await call(url, "POST", "/team/member_add", MASTER_KEY, {
        team_id: "t-org",
        member: [{ role: "admin", user_id: "alice" }],
      });
      assert.deepEqual(
        again.body,
        error(
          "User 'alice' is already in team 't-org'; change a member's role with POST /team/member_delete and /team/member_add.",
          "invalid_request_error",
          "member",
          "already_member",
        ),
      );
      assert.equal(again.status, 400);
      const badMember = await call(url, "POST", "/team/member_add", MASTER_KEY, {
        team_id: "t-org",
        member: { role: "owner", user_id: "dave" },
      });
      assert.equal(badMember.status, 400);
      assert.equal(badMember.body.error?.param, "member");

      const removed = await call(url, "POST", "/team/member_delete", MASTER_KEY, {
        team_id: "t-org",
        user_email: "carol@example.com",
      });
      assert.equal(removed.status, 200);
      assert.deepEqual(unstamped(removed.body), orgTeam);
      const notMember = await call(url, "POST", "/team/member_delete", MASTER_KEY, {
        team_id: "t-org",
        user_id: carol,
      });
      assert.equal(notMember.status, 400);
      assert.deepEqual(
        notMember.body,
        error(`User '${carol}' is not a member of team 't-org'.`, "invalid_request_error", "user_id", "not_a_member"),
      );

      const key = await generateKey(url, { team_id: "t-org" });
      const listed = await call(url, "GET", "/team/list?user_id=alice", MASTER_KEY);
      assert.equal(listed.status, 200);
      const [only, ...rest] = unstamped(listed.body) as Record<string, unknown>[];
      assert.deepEqual(rest, []);
      const { keys, ...listedTeam } = only as { keys: { token: string }[] };
      assert.deepEqual(listedTeam, { ...orgTeam, team_memberships: [] });
      assert.deepEqual(
        keys.map((k) => k.token),
        [sha256(key)],
      );
      assert.deepEqual((await call(url, "GET", "/team/list?user_id=nobody", MASTER_KEY)).body, []);

      // A blocked team's keys get LiteLLM's 401; unblocked, they work again at once.
      assert.equal((await complete(url, key, "gpt-instruct")).status, 200);
      const blocked = await call(url, "POST", "/team/block", MASTER_KEY, { team_id: "t-org" });
      // The request's spend may or may not be written yet: the rest is exact.
      const { spend, ...blockedTeam } = unstamped(blocked.body) as Record<string, unknown>;
      assert.ok(spend === 0 || spend === ANSWER_COST);
      const { spend: _spend, ...orgFields } = orgTeam;
      assert.deepEqual(blockedTeam, { ...orgFields, blocked: true });
      const refused = await complete(url, key, "gpt-instruct");
      assert.equal(refused.status, 401);
      assert.deepEqual(
        refused.body,
        error(
          `The team 't-org' of the key sk-...${key.slice(-4)} is blocked; the gateway's admin can unblock it with POST /team/unblock.`,
          "authentication_error",
          null,
          "team_blocked",
        ),
      );
      const unblocked = await call(url, "POST", "/team/unblock", MASTER_KEY, { team_id: "t-org" });
      assert.deepEqual((unblocked.body as { blocked: boolean }).blocked, false);
      assert.equal((await complete(url, key, "gpt-instruct")).status, 200);
      assert.equal((await call(url, "POST", "/team/block", MASTER_KEY, { team_id: "nope" })).status, 404);

      // Deleting a team deletes its keys and memberships (LiteLLM's), all or nothing.
      const partial = await call(url, "POST", "/team/delete", MASTER_KEY, { team_ids: ["t-org", "nope"] });
      assert.equal(partial.status, 404);
      assert.deepEqual(
        partial.body,
        error(
          "No team 'nope' exists on this gateway; create one with POST /team/new.",
          "not_found_error",
          "team_id",
          "team_not_found",
        ),
      );
      const deleted = await call(url, "POST", "/team/delete", MASTER_KEY, { team_ids: ["t-org"] });
      assert.deepEqual(deleted.body, { deleted_teams: ["t-org"] });
      assert.equal((await complete(url, key, "gpt-instruct")).body.error?.code, "invalid_api_key");
      assert.deepEqual((await call(url, "GET", "/user/info?user_id=alice", MASTER_KEY)).body.teams, []);
    });

    test("/user/new takes LiteLLM's fields and returns a working key that expires per duration", async () => {
      await call(url, "POST", "/team/new", MASTER_KEY, { team_id: "t-users" });
      const answer = await call(url, "POST", "/user/new", MASTER_KEY, {
        user_id: "erin",
        user_email: "erin@example.com",
        user_alias: "Erin",
        user_role: "internal_user",
        models: ["gpt-instruct"],
        max_budget: 5,
        tpm_limit: 10_000,
        rpm_limit: 100,
        max_parallel_requests: 3,
        metadata: { dept: "ml" },
        duration: "2s",
        key_alias: "erin-key",
        teams: ["t-users"],
        // Accepted and ignored, as documented.
        send_invite_email: true,
        sso_user_id: null,
        model_max_budget: {},
      });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      const key = String(answer.body.key);
      assert.match(key, /^sk-[0-9A-Za-z]{43}$/);
      const { expires, ...rest } = unstamped(answer.body) as Record<string, unknown>;
      assert.ok(Math.abs(Date.parse(String(expires)) - (Date.now() + 2000)) < 1500, String(expires));
      assert.deepEqual(rest, {
        ...user({
          user_id: "erin",
          user_email: "erin@example.com",
          user_alias: "Erin",
          user_role: "internal_user",
          teams: ["t-users"],
          models: ["gpt-instruct"],
          max_budget: 5,
          tpm_limit: 10_000,
          rpm_limit: 100,
          max_parallel_requests: 3,
          metadata: { dept: "ml" },
        }),
        key,
        token: sha256(key),
        key_name: `sk-...${key.slice(-4)}`,
        key_alias: "erin-key",
        team_id: null,
        blocked: false,
      });
      // The key works, carries the user's limits and allowlist, and expires after its duration.
      const first = await complete(url, key, "gpt-instruct");
      assert.equal(first.status, 200);
      assert.equal(first.headers.get("x-ratelimit-limit-requests"), "100");
      assert.equal((await complete(url, key, "other-model")).status, 403);
      await sleep(2100);
      const expired = await complete(url, key, "gpt-instruct");
      assert.equal(expired.status, 401);
      assert.equal(expired.body.error?.code, "key_expired");

      // Invalid values are refused naming the field; unknown fields too (a typo is not a LiteLLM field).
      const cases: [unknown, string, string][] = [
        [
          { user_role: "owner" },
          "user_role",
          `Invalid 'user_role' in /user/new: got "owner". It must be "proxy_admin", "proxy_admin_viewer", "internal_user" or "internal_user_viewer", or null.`,
        ],
        [
          { duration: "2 days" },
          "duration",
          `Invalid 'duration' in /user/new: got "2 days". It must be a duration such as "30s", "30m", "24h", "30d", "1w" or "1mo" (at most 100 years) after which the key expires, or null.`,
        ],
        [
          { teams: [5] },
          "teams",
          `Invalid 'teams' in /user/new: got [5]. It must be a list of team ids, or of {"team_id": "...", "user_role": "user" or "admin"}.`,
        ],
      ];
      for (const [body, param, message] of cases) {
        const bad = await call(url, "POST", "/user/new", MASTER_KEY, body);
        assert.equal(bad.status, 400, JSON.stringify(body));
        assert.deepEqual(bad.body, error(message, "invalid_request_error", param, "invalid_value"));
      }
      const typo = await call(url, "POST", "/user/new", MASTER_KEY, { usr_email: "x@example.com" });
      assert.equal(typo.status, 400);
      assert.equal(typo.body.error?.code, "unsupported_field");
      assert.equal(typo.body.error?.param, "usr_email");
      const noTeam = await call(url, "POST", "/user/new", MASTER_KEY, { user_id: "frank", teams: ["no-such-team"] });
      assert.equal(noTeam.status, 404);
      assert.equal((await call(url, "GET", "/user/info?user_id=frank", MASTER_KEY)).status, 404);
    });

    test("/user/list pages with LiteLLM's fields; /user/delete deletes the users' keys", async () => {
      for (const id of ["list-a", "list-b", "list-c"]) {
        await call(url, "POST", "/user/new", MASTER_KEY, {
          user_id: id,
          user_email: `${id}@corp.example`,
          user_role: "internal_user",
        });
      }
      const page = await call(
        url,
        "GET",
        "/user/list?user_ids=list-a,list-b,list-c&page=2&page_size=2&sort_by=user_id",
        MASTER_KEY,
      );
      assert.equal(page.status, 200);
      assert.deepEqual(unstamped(page.body), {
        users: [
          {
            ...user({ user_id: "list-c", user_email: "list-c@corp.example", user_role: "internal_user" }),
            key_count: 1,
          },
        ],
        total: 3,
        page: 2,
        page_size: 2,
        total_pages: 2,
      });
      const byEmail = await call(url, "GET", "/user/list?user_email=LIST-B@", MASTER_KEY);
      assert.deepEqual(
        (byEmail.body.users as { user_id: string }[]).map((each) => each.user_id),
        ["list-b"],
      );
      assert.equal((await call(url, "GET", "/user/list?page_size=101", MASTER_KEY)).status, 400);
      assert.equal((await call(url, "GET", "/user/list?usr=1", MASTER_KEY)).status, 400);

      const key = await generateKey(url, { user_id: "list-a" });
      assert.equal((await complete(url, key, "gpt-instruct")).status, 200);
      const unknown = await call(url, "POST", "/user/delete", MASTER_KEY, { user_ids: ["list-a", "nope"] });
      assert.equal(unknown.status, 404);
      assert.equal((await complete(url, key, "gpt-instruct")).status, 200, "nothing deleted on a 404");
      const deleted = await call(url, "POST", "/user/delete", MASTER_KEY, { user_ids: ["list-a", "list-b"] });
      assert.equal(deleted.status, 200);
      assert.equal(deleted.body, 2 as unknown);
      // LiteLLM deletes the users' keys with them.
      assert.equal((await complete(url, key, "gpt-instruct")).body.error?.code, "invalid_api_key");
      assert.equal((await call(url, "GET", "/user/info?user_id=list-a", MASTER_KEY)).status, 404);
      assert.deepEqual((await call(url, "GET", "/key/list?user_id=list-a", MASTER_KEY)).body.keys, []);
    });

    test("/key/info and /user/info without a parameter describe the calling key", async () => {
      const made = await call(url, "POST", "/user/new", MASTER_KEY, { user_id: "self", max_budget: 2 });
      const key = String(made.body.key);
      const sibling = await generateKey(url, { user_id: "self" });
      const stranger = await generateKey(url);
      const own = await call(url, "GET", "/key/info", key);
      assert.equal(own.status, 200);
      assert.equal(own.body.key, sha256(key));
      assert.deepEqual(own.body, (await call(url, "GET", `/key/info?key=${key}`, MASTER_KEY)).body);
      // Its user's other keys, yes (LiteLLM's rule); anyone else's, no.
      assert.equal((await call(url, "GET", `/key/info?key=${sibling}`, key)).status, 200);
      const other = await call(url, "GET", `/key/info?key=${stranger}`, key);
      assert.equal(other.status, 403);
      assert.deepEqual(
        other.body,
        error(
          "A virtual key may only ask /key/info about itself or its own user's keys; call it without 'key', or with the master key.",
          "permission_error",
          "key",
          "not_own_key",
        ),
      );
      assert.equal((await call(url, "GET", `/key/info?key=${key}`, stranger)).status, 403);
      assert.equal((await call(url, "GET", "/key/info", stranger)).status, 200);
      assert.equal((await call(url, "GET", "/key/info", MASTER_KEY)).status, 400);

      const info = await call(url, "GET", "/user/info", key);
      assert.equal(info.status, 200);
      assert.deepEqual(info.body, (await call(url, "GET", "/user/info?user_id=self", MASTER_KEY)).body);
      assert.deepEqual(
        (info.body.keys as { token: string }[]).map((k) => k.token).sort(),
        [sha256(key), sha256(sibling)].sort(),
      );
      const notOwn = await call(url, "GET", "/user/info?user_id=erin", key);
      assert.equal(notOwn.status, 403);
      assert.equal(notOwn.body.error?.code, "not_own_user");
      const userless = await call(url, "GET", "/user/info", stranger);
      assert.equal(userless.status, 404);
      assert.equal(userless.body.error?.code, "user_not_found");
    });

    test("budgets: new, info, update, list, delete", async () => {
      const made = await call(url, "POST", "/budget/new", MASTER_KEY, {
        budget_id: "free-tier",
        max_budget: 0.5,
        soft_budget: 0.4,
        rpm_limit: 10,
        tpm_limit: 1000,
        max_parallel_requests: 2,
        model_max_budget: { "gpt-instruct": { max_budget: 1 } },
      });
      assert.equal(made.status, 200, JSON.stringify(made.body));
      const freeTier = budget({
        budget_id: "free-tier",
        max_budget: 0.5,
        soft_budget: 0.4,
        rpm_limit: 10,
        tpm_limit: 1000,
        max_parallel_requests: 2,
        model_max_budget: { "gpt-instruct": { max_budget: 1 } },
      });
      assert.deepEqual(unstamped(made.body), freeTier);
      assert.equal((await call(url, "POST", "/budget/new", MASTER_KEY, { budget_id: "free-tier" })).status, 409);
      const generated = await call(url, "POST", "/budget/new", MASTER_KEY, { max_budget: 1 });
      assert.match(String(generated.body.budget_id), UUID);
      const info = await call(url, "POST", "/budget/info", MASTER_KEY, { budgets: ["free-tier", "nope"] });
      assert.deepEqual(unstamped(info.body), [freeTier]);
      const empty = await call(url, "POST", "/budget/info", MASTER_KEY, { budgets: [] });
      assert.equal(empty.status, 400);
      assert.equal(empty.body.error?.param, "budgets");
      const updated = await call(url, "POST", "/budget/update", MASTER_KEY, {
        budget_id: "free-tier",
        max_budget: 0.6,
      });
      assert.deepEqual(unstamped(updated.body), { ...freeTier, max_budget: 0.6 });
      assert.equal(
        (await call(url, "POST", "/budget/update", MASTER_KEY, { budget_id: "nope", max_budget: 1 })).status,
        404,
      );
      const negative = await call(url, "POST", "/budget/new", MASTER_KEY, { max_budget: -1 });
      assert.equal(negative.status, 400);
      assert.equal(negative.body.error?.param, "max_budget");
      const listed = unstamped((await call(url, "GET", "/budget/list", MASTER_KEY)).body) as { budget_id: string }[];
      assert.ok(listed.some((each) => each.budget_id === "free-tier"));
      const deleted = await call(url, "POST", "/budget/delete", MASTER_KEY, { id: String(generated.body.budget_id) });
      assert.deepEqual(deleted.body, generated.body);
      const gone = await call(url, "POST", "/budget/delete", MASTER_KEY, { id: "nope" });
      assert.equal(gone.status, 404);
      assert.equal(gone.body.error?.param, "id");
    });

    test("customers: new, info, update, list, block, unblock, delete", async () => {
      const made = await call(url, "POST", "/customer/new", MASTER_KEY, {
        user_id: "acme",
        alias: "Acme Inc",
        max_budget: 3,
        budget_duration: "30d",
        allowed_model_region: "eu",
        default_model: "gpt-instruct",
        object_permission: { vector_stores: [] },
      });
      assert.equal(made.status, 200, JSON.stringify(made.body));
      const body = unstamped(made.body) as Record<string, unknown> & { litellm_budget_table: { budget_id: string } };
      const budgetId = body.litellm_budget_table.budget_id;
      assert.match(budgetId, UUID);
      assert.ok(Math.abs(Date.parse(String(body.budget_reset_at)) - (Date.now() + 30 * 86_400_000)) < 10_000);
      const acme = customer({
        user_id: "acme",
        alias: "Acme Inc",
        allowed_model_region: "eu",
        default_model: "gpt-instruct",
        budget_id: budgetId,
        litellm_budget_table: budget({ budget_id: budgetId, max_budget: 3, budget_duration: "30d" }),
        budget_reset_at: body.budget_reset_at,
      });
      assert.deepEqual(body, acme);
      const info = await call(url, "GET", "/customer/info?end_user_id=acme", MASTER_KEY);
      assert.deepEqual(unstamped(info.body), acme);
      // LiteLLM's older /end_user/* names answer the same.
      assert.deepEqual((await call(url, "GET", "/end_user/info?end_user_id=acme", MASTER_KEY)).body, info.body);
      const missing = await call(url, "GET", "/customer/info?end_user_id=ghost", MASTER_KEY);
      assert.equal(missing.status, 404);
      assert.deepEqual(
        missing.body,
        error(
          "No end user 'ghost' exists on this gateway; create one with POST /customer/new.",
          "not_found_error",
          "end_user_id",
          "end_user_not_found",
        ),
      );
      assert.equal((await call(url, "GET", "/customer/info", MASTER_KEY)).status, 400);
      assert.equal((await call(url, "POST", "/customer/new", MASTER_KEY, { user_id: "acme" })).status, 409);
      const both = await call(url, "POST", "/customer/new", MASTER_KEY, {
        user_id: "x",
        max_budget: 1,
        budget_id: "b",
      });
      assert.deepEqual(
        both.body,
        error(
          "Set either 'max_budget' or 'budget_id', not both.",
          "invalid_request_error",
          "budget_id",
          "invalid_value",
        ),
      );
      const region = await call(url, "POST", "/customer/new", MASTER_KEY, {
        user_id: "x",
        allowed_model_region: "mars",
      });
      assert.equal(region.status, 400);
      assert.equal(region.body.error?.param, "allowed_model_region");

      // An update of its budget fields updates its own budget row.
      const updated = await call(url, "POST", "/customer/update", MASTER_KEY, {
        user_id: "acme",
        max_budget: 4,
        alias: "ACME",
      });
      const updatedBody = unstamped(updated.body) as Record<string, unknown>;
      assert.deepEqual(updatedBody, {
        ...acme,
        alias: "ACME",
        litellm_budget_table: budget({ budget_id: budgetId, max_budget: 4, budget_duration: "30d" }),
        budget_reset_at: updatedBody.budget_reset_at,
      });
      assert.equal((await call(url, "POST", "/customer/update", MASTER_KEY, { user_id: "ghost" })).status, 404);

      const blocked = await call(url, "POST", "/customer/block", MASTER_KEY, { user_ids: ["acme", "new-one"] });
      const blockedUsers = (unstamped(blocked.body) as { blocked_users: Record<string, unknown>[] }).blocked_users;
      assert.deepEqual(blockedUsers[1], customer({ user_id: "new-one", blocked: true }));
      assert.equal(blockedUsers[0]?.blocked, true);
      const unblocked = await call(url, "POST", "/customer/unblock", MASTER_KEY, { user_ids: ["new-one"] });
      assert.deepEqual(unstamped(unblocked.body), { unblocked_users: [customer({ user_id: "new-one" })] });

      const listed = unstamped((await call(url, "GET", "/customer/list", MASTER_KEY)).body) as { user_id: string }[];
      assert.deepEqual(
        listed.map((each) => each.user_id).filter((id) => ["acme", "new-one"].includes(id)),
        ["acme", "new-one"],
      );
      const partial = await call(url, "POST", "/customer/delete", MASTER_KEY, { user_ids: ["new-one", "ghost"] });
      assert.equal(partial.status, 404);
      assert.equal(partial.body.error?.param, "user_ids");
      const deleted = await call(url, "POST", "/customer/delete", MASTER_KEY, { user_ids: ["new-one", "acme"] });
      assert.deepEqual(deleted.body, {
        deleted_customers: 2,
        message: "Successfully deleted customers with ids: ['new-one', 'acme']",
      });
      assert.equal((await call(url, "GET", "/customer/info?end_user_id=acme", MASTER_KEY)).status, 404);
    });

    test("an end user's budget and block hold on completions; its spend is recorded", async () => {
      // $0.10: the first request ($0.19) is let in, the next one is over.
      await call(url, "POST", "/customer/new", MASTER_KEY, { user_id: "cust-1", max_budget: 0.1 });
      const key = await generateKey(url);
      const first = await complete(url, key, "gpt-instruct", { user: "cust-1" });
      assert.equal(first.status, 200);
      // The end user's `user` still reaches the provider, as OpenAI's param.
      assert.deepEqual(
        mock.requests.map((request) => (request.json as { user: string }).user),
        ["cust-1"],
      );
      for (const caller of [key, MASTER_KEY]) {
        const over = await complete(url, caller, "gpt-instruct", { user: "cust-1" });
        assert.equal(over.status, 400);
        assert.deepEqual(
          over.body,
          error(
            "Budget exceeded for end user 'cust-1': spent $0.19 of its max_budget $0.1. It does not reset; the gateway's admin can raise max_budget (POST /customer/update).",
            "budget_exceeded",
            "max_budget",
            "400",
          ),
        );
      }
      assert.equal(mock.requests.length, 1);
      // Other end users and requests naming none are not held by it.
      assert.equal((await complete(url, key, "gpt-instruct")).status, 200);
      assert.equal((await complete(url, key, "gpt-instruct", { user: "someone-else" })).status, 200);

      const info = await call(url, "GET", "/customer/info?end_user_id=cust-1", MASTER_KEY);
      assert.equal(info.body.spend, ANSWER_COST);
      // An end user seen for the first time gets a row with its spend, as in LiteLLM.
      const seen = await call(url, "GET", "/customer/info?end_user_id=someone-else", MASTER_KEY);
      assert.deepEqual(unstamped(seen.body), customer({ user_id: "someone-else", spend: ANSWER_COST }));
      const logs = (await call(url, "GET", `/spend/logs?api_key=${key}`, MASTER_KEY)).body as unknown as {
        end_user: string | null;
      }[];
      assert.deepEqual(
        logs.map((log) => log.end_user),
        ["cust-1", null, "someone-else"],
      );

      // Raising the budget applies at once; a shared budget by id binds it the same way.
      await call(url, "POST", "/customer/update", MASTER_KEY, { user_id: "cust-1", max_budget: 1 });
      assert.equal((await complete(url, key, "gpt-instruct", { user: "cust-1" })).status, 200);
      await call(url, "POST", "/budget/new", MASTER_KEY, { budget_id: "tiny", max_budget: 0.01 });
      await call(url, "POST", "/customer/update", MASTER_KEY, { user_id: "cust-1", budget_id: "tiny" });
      const tiny = await complete(url, key, "gpt-instruct", { user: "cust-1" });
      assert.equal(tiny.status, 400);
      assert.equal(tiny.body.error?.type, "budget_exceeded");
      assert.equal(
        (await call(url, "POST", "/customer/update", MASTER_KEY, { user_id: "cust-1", budget_id: "nope" })).status,
        404,
      );

      // Blocked: LiteLLM's 400, whoever calls, and nothing reaches the provider.
      await call(url, "POST", "/customer/new", MASTER_KEY, { user_id: "cust-2" });
      await call(url, "POST", "/customer/block", MASTER_KEY, { user_ids: ["cust-2"] });
      mock.requests.length = 0;
      for (const caller of [key, MASTER_KEY]) {
        const refused = await call(url, "POST", "/v1/chat/completions", caller, {
          model: "gpt-instruct",
          messages: [{ role: "user", content: "hi" }],
          user: "cust-2",
        });
        assert.equal(refused.status, 400);
        assert.deepEqual(
          refused.body,
          error(
            "The end user 'cust-2' (the request's 'user') is blocked from making requests; the gateway's admin can unblock it with POST /customer/unblock.",
            "invalid_request_error",
            "user",
            "end_user_blocked",
          ),
        );
      }
      assert.equal(mock.requests.length, 0);
      await call(url, "POST", "/customer/unblock", MASTER_KEY, { user_ids: ["cust-2"] });
      assert.equal((await complete(url, key, "gpt-instruct", { user: "cust-2" })).status, 200);

      // The rate limits of an end user's budget hold too (LiteLLM's end-user rpm/tpm), whoever calls.
      await call(url, "POST", "/customer/new", MASTER_KEY, { user_id: "cust-3", rpm_limit: 1 });
      assert.equal((await complete(url, key, "gpt-instruct", { user: "cust-3" })).status, 200);
      const limited = await complete(url, MASTER_KEY, "gpt-instruct", { user: "cust-3" });
      assert.equal(limited.status, 429);
      assert.equal(limited.headers.get("retry-after"), "60");
      assert.deepEqual(
        limited.body,
        error(
          "Rate limit reached for end user 'cust-3': its rpm_limit is 1. Retry in 60 s.",
          "rate_limit_error",
          "rpm_limit",
          "rate_limit_exceeded",
        ),
      );
      // A key's own refusal releases what the end user's limits took.
      await call(url, "POST", "/customer/new", MASTER_KEY, { user_id: "cust-4", max_parallel_requests: 1 });
      const tight = await generateKey(url, { rpm_limit: 0 });
      assert.equal((await complete(url, tight, "gpt-instruct", { user: "cust-4" })).status, 429);
      assert.equal((await complete(url, key, "gpt-instruct", { user: "cust-4" })).status, 200);
      assert.equal((await complete(url, key, "gpt-instruct", { user: "cust-4" })).status, 200);
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), "litegate-org-"));
after(() => rmSync(dir, { recursive: true, force: true }));
routeSuite("SQLite", async () => SqliteStore.open({ path: join(dir, "org.db") }), undefined);

const schema = uniqueName("litegate_org");
after(async () => {
  if (DATABASE_URL !== undefined) await dropSchemas(DATABASE_URL, [schema]);
});
routeSuite("Postgres", () => PostgresStore.open({ connectionString: DATABASE_URL ?? "", schema, poolMax: 4 }), PG_SKIP);
