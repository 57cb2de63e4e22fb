/**
 * A request's outcome, read in one place from its context and RouteTrace: LiteLLM's
 * response headers, the per-request log line, and what the spend record charges. Metrics
 * and traces read the same.
 */
import type { IncomingMessage } from "node:http";
import { type Outcome, principalShownId } from "../access/spend-ledger.js";
import { callPrice } from "../config/index.js";
import { costOf, formatCostHeader } from "../cost/cost.js";
import type { RequestRecord } from "../metrics/gateway-metrics.js";
import type { CompletionUsage } from "../wire/completions.js";
import type { RequestContext } from "./context.js";
import type { Headers } from "./respond.js";

/** USD for `usage` on the deployment that answered, at the called model's price (0 when none did or its price is unknown). */
export function costFor(ctx: RequestContext, usage: CompletionUsage): number {
  const attempt = ctx.trace?.attempts.at(-1);
  const price = attempt === undefined ? undefined : callPrice(attempt.deployment, attempt.model);
  return price === undefined ? 0 : costOf(usage, price);
}

/** USD for `usage`; undefined while no deployment answered or the usage is not known. */
function costIfKnown(ctx: RequestContext, usage: CompletionUsage | undefined): number | undefined {
  return usage === undefined || ctx.trace?.deployment === undefined ? undefined : costFor(ctx, usage);
}

export function responseHeaders(ctx: RequestContext): Headers {
  const elapsed = ctx.elapsedMs();
  const trace = ctx.trace;
  const headers: Headers = {
    "x-request-id": ctx.id,
    "x-litellm-call-id": ctx.callId.text,
    "x-litellm-response-duration-ms": elapsed.toFixed(3),
    "x-litellm-overhead-duration-ms": Math.max(0, elapsed - (trace?.upstreamMs ?? 0)).toFixed(3),
  };
  if (ctx.rateHeaders !== undefined) Object.assign(headers, ctx.rateHeaders);
  // A hit says so as LiteLLM does (the header only on hits), and costs nothing.
  if (trace?.cache?.hit === true) {
    headers["x-litellm-cache-key"] = trace.cache.key;
    headers["x-litellm-response-cost"] = formatCostHeader(0);
  }
  const deployment = trace?.deployment;
  if (trace !== undefined && deployment !== undefined) {
    headers["x-litellm-attempted-retries"] = String(trace.retries);
    headers["x-litellm-attempted-fallbacks"] = String(trace.fallbacks);
    headers["x-litellm-model-id"] = deployment.id;
    if (deployment.apiBase !== undefined) headers["x-litellm-model-api-base"] = deployment.apiBase;
    const cost = costIfKnown(ctx, trace.usage.known?.usage);
    if (cost !== undefined) headers["x-litellm-response-cost"] = formatCostHeader(cost);
  }
  return headers;
}

/**
 * What a finished completion spent. Without a known usage, tokens are counted only when the
 * provider may bill them: the client left while it was generating, or a stream had begun. A
 * provider's refusal (no stream opened, an error status) costs nothing.
 */
export function spendOutcome(ctx: RequestContext, status: number): Outcome {
  const trace = ctx.trace;
  const ledger = trace?.usage;
  const known = ledger?.known?.usage;
  const billable =
    ledger !== undefined && known === undefined && ledger.bills && ledger.began && (status === 499 || ctx.streamOpened);
  const cacheHit = trace?.cache?.hit === true;
  return {
    ok: status === 200,
    modelGroup: ctx.model ?? "",
    deploymentId: trace?.deployment?.id,
    requestTags: requestTags(ctx),
    metadata: ctx.labels.metadata,
    usage: billable ? ledger.settle().then((settled) => settled?.usage) : known,
    cost: cacheHit ? () => 0 : (usage) => costFor(ctx, usage),
    cacheHit,
  };
}

/** The request's tags, then those of the deployment that answered (LiteLLM adds a deployment's `tags`). */
function requestTags(ctx: RequestContext): string[] {
  const deploymentTags = ctx.trace?.deployment?.tags;
  if (deploymentTags === undefined || deploymentTags.length === 0) return ctx.labels.tags;
  const tags = [...ctx.labels.tags];
  for (const tag of deploymentTags) if (!tags.includes(tag)) tags.push(tag);
  return tags;
}

