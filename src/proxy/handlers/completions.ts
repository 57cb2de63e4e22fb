/**
 * POST /v1/completions and /v1/chat/completions (and their /engines/{model}/… and
 * /openai/deployments/{model}/… forms): the body goes to the Router as it is, with the
 * model from the path when the route has one; the answer or stream comes back in
 * OpenAI's format.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { Cancellation } from "../../http/cancel.js";
import type { RouteOptions } from "../../router/router.js";
import { RouteTrace } from "../../router/trace.js";
import * as operations from "../../sdk/operations.js";
import type { Operation } from "../../sdk/operations.js";
import type { CompletionStream } from "../../sdk/stream.js";
import { rawBodyOf } from "../../sdk/usage-marks.js";
import type { CompletionUsage } from "../../wire/completions.js";
import { assertObject, MAX_MODEL_LENGTH } from "../../wire/validate.js";
import { readJsonBody } from "../body.js";
import type { RequestContext } from "../context.js";
import type { Gateway } from "../gateway.js";
import { costFor } from "../outcome.js";
import { asAPIError, sendJson, sendJsonText } from "../respond.js";
import { endEventStream, endWithError, streamStarted, writeEvent } from "../sse-writer.js";

/** What the handler reads of any completion's answer or chunk. */
interface Answer {
  usage?: CompletionUsage | null;
  choices: unknown[];
}

type CompletionOperation = Operation<{ model: string; stream?: boolean | null }, Answer | CompletionStream<Answer>>;

export const completions = completionRoute(operations.textCompletions as CompletionOperation);
export const chatCompletions = completionRoute(operations.chatCompletions as CompletionOperation);

function completionRoute(operation: CompletionOperation) {
  return (
    gateway: Gateway,
    req: IncomingMessage,
    res: ServerResponse,
    ctx: RequestContext,
    pathModel: string | undefined,
  ) => serve(operation, gateway, req, res, ctx, pathModel);
}

async function serve(
  operation: CompletionOperation,
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
  pathModel: string | undefined,
): Promise<void> {
  const principal = await gateway.access.authenticate(req);
  const body = await readJsonBody(req, gateway.maxBodyBytes);
  assertObject(body);
  const forcedModel = pathModel ?? gateway.userModel;
  if (forcedModel !== undefined) body.model = forcedModel;
  if (gateway.requestOverrides !== undefined) Object.assign(body, gateway.requestOverrides);
  // Validation refuses a longer name later; until then it must not carry a client's megabytes
  // into the admission's errors, the log line or the spend record.
  ctx.model = typeof body.model === "string" ? body.model.slice(0, MAX_MODEL_LENGTH) : undefined;
  if (gateway.detailedDebug) gateway.debugLogger.debug({ request_id: ctx.id, request: body }, "request body");
  // A client already gone takes nothing: no hold on its key, no upstream call.
  if (ctx.ended) return;
  const admission = gateway.access.admit(
    principal,
    { model: ctx.model, fallbacks: requestFallbacks(body) },
    Date.now(),
    ctx,
  );
  if (admission instanceof Promise) ctx.admitting = admission;
  ctx.ticket = await admission;
  // The client left while the key was admitted: nothing to call upstream for (the close settled the ticket).
  if (ctx.ended) return;
  // Spend needs the request's usage: its ledger then bills (see UsageLedger).
  const trace = new RouteTrace(gateway.access.countsUsage());
  ctx.trace = trace;

  // A client that goes away cancels the upstream call with it.
  const cancellation = new Cancellation();
  res.once("close", () => {
    if (!res.writableFinished) cancellation.abort();
  });
  // Configured fallbacks lead only where the key may go (its allowlists bind every model it reaches).
  const route: RouteOptions = { signal: cancellation, trace, allows: gateway.access.allowsFallback(principal) };

  if (body.stream !== true) {
    const answer = (await gateway.router.run(operation, body, route)) as Answer;
    if (gateway.detailedDebug) gateway.debugLogger.debug({ request_id: ctx.id, response: answer }, "response body");
    // The provider's own bytes when the answer is theirs unchanged: no second serialisation.
    const raw = rawBodyOf(answer);
    if (raw !== undefined) sendJsonText(res, 200, raw, ctx.headers());
    else sendJson(res, 200, answer, ctx.headers());
    return;
  }

  ctx.stream = true;
  const pending = gateway.router.run(operation, body, route) as Promise<CompletionStream<Answer>>;
  const stream = await streamStarted(
    res,
    pending,
    () => ctx.headers(),
    gateway.keepAliveMs,
    (error) => {
      const failure = asAPIError(error);
      ctx.streamError = failure.status;
      endWithError(res, failure);
    },
  );
  if (stream === undefined) return;
  ctx.streamOpened = true;
  const withCost = gateway.includeCostInStreamingUsage;
  try {
    for await (const { chunk, raw } of stream.items()) {
      // Chunks go out as they came; only a usage chunk that carries its cost is re-serialised.
      const text =
        withCost && chunk.usage != null
          ? JSON.stringify({ ...chunk, usage: { ...chunk.usage, cost: costFor(ctx, chunk.usage) } })
          : raw;
      const full = writeEvent(res, text ?? JSON.stringify(chunk));
      if (full !== undefined) await full;
      if (res.destroyed) break;
    }
    endEventStream(res);
  } catch (error) {
    const failure = asAPIError(error);
    ctx.streamError = failure.status;
    endWithError(res, failure);
  }
}

/**
 * The models of the body's `fallbacks` (LiteLLM's per-request fallbacks; the Router ignores anything
 * but a list of names). A name over MAX_MODEL_LENGTH names no model, and admission must not quote it back.
 */
export function requestFallbacks(request: Record<string, unknown>): string[] {
  const { fallbacks } = request;
  return Array.isArray(fallbacks)
    ? fallbacks.filter((name): name is string => typeof name === "string" && name.length <= MAX_MODEL_LENGTH)
    : [];
}
