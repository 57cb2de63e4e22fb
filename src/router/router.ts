/**
 * The Router: public model names (`model_name` in config.yaml) mapped to the
 * deployments that serve them, and what keeps answers coming when one fails — a
 * routing strategy, rpm/tpm limits, retries on other deployments, fallbacks to other
 * model groups, and cooldowns — all read from and written to one RouterState, so one
 * process, N workers and N machines behave alike. The proxy sends every request
 * through it; SDK users may too.
 */
import { cacheRequest, ResponseCache } from "../cache/response-cache.js";
import type { CacheParamsInput } from "../cache/settings.js";
import { sleep, type AbortLike } from "../http/cancel.js";
import { backoffMs } from "../http/retry.js";
import type { ChatCompletionStream } from "../sdk/chat-completion.js";
import { chatCompletions, embeddings, ENDPOINT_PARAMS, type Operation, textCompletions } from "../sdk/operations.js";
import { runEmbedding } from "../sdk/embedding.js";
import type { CreateEmbeddingResponse, EmbeddingParams } from "../wire/embeddings.js";
import { type CallOptions, splitRequest } from "../sdk/options.js";
import { runTextCompletion, type TextCompletionStream } from "../sdk/text-completion.js";
import { CompletionStream } from "../sdk/stream.js";
import { MemoryState } from "../state/memory-state.js";
import type { Cooldown, RouterState } from "../state/router-state.js";
import type { ChatCompletion, ChatCompletionParams } from "../wire/chat.js";
import type { TextCompletion, TextCompletionParams } from "../wire/completions.js";
import {
  AbortError,
  APIError,
  AuthenticationError,
  BadRequestError,
  ContentPolicyViolationError,
  ContextWindowExceededError,
  InternalServerError,
  RateLimitError,
  ServiceUnavailableError,
} from "../wire/errors.js";
import { assertObject, clip } from "../wire/validate.js";
import {
  callPrice,
  type Deployment,
  deploymentsFromLiteLLM,
  type FallbackList,
  type LitellmSettings,
  type RouterSettings,
} from "../config/index.js";
import { checkProvider } from "../config/providers.js";
import type { Price } from "../cost/cost.js";
import { cooldownFor, countsAgainstDeployment, retriesFor } from "./policy.js";
import { choose } from "./strategies.js";
import { type Attempt, failureOf, RouteTrace } from "./trace.js";
import { newSpanId, traceparentOf } from "../tracing/ids.js";

/** Every key optional, and `undefined` as good as absent (how callers pass settings they may lack). */
type Optional<T> = { [K in keyof T]?: T[K] | undefined };

/**
 * LiteLLM's router_settings the Router reads (their types come from the config schema), the
 * litellm_settings that apply to every call, and what tests inject.
 */
export type RouterOptions = Optional<
  Pick<
    RouterSettings,
    | "routing_strategy"
    | "routing_strategy_args"
    | "num_retries"
    | "retry_policy"
    | "timeout"
    | "stream_timeout"
    | "fallbacks"
    | "default_fallbacks"
    | "context_window_fallbacks"
    | "content_policy_fallbacks"
    | "max_fallbacks"
    | "allowed_fails"
    | "allowed_fails_policy"
    | "cooldown_time"
    | "disable_cooldowns"
    | "disable_panic_routing"
    | "model_group_alias"
  >
> &
  Optional<Pick<LitellmSettings, "drop_params" | "additional_drop_params">> & {
    /** Where counters and cooldowns live; in memory by default, Redis to share them. */
    state?: RouterState | undefined;
    /**
     * The response cache (litellm_settings.cache): a ResponseCache, or LiteLLM's cache_params
     * (`{type: "local"}`, `{type: "redis", host, port, ttl}`) for the Router to open one.
     */
    cache?: ResponseCache | CacheParamsInput | undefined;
    /** For tests: the clock (epoch ms) and the random source. */
    now?: (() => number) | undefined;
    random?: (() => number) | undefined;
  };

