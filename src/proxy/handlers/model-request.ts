/**
 * What every route that calls a model (completions, chat, responses) does before the Router
 * and when its stream fails: who asks, the body, the model and end user it names, its tags
 * and metadata, then the key's admission (allowlists, limits, budgets, the end user's), the
 * trace routing writes, and cancellation when the client leaves. One place, so spend, logs
 * and metrics read the same request whichever route it came by.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Principal } from "../../access/grant.js";
import { Cancellation } from "../../http/cancel.js";
import type { RouteOptions } from "../../router/router.js";
import { failureOf, RouteTrace } from "../../router/trace.js";
import type { APIError } from "../../wire/errors.js";
import { assertObject, MAX_MODEL_LENGTH } from "../../wire/validate.js";
import { readJsonBody } from "../body.js";
import type { RequestContext } from "../context.js";
import type { Gateway } from "../gateway.js";
import { loggableBody, requestLabels } from "../request-labels.js";

/** End-user ids longer than this are cut: they become a metrics label. */
const MAX_END_USER_LENGTH = 256;

export interface ModelRequest {
  principal: Principal;
  body: Record<string, unknown>;
}

/** The caller, authenticated, and its body, read and described on `ctx`; `model` replaces the body's when set. */
export async function readModelRequest(
  gateway: Gateway,
  req: IncomingMessage,
  ctx: RequestContext,
  model: string | undefined,
): Promise<ModelRequest> {
  const principal = await gateway.access.authenticate(req);
  ctx.principal = principal;
  ctx.authenticatedAt = performance.now();
  const body = await readJsonBody(req, gateway.maxBodyBytes);
  assertObject(body);
  if (model !== undefined) body.model = model;
  // Validation refuses a longer name later; until then it must not carry a client's megabytes
  // into the admission's errors, the log line or the spend record.
  ctx.model = typeof body.model === "string" ? body.model.slice(0, MAX_MODEL_LENGTH) : undefined;
  if (typeof body.user === "string") ctx.endUser = body.user.slice(0, MAX_END_USER_LENGTH);
  ctx.labels = requestLabels(body, req, principal);
  if (ctx.tracing !== undefined) ctx.requestParams = requestParams(body);
  if (gateway.detailedDebug) {
    gateway.debugLogger.debug({ request_id: ctx.id, request: loggableBody(body) }, "request body");
  }
  return { principal, body };
}

const numberOr = (value: unknown): number | undefined => (typeof value === "number" ? value : undefined);

/** What a trace shows of the body's params: the sampling temperature and the token limit, under any endpoint's name. */
function requestParams(body: Record<string, unknown>): NonNullable<RequestContext["requestParams"]> {
  return {
    temperature: numberOr(body.temperature),
    maxTokens: numberOr(body.max_tokens) ?? numberOr(body.max_completion_tokens) ?? numberOr(body.max_output_tokens),
  };
}

/**
 * The models of the body's `fallbacks` (LiteLLM's per-request fallbacks; the Router ignores anything
 * but a list of names). A name over MAX_MODEL_LENGTH names no model, and admission must not quote it back.
 */
function requestFallbacks(request: Record<string, unknown>): string[] {
  const { fallbacks } = request;
  return Array.isArray(fallbacks)
    ? fallbacks.filter((name): name is string => typeof name === "string" && name.length <= MAX_MODEL_LENGTH)
    : [];
}

/**
 * Admits the request and sets up its route; undefined when the client left meanwhile (a client
 * already gone takes nothing: no hold on its key, no upstream call). `prefer` names a
 * deployment to try first.
 */
export async function admitModelRequest(
  gateway: Gateway,
  res: ServerResponse,
  ctx: RequestContext,
  { principal, body }: ModelRequest,
  prefer?: string,
): Promise<RouteOptions | undefined> {
  if (ctx.ended) return undefined;
  ctx.admissionStartedAt = performance.now();
  const admission = gateway.access.admit(
    principal,
    // The body's `user` is LiteLLM's end user: its budget and block apply, its spend is recorded.
    {
      model: ctx.model,
      fallbacks: requestFallbacks(body),
      endUser: typeof body.user === "string" ? body.user : undefined,
    },
    Date.now(),
    ctx,
  );
  if (admission instanceof Promise) ctx.admitting = admission;
  ctx.ticket = await admission;
  ctx.admittedAt = performance.now();
  // The client left while the key was admitted: nothing to call upstream for (the close settled the ticket).
  if (ctx.ended) return undefined;
  // Spend and metrics need the request's usage: its ledger then bills (see UsageLedger).
  const trace = new RouteTrace(
    gateway.access.countsUsage() || gateway.metrics !== undefined || gateway.router.cache !== undefined,
  );
  trace.tracing = ctx.tracing;
  ctx.trace = trace;
  // A client that goes away cancels the upstream call with it.
  const cancellation = new Cancellation();
  res.once("close", () => {
    if (!res.writableFinished) cancellation.abort();
  });
  // Configured fallbacks lead only where the key may go (its allowlists bind every model it reaches).
  const cacheNamespace = keyCacheNamespace(principal);
  return {
    signal: cancellation,
    trace,
    allows: gateway.access.allowsFallback(principal),
    ...(prefer === undefined ? {} : { prefer }),
    ...(cacheNamespace === undefined ? {} : { cacheNamespace }),
  };
}

/** A virtual key's own response cache namespace: `redis_namespace` in its metadata, as LiteLLM reads it. */
function keyCacheNamespace(principal: Principal): string | undefined {
  if (principal.kind !== "key") return undefined;
  const namespace = principal.grant.key.metadata.redis_namespace;
  return typeof namespace === "string" && namespace !== "" ? namespace : undefined;
}

/** A stream that failed after its status went out: what the request's outcome reports. */
export function streamFailed(ctx: RequestContext, failure: APIError): void {
  ctx.streamError = failure.status;
  ctx.failure = failureOf(failure);
}
