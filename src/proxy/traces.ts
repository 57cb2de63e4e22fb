/**
 * A finished request's spans, read from the same context and RouteTrace as its log line and
 * spend record: the server span, then the key check, the admission, each upstream attempt
 * (retries and fallbacks each their own span) and the spend record. Attributes follow
 * OpenTelemetry's GenAI and HTTP conventions, plus litegate's own (`litegate.*`); never a
 * prompt, an answer or a key (only the start of its hash, as on the log line).
 */
import type { Principal } from "../access/grant.js";
import { principalShownId } from "../access/spend-ledger.js";
import type { Deployment } from "../config/index.js";
import { providerPrefix, withoutProvider } from "../config/providers.js";
import type { Attempt } from "../router/trace.js";
import { AttributeBlock, AttributeName, attributeName, SpanAttributes } from "../tracing/attributes.js";
import type { ChildSpan, RequestSpans } from "../tracing/tracer.js";
import type { CompletionUsage } from "../wire/completions.js";
import type { RequestContext } from "./context.js";
import { costFor } from "./outcome.js";
import { routeOperation } from "./route-operation.js";

/**
 * The attributes litegate adds to a span one by one, their names made once (see AttributeName):
 * the same objects as the names in blocks, so one encoding serves both; a name whose values
 * never recur is its own.
 */
const ATTR = {
  errorType: attributeName("error.type"),
  genAiOperationName: attributeName("gen_ai.operation.name"),
  genAiRequestMaxTokens: attributeName("gen_ai.request.max_tokens"),
  genAiRequestModel: attributeName("gen_ai.request.model"),
  genAiRequestTemperature: attributeName("gen_ai.request.temperature"),
  genAiResponseModel: attributeName("gen_ai.response.model"),
  genAiUsageInputTokens: attributeName("gen_ai.usage.input_tokens"),
  genAiUsageOutputTokens: attributeName("gen_ai.usage.output_tokens"),
  httpRequestMethod: attributeName("http.request.method"),
  httpResponseStatusCode: attributeName("http.response.status_code"),
  attempt: attributeName("litegate.attempt"),
  attempts: attributeName("litegate.attempts"),
  cacheHit: attributeName("litegate.cache_hit"),
  cancelled: attributeName("litegate.cancelled"),
  /** Not recurring: a request's call id never recurs. */
  callId: new AttributeName("litegate.call_id", false),
  cooledDown: attributeName("litegate.cooled_down"),
  cost: attributeName("litegate.cost"),
  deploymentId: attributeName("litegate.deployment_id"),
  endUser: attributeName("litegate.end_user"),
  fallback: attributeName("litegate.fallback"),
  fallbacks: attributeName("litegate.fallbacks"),
  keyAlias: attributeName("litegate.key_alias"),
  keyHash: attributeName("litegate.key_hash"),
  /** Not recurring: a request's id never recurs. */
  requestId: new AttributeName("litegate.request_id", false),
  retries: attributeName("litegate.retries"),
  retry: attributeName("litegate.retry"),
  stream: attributeName("litegate.stream"),
  teamId: attributeName("litegate.team_id"),
  timeToFirstTokenMs: attributeName("litegate.time_to_first_token_ms"),
  /** Not recurring: a path no route matched may be anything. */
  urlPath: new AttributeName("url.path", false),
};

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

/** gen_ai.provider.name (and gen_ai.system) for a litegate provider prefix. */
export function genAiProviderName(provider: string): string {
  return GEN_AI_PROVIDERS[provider] ?? provider;
}

/** What every span of a deployment's calls shows of it, worked out once per deployment (not per request). */
interface DeploymentFacts {
  /** gen_ai.provider.name, from litellm_params.model's provider prefix (a bare name is OpenAI's). */
  provider: string;
  /** The model it calls, without its provider prefix. */
  model: string;
  /** server.address and server.port of its api_base (already stripped of credentials); null when it has none. */
  server: { address: string; port: number } | null;
  /** Its attempt spans' names (`chat gpt-4o`) and shared attributes, by operation, then model group. */
  attempts: Map<string, Map<string, AttemptFacts>>;
}

/** What every attempt span of one deployment, operation and model group shows alike. */
interface AttemptFacts {
  name: string;
  /** The model the deployment calls: its answer's gen_ai.response.model. */
  model: string;
  attributes: AttributeBlock;
}

/** A deployment serves the model groups its config names: more than this many (for one operation) means something is wrong, and the rest are not kept. */
const MAX_KEPT_ATTEMPT_FACTS = 64;