export interface RouteOptions {
  signal?: AbortLike | undefined;
  /** Where routing this request is recorded (and its usage); one is made when not given. */
  trace?: RouteTrace | undefined;
  /** Per-request fallbacks (LiteLLM's `fallbacks` in the body), tried after the configured ones' place. */
  fallbacks?: string[] | undefined;
  /** Which fallback models the caller may use (a virtual key's allowlist); the others are skipped. */
  allows?: ((model: string) => boolean) | undefined;
  /** LiteLLM's `mock_response` in the body: every attempt answers with it, calling no provider. */
  mockResponse?: string | undefined;
  /**
   * LiteLLM's `mock_testing_fallbacks` in the body: the model asked for fails at once, calling
   * no provider, so the fallbacks can be tried out.
   */
  mockTestingFallbacks?: boolean | undefined;
  /** The response cache namespace of the caller's key (its metadata's `redis_namespace`). */
  cacheNamespace?: string | undefined;
  /**
   * The deployment to try first while it is available (a native response being continued is
   * known only to the deployment that made it, as LiteLLM routes previous_response_id).
   */
  prefer?: string | undefined;
}

/**
 * A deployment whose `os.environ/` credentials are unset answers 401 naming them; one of a
 * provider litegate does not serve gets its 400 naming the provider instead, the real obstacle.
 */
function assertConfigured(deployment: Deployment): void {
  if (deployment.missingEnv.length === 0 || checkProvider(deployment.model).kind !== "served") return;
  const names = [...new Set(deployment.missingEnv.map((missing) => missing.variable))].join(", ");
  throw new AuthenticationError(
    `The deployment of '${deployment.modelName}' reads its credentials from ${names}, which ${deployment.missingEnv.length === 1 ? "is" : "are"} not set in the gateway's environment. Set ${names} and restart the gateway.`,
    { param: "model", code: "missing_credentials", model: deployment.modelName },
  );
}

function fallbacksOf(list: FallbackList | undefined, group: string): string[] {
  for (const entry of list ?? []) {
    const found = entry[group];
    if (found !== undefined) return found;
  }
  return [];
}

/** Why no deployment of a group can take a request: the cooldowns running, and until when limits hold. */
interface Unavailable {
  cooling: Cooldown[];
  limitedUntil: number | undefined;
}

/** The longest upstream retry-after a retry waits out inside a request; beyond it the answer goes back at once. */
const MAX_RETRY_WAIT_MS = 10_000;

/** One attempt on a deployment: the SDK call with the upstream model and the deployment's options. */
type Call<T> = (model: string, options: CallOptions, deployment: Deployment) => Promise<T>;

/**
 * The params of one attempt: the deployment's defaults (from litellm_params) under the
 * request's own, and the upstream model.
 */
function attemptParams<P extends { model: string }>(
  params: P,
  model: string,
  deployment: Deployment,
  own: ReadonlySet<string>,
): P {
  let defaults: Record<string, unknown> | undefined;
  for (const key in deployment.defaults) {
    if (params[key as keyof P] !== undefined || (ENDPOINT_PARAMS.has(key) && !own.has(key))) continue;
    defaults ??= {};
    defaults[key] = deployment.defaults[key];
  }
  if (defaults === undefined) return model === params.model ? params : { ...params, model };
  return { ...defaults, ...params, model };
}

/** The deployments a Router routes to, grouped once per deployment list (see Router.replaceDeployments). */
interface DeploymentIndex {
  readonly groups: ReadonlyMap<string, readonly Deployment[]>;
  /** Groups whose model_name is a pattern such as `openai/*`. */
  readonly wildcards: readonly { prefix: string; suffix: string; name: string }[];
  /** Groups, in config order, that are not patterns and have a deployment litegate can serve. */
  readonly offered: readonly string[];
}

function indexDeployments(deployments: readonly Deployment[]): DeploymentIndex {
  const groups = new Map<string, Deployment[]>();
  const wildcards: { prefix: string; suffix: string; name: string }[] = [];
  for (const deployment of deployments) {
    const group = groups.get(deployment.modelName);
    if (group === undefined) groups.set(deployment.modelName, [deployment]);
    else group.push(deployment);
    const star = deployment.modelName.indexOf("*");
    if (star !== -1 && group === undefined) {
      wildcards.push({
        prefix: deployment.modelName.slice(0, star),
        suffix: deployment.modelName.slice(star + 1),
        name: deployment.modelName,
      });
    }
  }
  const offered: string[] = [];
  for (const [name, members] of groups) {
    if (!name.includes("*") && members.some((d) => checkProvider(d.model).kind === "served")) offered.push(name);
  }
  // The most specific pattern wins, as LiteLLM sorts them: `claude-*` before a catch-all `*`
  // whatever the config order; equally specific ones keep it (the sort is stable).
  wildcards.sort((a, b) => b.prefix.length + b.suffix.length - (a.prefix.length + a.suffix.length));
  return { groups, wildcards, offered };
}

