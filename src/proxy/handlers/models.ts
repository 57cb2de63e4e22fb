/** GET /v1/models and /v1/models/{id}: the public model names the caller may use, in OpenAI's list shape. */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Principal } from "../../access/grant.js";
import { allowedModels } from "../../access/checks.js";
import { NotFoundError } from "../../wire/errors.js";
import type { RequestContext } from "../context.js";
import type { Gateway } from "../gateway.js";
import { sendJson } from "../respond.js";

function modelObject(gateway: Gateway, id: string) {
  return { id, object: "model", created: gateway.startedAt, owned_by: "openai" };
}

/** A virtual key sees only the models its allowlists (and its user's and team's) let it call. */
function visibleModels(gateway: Gateway, principal: Principal): readonly string[] {
  const all = gateway.router.modelNames;
  return principal.kind === "key" ? allowedModels(principal.grant, all) : all;
}

export async function listModels(
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
): Promise<void> {
  const principal = await gateway.access.authenticate(req);
  ctx.principal = principal;
  const data = visibleModels(gateway, principal).map((name) => modelObject(gateway, name));
  sendJson(res, 200, { object: "list", data }, ctx.headers());
}

export async function getModel(
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
  id: string | undefined,
): Promise<void> {
  const principal = await gateway.access.authenticate(req);
  ctx.principal = principal;
  if (id === undefined || !visibleModels(gateway, principal).includes(id)) {
    throw new NotFoundError(
      `The model '${id ?? ""}' does not exist on this gateway. GET /v1/models lists those that do.`,
      {
        param: "model",
        code: "model_not_found",
      },
    );
  }
  sendJson(res, 200, modelObject(gateway, id), ctx.headers());
}
