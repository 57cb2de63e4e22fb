/**
 * A finished request's spans, read from the same context and RouteTrace as its log line and
 * spend record: the server span, then the key check, the admission, each upstream attempt
 * (retries and fallbacks each their own span) and the spend record. Attributes follow
 * OpenTelemetry's GenAI and HTTP conventions, plus litegate's own (`litegate.*`); never a
 * prompt, an answer or a key (only the start of its hash, as on the log line).
 */
import { principalLogId } from "../access/spend-ledger.js";
import type { Deployment } from "../config/index.js";
import type { Attempt } from "../router/trace.js";
import type { ChildSpan, RequestSpans, SpanAttributes } from "../tracing/tracer.js";
import type { CompletionUsage } from "../wire/completions.js";
import type { RequestContext } from "./context.js";
import { costFor } from "./outcome.js";
import { routeOperation } from "./route-operation.js";

/** Hex characters of a key's hash a span shows: the log line's. */
const KEY_HASH_SHOWN = 12;

/** litellm_params.model's provider prefix (a bare name is OpenAI's), as metrics' api_provider. */
function providerOf(deployment: Deployment): string {
  const slash = deployment.model.indexOf("/");
  return slash === -1 ? "openai" : deployment.model.slice(0, slash);
}

/** gen_ai.provider.name: the convention's well-known names where it has one, else litegate's provider prefix. */
const GEN_AI_PROVIDERS: Readonly<Record<string, string>> = {
  openai: "openai",
  "text-completion-openai": "openai",
  azure: "azure.ai.openai",
  azure_text: "azure.ai.openai",
  anthropic: "anthropic",
  mistral: "mistral_ai",
  codestral: "mistral_ai",
  "text-completion-codestral": "mistral_ai",
  groq: "groq",
  deepseek: "deepseek",
  gemini: "gcp.gemini",
  vertex_ai: "gcp.vertex_ai",
  bedrock: "aws.bedrock",
  cohere: "cohere",
};

/** The model a deployment calls, without its provider prefix. */
function modelOf(deployment: Deployment): string {
  return deployment.model.slice(deployment.model.indexOf("/") + 1);
}

/** server.address and server.port of each deployment's api_base (already stripped of credentials), parsed once. */
const servers = new WeakMap<Deployment, { address: string; port: number } | null>();

function serverOf(deployment: Deployment, attributes: SpanAttributes): void {
  let server = servers.get(deployment);
  if (server === undefined) {
    server = null;
    try {
      if (deployment.apiBase !== undefined) {
        const url = new URL(deployment.apiBase);
        const port = url.port === "" ? (url.protocol === "https:" ? 443 : 80) : Number(url.port);
        server = { address: url.hostname, port };
      }
    } catch {
      // Not a URL: nothing to show.
    }
    servers.set(deployment, server);
  }
  if (server === null) return;
  attributes["server.address"] = server.address;
  attributes["server.port"] = server.port;
}

/** gen_ai.provider.name (and gen_ai.system) for a litegate provider prefix. */
export function genAiProviderName(provider: string): string {
  return GEN_AI_PROVIDERS[provider] ?? provider;
}

function deploymentAttributes(operation: string, deployment: Deployment, attributes: SpanAttributes): void {
  const genAi = genAiProviderName(providerOf(deployment));
  attributes["gen_ai.operation.name"] = operation;
  attributes["gen_ai.provider.name"] = genAi;
  attributes["gen_ai.system"] = genAi;
  attributes["litegate.deployment_id"] = deployment.id;
}

function usageAttributes(usage: CompletionUsage | undefined, attributes: SpanAttributes): void {
  if (usage === undefined) return;
  attributes["gen_ai.usage.input_tokens"] = usage.prompt_tokens;
  attributes["gen_ai.usage.output_tokens"] = usage.completion_tokens;
}

