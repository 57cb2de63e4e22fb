/** /team/new, /team/update and /team/info (master key only). A team's budget and allowlist bind every key in it. */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { NotFoundError } from "../../wire/errors.js";
import { clip } from "../../wire/validate.js";
import { readJsonBody } from "../body.js";
import type { RequestContext } from "../context.js";
import type { Gateway } from "../gateway.js";
import { sendJson } from "../respond.js";
import { newTeamBody, parseBody, updateTeamBody } from "./bodies.js";
import { budgetFields } from "./budget-fields.js";
import { created } from "./conflict.js";
import { queryOf, requiredParam } from "./query.js";
import { OWNED_KEYS_SHOWN } from "./users.js";
import { keyView, teamView } from "./views.js";

function noSuchTeam(teamId: string): NotFoundError {
  return new NotFoundError(`No team '${clip(teamId)}' exists on this gateway; create one with POST /team/new.`, {
    param: "team_id",
    code: "team_not_found",
  });
}

export async function newTeam(
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
): Promise<void> {
  const store = await gateway.access.requireKeyManagement(req);
  const input = parseBody(newTeamBody, await readJsonBody(req, gateway.maxBodyBytes), "/team/new");
  const team = await created(
    store.createTeam({
      ...budgetFields(input, Date.now()),
      team_id: input.team_id ?? randomUUID(),
      team_alias: input.team_alias ?? null,
    }),
  );
  gateway.access.invalidateAll();
  sendJson(res, 200, teamView(team), ctx.headers());
}

export async function updateTeam(
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
): Promise<void> {
  const store = await gateway.access.requireKeyManagement(req);
  const input = parseBody(updateTeamBody, await readJsonBody(req, gateway.maxBodyBytes), "/team/update");
  const fields = budgetFields(input, Date.now());
  const team = await store.updateTeam(
    input.team_id,
    input.team_alias === undefined ? fields : { ...fields, team_alias: input.team_alias },
  );
  // Every key of the team is bound by it: their cached lookups hold the old team.
  gateway.access.invalidateAll();
  if (team === undefined) throw noSuchTeam(input.team_id);
  sendJson(res, 200, teamView(team), ctx.headers());
}

export async function teamInfo(
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
): Promise<void> {
  const store = await gateway.access.requireKeyManagement(req);
  const teamId = requiredParam(queryOf(req, "/team/info", ["team_id"]), "team_id", "/team/info");
  await gateway.access.flushSpend(2_000);
  const team = await store.getTeam(teamId);
  if (team === undefined) throw noSuchTeam(teamId);
  const keys = await store.listKeys({ limit: OWNED_KEYS_SHOWN, team_id: teamId });
  sendJson(res, 200, { team_id: teamId, team_info: teamView(team), keys: keys.data.map(keyView) }, ctx.headers());
}
