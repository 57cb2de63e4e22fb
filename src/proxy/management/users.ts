/**
 * The user routes, in LiteLLM's shapes: new, update, info, list and delete (master key only;
 * a virtual key may ask /user/info about its own user). A user has its own budget and
 * allowlist, which bind every key of theirs. As in LiteLLM, /user/new also generates a key
 * for the user (its `duration` sets the key's expiry) unless `auto_create_key` is false.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { addDuration } from "../../access/duration.js";
import type { KeyPatch, Store, UserPatch, UserRecord } from "../../store/types.js";
import { NotFoundError, PermissionDeniedError } from "../../wire/errors.js";
import { clip } from "../../wire/validate.js";
import type { RequestContext } from "../context.js";
import type { Gateway } from "../gateway.js";
import { sendJson } from "../respond.js";
import { newUserBody, readBody, updateUserBody, userIdsBody } from "./bodies.js";
import { budgetFields } from "./budget-fields.js";
import { created } from "./conflict.js";
import { createKey } from "./keys.js";
import { existingTeam } from "./members.js";
import { pageOf, queryOf } from "./query.js";
import { keyView, teamView, userView } from "./views.js";

/** Keys listed with a user or team: enough for any real owner, bounded for the answer's size. */
export const OWNED_KEYS_SHOWN = 1000;

function noSuchUser(userId: string): NotFoundError {
  return new NotFoundError(`No user '${clip(userId)}' exists on this gateway; create one with POST /user/new.`, {
    param: "user_id",
    code: "user_not_found",
  });
}

interface UserSettings {
  user_email?: string | null | undefined;
  user_alias?: string | null | undefined;
  user_role?: string | null | undefined;
  tpm_limit?: number | null | undefined;
  rpm_limit?: number | null | undefined;
  max_parallel_requests?: number | null | undefined;
}

/** The user columns a body sets besides the budget fields (only those it has). */
function userSettings(input: UserSettings): UserPatch {
  const patch: UserPatch = {};
  for (const name of ["user_email", "user_alias", "user_role"] as const) {
    const value = input[name];
    if (value !== undefined) patch[name] = value;
  }
  for (const name of ["tpm_limit", "rpm_limit", "max_parallel_requests"] as const) {
    const value = input[name];
    if (value !== undefined) patch[name] = value;
  }
  return patch;
}

/** A user as the routes show one: with the teams they are a member of. */
async function userWithTeams(store: Store, user: UserRecord) {
  return userView(user, await store.teamsOfUser(user.user_id));
}

export async function newUser(
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
): Promise<void> {
  const store = await gateway.access.requireKeyManagement(req, ctx);
  const input = await readBody(gateway, req, newUserBody, "/user/new");
  const now = Date.now();
  const teams = (input.teams ?? []).map((team) =>
    typeof team === "string"
      ? { team_id: team, role: "user" }
      : { team_id: team.team_id, role: team.user_role ?? "user" },
  );
  // Checked before anything is written: a typo in a team id creates no user.
  for (const { team_id } of teams) await existingTeam(store, team_id);
  if (input.team_id != null) await existingTeam(store, input.team_id);
  const user = await created(
    store.createUser({
      ...budgetFields(input, now),
      ...userSettings(input),
      user_id: input.user_id ?? randomUUID(),
    }),
  );
  for (const team of teams) {
    await store.putTeamMember({
      team_id: team.team_id,
      user_id: user.user_id,
      user_email: user.user_email,
      role: team.role,
    });
  }
  // Budgets and allowlists of a user bind their keys: cached lookups may hold an older user.
  gateway.access.invalidateAll();
  const view = await userWithTeams(store, user);
  if (input.auto_create_key === false) {
    sendJson(res, 200, view, ctx.headers());
    return;
  }
  // The user's key carries the limits LiteLLM puts on it; the user's budget and allowlist bind it through the user.
  const fields: KeyPatch = { user_id: user.user_id };
  if (input.duration != null) fields.expires_at = addDuration(now, input.duration);
  if (input.key_alias !== undefined) fields.key_alias = input.key_alias;
  if (input.team_id !== undefined) fields.team_id = input.team_id;
  if (input.blocked !== undefined) fields.blocked = input.blocked;
  if (input.tpm_limit !== undefined) fields.tpm_limit = input.tpm_limit;
  if (input.rpm_limit !== undefined) fields.rpm_limit = input.rpm_limit;
  if (input.max_parallel_requests !== undefined) fields.max_parallel_requests = input.max_parallel_requests;
  const { key, record } = await createKey(store, fields);
  const { token, key_name, key_alias, team_id, expires, blocked } = keyView(record);
  sendJson(res, 200, { ...view, key, token, key_name, key_alias, team_id, expires, blocked }, ctx.headers());
}

export async function updateUser(
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
): Promise<void> {
  const store = await gateway.access.requireKeyManagement(req, ctx);
  const input = await readBody(gateway, req, updateUserBody, "/user/update");
  const user = await store.updateUser(input.user_id, { ...budgetFields(input, Date.now()), ...userSettings(input) });
  gateway.access.invalidateAll();
  if (user === undefined) throw noSuchUser(input.user_id);
  sendJson(res, 200, await userWithTeams(store, user), ctx.headers());
}