export class Router {
  /**
   * Replaced whole, never changed in place: a request in flight keeps the group it was routed
   * in, and the next lookup (a fallback, the next request) sees the new list.
   */
  private index: DeploymentIndex;
  private readonly aliases = new Map<string, string>();
  private readonly hidden = new Set<string>();
  private readonly state: RouterState;
  /** The response cache, when one is configured. */
  readonly cache: ResponseCache | undefined;
  private readonly now: () => number;
  private readonly random: () => number;

  /**
   * The Router for LiteLLM's `model_list` (entries as in config.yaml; `os.environ/NAME`
   * values read from `env`) and its router settings: the SDK user's way in.
   */
  static fromLiteLLM(
    options: RouterOptions & { model_list: readonly unknown[] },
    env: Readonly<Record<string, string | undefined>> = process.env,
  ): Router {
    const { model_list, ...settings } = options;
    return new Router(deploymentsFromLiteLLM(model_list, env), settings);
  }

  /** A Router over deployments already resolved (the config loader's, or deploymentsFromLiteLLM's). */
  constructor(
    deployments: readonly Deployment[],
    private readonly options: RouterOptions = {},
  ) {
    this.index = indexDeployments(deployments);
    for (const [alias, target] of Object.entries(options.model_group_alias ?? {})) {
      this.aliases.set(alias, typeof target === "string" ? target : target.model);
      if (typeof target !== "string" && target.hidden === true) this.hidden.add(alias);
    }
    this.state = options.state ?? new MemoryState();
    const cache = options.cache;
    this.cache = cache === undefined || cache instanceof ResponseCache ? cache : ResponseCache.fromParams(cache);
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
  }

  /**
   * Routes to `deployments` from now on (models added, updated or removed at runtime). Requests
   * in flight finish on the deployments they were given. Counters, cooldowns and latencies are
   * kept by deployment id, so a deployment in both lists keeps them; one updated in place
   * keeps its id, and so its state, too.
   */
  replaceDeployments(deployments: readonly Deployment[]): void {
    this.index = indexDeployments(deployments);
  }

  /** The public model names, in config order, aliases included unless hidden; patterns excluded. */
  get modelNames(): string[] {
    const names = [...this.index.offered];
    for (const alias of this.aliases.keys()) if (!this.hidden.has(alias) && !names.includes(alias)) names.push(alias);
    return names;
  }

  /** `model` names a group or an alias the config (or /model/new) made; not a name a wildcard matched, nor an unknown one. */
  configuredModel(model: string): boolean {
    return this.aliases.has(model) || this.index.groups.has(model);
  }

  /** Every deployment, in config order. */
  get deployments(): Deployment[] {
    return [...this.index.groups.values()].flat();
  }

  /** The provider model string the first deployment serving `model` calls (wildcards filled in). */
  upstreamModelOf(model: string): string | undefined {
    const group = this.group(model);
    const first = group?.members[0];
    return first === undefined ? undefined : group?.upstream(first);
  }

  /** The price of a call to `model` on its first deployment (wildcards filled in): what a cached answer saved. */
  priceOf(model: string): Price | undefined {
    const group = this.group(model);
    const first = group?.members[0];
    return group === undefined || first === undefined ? undefined : callPrice(first, group.upstream(first));
  }

  /** The deployment's cooldown, if it is cooling down now. */
  cooldownOf(deployment: Deployment): Cooldown | undefined {
    return this.state.cooldown(deployment.id, this.now());
  }

  /** The deployments serving `model`, and the upstream model each gets (wildcards filled in). */
  private group(
    model: string,
  ): { name: string; members: readonly Deployment[]; upstream: (d: Deployment) => string } | undefined {
    const name = this.aliases.get(model) ?? model;
    const { groups, wildcards } = this.index;
    const members = groups.get(name);
    if (members !== undefined) return { name, members, upstream: (d) => d.model };
    for (const pattern of wildcards) {
      if (
        name.length >= pattern.prefix.length + pattern.suffix.length &&
        name.startsWith(pattern.prefix) &&
        name.endsWith(pattern.suffix)
      ) {
        const matched = name.slice(pattern.prefix.length, name.length - pattern.suffix.length);
        return {
          name: pattern.name,
          members: groups.get(pattern.name) ?? [],
          upstream: (d) => d.model.replace("*", matched),
        };
      }
    }
    return undefined;
  }

