/** GET /v1/models and /v1/models/{id}: the public model names, in OpenAI's list shape. */
import type { IncomingMessage, ServerResponse } from "node:http";
import { NotFoundError } from "../../wire/errors.js";
import type { RequestContext } from "../context.js";
import type { Gateway } from "../gateway.js";
import { sendJson } from "../respond.js";

function modelObject(gateway: Gateway, id: string) {
  return { id, object: "model", created: gateway.startedAt, owned_by: "openai" };
}

export async function listModels(gateway: Gateway, req: IncomingMessage, res: ServerResponse, ctx: RequestContext): Promise<void> {
  gateway.authenticate(req);
  const data = gateway.router.modelNames.map((name) => modelObject(gateway, name));
  sendJson(res, 200, { object: "list", data }, ctx.headers());
}

export async function getModel(
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
  id: string | undefined,
): Promise<void> {
  gateway.authenticate(req);
  if (id === undefined || !gateway.router.modelNames.includes(id)) {
    throw new NotFoundError(`The model '${id ?? ""}' does not exist on this gateway. GET /v1/models lists those that do.`, {
      param: "model",
      code: "model_not_found",
    });
  }
  sendJson(res, 200, modelObject(gateway, id), ctx.headers());
}