const deploymentFacts = new WeakMap<Deployment, DeploymentFacts>();

function serverOf(apiBase: string | undefined): DeploymentFacts["server"] {
  if (apiBase === undefined) return null;
  try {
    const url = new URL(apiBase);
    return { address: url.hostname, port: url.port === "" ? (url.protocol === "https:" ? 443 : 80) : Number(url.port) };
  } catch {
    // Not a URL: nothing to show.
    return null;
  }
}

function factsOf(deployment: Deployment): DeploymentFacts {
  let facts = deploymentFacts.get(deployment);
  if (facts === undefined) {
    facts = {
      provider: genAiProviderName(providerPrefix(deployment.model)),
      model: withoutProvider(deployment.model),
      server: serverOf(deployment.apiBase),
      attempts: new Map(),
    };
    deploymentFacts.set(deployment, facts);
  }
  return facts;
}

function newAttemptFacts(
  deployment: Deployment,
  facts: DeploymentFacts,
  operation: string,
  group: string,
  model: string,
  provider: string,
): AttemptFacts {
  const server =
    facts.server === null ? {} : { "server.address": facts.server.address, "server.port": facts.server.port };
  return {
    name: `${operation} ${model}`,
    model,
    attributes: new AttributeBlock({
      "gen_ai.operation.name": operation,
      "gen_ai.provider.name": provider,
      "gen_ai.system": provider,
      "litegate.deployment_id": deployment.id,
      "gen_ai.request.model": model,
      ...server,
      "litegate.model_group": group,
    }),
  };
}

function attemptFactsOf(attempt: Attempt, operation: string): AttemptFacts {
  const { deployment, group } = attempt;
  const facts = factsOf(deployment);
  // A wildcard deployment (`openai/*`) calls the model each client named: its facts are made
  // per attempt, not kept (clients could grow a cache of them without bound).
  if (attempt.model !== deployment.model) {
    // A catch-all (`*`) may call any provider: the one the client named.
    const provider = genAiProviderName(providerPrefix(attempt.model));
    return newAttemptFacts(deployment, facts, operation, group, withoutProvider(attempt.model), provider);
  }
  // Nested maps, not one keyed by a joined string: a key made per request is a new string to hash.
  let byGroup = facts.attempts.get(operation);
  if (byGroup === undefined) {
    byGroup = new Map<string, AttemptFacts>();
    facts.attempts.set(operation, byGroup);
  }
  let kept = byGroup.get(group);
  if (kept === undefined) {
    kept = newAttemptFacts(deployment, facts, operation, group, facts.model, facts.provider);
    if (byGroup.size < MAX_KEPT_ATTEMPT_FACTS) byGroup.set(group, kept);
  }
  return kept;
}

/** What every server span of one method and route shows alike: its name and shared attributes. */
interface ServerFacts {
  name: string;
  attributes: AttributeBlock;
  /** gen_ai.operation.name, on a model route: its attempts' spans are named by it. */
  operation: string | undefined;
}

/** By route, then method: made once, not per request (routes are the route table's, few). */
const serverFacts = new Map<string, Map<string, ServerFacts>>();

function serverFactsOf(method: string, route: string, model: boolean): ServerFacts {
  let byMethod: Map<string, ServerFacts> | undefined = serverFacts.get(route);
  if (byMethod === undefined) {
    byMethod = new Map();
    serverFacts.set(route, byMethod);
  }
  let facts: ServerFacts | undefined = byMethod.get(method);
  if (facts === undefined) {
    const operation = model ? routeOperation(route).genAi : undefined;
    const named = operation === undefined ? {} : { "gen_ai.operation.name": operation };
    facts = {
      name: `${method} ${route}`,
      attributes: new AttributeBlock({ "http.request.method": method, "http.route": route, ...named }),
      operation,
    };
    byMethod.set(method, facts);
  }
  return facts;
}

/**
 * The auth and admission spans' attributes, by the kind of principal found (none when the
 * request was refused): they have no attributes of their own, so every request's spans share
 * these, never added to, instead of two new lists each.
 */
const AUTH_ATTRIBUTES: Readonly<Record<Principal["kind"], SpanAttributes>> = {
  open: new SpanAttributes(new AttributeBlock({ "litegate.principal": "open" })),
  master: new SpanAttributes(new AttributeBlock({ "litegate.principal": "master" })),
  key: new SpanAttributes(new AttributeBlock({ "litegate.principal": "key" })),
};
const NO_ATTRIBUTES = new SpanAttributes();