  private unknownModel(model: string): BadRequestError {
    // Cut like every client value an error quotes.
    return new BadRequestError(
      `Unknown model '${clip(model)}'. Available models: ${this.modelNames.join(", ") || "(none configured)"}.`,
      {
        param: "model",
        code: "model_not_found",
        model,
      },
    );
  }

  /**
   * The deployment to try next in a group: not cooling down, under its rpm and tpm, not
   * tried yet for this request (unless every available one was), from the lowest `order`
   * tier that has one, chosen by the routing strategy. In `panic`, when none is available
   * that way, the one whose cooldown ends first among those under their limits (the
   * gateway's own refusal would turn a partial outage into a total one). Otherwise, why
   * none is: what is cooling and until when the limits hold.
   */
  private async choose(
    members: readonly Deployment[],
    tried: ReadonlySet<string>,
    panic: boolean,
    prefer?: string,
  ): Promise<Deployment | Unavailable> {
    const now = this.now();
    const cooling: { deployment: Deployment; cooldown: Cooldown }[] = [];
    let limitedUntil: number | undefined;
    const underLimits = (d: Deployment): boolean => {
      const usage = this.state.minuteUsage(d.id, now);
      if (
        (d.limits.tpm !== undefined && usage.tokens >= d.limits.tpm) ||
        (d.limits.rpm !== undefined && usage.requests >= d.limits.rpm)
      ) {
        limitedUntil = now - (now % 60_000) + 60_000;
        return false;
      }
      return true;
    };
    const available = members.filter((d) => {
      const cooldown = this.options.disable_cooldowns === true ? undefined : this.state.cooldown(d.id, now);
      if (cooldown === undefined) return underLimits(d);
      if (underLimits(d)) cooling.push({ deployment: d, cooldown });
      return false;
    });
    if (available.length === 0 && panic && cooling.length > 0) {
      // Untried first, then the soonest to come back.
      cooling.sort(
        (a, b) =>
          Number(tried.has(a.deployment.id)) - Number(tried.has(b.deployment.id)) ||
          a.cooldown.until - b.cooldown.until,
      );
      for (const { deployment } of cooling) {
        const wait = await this.take(deployment, now);
        if (wait === undefined) return deployment;
        limitedUntil = now + wait;
      }
      return { cooling: [], limitedUntil };
    }
    // A deployment that failed this request is picked again only when no other is available.
    const untried = available.filter((d) => !tried.has(d.id));
    const usable = untried.length > 0 ? untried : available;
    const preferred = prefer === undefined ? undefined : untried.find((d) => d.id === prefer);
    if (preferred !== undefined && (await this.take(preferred, now)) === undefined) return preferred;
    const orderOf = (d: Deployment) => d.limits.order ?? Number.POSITIVE_INFINITY;
    // The common case, one deployment or one tier, skips the sorting.
    const tiers = usable.length <= 1 ? usable.map(orderOf) : [...new Set(usable.map(orderOf))].sort((a, b) => a - b);
    for (const tier of tiers) {
      let candidates = tiers.length === 1 ? usable : usable.filter((d) => orderOf(d) === tier);
      while (candidates.length > 0) {
        const deployment = choose(this.options.routing_strategy ?? "simple-shuffle", candidates, {
          state: this.state,
          now,
          random: this.random,
          lowestLatencyBuffer: this.options.routing_strategy_args?.lowest_latency_buffer ?? 0,
          latencyTtlMs: (this.options.routing_strategy_args?.ttl ?? 3600) * 1000,
        });
        const wait = await this.take(deployment, now);
        if (wait === undefined) return deployment;
        limitedUntil = now + wait;
        candidates = candidates.filter((d) => d !== deployment);
      }
    }
    return { cooling: cooling.map((c) => c.cooldown), limitedUntil };
  }

  /** Counts the request against the deployment's rpm: the exact, shared check (another instance may have taken the last slot). */
  private take(deployment: Deployment, now: number): Promise<number | undefined> | number | undefined {
    return this.state.takeRequest(deployment.id, deployment.limits.rpm, now);
  }

