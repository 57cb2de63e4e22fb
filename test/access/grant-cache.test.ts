import assert from "node:assert/strict";
import { test } from "node:test";
import { GrantCache } from "../../src/access/grant-cache.js";
import type { KeyGrant } from "../../src/access/grant.js";

function grant(hash: string, alias: string): KeyGrant {
  return {
    hash,
    hashShown: hash.slice(0, 12),
    key: { key_alias: alias } as KeyGrant["key"],
    user: undefined,
    team: undefined,
    owners: [],
    budgeted: [],
    budgetedIds: [],
    limits: { rpm_limit: null, tpm_limit: null, max_parallel_requests: null },
  };
}

/** A loader whose answers the test sets, counting its calls. */
function loader() {
  const state = { calls: 0, fail: false, alias: "v1", gate: Promise.resolve() };
  const load = async (hash: string) => {
    state.calls += 1;
    await state.gate;
    if (state.fail) throw new Error("database down");
    return hash === "missing" ? undefined : grant(hash, state.alias);
  };
  return { state, load };
}

test("a lookup is cached for the TTL; concurrent misses share one load; unknown keys are cached too", async () => {
  const { state, load } = loader();
  const cache = new GrantCache(load, 1000);
  const [a, b] = await Promise.all([cache.lookup("h", "sk-...h", 0), cache.lookup("h", "sk-...h", 0)]);
  assert.equal(state.calls, 1);
  assert.equal(a.grant?.key.key_alias, "v1");
  assert.equal(b.grant, a.grant);
  // Fresh entries answer without a promise: the hot path does not wait.
  const hit = cache.lookup("h", "sk-...h", 999);
  assert.ok(!(hit instanceof Promise));
  assert.equal(state.calls, 1);
  assert.deepEqual(await cache.lookup("missing", "m", 0), { grant: undefined, stale: false });
  assert.deepEqual(cache.lookup("missing", "m", 500), { grant: undefined, stale: false });
  state.alias = "v2";
  assert.equal((await cache.lookup("h", "sk-...h", 1000)).grant?.key.key_alias, "v2");
  assert.equal(state.calls, 3);
});

test("invalidate drops the entry and any load already running: the next lookup reads again", async () => {
  const { state, load } = loader();
  const cache = new GrantCache(load, 60_000);
  await cache.lookup("h", "k", 0);
  let open!: () => void;
  state.gate = new Promise((resolve) => (open = resolve));
  cache.invalidate("h");
  const before = cache.lookup("h", "k", 1);
  state.alias = "blocked";
  cache.invalidate("h");
  const after = cache.lookup("h", "k", 2);
  open();
  await before;
  assert.equal((await after).grant?.key.key_alias, "blocked");
  // The load begun before the second invalidation was not cached over the newer one.
  assert.equal((cache.lookup("h", "k", 3) as { grant: KeyGrant }).grant.key.key_alias, "blocked");
  cache.clear();
  assert.ok(cache.lookup("h", "k", 4) instanceof Promise);
});

test("a failed load returns the last entry marked stale, or throws when there is none", async () => {
  const { state, load } = loader();
  const cache = new GrantCache(load, 10);
  await cache.lookup("h", "k", 0);
  state.fail = true;
  const stale = await cache.lookup("h", "k", 100);
  assert.equal(stale.stale, true);
  assert.equal(stale.grant?.key.key_alias, "v1");
  // For one more TTL the stale entry answers at once, without another wait on the database.
  const calls = state.calls;
  assert.deepEqual(cache.lookup("h", "k", 105), stale);
  assert.equal(state.calls, calls);
  await assert.rejects(async () => cache.lookup("other", "k", 100), /database down/);
});

test("the cache is bounded: the oldest entry goes first", async () => {
  const { state, load } = loader();
  const cache = new GrantCache(load, 60_000, 2);
  await cache.lookup("a", "k", 0);
  await cache.lookup("b", "k", 0);
  await cache.lookup("c", "k", 0);
  assert.equal(state.calls, 3);
  assert.ok(!(cache.lookup("c", "k", 1) instanceof Promise));
  assert.ok(cache.lookup("a", "k", 1) instanceof Promise);
});