function paramAttributes(ctx: RequestContext, attributes: SpanAttributes): void {
  const params = ctx.requestParams;
  if (params?.temperature !== undefined) attributes["gen_ai.request.temperature"] = params.temperature;
  if (params?.maxTokens !== undefined) attributes["gen_ai.request.max_tokens"] = params.maxTokens;
}

/** Who called: the key's alias, the start of its hash, its team, the end user (the log line's fields). */
function callerAttributes(ctx: RequestContext, attributes: SpanAttributes): void {
  const principal = ctx.principal;
  if (principal === undefined) return;
  attributes["litegate.key_hash"] = principalLogId(principal).slice(0, KEY_HASH_SHOWN);
  const key = principal.kind === "key" ? principal.grant.key : undefined;
  if (key?.key_alias != null) attributes["litegate.key_alias"] = key.key_alias;
  if (key?.team_id != null) attributes["litegate.team_id"] = key.team_id;
  if (ctx.endUser !== undefined) attributes["litegate.end_user"] = ctx.endUser;
}

/** One attempt's client span: which deployment, its place among retries and fallbacks, how it failed. */
function attemptSpan(
  ctx: RequestContext,
  operation: string,
  attempt: Attempt,
  index: number,
  retry: number,
  fallback: number,
  answered: { usage: CompletionUsage | undefined; endedAt: number } | undefined,
): ChildSpan {
  const attributes: SpanAttributes = {};
  deploymentAttributes(operation, attempt.deployment, attributes);
  attributes["gen_ai.request.model"] = modelOf(attempt.deployment);
  paramAttributes(ctx, attributes);
  serverOf(attempt.deployment, attributes);
  attributes["litegate.model_group"] = attempt.group;
  attributes["litegate.attempt"] = index;
  attributes["litegate.retry"] = retry;
  attributes["litegate.fallback"] = fallback;
  const failure = attempt.failure;
  if (failure !== undefined) {
    attributes["error.type"] = failure.errorClass;
    attributes["http.response.status_code"] = failure.status;
    if (attempt.cooledDown) attributes["litegate.cooled_down"] = true;
  } else if (answered !== undefined) {
    attributes["gen_ai.response.model"] = modelOf(attempt.deployment);
    usageAttributes(answered.usage, attributes);
    if (ctx.stream && attempt.answeredAt !== undefined) {
      attributes["litegate.time_to_first_token_ms"] = attempt.answeredAt - attempt.startedAt;
    }
  }
  return {
    name: `${operation} ${modelOf(attempt.deployment)}`,
    client: true,
    startedAt: attempt.startedAt,
    // A stream's call lasts until its last chunk, after its first (answeredAt).
    endedAt: answered?.endedAt ?? attempt.answeredAt ?? attempt.startedAt,
    spanId: attempt.spanId,
    attributes,
    error: failure === undefined ? undefined : `${failure.errorClass} (${failure.status})`,
  };
}

/** The attempts' spans: retries counted within a model group, fallbacks by the group's place. */
function attemptSpans(
  ctx: RequestContext,
  operation: string,
  status: number,
  usage: CompletionUsage | undefined,
  endedAt: number,
): ChildSpan[] {
  const attempts = ctx.trace?.attempts ?? [];
  const groups: string[] = [];
  let retry = 0;
  return attempts.map((attempt, index) => {
    if (groups.at(-1) === attempt.group) retry += 1;
    else {
      groups.push(attempt.group);
      retry = 0;
    }
    const last = index === attempts.length - 1;
    const answered =
      last && attempt.failure === undefined && attempt.answeredAt !== undefined
        ? { usage, endedAt: ctx.stream ? endedAt : attempt.answeredAt }
        : undefined;
    // A call still running when the client left ends with the request.
    const cut = attempt.answeredAt === undefined ? endedAt : undefined;
    const span = attemptSpan(ctx, operation, attempt, index, retry, groups.length - 1, answered);
    if (cut !== undefined) {
      span.endedAt = cut;
      if (status === 499) span.attributes["litegate.cancelled"] = true;
    }
    return span;
  });
}