  /** The gateway's own 429 or 503 when no deployment of `group` can take the request. */
  private unavailable(group: string, why: Unavailable): APIError {
    const now = this.now();
    const { cooling, limitedUntil } = why;
    const rateLimited = cooling.length > 0 && cooling.every((c) => c.cause === "rate_limit");
    const frees = Math.min(...cooling.map((c) => c.until), limitedUntil ?? Number.POSITIVE_INFINITY);
    const seconds = Math.max(1, Math.ceil((frees - now) / 1000));
    if (limitedUntil !== undefined && (cooling.length === 0 || rateLimited)) {
      return new RateLimitError(
        `Every deployment of '${group}' is at its rate limit or cooling down after one; the first frees up in ${seconds} s.`,
        {
          model: group,
          code: "rate_limit_exceeded",
          retryAfter: seconds,
        },
      );
    }
    const Cause = rateLimited ? RateLimitError : ServiceUnavailableError;
    return new Cause(
      `Every deployment of '${group}' is cooling down after ${rateLimited ? "rate limits" : "failures"}; the first frees up in ${seconds} s.`,
      { model: group, code: "no_deployment_available", retryAfter: seconds },
    );
  }

  /** Counts a success of `deployment` (the failure rate's other half). */
  private succeeded(deployment: Deployment): void {
    if (this.options.disable_cooldowns !== true) this.state.recordSuccess(deployment.id, this.now());
  }

  /**
   * Counts a failure of an attempt's deployment and cools it down when the rules say so (see
   * policy.ts); the attempt keeps how it failed, for the request's outcome.
   */
  private async failed(attempt: Attempt, groupSize: number, error: unknown): Promise<void> {
    attempt.failure = failureOf(error);
    const deployment = attempt.deployment;
    if (this.options.disable_cooldowns === true || !countsAgainstDeployment(error)) return;
    const now = this.now();
    const failures = await this.state.recordFailure(deployment.id, now);
    const verdict = cooldownFor(
      { error, groupSize, failures, successes: this.state.minuteOutcomes(deployment.id, now).successes },
      {
        allowedFails: this.options.allowed_fails,
        allowedFailsPolicy: this.options.allowed_fails_policy,
        cooldownTime: this.options.cooldown_time ?? 5,
      },
    );
    if (verdict === undefined) return;
    attempt.cooledDown = true;
    await this.state.setCooldown(deployment.id, { until: now + verdict.seconds * 1000, cause: verdict.cause });
  }

  /**
   * A 429 or 503 leaving the gateway always says when to come back: the upstream's
   * retry-after, else the deployment's cooldown, else a second.
   */
  private withRetryAfter(error: unknown, deployment: Deployment | undefined): unknown {
    if (
      !(error instanceof APIError) ||
      (error.status !== 429 && error.status !== 503) ||
      error.retryAfter !== undefined
    )
      return error;
    const cooldown = deployment === undefined ? undefined : this.state.cooldown(deployment.id, this.now());
    error.retryAfter = cooldown === undefined ? 1 : Math.max(1, Math.ceil((cooldown.until - this.now()) / 1000));
    return error;
  }

  /** The groups to fall back to after `error` in `group`. */
  private fallbacksFor(group: string, error: unknown, route: RouteOptions): string[] {
    if (error instanceof ContextWindowExceededError) return fallbacksOf(this.options.context_window_fallbacks, group);
    if (error instanceof ContentPolicyViolationError) return fallbacksOf(this.options.content_policy_fallbacks, group);
    // The caller's own mistakes would fail the same way anywhere.
    if (error instanceof BadRequestError || error instanceof AbortError) return [];
    const configured = fallbacksOf(this.options.fallbacks, group);
    return [
      ...(configured.length > 0 ? configured : (this.options.default_fallbacks ?? [])),
      ...(route.fallbacks ?? []),
    ];
  }

