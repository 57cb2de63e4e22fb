/**
 * POST /v1/embeddings and /embeddings (and the /engines/{model}/… and /openai/deployments/
 * {model}/… forms): the body goes to the Router as it is, with the model from the path when
 * the route has one; the answer comes back in OpenAI's format, the provider's own bytes when
 * they are OpenAI's unchanged.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { embeddings as embeddingsOperation } from "../../sdk/operations.js";
import { rawBodyOf } from "../../sdk/usage-marks.js";
import type { RequestContext } from "../context.js";
import type { Gateway } from "../gateway.js";
import { sendJson, sendJsonText } from "../respond.js";
import { admitModelRequest, readModelRequest } from "./model-request.js";

export async function embeddings(
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
  pathModel: string | undefined,
): Promise<void> {
  const request = await readModelRequest(gateway, req, ctx, pathModel ?? gateway.userModel);
  const route = await admitModelRequest(gateway, res, ctx, request);
  if (route === undefined) return;
  const answer = await gateway.router.run(embeddingsOperation, request.body, route);
  // Vectors are most of an answer: the debug log names their count, not thousands of floats.
  if (gateway.detailedDebug) {
    gateway.debugLogger.debug(
      { request_id: ctx.id, response: { ...answer, data: `${answer.data.length} vectors` } },
      "response body",
    );
  }
  const raw = rawBodyOf(answer);
  if (raw !== undefined) sendJsonText(res, 200, raw, ctx.headers());
  else sendJson(res, 200, answer, ctx.headers());
}