/** What a traced request reports when it ends: its times, status and what it spent. */
export interface TraceEnd {
  method: string;
  /** A route matched the path (else the path is no route, and the span is named by the method alone). */
  routed: boolean;
  status: number;
  endedAt: number;
  /** The request is one of the model routes (completions, chat, responses). */
  model: boolean;
  usage: CompletionUsage | undefined;
  /** When its spend record was handed over (the key's counters charged, the record queued for the store). */
  spend: { startedAt: number; endedAt: number } | undefined;
}

export function requestSpans(ctx: RequestContext, end: TraceEnd): RequestSpans | undefined {
  const start = ctx.tracing;
  if (start === undefined) return undefined;
  const { status, endedAt, usage } = end;
  const attributes: SpanAttributes = {
    "http.request.method": end.method,
    "http.response.status_code": status,
    "litegate.request_id": ctx.id,
  };
  const { routed } = end;
  // A path no route matched is shown as the path (masked, cut), never as a route.
  attributes[routed ? "http.route" : "url.path"] = ctx.route;
  callerAttributes(ctx, attributes);
  const children: ChildSpan[] = [];
  const failed = status >= 400;
  const errorType = ctx.failure?.errorClass ?? String(status);
  if (failed) attributes["error.type"] = errorType;
  if (end.model) {
    const operation = routeOperation(ctx.route).genAi;
    attributes["gen_ai.operation.name"] = operation;
    // The model group asked for; what each deployment was asked and by which provider is on its attempt's span.
    if (ctx.model !== undefined) attributes["gen_ai.request.model"] = ctx.model;
    const trace = ctx.trace;
    const deployment = trace?.deployment;
    if (trace !== undefined) {
      attributes["litegate.attempts"] = trace.attempts.length;
      attributes["litegate.retries"] = trace.retries;
      attributes["litegate.fallbacks"] = trace.fallbacks;
      if (ctx.stream) attributes["litegate.stream"] = true;
      // Answered from the response cache: no attempt spans, nothing spent.
      if (trace.cache?.hit === true) {
        attributes["litegate.cache_hit"] = true;
        usageAttributes(usage, attributes);
        attributes["litegate.cost"] = 0;
      }
    }
    if (deployment !== undefined) {
      attributes["litegate.deployment_id"] = deployment.id;
      if (status === 200) {
        attributes["gen_ai.response.model"] = modelOf(deployment);
        usageAttributes(usage, attributes);
        if (usage !== undefined) attributes["litegate.cost"] = costFor(ctx, usage);
      }
    }
    const authEnd = ctx.authenticatedAt ?? endedAt;
    children.push({
      name: "litegate.auth",
      client: false,
      startedAt: ctx.started,
      endedAt: authEnd,
      attributes: ctx.principal === undefined ? {} : { "litegate.principal": ctx.principal.kind },
      error: ctx.authenticatedAt === undefined && failed ? errorType : undefined,
    });
    if (ctx.admissionStartedAt !== undefined) {
      children.push({
        name: "litegate.admission",
        client: false,
        startedAt: ctx.admissionStartedAt,
        endedAt: ctx.admittedAt ?? endedAt,
        attributes: {},
        error: ctx.admittedAt === undefined && failed ? errorType : undefined,
      });
    }
    children.push(...attemptSpans(ctx, operation, status, usage, endedAt));
    if (end.spend !== undefined) {
      const cost = usage === undefined || deployment === undefined ? 0 : costFor(ctx, usage);
      children.push({ name: "litegate.spend", client: false, ...end.spend, attributes: { "litegate.cost": cost } });
    }
  }
  return {
    start,
    name: routed ? `${end.method} ${ctx.route}` : end.method,
    startedAt: ctx.started,
    // The request's handling ends once its spend is handed over, just after the response closed.
    endedAt: end.spend?.endedAt ?? endedAt,
    attributes,
    // A 4xx is the caller's mistake, not the server's (OpenTelemetry's HTTP convention): only a 5xx is an error.
    error: status >= 500 ? errorType : undefined,
    children,
  };
}
