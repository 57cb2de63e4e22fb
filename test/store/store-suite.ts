/**
 * One behavioural contract for every Store, run against SQLite always and against Postgres
 * when TEST_DATABASE_URL is set. Each test gets a fresh database (a temp file, or a fresh
 * schema on Postgres that is dropped at the end of the run).
 */
import assert from "node:assert/strict";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { after, describe, test } from "node:test";
import { MIGRATIONS } from "../../src/store/migrations.js";
import { type ResponseRecord, type SpendRecord, type Store, StoreConflictError } from "../../src/store/types.js";

/** A fresh, empty database that can be opened more than once. */
export interface Database {
  open(): Promise<Store>;
  /** Every byte / text value the database holds, for the "no plaintext" check. */
  dump(): Promise<string>;
}

export interface Harness {
  name: string;
  skip?: string;
  fresh(): Promise<Database>;
  cleanup(): Promise<void>;
}

export function hashKey(plaintext: string): string {
  return createHash("sha256").update(plaintext).digest("hex");
}

export function spend(overrides: Partial<SpendRecord> & Pick<SpendRecord, "key_hash">): SpendRecord {
  return {
    request_id: randomUUID(),
    user_id: null,
    team_id: null,
    model_group: "gpt-4o",
    deployment_id: "d1",
    prompt_tokens: 10,
    completion_tokens: 5,
    cost: 0.25,
    status: "success",
    start_time: 1_700_000_000_000,
    end_time: 1_700_000_000_500,
    cache_hit: false,
    end_user: null,
    request_tags: [],
    metadata: {},
    ...overrides,
  };
}

