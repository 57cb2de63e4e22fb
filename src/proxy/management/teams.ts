/**
 * The team routes (master key only), in LiteLLM's shapes: new, update, info, list, delete,
 * member_add, member_delete, block and unblock. A team's budget, allowlist and block bind
 * every key in it; every change drops the cached key lookups, so it applies at once.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { TeamPatch, TeamRecord } from "../../store/types.js";
import { BadRequestError } from "../../wire/errors.js";
import { clip } from "../../wire/validate.js";
import type { RequestContext } from "../context.js";
import type { Gateway } from "../gateway.js";
import { sendJson } from "../respond.js";
import {
  deleteTeamsBody,
  type MemberInput,
  newTeamBody,
  readBody,
  teamIdBody,
  teamMemberAddBody,
  teamMemberDeleteBody,
  updateTeamBody,
} from "./bodies.js";
import { budgetFields } from "./budget-fields.js";
import { created } from "./conflict.js";
import { addMember, existingTeam, noSuchTeam, teamWithMembers } from "./members.js";
import { queryOf, requiredParam } from "./query.js";
import { OWNED_KEYS_SHOWN } from "./users.js";
import { keyView, teamView, userView } from "./views.js";

interface TeamSettings {
  tpm_limit?: number | null | undefined;
  rpm_limit?: number | null | undefined;
  max_parallel_requests?: number | null | undefined;
  blocked?: boolean | undefined;
  team_alias?: string | null | undefined;
}

/** The team columns a body sets besides the budget fields (only those it has). */
function teamSettings(input: TeamSettings): TeamPatch {
  const patch: TeamPatch = {};
  if (input.tpm_limit !== undefined) patch.tpm_limit = input.tpm_limit;
  if (input.rpm_limit !== undefined) patch.rpm_limit = input.rpm_limit;
  if (input.max_parallel_requests !== undefined) patch.max_parallel_requests = input.max_parallel_requests;
  if (input.blocked !== undefined) patch.blocked = input.blocked;
  if (input.team_alias !== undefined) patch.team_alias = input.team_alias;
  return patch;
}

export async function newTeam(
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
): Promise<void> {
  const store = await gateway.access.requireKeyManagement(req, ctx);
  const input = await readBody(gateway, req, newTeamBody, "/team/new");
  const team = await created(
    store.createTeam({
      ...budgetFields(input, Date.now()),
      ...teamSettings(input),
      team_id: input.team_id ?? randomUUID(),
    }),
  );
  for (const member of (input.members_with_roles ?? []) as MemberInput[]) await addMember(store, team.team_id, member);
  gateway.access.invalidateAll();
  sendJson(res, 200, await teamWithMembers(store, team), ctx.headers());
}

export async function updateTeam(
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
): Promise<void> {
  const store = await gateway.access.requireKeyManagement(req, ctx);
  const input = await readBody(gateway, req, updateTeamBody, "/team/update");
  const team = await store.updateTeam(input.team_id, { ...budgetFields(input, Date.now()), ...teamSettings(input) });
  // Every key of the team is bound by it: their cached lookups hold the old team.
  gateway.access.invalidateAll();
  if (team === undefined) throw noSuchTeam(input.team_id);
  sendJson(res, 200, await teamWithMembers(store, team), ctx.headers());
}

export async function teamInfo(
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
): Promise<void> {
  const store = await gateway.access.requireKeyManagement(req, ctx);
  const teamId = requiredParam(queryOf(req, "/team/info", ["team_id"]), "team_id", "/team/info");
  await gateway.access.flushSpend(2_000);
  const team = await existingTeam(store, teamId);
  const keys = await store.listKeys({ limit: OWNED_KEYS_SHOWN, team_id: teamId });
  sendJson(
    res,
    200,
    {
      team_id: teamId,
      team_info: await teamWithMembers(store, team),
      keys: keys.data.map(keyView),
      team_memberships: [],
    },
    ctx.headers(),
  );
}

/** Teams per page read while listing: /team/list answers every team, as LiteLLM's does. */
const LIST_PAGE = 500;

/**
 * GET /team/list: every team (an array, ordered by team_alias as LiteLLM orders it), each with
 * its members and keys. `user_id` keeps the teams that user is a member of; litegate has no
 * organisations, so `organization_id` keeps every team for "default_organization" and none otherwise.
 */
export async function listTeams(
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
): Promise<void> {
  const store = await gateway.access.requireKeyManagement(req, ctx);
  const query = queryOf(req, "/team/list", ["user_id", "organization_id"]);
  await gateway.access.flushSpend(2_000);
  const organisation = query.get("organization_id");
  const userId = query.get("user_id");
  const memberOf = userId === null || userId === "" ? undefined : new Set(await store.teamsOfUser(userId));
  const teams: TeamRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listTeams({ limit: LIST_PAGE, cursor });
    teams.push(...page.data);
    cursor = page.next_cursor ?? undefined;
  } while (cursor !== undefined);
  const shown = teams.filter(
    (team) =>
      (memberOf === undefined || memberOf.has(team.team_id)) &&
      (organisation === null || organisation === "default_organization"),
  );
  const members = await store.listTeamMembers(shown.map((team) => team.team_id));
  const answer: (ReturnType<typeof teamView> & { team_memberships: never[]; keys: ReturnType<typeof keyView>[] })[] =
    [];
  for (const team of shown) {
    const keys = await store.listKeys({ limit: OWNED_KEYS_SHOWN, team_id: team.team_id });
    answer.push({
      ...teamView(
        team,
        members.filter((member) => member.team_id === team.team_id),
      ),
      team_memberships: [],
      keys: keys.data.map(keyView),
    });
  }
  answer.sort((a, b) =>
    (a.team_alias ?? "") < (b.team_alias ?? "") ? -1 : (a.team_alias ?? "") > (b.team_alias ?? "") ? 1 : 0,
  );
  sendJson(res, 200, answer, ctx.headers());
}