function usageAttributes(usage: CompletionUsage | undefined, attributes: SpanAttributes): void {
  if (usage === undefined) return;
  attributes.add(ATTR.genAiUsageInputTokens, usage.prompt_tokens);
  attributes.add(ATTR.genAiUsageOutputTokens, usage.completion_tokens);
}

function paramAttributes(ctx: RequestContext, attributes: SpanAttributes): void {
  const params = ctx.requestParams;
  if (params?.temperature !== undefined) attributes.add(ATTR.genAiRequestTemperature, params.temperature);
  if (params?.maxTokens !== undefined) attributes.add(ATTR.genAiRequestMaxTokens, params.maxTokens);
}

/** Who called: the key's alias, the start of its hash, its team, the end user (the log line's fields). */
function callerAttributes(ctx: RequestContext, attributes: SpanAttributes): void {
  const principal = ctx.principal;
  if (principal === undefined) return;
  attributes.add(ATTR.keyHash, principalShownId(principal));
  const key = principal.kind === "key" ? principal.grant.key : undefined;
  if (key?.key_alias != null) attributes.add(ATTR.keyAlias, key.key_alias);
  if (key?.team_id != null) attributes.add(ATTR.teamId, key.team_id);
  if (ctx.endUser !== undefined) attributes.add(ATTR.endUser, ctx.endUser);
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
  const facts = attemptFactsOf(attempt, operation);
  const attributes = new SpanAttributes(facts.attributes);
  paramAttributes(ctx, attributes);
  attributes.add(ATTR.attempt, index).add(ATTR.retry, retry).add(ATTR.fallback, fallback);
  const failure = attempt.failure;
  if (failure !== undefined) {
    attributes.add(ATTR.errorType, failure.errorClass).add(ATTR.httpResponseStatusCode, failure.status);
    if (attempt.cooledDown) attributes.add(ATTR.cooledDown, true);
  } else if (answered !== undefined) {
    attributes.add(ATTR.genAiResponseModel, facts.model);
    usageAttributes(answered.usage, attributes);
    if (ctx.stream && attempt.answeredAt !== undefined) {
      attributes.add(ATTR.timeToFirstTokenMs, attempt.answeredAt - attempt.startedAt);
    }
  }
  return {
    name: facts.name,
    client: true,
    startedAt: attempt.startedAt,
    // A stream's call lasts until its last chunk, after its first (answeredAt).
    endedAt: answered?.endedAt ?? attempt.answeredAt ?? attempt.startedAt,
    spanId: attempt.spanId,
    spanIdBytes: attempt.spanIdBytes,
    attributes,
    error: failure === undefined ? undefined : `${failure.errorClass} (${failure.status})`,
  };
}

/** Adds the attempts' spans to `spans`: retries counted within a model group, fallbacks by the group's place. */
function addAttemptSpans(
  spans: ChildSpan[],
  ctx: RequestContext,
  operation: string,
  status: number,
  usage: CompletionUsage | undefined,
  endedAt: number,
): void {
  const attempts = ctx.trace?.attempts ?? [];
  let group: string | undefined;
  let fallback = -1;
  let retry = 0;
  for (let index = 0; index < attempts.length; index++) {
    const attempt = attempts[index] as Attempt;
    if (attempt.group === group) retry += 1;
    else {
      group = attempt.group;
      fallback += 1;
      retry = 0;
    }
    const last = index === attempts.length - 1;
    const answered =
      last && attempt.failure === undefined && attempt.answeredAt !== undefined
        ? { usage, endedAt: ctx.stream ? endedAt : attempt.answeredAt }
        : undefined;
    const span = attemptSpan(ctx, operation, attempt, index, retry, fallback, answered);
    // A call still running when the client left ends with the request.
    if (attempt.answeredAt === undefined) {
      span.endedAt = endedAt;
      if (status === 499) span.attributes.add(ATTR.cancelled, true);
    }
    spans.push(span);
  }
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
  /** When its spend record was handed over (the key's counters charged, the record queued for the store). */
  spend: { startedAt: number; endedAt: number } | undefined;
}