export function storeSuite(harness: Harness): void {
  const skip = harness.skip;
  describe(`Store contract: ${harness.name}`, { skip }, () => {
    const opened: Store[] = [];
    async function fresh(): Promise<{ db: Database; store: Store }> {
      const db = await harness.fresh();
      const store = await db.open();
      opened.push(store);
      return { db, store };
    }
    after(async () => {
      for (const store of opened) await store.close();
      await harness.cleanup();
    });

    test("migrations apply once; re-opening is a no-op and keeps the data", async () => {
      const db = await harness.fresh();
      const first = await db.open();
      assert.equal(first.migrationsApplied, MIGRATIONS.length);
      await first.createUser({ user_id: "u1", max_budget: 5 });
      await first.close();
      const second = await db.open();
      opened.push(second);
      assert.equal(second.migrationsApplied, 0);
      assert.equal((await second.getUser("u1"))?.max_budget, 5);
    });

    test("key CRUD by hash, with defaults and JSON fields", async () => {
      const { store } = await fresh();
      const hash = hashKey("sk-test-1");
      const created = await store.createKey({
        token_hash: hash,
        key_alias: "ci",
        models: ["gpt-4o", "claude"],
        max_budget: 10,
        budget_duration: "30d",
        rpm_limit: 60,
        metadata: { env: "test", nested: { n: 1 } },
        expires_at: 1_800_000_000_000,
      });
      assert.equal(created.token_hash, hash);
      assert.deepEqual(created.models, ["gpt-4o", "claude"]);
      assert.deepEqual(created.metadata, { env: "test", nested: { n: 1 } });
      assert.equal(created.blocked, false);
      assert.equal(created.spend, 0);
      assert.equal(created.tpm_limit, null);
      assert.equal(created.expires_at, 1_800_000_000_000);
      assert.equal(typeof created.created_at, "number");
      assert.deepEqual(await store.getKey(hash), created);
      await assert.rejects(store.createKey({ token_hash: hash }), StoreConflictError);

      const updated = await store.updateKey(hash, { blocked: true, models: [], tpm_limit: 1000 });
      assert.equal(updated?.blocked, true);
      assert.deepEqual(updated?.models, []);
      assert.equal(updated?.tpm_limit, 1000);
      assert.equal(updated?.key_alias, "ci");
      assert.equal(await store.updateKey("nope", { blocked: true }), undefined);

      // Regenerate: the hash itself changes, the rest stays.
      const rehash = hashKey("sk-test-2");
      assert.equal((await store.updateKey(hash, { token_hash: rehash }))?.token_hash, rehash);
      assert.equal(await store.getKey(hash), undefined);

      assert.equal(await store.deleteKey(rehash), true);
      assert.equal(await store.deleteKey(rehash), false);
      assert.equal(await store.getKey(rehash), undefined);
    });

    test("users and teams CRUD", async () => {
      const { store } = await fresh();
      const user = await store.createUser({ user_id: "alice", max_budget: 3, models: ["a"] });
      assert.equal(user.spend, 0);
      assert.deepEqual(user.metadata, {});
      await assert.rejects(store.createUser({ user_id: "alice" }), StoreConflictError);
      assert.equal((await store.updateUser("alice", { budget_duration: "1d" }))?.budget_duration, "1d");
      const team = await store.createTeam({ team_id: "t1", team_alias: "Team One", max_budget: 100 });
      assert.equal(team.team_alias, "Team One");
      assert.equal((await store.updateTeam("t1", { spend: 0, budget_reset_at: 5 }))?.budget_reset_at, 5);
      assert.equal(await store.deleteTeam("t1"), true);
      assert.equal(await store.getTeam("t1"), undefined);
      assert.equal(await store.deleteUser("alice"), true);
    });

    test("the plaintext key never appears in the database", async () => {
      const { db, store } = await fresh();
      const plaintext = `sk-${randomBytes(32).toString("base64url")}`;
      const hash = hashKey(plaintext);
      await store.createKey({ token_hash: hash, key_alias: "secret", user_id: "u" });
      await store.recordSpend([spend({ key_hash: hash, user_id: "u" })]);
      await store.updateKey(hash, { rpm_limit: 5 });
      const dump = await db.dump();
      assert.ok(dump.includes(hash), "the dump holds the hash (the check can see the data)");
      assert.ok(!dump.includes(plaintext), "the plaintext key is stored");
      assert.ok(!dump.includes(plaintext.slice(3)), "the key body is stored");
    });

    test("list pagination: by offset and by cursor, with filters", async () => {
      const { store } = await fresh();
      const hashes: string[] = [];
      for (let i = 0; i < 25; i++) {
        const hash = hashKey(`sk-${i}`);
        hashes.push(hash);
        await store.createKey({ token_hash: hash, team_id: i % 2 === 0 ? "even" : "odd" });
      }
      hashes.sort();
      const byCursor: string[] = [];
      let cursor: string | undefined;
      for (let pages = 0; pages < 10; pages++) {
        const page = await store.listKeys({ limit: 10, ...(cursor === undefined ? {} : { cursor }) });
        byCursor.push(...page.data.map((key) => key.token_hash));
        if (page.next_cursor === null) break;
        cursor = page.next_cursor;
      }
      assert.deepEqual(byCursor, hashes);
      const third = await store.listKeys({ limit: 10, offset: 20 });
      assert.deepEqual(
        third.data.map((key) => key.token_hash),
        hashes.slice(20),
      );
      assert.equal(third.next_cursor, null);
      const even = await store.listKeys({ limit: 100, team_id: "even" });
      assert.equal(even.data.length, 13);
      assert.ok(even.data.every((key) => key.team_id === "even"));
      for (let i = 0; i < 5; i++) await store.createUser({ user_id: `user-${i}` });
      const users = await store.listUsers({ limit: 2, offset: 1 });
      assert.deepEqual(
        users.data.map((user) => user.user_id),
        ["user-1", "user-2"],
      );
      assert.equal(users.next_cursor, "user-2");
      await store.createTeam({ team_id: "t" });
      assert.equal((await store.listTeams({ limit: 5 })).data.length, 1);
      await assert.rejects(store.listKeys({ limit: 0 }), RangeError);
    });

    test("keys by alias: exactly (LiteLLM's key_alias), or containing a text case-insensitively, % and _ literal", async () => {
      const { store } = await fresh();
      const aliases = ["Search-Me_1", "search%me", "research", "other", "searchXme"];
      for (const [i, key_alias] of aliases.entries())
        await store.createKey({ token_hash: hashKey(`sk-a${i}`), key_alias });
      const found = async (options: { key_alias?: string; alias_contains?: string }) =>
        (await store.listKeys({ limit: 100, ...options })).data.map((key) => key.key_alias).sort();
      assert.deepEqual(await found({ alias_contains: "SEARCH" }), [
        "Search-Me_1",
        "research",
        "search%me",
        "searchXme",
      ]);
      assert.deepEqual(await found({ alias_contains: "%" }), ["search%me"]);
      assert.deepEqual(await found({ alias_contains: "e_" }), ["Search-Me_1"]);
      assert.deepEqual(await found({ key_alias: "other" }), ["other"]);
      assert.deepEqual(await found({ key_alias: "Other" }), []);
    });

    test("a budget window is reset once, however many instances see it end", async () => {
      const { store } = await fresh();
      const hash = hashKey("sk-window");
      await store.createKey({ token_hash: hash, budget_duration: "30d", budget_reset_at: 1000 });
      await store.recordSpend([spend({ key_hash: hash, cost: 3 })]);
      assert.equal(await store.resetBudget("key", hash, 1000, 5000), true);
      // Spend after the reset, then a second instance that saw the same window end.
      await store.recordSpend([spend({ key_hash: hash, cost: 2 })]);
      assert.equal(await store.resetBudget("key", hash, 1000, 6000), false);
      const key = await store.getKey(hash);
      assert.deepEqual([key?.spend, key?.budget_reset_at], [2, 5000]);
      await store.createTeam({ team_id: "w", budget_duration: "1d", budget_reset_at: 10 });
      assert.equal(await store.resetBudget("team", "w", 10, 20), true);
      assert.equal((await store.getTeam("w"))?.budget_reset_at, 20);
    });

    test("spend logged under a key's previous hash (requests running while it was regenerated) lands on the key", async () => {
      const { store } = await fresh();
      const [old, renewed] = [hashKey("sk-before"), hashKey("sk-after")];
      await store.createKey({ token_hash: old });
      await store.recordSpend([spend({ key_hash: old, cost: 1 })]);
      await store.updateKey(old, { token_hash: renewed, previous_token_hash: old });
      await store.recordSpend([spend({ key_hash: old, cost: 2 }), spend({ key_hash: renewed, cost: 4 })]);
      assert.equal((await store.getKey(renewed))?.spend, 7);
      assert.equal(await store.getKey(old), undefined);
    });

    test("recordSpend adds logs and key/user/team totals together; a retried batch counts once", async () => {
      const { store } = await fresh();
      const a = hashKey("sk-a");
      const b = hashKey("sk-b");
      await store.createKey({ token_hash: a, user_id: "u", team_id: "t" });
      await store.createKey({ token_hash: b, user_id: "u" });
      await store.createUser({ user_id: "u" });
      await store.createTeam({ team_id: "t" });
      const records: SpendRecord[] = [];
      for (let i = 0; i < 150; i++) {
        const onA = i % 3 !== 0;
        records.push(
          spend({
            key_hash: onA ? a : b,
            user_id: "u",
            team_id: onA ? "t" : null,
            cost: (i % 7) * 0.125,
            start_time: 1_700_000_000_000 + i,
          }),
        );
      }
      await store.recordSpend(records.slice(0, 100));
      await store.recordSpend(records.slice(100));
      await store.recordSpend(records.slice(90, 110)); // a retried batch: no double count
      const sum = (list: SpendRecord[]): number => list.reduce((total, r) => total + r.cost, 0);
      const onA = records.filter((r) => r.key_hash === a);
      assert.equal((await store.getKey(a))?.spend, sum(onA));
      assert.equal((await store.getKey(b))?.spend, sum(records.filter((r) => r.key_hash === b)));
      assert.equal((await store.getUser("u"))?.spend, sum(records));
      assert.equal((await store.getTeam("t"))?.spend, sum(onA));
      const logs = await store.spendLogs({ limit: 1000 });
      assert.equal(logs.length, 150);
      assert.deepEqual(logs[5], records[5]);
    });

    test("spend logs keep their request_tags and metadata as written", async () => {
      const { store } = await fresh();
      const a = hashKey("sk-labels");
      const labelled = spend({
        key_hash: a,
        request_tags: ["prod", "tëam-a", ""],
        metadata: { trace_id: "t-1", spend_logs_metadata: { owner: "ml", n: [1, 2.5, null, true] }, ünï: "ok" },
      });
      const plain = spend({ key_hash: a, start_time: labelled.start_time + 1 });
      await store.recordSpend([labelled, plain]);
      assert.deepEqual(await store.spendLogs({ key_hash: a, limit: 10 }), [labelled, plain]);
    });

    test("recordSpend is one transaction: a failing batch changes nothing", async () => {
      const { store } = await fresh();
      const a = hashKey("sk-a");
      await store.createKey({ token_hash: a });
      // The second record violates NOT NULL on model_group after the first was inserted.
      const bad = { ...spend({ key_hash: a }), model_group: null } as unknown as SpendRecord;
      await assert.rejects(store.recordSpend([spend({ key_hash: a, cost: 1 }), bad]));
      assert.equal((await store.getKey(a))?.spend, 0);
      assert.equal((await store.spendLogs({ limit: 10 })).length, 0);
    });

    test("spendLogs filters by key, user, team and time range, paginated", async () => {
      const { store } = await fresh();
      const a = hashKey("sk-a");
      const b = hashKey("sk-b");
      const t0 = 1_700_000_000_000;
      const records = [
        spend({ key_hash: a, user_id: "u1", team_id: "t1", start_time: t0 }),
        spend({ key_hash: a, user_id: "u1", team_id: "t1", start_time: t0 + 1000, cache_hit: true }),
        spend({ key_hash: b, user_id: "u2", team_id: "t1", start_time: t0 + 2000, status: "failure" }),
        spend({ key_hash: b, user_id: "u2", team_id: null, start_time: t0 + 3000, deployment_id: null }),
      ];
      await store.recordSpend(records);
      const ids = (list: SpendRecord[]): string[] => list.map((r) => r.request_id);
      assert.deepEqual(ids(await store.spendLogs({ key_hash: a, limit: 10 })), ids(records.slice(0, 2)));
      assert.deepEqual(ids(await store.spendLogs({ user_id: "u2", limit: 10 })), ids(records.slice(2)));
      assert.deepEqual(ids(await store.spendLogs({ team_id: "t1", limit: 10 })), ids(records.slice(0, 3)));
      assert.deepEqual(
        ids(await store.spendLogs({ from: t0 + 1000, to: t0 + 3000, limit: 10 })),
        ids(records.slice(1, 3)),
      );
      assert.deepEqual(ids(await store.spendLogs({ limit: 2, offset: 1 })), ids(records.slice(1, 3)));
      assert.deepEqual(await store.spendLogs({ key_hash: b, team_id: "t1", limit: 10 }), [records[2]]);
      assert.deepEqual((await store.spendLogs({ key_hash: b, limit: 10 }))[1], records[3]);
    });

    test("team members, users by email and filter, keys and memberships of an owner", async () => {
      const { store } = await fresh();
      await store.createUser({ user_id: "ann", user_email: "Ann@Example.com", user_role: "internal_user" });
      await store.createUser({ user_id: "ben", user_email: "ben_x@example.com" });
      await store.createUser({ user_id: "cy" });
      await store.createTeam({ team_id: "t1" });
      await store.createTeam({ team_id: "t2" });
      await store.putTeamMember({ team_id: "t1", user_id: "ann", user_email: "Ann@Example.com", role: "admin" });
      await store.putTeamMember({ team_id: "t1", user_id: "ben", user_email: null, role: "user" });
      await store.putTeamMember({ team_id: "t2", user_id: "ann", user_email: null, role: "user" });
      // Put again: the role changes, no second row.
      const changed = await store.putTeamMember({ team_id: "t1", user_id: "ben", user_email: null, role: "admin" });
      assert.equal(changed.role, "admin");
      const members = await store.listTeamMembers(["t1", "t2"]);
      assert.deepEqual(
        members.map((m) => [m.team_id, m.user_id, m.role]),
        [
          ["t1", "ann", "admin"],
          ["t1", "ben", "admin"],
          ["t2", "ann", "user"],
        ],
      );
      assert.deepEqual(await store.teamsOfUser("ann"), ["t1", "t2"]);
      assert.equal((await store.getUserByEmail("ben_x@example.com"))?.user_id, "ben");
      assert.equal(await store.getUserByEmail("nobody@example.com"), undefined);
      const page = await store.findUsers({ limit: 1, offset: 0, team_id: "t1" });
      assert.deepEqual([page.data.map((u) => u.user_id), page.total], [["ann"], 2]);
      // A part of the email, any case; LIKE's wildcards match only themselves.
      assert.deepEqual((await store.findUsers({ limit: 10, offset: 0, user_email: "ANN@" })).total, 1);
      assert.deepEqual((await store.findUsers({ limit: 10, offset: 0, user_email: "n_x" })).total, 1);
      assert.deepEqual((await store.findUsers({ limit: 10, offset: 0, user_email: "%" })).total, 0);
      const byRole = await store.findUsers({
        limit: 10,
        offset: 0,
        user_role: "internal_user",
        user_ids: ["ann", "cy"],
      });
      assert.deepEqual(
        byRole.data.map((u) => u.user_id),
        ["ann"],
      );
      await store.createKey({ token_hash: hashKey("sk-1"), user_id: "ann", team_id: "t2" });
      await store.createKey({ token_hash: hashKey("sk-2"), user_id: "ben", team_id: "t2" });
      assert.equal(await store.deleteKeysOf("team_id", "t2"), 2);
      await store.removeMembershipsOf("user_id", "ann");
      assert.deepEqual(await store.teamsOfUser("ann"), []);
      assert.equal(await store.removeTeamMember("t1", "ben"), true);
      assert.equal(await store.removeTeamMember("t1", "ben"), false);
    });

    test("customers and budgets; an end user's spend makes its row or adds to it", async () => {
      const { store } = await fresh();
      const budget = await store.createBudget({
        budget_id: "b1",
        max_budget: 2,
        model_max_budget: { m: { max_budget: 1 } },
      });
      assert.deepEqual(
        [budget.max_budget, budget.model_max_budget, budget.soft_budget],
        [2, { m: { max_budget: 1 } }, null],
      );
      await assert.rejects(store.createBudget({ budget_id: "b1" }), StoreConflictError);
      assert.equal((await store.updateBudget("b1", { max_budget: 3 }))?.max_budget, 3);
      const customer = await store.createCustomer({ user_id: "acme", budget_id: "b1", blocked: true });
      assert.deepEqual([customer.spend, customer.blocked, customer.metadata], [0, true, {}]);
      await assert.rejects(store.createCustomer({ user_id: "acme" }), StoreConflictError);
      await store.recordSpend([
        spend({ key_hash: "master_key", end_user: "acme", cost: 0.5 }),
        spend({ key_hash: "master_key", end_user: "new", cost: 0.25 }),
        spend({ key_hash: "master_key", end_user: "new", cost: 0.25 }),
      ]);
      assert.equal((await store.getCustomer("acme"))?.spend, 0.5);
      const made = await store.getCustomer("new");
      assert.deepEqual([made?.spend, made?.blocked, made?.budget_id], [0.5, false, null]);
      assert.deepEqual((await store.spendLogs({ limit: 10 })).map((log) => log.end_user).sort(), [
        "acme",
        "new",
        "new",
      ]);
      assert.equal(await store.resetBudget("customer", "acme", 0, 10), false);
      await store.updateCustomer("acme", { budget_reset_at: 5 });
      assert.equal(await store.resetBudget("customer", "acme", 5, 10), true);
      assert.equal((await store.getCustomer("acme"))?.spend, 0);
      assert.deepEqual(
        (await store.listCustomers({ limit: 10 })).data.map((c) => c.user_id),
        ["acme", "new"],
      );
      assert.deepEqual(
        (await store.listBudgets({ limit: 10 })).data.map((b) => b.budget_id),
        ["b1"],
      );
      assert.equal(await store.deleteCustomer("new"), true);
      assert.equal(await store.deleteBudget("b1"), true);
      assert.equal(await store.getBudget("b1"), undefined);
    });

    test("responses: kept with their JSON, replaced by id, deleted once; one store keeps them for every key", async () => {
      const { store } = await fresh();
      const record: ResponseRecord = {
        id: "resp_1",
        key_hash: hashKey("sk-owner"),
        model: "claude",
        deployment_id: null,
        input: [{ type: "message", id: "msg_in", role: "user", content: [{ type: "input_text", text: "Hi ünï" }] }],
        output: [{ type: "function_call", id: "fc_1", call_id: "call_1", name: "f", arguments: '{"a":[1,null]}' }],
        response: { object: "response", status: "completed", usage: { input_tokens: 3 }, metadata: {} },
        created_at: 1_700_000_000_123,
      };
      assert.equal(await store.getResponse("resp_1"), undefined);
      await store.saveResponse(record);
      assert.deepEqual(await store.getResponse("resp_1"), record);
      const native = { ...record, deployment_id: "d-openai", output: [], response: { status: "incomplete" } };
      await store.saveResponse(native);
      assert.deepEqual(await store.getResponse("resp_1"), native);
      assert.equal(await store.deleteResponse("resp_1"), true);
      assert.equal(await store.deleteResponse("resp_1"), false);
      assert.equal(await store.getResponse("resp_1"), undefined);
    });
  });
}
