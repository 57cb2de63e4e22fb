/**
 * Reads a key's grant from the store: the key, its user and team, their budgets reset when
 * a budget_duration has run out, and each owner's `flushed` counter read before its spend
 * (so spend committed between the two reads is counted twice, never missed: a budget errs
 * on the safe side).
 */
import type { KeyState } from "../state/key-state.js";
import type { KeyRecord, Store, TeamRecord, UserRecord } from "../store/types.js";
import { addDuration } from "./duration.js";
import { type BudgetOwner, type KeyGrant, ownerId, type OwnerKind } from "./grant.js";

interface Budgeted {
  spend: number;
  max_budget: number | null;
  budget_duration: string | null;
  budget_reset_at: number | null;
}

/**
 * The record's budget window as of `now`: a reset time is set once a duration is, and a
 * window that has ended starts a new one at zero spend. Undefined when nothing changes.
 */
function budgetPatch(record: Budgeted, now: number): { spend?: number; budget_reset_at: number | null } | undefined {
  if (record.budget_duration === null) return record.budget_reset_at === null ? undefined : { budget_reset_at: null };
  if (record.budget_reset_at === null) return { budget_reset_at: addDuration(now, record.budget_duration) };
  if (record.budget_reset_at > now) return undefined;
  return { spend: 0, budget_reset_at: addDuration(now, record.budget_duration) };
}

async function current<R extends Budgeted>(record: R, now: number, update: (patch: Partial<Budgeted>) => Promise<R | undefined>): Promise<R> {
  const patch = budgetPatch(record, now);
  if (patch === undefined) return record;
  return (await update(patch)) ?? record;
}

async function flushedOf(state: KeyState, ids: readonly string[]): Promise<number[]> {
  return ids.length === 0 ? [] : state.flushed(ids);
}

function owner(kind: OwnerKind, id: string, label: string, record: Budgeted, flushedAtLoad: number): BudgetOwner {
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
export async function loadGrant(store: Store, state: KeyState, hash: string, masked: string, now: number): Promise<KeyGrant | undefined> {
  const [keyFlushed = 0] = await flushedOf(state, [ownerId("key", hash)]);
  const found = await store.getKey(hash);
  if (found === undefined) return undefined;
  const key: KeyRecord = await current(found, now, (patch) => store.updateKey(hash, patch));
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
    currentUser = await current(user, now, (patch) => store.updateUser(user.user_id, patch));
    owners.push(owner("user", user.user_id, `user ${user.user_id}`, currentUser, userFlushed));
  }
  if (team !== undefined) {
    currentTeam = await current(team, now, (patch) => store.updateTeam(team.team_id, patch));
    owners.push(owner("team", team.team_id, `team ${team.team_id}`, currentTeam, teamFlushed));
  }
  return {
    hash,
    key,
    user: currentUser,
    team: currentTeam,
    owners,
    limits: { rpm_limit: key.rpm_limit, tpm_limit: key.tpm_limit, max_parallel_requests: key.max_parallel_requests },
  };
}