  /** One request through the group's deployments, retries and fallbacks. */
  private async route<T>(
    model: string,
    route: RouteOptions,
    trace: RouteTrace,
    stream: boolean,
    call: Call<T>,
  ): Promise<T> {
    const first = this.group(model);
    if (first === undefined || first.members.length === 0) throw this.unknownModel(model);
    trace.primaryGroup = first.name;
    let retries = 0;
    let fallbacks = 0;
    const queue: string[] = [model];
    const visited = new Set<string>();
    let lastError: unknown;
    let lastDeployment: Deployment | undefined;
    const panicAllowed = this.options.disable_panic_routing !== true;
    while (queue.length > 0) {
      const current = queue.shift() as string;
      const group = this.group(current);
      if (group === undefined || visited.has(group.name)) continue;
      if (visited.size > 0) {
        // Every group after the first is a fallback, counted when it is tried.
        if (fallbacks >= (this.options.max_fallbacks ?? 5)) break;
        fallbacks += 1;
        trace.fallbacks = fallbacks;
      }
      visited.add(group.name);
      const groupSize = group.members.length;
      const tried = new Set<string>();
      // LiteLLM's message for the mock failure, so its users' tests read the same.
      const mockFailure =
        route.mockTestingFallbacks === true && visited.size === 1
          ? new InternalServerError(
              `This is a mock exception for model=${group.name}, to trigger a fallback. Fallbacks=${JSON.stringify(this.fallbacksFor(group.name, undefined, route))}`,
              { code: "mock_testing_fallbacks" },
            )
          : undefined;
      if (mockFailure !== undefined) lastError = mockFailure;
      let allowed = mockFailure === undefined ? Number.POSITIVE_INFINITY : -1;
      for (let attempt = 0; attempt <= allowed; attempt++) {
        let picked = await this.choose(group.members, tried, false, route.prefer);
        // Every deployment cooling down: a fallback group is the better place, if one is
        // left; else the one coming back first (panic routing), unless that is turned off.
        if (
          !("id" in picked) &&
          panicAllowed &&
          queue.length === 0 &&
          this.nextGroups(group.name, picked, route, visited).length === 0
        ) {
          picked = await this.choose(group.members, tried, true);
        }
        if (!("id" in picked)) {
          const refusal = this.unavailable(group.name, picked);
          lastError = tried.size > 0 ? (lastError ?? refusal) : refusal;
          break;
        }
        const deployment = picked;
        tried.add(deployment.id);
        lastDeployment = deployment;
        if (attempt > 0) retries += 1;
        const upstreamStarted = performance.now();
        const ids = trace.tracing === undefined ? undefined : newSpanId();
        const called = group.upstream(deployment);
        // Every field named, none spread in: a literal with a spread has each property after it
        // defined one call at a time (V8's CreateDataProperty) instead of made with its shape.
        const attemptRecord: Attempt = {
          deployment,
          model: called,
          group: group.name,
          startedAt: upstreamStarted,
          answeredAt: undefined,
          failure: undefined,
          cooledDown: false,
          spanId: ids?.spanId,
          spanIdBytes: ids?.spanIdBytes,
          remainingRequests: undefined,
          remainingTokens: undefined,
        };
        trace.attempts.push(attemptRecord);
        trace.retries = retries;
        const started = this.now();
        this.state.startRequest(deployment.id);
        let streaming = false;
        try {
          assertConfigured(deployment);
          const result = await call(
            called,
            this.callOptions(deployment, route, trace, stream, attemptRecord),
            deployment,
          ).finally(() => {
            attemptRecord.answeredAt = performance.now();
            trace.upstreamMs += attemptRecord.answeredAt - upstreamStarted;
          });
          // A stream's tokens count when it ends (watchStream); an answer's now.
          const usage = result instanceof CompletionStream ? undefined : trace.usage.known?.usage;
          const finished = this.now();
          if (usage !== undefined) this.state.addTokens(deployment.id, usage.total_tokens, finished);
          const perToken =
            usage !== undefined && usage.completion_tokens > 0 && !stream
              ? (finished - started) / usage.completion_tokens
              : finished - started;
          this.state.recordLatency(deployment.id, perToken, finished);
          if (!(result instanceof CompletionStream)) {
            this.succeeded(deployment);
            return result;
          }
          // A stream is in flight until it ends, not only until its first chunk (least-busy),
          // and it succeeds or fails as a whole.
          streaming = true;
          this.watchStream(result, attemptRecord, groupSize, trace);
          return result;
        } catch (error) {
          lastError = error;
          await this.failed(attemptRecord, groupSize, error);
          allowed = Math.min(allowed, retriesFor(error, this.options.num_retries ?? 0, this.options.retry_policy));
          if (error instanceof AbortError) throw error;
          if (attempt >= allowed) break;
          // Another healthy deployment is tried at once; waiting only helps when the next
          // attempt goes back to one that just failed or is cooling down.
          const now = this.now();
          const fresh = group.members.some((d) => !tried.has(d.id) && this.state.cooldown(d.id, now) === undefined);
          if (!fresh) {
            const retryAfter =
              error instanceof APIError && error.retryAfter !== undefined ? error.retryAfter * 1000 : undefined;
            // A long retry-after is the client's to wait out, not a request's: its answer now says so.
            if (retryAfter !== undefined && retryAfter > MAX_RETRY_WAIT_MS) break;
            await sleep(backoffMs(attempt, retryAfter, this.random), route.signal).catch(() => {
              throw new AbortError("The request was aborted by the caller.");
            });
          }
        } finally {
          if (!streaming) this.state.endRequest(deployment.id);
        }
      }
      // A fallback group is tried only after the previous one is exhausted.
      const next = this.fallbacksFor(group.name, lastError, route).filter(
        (name) => !visited.has(this.group(name)?.name ?? name) && (route.allows === undefined || route.allows(name)),
      );
      queue.push(...next.filter((name) => !queue.includes(name)));
    }
    throw this.withRetryAfter(lastError, lastDeployment);
  }