/**
 * GET /user/info: a user, their keys and teams. Without `user_id` a virtual key gets its own
 * user's; a virtual key may not ask about another user (LiteLLM's rule). The master key must
 * name the user.
 */
export async function userInfo(
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
): Promise<void> {
  const { store, principal } = await gateway.access.requireStoreAccess(req, ctx);
  const query = queryOf(req, "/user/info", ["user_id"]);
  let userId: string;
  if (principal.kind === "key") {
    const own = principal.grant.key.user_id;
    const asked = query.get("user_id");
    if (own === null) {
      throw new NotFoundError("This key belongs to no user (it has no user_id), so it has no user info.", {
        param: "user_id",
        code: "user_not_found",
      });
    }
    if (asked !== null && asked !== "" && asked !== own) {
      throw new PermissionDeniedError(
        "A virtual key may only ask about its own user; call /user/info without user_id, or with the master key.",
        { param: "user_id", code: "not_own_user" },
      );
    }
    userId = own;
  } else {
    const asked = query.get("user_id");
    if (asked === null || asked === "") {
      // The master key without a user: LiteLLM's admin overview, every key and team (bounded).
      await gateway.access.flushSpend(2_000);
      const keys = await store.listKeys({ limit: OWNED_KEYS_SHOWN });
      const teams = await store.listTeams({ limit: OWNED_KEYS_SHOWN });
      sendJson(
        res,
        200,
        {
          user_id: null,
          user_info: null,
          keys: keys.data.map(keyView),
          teams: teams.data.map((team) => teamView(team)),
        },
        ctx.headers(),
      );
      return;
    }
    userId = asked;
  }
  await gateway.access.flushSpend(2_000);
  const user = await store.getUser(userId);
  if (user === undefined) throw noSuchUser(userId);
  const keys = await store.listKeys({ limit: OWNED_KEYS_SHOWN, user_id: userId });
  const teamIds = await store.teamsOfUser(userId);
  const members = await store.listTeamMembers(teamIds);
  const teams: ReturnType<typeof teamView>[] = [];
  for (const teamId of teamIds) {
    const team = await store.getTeam(teamId);
    if (team !== undefined)
      teams.push(
        teamView(
          team,
          members.filter((member) => member.team_id === teamId),
        ),
      );
  }
  sendJson(
    res,
    200,
    { user_id: userId, user_info: userView(user, teamIds), keys: keys.data.map(keyView), teams },
    ctx.headers(),
  );
}

/**
 * GET /user/list: `{users, total, page, page_size, total_pages}` as LiteLLM answers, each user
 * with its `key_count`; filters `role`, `user_ids` (comma-separated), `user_email` (a part of it,
 * any case) and `team`; ordered by user_id. `sort_by`/`sort_order` are accepted and ignored.
 */
export async function listUsers(
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
): Promise<void> {
  const store = await gateway.access.requireKeyManagement(req, ctx);
  const query = queryOf(req, "/user/list", [
    "role",
    "user_ids",
    "user_email",
    "team",
    "page",
    "page_size",
    "sort_by",
    "sort_order",
  ]);
  // LiteLLM's page_size: 25 by default, at most 100.
  const { page, size, offset } = pageOf(query, "page_size", 25, 100);
  const ids = (query.get("user_ids") ?? "")
    .split(",")
    .map((id) => id.trim())
    .filter((id) => id !== "");
  await gateway.access.flushSpend(2_000);
  const found = await store.findUsers({
    limit: size,
    offset,
    user_role: query.get("role") || undefined,
    user_ids: ids.length > 0 ? ids : undefined,
    user_email: query.get("user_email") || undefined,
    team_id: query.get("team") || undefined,
  });
  const users: (ReturnType<typeof userView> & { key_count: number })[] = [];
  for (const user of found.data) {
    const keys = await store.listKeys({ limit: OWNED_KEYS_SHOWN, user_id: user.user_id });
    users.push({ ...(await userWithTeams(store, user)), key_count: keys.data.length });
  }
  sendJson(
    res,
    200,
    { users, total: found.total, page, page_size: size, total_pages: Math.ceil(found.total / size) },
    ctx.headers(),
  );
}

/**
 * POST /user/delete: the users, their keys (LiteLLM deletes them too) and team memberships;
 * all or nothing. The answer is how many users were deleted, as LiteLLM's (a bare number).
 */
export async function deleteUsers(
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
): Promise<void> {
  const store = await gateway.access.requireKeyManagement(req, ctx);
  const input = await readBody(gateway, req, userIdsBody, "/user/delete");
  for (const userId of input.user_ids) if ((await store.getUser(userId)) === undefined) throw noSuchUser(userId);
  let deleted = 0;
  for (const userId of new Set(input.user_ids)) {
    await store.deleteKeysOf("user_id", userId);
    await store.removeMembershipsOf("user_id", userId);
    if (await store.deleteUser(userId)) deleted += 1;
  }
  // The users' keys are gone: their cached lookups must not outlive them.
  gateway.access.invalidateAll();
  sendJson(res, 200, deleted, ctx.headers());
}