/** `usage`: what the request used, as counted (a stream's once it ended). */
export function requestSpans(
  ctx: RequestContext,
  end: TraceEnd,
  usage: CompletionUsage | undefined,
): RequestSpans | undefined {
  const start = ctx.tracing;
  if (start === undefined) return undefined;
  const { status, endedAt, routed } = end;
  const server = routed ? serverFactsOf(end.method, ctx.route, end.model) : undefined;
  // A path no route matched is shown as the path (masked, cut), never as a route.
  const attributes =
    server === undefined
      ? new SpanAttributes().add(ATTR.httpRequestMethod, end.method).add(ATTR.urlPath, ctx.route)
      : new SpanAttributes(server.attributes);
  attributes.add(ATTR.httpResponseStatusCode, status).add(ATTR.requestId, ctx.id);
  // The client named the request: its spend log is found by the call id, which is then another.
  if (ctx.id !== ctx.callId.text) attributes.add(ATTR.callId, ctx.callId.text);
  callerAttributes(ctx, attributes);
  const children: ChildSpan[] = [];
  const failed = status >= 400;
  const errorType = ctx.failure?.errorClass ?? String(status);
  if (failed) attributes.add(ATTR.errorType, errorType);
  if (end.model) {
    const operation = server?.operation ?? routeOperation(ctx.route).genAi;
    // A routed model request has it in its route's shared attributes.
    if (server === undefined) attributes.add(ATTR.genAiOperationName, operation);
    // The model group asked for; what each deployment was asked and by which provider is on its attempt's span.
    if (ctx.model !== undefined) attributes.add(ATTR.genAiRequestModel, ctx.model);
    const trace = ctx.trace;
    const answered = trace?.attempts.at(-1);
    const deployment = answered?.deployment;
    // What the request spent: on the server span and on the spend record's.
    const cost = usage === undefined || deployment === undefined ? 0 : costFor(ctx, usage);
    if (trace !== undefined) {
      attributes
        .add(ATTR.attempts, trace.attempts.length)
        .add(ATTR.retries, trace.retries)
        .add(ATTR.fallbacks, trace.fallbacks);
      if (ctx.stream) attributes.add(ATTR.stream, true);
      // Answered from the response cache: no attempt spans, nothing spent.
      if (trace.cache?.hit === true) {
        attributes.add(ATTR.cacheHit, true);
        usageAttributes(usage, attributes);
        attributes.add(ATTR.cost, 0);
      }
    }
    if (answered !== undefined && deployment !== undefined) {
      attributes.add(ATTR.deploymentId, deployment.id);
      if (status === 200) {
        const model = answered.model === deployment.model ? factsOf(deployment).model : withoutProvider(answered.model);
        attributes.add(ATTR.genAiResponseModel, model);
        usageAttributes(usage, attributes);
        if (usage !== undefined) attributes.add(ATTR.cost, cost);
      }
    }
    const authEnd = ctx.authenticatedAt ?? endedAt;
    children.push({
      name: "litegate.auth",
      client: false,
      startedAt: ctx.started,
      endedAt: authEnd,
      spanId: undefined,
      spanIdBytes: undefined,
      attributes: ctx.principal === undefined ? NO_ATTRIBUTES : AUTH_ATTRIBUTES[ctx.principal.kind],
      error: ctx.authenticatedAt === undefined && failed ? errorType : undefined,
    });
    if (ctx.admissionStartedAt !== undefined) {
      children.push({
        name: "litegate.admission",
        client: false,
        startedAt: ctx.admissionStartedAt,
        endedAt: ctx.admittedAt ?? endedAt,
        spanId: undefined,
        spanIdBytes: undefined,
        attributes: NO_ATTRIBUTES,
        error: ctx.admittedAt === undefined && failed ? errorType : undefined,
      });
    }
    addAttemptSpans(children, ctx, operation, status, usage, endedAt);
    if (end.spend !== undefined) {
      children.push({
        name: "litegate.spend",
        client: false,
        startedAt: end.spend.startedAt,
        endedAt: end.spend.endedAt,
        spanId: undefined,
        spanIdBytes: undefined,
        attributes: new SpanAttributes().add(ATTR.cost, cost),
        error: undefined,
      });
    }
  }
  return {
    start,
    name: server === undefined ? end.method : server.name,
    startedAt: ctx.started,
    // The request's handling ends once its spend is handed over, just after the response closed.
    endedAt: end.spend?.endedAt ?? endedAt,
    attributes,
    // A 4xx is the caller's mistake, not the server's (OpenTelemetry's HTTP convention): only a 5xx is an error.
    error: status >= 500 ? errorType : undefined,
    children,
    knownText: ctx.callId,
  };
}