  /** The fallback groups a request could still go to from `group`, had it failed for `why`. */
  private nextGroups(group: string, why: Unavailable, route: RouteOptions, visited: ReadonlySet<string>): string[] {
    return this.fallbacksFor(group, this.unavailable(group, why), route).filter(
      (name) => !visited.has(this.group(name)?.name ?? name) && (route.allows === undefined || route.allows(name)),
    );
  }

  /** The deployment's in-flight count, tokens and outcome kept when the stream ends. */
  private watchStream<C>(stream: CompletionStream<C>, attempt: Attempt, groupSize: number, trace: RouteTrace): void {
    const id = attempt.deployment.id;
    stream.onEnd((error) => {
      // Until its last chunk a stream's time is the provider's, not the gateway's overhead
      // (upstreamMs counted it to the first chunk, when the call answered).
      if (attempt.answeredAt !== undefined) trace.upstreamMs += performance.now() - attempt.answeredAt;
      this.state.endRequest(id);
      if (error === undefined) this.succeeded(attempt.deployment);
      else void this.failed(attempt, groupSize, error).catch(() => undefined);
      // Streamed tokens count against tpm too: as reported, or as counted for billing.
      const addTokens = (usage: { total_tokens: number } | undefined) => {
        if (usage !== undefined) this.state.addTokens(id, usage.total_tokens, this.now());
      };
      const known = trace.usage.known;
      if (known !== undefined) addTokens(known.usage);
      else if (trace.usage.bills) void trace.usage.settle().then((settled) => addTokens(settled?.usage));
    });
  }

  private callOptions(
    deployment: Deployment,
    route: RouteOptions,
    trace: RouteTrace,
    stream: boolean,
    attempt: Attempt,
  ): CallOptions {
    const timeout =
      (stream ? (deployment.limits.stream_timeout ?? this.options.stream_timeout) : undefined) ??
      deployment.limits.timeout ??
      this.options.timeout;
    return {
      drop_params: this.options.drop_params,
      additional_drop_params: this.options.additional_drop_params,
      ...deployment.options,
      // Retries are the Router's, across deployments; the SDK makes one attempt.
      num_retries: 0,
      timeout,
      signal: route.signal,
      ledger: trace.usage,
      remaining: attempt,
      ...(route.mockResponse === undefined ? {} : { mock_response: route.mockResponse }),
      ...(trace.tracing === undefined || attempt.spanId === undefined
        ? {}
        : // The caller's tracestate goes on with the trace (W3C Trace Context), unchanged: litegate adds no entry.
          { traceparent: traceparentOf(trace.tracing, attempt.spanId), tracestate: trace.tracing.traceState }),
    };
  }

