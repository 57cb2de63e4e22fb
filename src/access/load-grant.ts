/**
 * Reads a key's grant from the store: the key, its user and team, their budgets reset when
 * a budget_duration has run out, and each owner's `flushed` counter read before its spend
 * (so spend committed between the two reads is counted twice, never missed: a budget errs
 * on the safe side).
 */
import type { KeyState } from "../state/key-state.js";
import type { KeyRecord, Store, TeamRecord, UserRecord } from "../store/types.js";
import { addDuration } from "./duration.js";
import { type BudgetOwner, KEY_HASH_SHOWN, type KeyGrant, ownerId, type OwnerKind } from "./grant.js";

export interface Budgeted {
  spend: number;
  max_budget: number | null;
  budget_duration: string | null;
  budget_reset_at: number | null;
}

/** How load-grant changes one record: set its reset time, start a new window, read it again. */
export interface Access<R> {
  update(patch: Partial<Budgeted>): Promise<R | undefined>;
  reset(from: number, to: number): Promise<boolean>;
  read(): Promise<R | undefined>;
}

/**
 * The record's budget window as of `now`: a reset time is set once a duration is, and a
 * window that has ended starts a new one at zero spend (once, whichever instance gets there first).
 */
export async function current<R extends Budgeted>(record: R, now: number, access: Access<R>): Promise<R> {
  const duration = record.budget_duration;
  if (duration === null)
    return record.budget_reset_at === null ? record : ((await access.update({ budget_reset_at: null })) ?? record);
  if (record.budget_reset_at === null)
    return (await access.update({ budget_reset_at: addDuration(now, duration) })) ?? record;
  if (record.budget_reset_at > now) return record;
  await access.reset(record.budget_reset_at, addDuration(now, duration));
  // Reset here or by another instance a moment ago: the row has the new window either way.
  return (await access.read()) ?? record;
}

export async function flushedOf(state: KeyState, ids: readonly string[]): Promise<number[]> {
  return ids.length === 0 ? [] : state.flushed(ids);
}

export function owner(
  kind: OwnerKind,
  id: string,
  label: string,
  record: Budgeted,
  flushedAtLoad: number,
): BudgetOwner {
  return {
    kind,
    id: ownerId(kind, id),
    label,
    spend: record.spend,
    max_budget: record.max_budget,
    budget_reset_at: record.budget_reset_at,
    flushedAtLoad,
  };
}

/** The grant of the key whose hash is `hash`; `masked` (sk-...abcd) names it in errors. */
export async function loadGrant(
  store: Store,
  state: KeyState,
  hash: string,
  masked: string,
  now: number,
): Promise<KeyGrant | undefined> {
  const [keyFlushed = 0] = await flushedOf(state, [ownerId("key", hash)]);
  const found = await store.getKey(hash);
  if (found === undefined) return undefined;
  const key: KeyRecord = await current(found, now, {
    update: (patch) => store.updateKey(hash, patch),
    reset: (from, to) => store.resetBudget("key", hash, from, to),
    read: () => store.getKey(hash),
  });
  const { user_id, team_id } = key;
  const [userFlushed = 0, teamFlushed = 0] = await flushedOf(state, [
    ownerId("user", user_id ?? ""),
    ownerId("team", team_id ?? ""),
  ]);
  const [user, team] = await Promise.all([
    user_id === null ? undefined : store.getUser(user_id),
    team_id === null ? undefined : store.getTeam(team_id),
  ]);
  const label = key.key_alias === null ? `key ${masked}` : `key '${key.key_alias}' (${masked})`;
  const owners = [owner("key", hash, label, key, keyFlushed)];
  let currentUser: UserRecord | undefined;
  let currentTeam: TeamRecord | undefined;
  if (user !== undefined) {
    const id = user.user_id;
    currentUser = await current(user, now, {
      update: (patch) => store.updateUser(id, patch),
      reset: (from, to) => store.resetBudget("user", id, from, to),
      read: () => store.getUser(id),
    });
    owners.push(owner("user", user.user_id, `user ${user.user_id}`, currentUser, userFlushed));
  }
  if (team !== undefined) {
    const id = team.team_id;
    currentTeam = await current(team, now, {
      update: (patch) => store.updateTeam(id, patch),
      reset: (from, to) => store.resetBudget("team", id, from, to),
      read: () => store.getTeam(id),
    });
    owners.push(owner("team", team.team_id, `team ${team.team_id}`, currentTeam, teamFlushed));
  }
  const budgeted = owners.filter((each) => each.max_budget !== null);
  return {
    hash,
    hashShown: hash.slice(0, KEY_HASH_SHOWN),
    key,
    user: currentUser,
    team: currentTeam,
    owners,
    budgeted,
    budgetedIds: budgeted.map((each) => each.id),
    limits: { rpm_limit: key.rpm_limit, tpm_limit: key.tpm_limit, max_parallel_requests: key.max_parallel_requests },
  };
}
