/**
 * Teams' members as LiteLLM's routes take them: `{role, user_id}` or `{role, user_email}`.
 * A member names a user; one that does not exist yet is created (LiteLLM's /team/member_add
 * and /team/new do the same), found by id, else by email.
 */
import { randomUUID } from "node:crypto";
import type { Store, TeamMemberRecord, TeamRecord, UserRecord } from "../../store/types.js";
import { NotFoundError } from "../../wire/errors.js";
import { clip } from "../../wire/validate.js";
import type { MemberInput } from "./bodies.js";
import { created } from "./conflict.js";
import { teamView } from "./views.js";

export function noSuchTeam(teamId: string): NotFoundError {
  return new NotFoundError(`No team '${clip(teamId)}' exists on this gateway; create one with POST /team/new.`, {
    param: "team_id",
    code: "team_not_found",
  });
}

/** The user a member names, created when there is none; `created` says which. */
export async function memberUser(store: Store, member: MemberInput): Promise<{ user: UserRecord; created: boolean }> {
  const email = member.user_email ?? null;
  if (member.user_id != null) {
    const found = await store.getUser(member.user_id);
    if (found !== undefined) return { user: found, created: false };
    return { user: await created(store.createUser({ user_id: member.user_id, user_email: email })), created: true };
  }
  const found = email === null ? undefined : await store.getUserByEmail(email);
  if (found !== undefined) return { user: found, created: false };
  return { user: await created(store.createUser({ user_id: randomUUID(), user_email: email })), created: true };
}

/** Adds `member` to the team (a role already held is replaced); the user it names. */
export async function addMember(
  store: Store,
  teamId: string,
  member: MemberInput,
): Promise<{ user: UserRecord; created: boolean; member: TeamMemberRecord }> {
  const found = await memberUser(store, member);
  const record = await store.putTeamMember({
    team_id: teamId,
    user_id: found.user.user_id,
    user_email: found.user.user_email ?? member.user_email ?? null,
    role: member.role,
  });
  return { ...found, member: record };
}

/** The team as the routes show it, members included. */
export async function teamWithMembers(store: Store, team: TeamRecord) {
  return teamView(team, await store.listTeamMembers([team.team_id]));
}

export async function existingTeam(store: Store, teamId: string): Promise<TeamRecord> {
  const team = await store.getTeam(teamId);
  if (team === undefined) throw noSuchTeam(teamId);
  return team;
}