const round = (ms: number): number => Math.round(ms * 1000) / 1000;

/**
 * `,"key":value`, the value as pino writes it, or nothing for undefined, which pino leaves out.
 * JSON.stringify writes a number as pino does (one that is not finite as null) and, unlike
 * String(), does not keep it in V8's number-to-string cache: strings put there outlive young
 * collections and were the largest part of a loaded gateway's promoted garbage (a sampling heap
 * profile of objects surviving scavenges). Text is JSON.stringify's too, which is pino's but for a
 * lone surrogate: pino writes it raw (stdout's UTF-8 turns it into U+FFFD), JSON.stringify escapes
 * it. Keys are the log line's own, plain names.
 */
export function logField(
  key: string,
  value: string | number | boolean | readonly string[] | object | undefined,
): string {
  return value === undefined ? "" : `,"${key}":${JSON.stringify(value)}`;
}

/**
 * The request's log line (after pino's level, time and pid; see Loggers.request): fixed fields,
 * never a body, a header or a key. `usage` is what its spend record charges (a stream whose
 * tokens are counted here is logged once they are); `duration` and `upstream` (ms) are read when
 * the request ended, as its metrics' are.
 */
export function logFields(
  req: IncomingMessage,
  ctx: RequestContext,
  status: number,
  usage: CompletionUsage | undefined,
  duration: number,
  upstream: number,
): string {
  const tags = requestTags(ctx);
  const trace = ctx.trace;
  const principal = ctx.principal;
  const grant = principal?.kind === "key" ? principal.grant : undefined;
  // A stream's first chunk, once one reached the client (an error answer is no first token).
  const answeredAt = ctx.stream && ctx.streamOpened ? trace?.attempts.at(-1)?.answeredAt : undefined;
  return (
    logField("request_id", ctx.id) +
    // The call id (the spend log's) when the client's own request id is not it.
    logField("call_id", ctx.id === ctx.callId.text ? undefined : ctx.callId.text) +
    logField("method", req.method) +
    logField("route", ctx.route) +
    // Who: the key's alias and the start of its hash (enough to find it, never the key), its team, the end user.
    logField("key_alias", grant?.key.key_alias ?? undefined) +
    logField("key_hash", principal === undefined ? undefined : principalShownId(principal)) +
    logField("team_id", grant?.key.team_id ?? undefined) +
    logField("end_user", ctx.endUser) +
    logField("model", ctx.model) +
    logField("deployment_id", trace?.deployment?.id) +
    logField("status", status) +
    logField("error", status === 200 ? undefined : ctx.failure?.errorClass) +
    logField("stream", ctx.stream) +
    logField("attempts", trace?.attempts.length) +
    logField("retries", trace?.retries) +
    logField("fallbacks", trace?.fallbacks) +
    logField("duration_ms", round(duration)) +
    logField("upstream_ms", round(upstream)) +
    logField("ttft_ms", answeredAt === undefined ? undefined : round(answeredAt - ctx.started)) +
    logField("overhead_ms", round(Math.max(0, duration - upstream))) +
    logField("prompt_tokens", usage?.prompt_tokens) +
    logField("completion_tokens", usage?.completion_tokens) +
    logField("cost", trace?.cache?.hit === true ? 0 : costIfKnown(ctx, usage)) +
    logField("cache_hit", trace?.cache?.hit) +
    // Only when the request had any: most lines stay as short as before.
    logField("request_tags", tags.length > 0 ? tags : undefined) +
    logField("metadata", Object.keys(ctx.labels.metadata).length > 0 ? ctx.labels.metadata : undefined)
  );
}

/** What metrics read of a finished completion request: the same outcome spend was charged from. */
export function requestRecord(ctx: RequestContext, status: number, outcome: Outcome): RequestRecord {
  return {
    route: ctx.route,
    status,
    failure: ctx.failure,
    principal: ctx.principal,
    endUser: ctx.endUser,
    requestedModel: ctx.model ?? "",
    trace: ctx.trace,
    stream: ctx.stream,
    endedAt: performance.now(),
    totalMs: ctx.elapsedMs(),
    usage: outcome.usage,
    cost: outcome.cost,
    budgets: ctx.ticket?.budgets,
    cache: ctx.trace?.cache,
  };
}