/** POST /team/delete: the teams, their keys (as LiteLLM deletes them) and memberships; all or nothing. */
export async function deleteTeams(
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
): Promise<void> {
  const store = await gateway.access.requireKeyManagement(req, ctx);
  const input = await readBody(gateway, req, deleteTeamsBody, "/team/delete");
  // A list with one unknown team deletes none, so the caller can fix and resend it.
  for (const teamId of input.team_ids) await existingTeam(store, teamId);
  for (const teamId of input.team_ids) {
    await store.deleteKeysOf("team_id", teamId);
    await store.removeMembershipsOf("team_id", teamId);
    await store.deleteTeam(teamId);
  }
  gateway.access.invalidateAll();
  sendJson(res, 200, { deleted_teams: input.team_ids }, ctx.headers());
}

/**
 * POST /team/member_add: `member` is one member or a list. A user already in the team is a
 * 400 (LiteLLM's); a user that does not exist is created. The answer is the team with
 * `updated_users` (the members' user rows).
 */
export async function teamMemberAdd(
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
): Promise<void> {
  const store = await gateway.access.requireKeyManagement(req, ctx);
  const input = await readBody(gateway, req, teamMemberAddBody, "/team/member_add");
  const team = await existingTeam(store, input.team_id);
  const members = (Array.isArray(input.member) ? input.member : [input.member]) as MemberInput[];
  const current = await store.listTeamMembers([team.team_id]);
  for (const member of members) {
    const already = current.find(
      (each) =>
        (member.user_id != null && each.user_id === member.user_id) ||
        (member.user_id == null && member.user_email != null && each.user_email === member.user_email),
    );
    if (already !== undefined) {
      throw new BadRequestError(
        `User '${clip(already.user_id)}' is already in team '${clip(team.team_id)}'; change a member's role with POST /team/member_delete and /team/member_add.`,
        { param: "member", code: "already_member" },
      );
    }
  }
  const users: ReturnType<typeof userView>[] = [];
  for (const member of members) {
    const added = await addMember(store, team.team_id, member);
    users.push(userView(added.user, await store.teamsOfUser(added.user.user_id)));
  }
  gateway.access.invalidateAll();
  sendJson(
    res,
    200,
    { ...(await teamWithMembers(store, team)), updated_users: users, updated_team_memberships: [] },
    ctx.headers(),
  );
}

/** POST /team/member_delete: by `user_id` or `user_email`; a user not in the team is a 400 (LiteLLM's). */
export async function teamMemberDelete(
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
): Promise<void> {
  const store = await gateway.access.requireKeyManagement(req, ctx);
  const input = await readBody(gateway, req, teamMemberDeleteBody, "/team/member_delete");
  if (input.user_id == null && input.user_email == null) {
    throw new BadRequestError("/team/member_delete needs 'user_id' or 'user_email': the member to remove.", {
      param: "user_id",
      code: "invalid_value",
    });
  }
  const team = await existingTeam(store, input.team_id);
  const member = (await store.listTeamMembers([team.team_id])).find((each) =>
    input.user_id != null ? each.user_id === input.user_id : each.user_email === input.user_email,
  );
  if (member === undefined) {
    const who = input.user_id ?? input.user_email ?? "";
    throw new BadRequestError(`User '${clip(who)}' is not a member of team '${clip(team.team_id)}'.`, {
      param: input.user_id != null ? "user_id" : "user_email",
      code: "not_a_member",
    });
  }
  await store.removeTeamMember(team.team_id, member.user_id);
  gateway.access.invalidateAll();
  sendJson(res, 200, await teamWithMembers(store, team), ctx.headers());
}

function setBlocked(blocked: boolean) {
  const route = blocked ? "/team/block" : "/team/unblock";
  return async (gateway: Gateway, req: IncomingMessage, res: ServerResponse, ctx: RequestContext): Promise<void> => {
    const store = await gateway.access.requireKeyManagement(req, ctx);
    const input = await readBody(gateway, req, teamIdBody, route);
    const team = await store.updateTeam(input.team_id, { blocked });
    // The team's keys are refused (or served again) from their next request.
    gateway.access.invalidateAll();
    if (team === undefined) throw noSuchTeam(input.team_id);
    sendJson(res, 200, await teamWithMembers(store, team), ctx.headers());
  };
}

export const blockTeam = setBlocked(true);
export const unblockTeam = setBlocked(false);
