/** /team/new and /team/info (master key only). A team's budget and allowlist bind every key in it. */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { addDuration } from "../../access/duration.js";
import { NotFoundError } from "../../wire/errors.js";
import { readJsonBody } from "../body.js";
import type { RequestContext } from "../context.js";
import type { Gateway } from "../gateway.js";
import { sendJson } from "../respond.js";
import { created } from "./conflict.js";
import { asMetadata, newTeamBody, parseBody } from "./bodies.js";
import { queryOf, requiredParam } from "./query.js";
import { OWNED_KEYS_SHOWN } from "./users.js";
import { keyView, teamView } from "./views.js";

export async function newTeam(gateway: Gateway, req: IncomingMessage, res: ServerResponse, ctx: RequestContext): Promise<void> {
  const store = await gateway.access.requireKeyManagement(req);
  const input = parseBody(newTeamBody, await readJsonBody(req, gateway.maxBodyBytes), "/team/new");
  const budgetDuration = input.budget_duration ?? null;
  const team = await created(
    store.createTeam({
      team_id: input.team_id ?? randomUUID(),
      team_alias: input.team_alias ?? null,
      models: input.models,
      max_budget: input.max_budget ?? null,
      budget_duration: budgetDuration,
      budget_reset_at: budgetDuration === null ? null : addDuration(Date.now(), budgetDuration),
      metadata: asMetadata(input.metadata),
    }),
  );
  gateway.access.invalidateAll();
  sendJson(res, 200, teamView(team), ctx.headers());
}

export async function teamInfo(gateway: Gateway, req: IncomingMessage, res: ServerResponse, ctx: RequestContext): Promise<void> {
  const store = await gateway.access.requireKeyManagement(req);
  const teamId = requiredParam(queryOf(req), "team_id", "/team/info");
  await gateway.access.flushSpend(2_000);
  const team = await store.getTeam(teamId);
  if (team === undefined) {
    throw new NotFoundError(`No team '${teamId}' exists on this gateway; create one with POST /team/new.`, { param: "team_id", code: "team_not_found" });
  }
  const keys = await store.listKeys({ limit: OWNED_KEYS_SHOWN, team_id: teamId });
  sendJson(res, 200, { team_id: teamId, team_info: teamView(team), keys: keys.data.map(keyView) }, ctx.headers());
}