  /**
   * One call of `operation` on the deployments serving `request.model`, with retries,
   * fallbacks and cooldowns. Connection options in `request` are ignored (a client must not
   * redirect the gateway's keys): the deployment's apply. `fallbacks` in the request adds
   * per-request fallbacks, as LiteLLM takes them in the body.
   */
  async run<P extends { model: string; stream?: boolean | null }, R>(
    operation: Operation<P, R>,
    request: object,
    route: RouteOptions = {},
  ): Promise<R> {
    assertObject(request);
    // Connection options in the body are dropped: the deployment's apply.
    const { params, options, litellm } = splitRequest(
      request as Record<string, unknown> & { model: string },
      operation.keeps,
    );
    const valid = operation.validate(params);
    // A stream's answer is stored with its usage: the ledger counts it when the provider sends none.
    const trace = route.trace ?? new RouteTrace(this.cache !== undefined);
    const routed = () =>
      this.route(
        valid.model,
        requestRoute(route, litellm.fallbacks, options.mock_response, litellm.mock_testing_fallbacks),
        trace,
        valid.stream === true,
        (model, options, deployment) =>
          operation.run(attemptParams(valid, model, deployment, operation.params), options),
      );
    const { cache } = this;
    if (cache === undefined || operation.cacheKind === undefined) return routed();
    return cache.serve(
      cacheRequest(operation.cacheKind, valid, litellm, options.mock_response, route.cacheNamespace),
      trace,
      routed,
    );
  }

  textCompletion(request: TextCompletionParams & { stream: true }, route?: RouteOptions): Promise<TextCompletionStream>;
  textCompletion(
    request: TextCompletionParams & { stream?: false | null },
    route?: RouteOptions,
  ): Promise<TextCompletion>;
  textCompletion(request: TextCompletionParams, route?: RouteOptions): Promise<TextCompletion | TextCompletionStream>;
  /** A text completion through the Router (see run). */
  textCompletion(
    request: TextCompletionParams,
    route: RouteOptions = {},
  ): Promise<TextCompletion | TextCompletionStream> {
    return this.run(textCompletions, request, route);
  }

  chatCompletion(request: ChatCompletionParams & { stream: true }, route?: RouteOptions): Promise<ChatCompletionStream>;
  chatCompletion(
    request: ChatCompletionParams & { stream?: false | null },
    route?: RouteOptions,
  ): Promise<ChatCompletion>;
  chatCompletion(request: ChatCompletionParams, route?: RouteOptions): Promise<ChatCompletion | ChatCompletionStream>;
  /** A chat completion through the Router (see run). */
  chatCompletion(
    request: ChatCompletionParams,
    route: RouteOptions = {},
  ): Promise<ChatCompletion | ChatCompletionStream> {
    return this.run(chatCompletions, request, route);
  }

  /** Embeddings through the Router (see run). */
  embedding(request: EmbeddingParams, route: RouteOptions = {}): Promise<CreateEmbeddingResponse> {
    return this.run(embeddings, request, route);
  }

  /**
   * A real, cheap call to one deployment, for /health: a 1-token completion, or the embedding
   * of one short input for an embedding deployment (model_info.mode `embedding`, or an embedding
   * model in the price table), as LiteLLM checks them. `signal` cancels it (shutdown).
   */
  async ping(deployment: Deployment, timeoutSeconds: number, signal?: AbortLike): Promise<void> {
    assertConfigured(deployment);
    const options = { ...deployment.options, timeout: timeoutSeconds, num_retries: 0, signal };
    if ((deployment.info.mode ?? deployment.price?.mode) === "embedding") {
      await runEmbedding({ model: deployment.model, input: "ping" }, options);
      return;
    }
    await runTextCompletion({ model: deployment.model, prompt: "ping", max_tokens: 1 }, options);
  }

  async close(): Promise<void> {
    await this.state.close();
    await this.cache?.close();
  }
}

/**
 * The route with what the body adds: its own `fallbacks`, LiteLLM's `mock_response` (honoured
 * as LiteLLM does: no provider is called) and `mock_testing_fallbacks`. The route itself when
 * it adds nothing.
 */
function requestRoute(
  route: RouteOptions,
  fallbacks: unknown,
  mockResponse: unknown,
  mockTestingFallbacks: unknown,
): RouteOptions {
  const listed = Array.isArray(fallbacks) && fallbacks.every((f): f is string => typeof f === "string");
  const mocked = typeof mockResponse === "string";
  const failFirst = mockTestingFallbacks === true;
  if (!listed && !mocked && !failFirst) return route;
  return {
    ...route,
    ...(listed ? { fallbacks: [...(route.fallbacks ?? []), ...fallbacks] } : {}),
    ...(mocked ? { mockResponse } : {}),
    ...(failFirst ? { mockTestingFallbacks: true } : {}),
  };
}
