/**
 * Prometheus metrics of the requests the gateway serves, read from each request's outcome
 * at its end (its RouteTrace, its status, who sent it): one place records them all, and a
 * request records nothing on its way. Tokens and spend are counted when the request's usage
 * is known (a stream's may still be being counted when it ends).
 */
import cluster from "node:cluster";
import { collectDefaultMetrics, Registry } from "prom-client";
import type { OwnerSpend, Principal } from "../access/grant.js";
import { principalLogId } from "../access/spend-ledger.js";
import type { CacheOutcome } from "../cache/response-cache.js";
import type { Deployment } from "../config/index.js";
import { providerPrefix, withoutProvider } from "../config/providers.js";
import type { Attempt, AttemptFailure, RouteTrace } from "../router/trace.js";
import type { CompletionUsage } from "../wire/completions.js";
import { type Catalog, createCatalog } from "./catalog.js";
import type { CounterSeries, GaugeSeries, HistogramSeries } from "./series.js";
import { clusterMetrics, shareWithPrimary } from "./cluster.js";

/** End users with their own series before later ones are counted without one. */
export const DEFAULT_END_USER_LIMIT = 1000;

/**
 * Requested models the config does not name (unknown ones, or ones a wildcard matched) with
 * their own `requested_model` label before later ones are counted with an empty one: a caller
 * could otherwise make a new series with each name it sends.
 */
export const OTHER_MODEL_LIMIT = 100;

export interface MetricsOptions {
  /** litellm_settings.require_auth_for_metrics_endpoint: /metrics needs the master key. */
  requireAuth: boolean;
  /** End users given their own `end_user` label before later ones are recorded without it. */
  endUserLimit: number;
  /** litellm_settings.disable_end_user_cost_tracking_prometheus_only: never an `end_user` label. */
  endUserLabels: boolean;
}

/** What a finished request's metrics are read from. */
export interface RequestRecord {
  /** The route as the route table names it (/v1/chat/completions). */
  route: string;
  status: number;
  /** Why the request failed, when it did and the gateway knows. */
  failure: AttemptFailure | undefined;
  principal: Principal | undefined;
  endUser: string | undefined;
  requestedModel: string;
  trace: RouteTrace | undefined;
  stream: boolean;
  /** performance.now() when the request ended. */
  endedAt: number;
  totalMs: number;
  usage: CompletionUsage | Promise<CompletionUsage | undefined> | undefined;
  cost(usage: CompletionUsage): number;
  /** The key's budgeted owners and their spend at admission; undefined without budgets. */
  budgets: readonly OwnerSpend[] | undefined;
  /** The response cache's lookup, when the request was cacheable. */
  cache: CacheOutcome | undefined;
}

/** The identity labels every request metric carries. */
interface Caller {
  end_user: string;
  hashed_api_key: string;
  api_key_alias: string;
  team: string;
  team_alias: string;
  user: string;
}

/** LiteLLM's exception_class: the provider, capitalised, then the error's class (Openai.RateLimitError). */
function exceptionClass(failure: AttemptFailure): string {
  const provider = failure.provider;
  const prefix = provider === undefined || provider === "" ? "" : `${provider[0]?.toUpperCase()}${provider.slice(1)}.`;
  return `${prefix}${failure.errorClass}`;
}

/**
 * The provider model an attempt called, as labels show it. A wildcard deployment (`openai/*`,
 * or `*`) calls the model the client named. Its series are found by the requested model's label
 * and the deployment, so the called model is shown only where those two decide it: on the group
 * asked for, while the requested model has a label of its own (past the cap on unnamed models
 * it is ""). A wildcard reached as a fallback (the body's `fallbacks` name any model), or past
 * the cap, shows its pattern: clients cannot grow the series without bound.
 */
function calledModel(attempt: Attempt, requested: string, primary: string | undefined): string {
  return requested !== "" && attempt.group === primary ? attempt.model : attempt.deployment.model;
}

type DeploymentLabels = ReturnType<typeof deploymentLabels>;

/** `model`: the provider model string called (see calledModel). */
function deploymentLabels(deployment: Deployment, model: string) {
  return {
    litellm_model_name: model,
    model_id: deployment.id,
    api_base: deployment.apiBase ?? "",
    api_provider: providerPrefix(model),
  };
}

const seconds = (ms: number): number => ms / 1000;

/** Deployment states of litellm_deployment_state. */
const HEALTHY = 0;
const PARTIAL_OUTAGE = 1;
const OUTAGE = 2;

/** A successful request's series: found once per caller, model and deployment, then only added to. */
interface AnswerSeries extends UsageSeries {
  requests: CounterSeries;
  requestLatency: HistogramSeries;
  apiLatency: HistogramSeries;
  timeToFirstToken: HistogramSeries;
  overhead: HistogramSeries;
}

/** What a charged request adds to: its tokens and spend, by caller, model and deployment. */
interface UsageSeries {
  inputTokens: CounterSeries;
  outputTokens: CounterSeries;
  totalTokens: CounterSeries;
  spend: CounterSeries;
}

/** A budget's two gauges for one owner: what is left of it and its max_budget. */
interface BudgetGauges {
  remaining: GaugeSeries;
  max: GaugeSeries;
}

/**
 * A caller's labels, its budget gauges once found, and its series by requested model, then
 * deployment id (`""` when none answered): the same for every request of a key (or of the
 * master key, or of an open gateway, or of one end user of a key), so made once, not per
 * request. Why nested maps: a request finds its series by strings it already holds (the
 * model, the deployment's id, the route), whose hashes V8 keeps once computed; a key joined
 * from them per request was a new ~120-character string to flatten and hash, three a request.
 */
interface CallerEntry {
  caller: Caller;
  budgets: Partial<Record<"key" | "team" | "user", BudgetGauges>>;
  models: Map<string, Map<string, DeploymentSeries>>;
}

/** One caller's series for one requested model and deployment (its id; `""`: none answered). */
interface DeploymentSeries {
  /** litellm_proxy_total_requests_metric, by route, then status. */
  totals: Map<string, Map<number, CounterSeries>>;
  answer: AnswerSeries | undefined;
  attempt: AttemptSeries | undefined;
}

/** What keys the caller entries of requests that carry no key grant. */
const NO_GRANT: Readonly<Record<"open" | "master" | "none", object>> = { open: {}, master: {}, none: {} };

/** An attempt's labels on one deployment, for one caller and model group. */
function attemptLabels(where: DeploymentLabels, requested: string, caller: Caller) {
  return {
    requested_model: requested,
    ...where,
    hashed_api_key: caller.hashed_api_key,
    api_key_alias: caller.api_key_alias,
    team: caller.team,
    team_alias: caller.team_alias,
  };
}

/** An attempt's series on one deployment, for one caller and model group, and their labels (a failure's series add to them). */
interface AttemptSeries {
  where: DeploymentLabels;
  labels: ReturnType<typeof attemptLabels>;
  total: CounterSeries;
  success: CounterSeries;
  state: { set(value: number): void };
}

export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly catalog: Catalog;
  /** End users given their own label, and their callers' entries by key grant (as `callers`). */
  private readonly endUsers = new Map<string, WeakMap<object, CallerEntry>>();
  /** By key grant (a new grant, as a changed key loads, gets a new entry): see CallerEntry. */
  private readonly callers = new WeakMap<object, CallerEntry>();
  /** Requested models given a label though the config does not name them (at most OTHER_MODEL_LIMIT). */
  private readonly otherModels = new Set<string>();

  constructor(
    readonly options: MetricsOptions,
    /** The requests in flight now, read at scrape time. */
    inFlight: () => number,
    /** The config names this model (a group or an alias): it always has its own label. */
    private readonly configuredModel: (model: string) => boolean,
  ) {
    this.catalog = createCatalog(this.registry, inFlight);
    collectDefaultMetrics({ register: this.registry });
    // Gauges whose names end in _total, which Prometheus reserves for counters (promtool rejects them).
    for (const name of ["nodejs_active_handles_total", "nodejs_active_requests_total", "nodejs_active_resources_total"])
      this.registry.removeSingleMetric(name);
    if (cluster.isWorker) shareWithPrimary(this.registry);
  }

  /** The exposition, in Prometheus' text format: under --num_workers, every worker's summed. */
  scrape(): Promise<string> {
    return cluster.isWorker ? clusterMetrics() : this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** A request's `requested_model` label: the model it asked for, unless too many unnamed ones came before it. */
  private requestedLabel(model: string): string {
    if (model === "" || this.configuredModel(model) || this.otherModels.has(model)) return model;
    if (this.otherModels.size >= OTHER_MODEL_LIMIT) return "";
    this.otherModels.add(model);
    return model;
  }

  /** The entries of an end user's callers, when it gets an `end_user` label of its own. */
  private endUserCallers(endUser: string | undefined): WeakMap<object, CallerEntry> | undefined {
    if (endUser === undefined || endUser === "" || !this.options.endUserLabels) return undefined;
    let callers = this.endUsers.get(endUser);
    if (callers === undefined) {
      // Past the limit a new end user is counted without its own series: cardinality stays bounded.
      if (this.endUsers.size >= this.options.endUserLimit) return undefined;
      callers = new WeakMap();
      this.endUsers.set(endUser, callers);
    }
    return callers;
  }

  private newCallerEntry(principal: Principal | undefined, endUser: string): CallerEntry {
    const grant = principal?.kind === "key" ? principal.grant : undefined;
    const caller: Caller = {
      end_user: endUser,
      hashed_api_key: principal === undefined ? "" : principalLogId(principal),
      api_key_alias: grant?.key.key_alias ?? "",
      team: grant?.key.team_id ?? "",
      team_alias: grant?.team?.team_alias ?? "",
      user: grant?.key.user_id ?? "",
    };
    return { caller, budgets: {}, models: new Map() };
  }

  /** The caller's entry: one per key grant (or principal kind) and end user given a label. */
  private callerOf(principal: Principal | undefined, endUser: string | undefined): CallerEntry {
    const own = this.endUserCallers(endUser);
    const callers = own ?? this.callers;
    const owner =
      principal === undefined ? NO_GRANT.none : principal.kind === "key" ? principal.grant : NO_GRANT[principal.kind];
    let entry = callers.get(owner);
    if (entry === undefined) {
      entry = this.newCallerEntry(principal, own === undefined ? "" : (endUser ?? ""));
      callers.set(owner, entry);
    }
    return entry;
  }

  /** The caller's series for a requested model and a deployment id, made empty on first use. */
  private seriesOf(entry: CallerEntry, requested: string, modelId: string): DeploymentSeries {
    let byDeployment = entry.models.get(requested);
    if (byDeployment === undefined) {
      byDeployment = new Map();
      entry.models.set(requested, byDeployment);
    }
    let series = byDeployment.get(modelId);
    if (series === undefined) {
      series = { totals: new Map(), answer: undefined, attempt: undefined };
      byDeployment.set(modelId, series);
    }
    return series;
  }

  /** litellm_proxy_total_requests_metric's series for a request: in `found`, by route and status. */
  private totalOf(
    entry: CallerEntry,
    found: DeploymentSeries,
    requested: string,
    modelId: string,
    route: string,
    status: number,
  ): CounterSeries {
    const totals = found.totals;
    let byStatus = totals.get(route);
    if (byStatus === undefined) {
      byStatus = new Map();
      totals.set(route, byStatus);
    }
    let total = byStatus.get(status);
    if (total === undefined) {
      total = this.catalog.totalRequests.series({
        ...entry.caller,
        requested_model: requested,
        status_code: String(status),
        route,
        model_id: modelId,
      });
      byStatus.set(status, total);
    }
    return total;
  }

  /** Records a finished completion request. */
  record(request: RequestRecord): void {
    const entry = this.callerOf(request.principal, request.endUser);
    const { caller } = entry;
    const attempts = request.trace?.attempts ?? [];
    const last = attempts.at(-1);
    const deployment = last?.deployment;
    const modelId = deployment?.id ?? "";
    const requested = this.requestedLabel(request.requestedModel);
    // The answering deployment's series: its total, its answer's and its attempt's.
    const found = this.seriesOf(entry, requested, modelId);
    this.totalOf(entry, found, requested, modelId, request.route, request.status).inc();
    const cache = request.cache;
    if (cache !== undefined) {
      const counter = cache.hit ? this.catalog.cacheHits : this.catalog.cacheMisses;
      counter.series({ ...caller, model: requested, model_id: modelId }).inc();
      // A hit made no attempt: it is an answer, not a failure, and spent nothing.
      if (cache.hit && request.status === 200) return;
    }
    const primary = request.trace?.primaryGroup;
    for (const attempt of attempts) {
      const series = attempt === last ? found : this.seriesOf(entry, requested, attempt.deployment.id);
      this.recordAttempt(attempt, primary, requested, entry, series);
    }
    if ((request.trace?.fallbacks ?? 0) > 0) this.recordFallbacks(attempts, primary, requested, caller);
    if (request.status !== 200 || last === undefined || deployment === undefined) {
      // A failure may still be charged (the client left mid-stream): its tokens and spend count
      // as its spend record does, and its budgets show the charge.
      const charged = (usage: CompletionUsage | undefined): void => {
        if (usage === undefined || last === undefined) {
          this.recordBudgets(request.budgets, entry, 0);
          return;
        }
        // Found by label, not the answer's cached series: a failure adds no successful request.
        const model = withoutProvider(calledModel(last, requested, primary));
        this.recordUsage(request, entry, this.usageSeries(entry.caller, model, requested, last.deployment.id), usage);
      };
      if (request.usage instanceof Promise) void request.usage.then(charged, () => undefined);
      else charged(request.usage);
      // Failures are the rarer path: their series are found by label, without a cache.
      const failure = request.failure ?? last?.failure;
      this.catalog.failedRequests
        .series({
          ...caller,
          requested_model: requested,
          exception_status: String(request.status),
          exception_class:
            failure === undefined ? (request.status === 499 ? "ClientDisconnect" : "") : exceptionClass(failure),
          route: request.route,
          model_id: modelId,
        })
        .inc();
      return;
    }
    const series = found.answer ?? this.answerSeries(entry, found, requested, last, primary);
    series.requests.inc();
    series.requestLatency.observe(seconds(request.totalMs));
    const answered = last.answeredAt ?? request.endedAt;
    // A stream's API call lasts until its last chunk; its first chunk is its time to first token.
    series.apiLatency.observe(seconds((request.stream ? request.endedAt : answered) - last.startedAt));
    if (request.stream) series.timeToFirstToken.observe(seconds(answered - last.startedAt));
    series.overhead.observe(seconds(Math.max(0, request.totalMs - (request.trace?.upstreamMs ?? 0))));
    if (request.usage instanceof Promise) {
      void request.usage.then(
        (usage) => this.recordUsage(request, entry, series, usage),
        () => undefined,
      );
    } else this.recordUsage(request, entry, series, request.usage);
  }

  /** An answered request's tokens and spend, and its budgets after it, once its usage is known. */
  private recordUsage(
    request: RequestRecord,
    entry: CallerEntry,
    series: UsageSeries,
    usage: CompletionUsage | undefined,
  ): void {
    if (usage === undefined) {
      this.recordBudgets(request.budgets, entry, 0);
      return;
    }
    const cost = request.cost(usage);
    series.inputTokens.inc(usage.prompt_tokens);
    series.outputTokens.inc(usage.completion_tokens);
    series.totalTokens.inc(usage.total_tokens);
    series.spend.inc(cost);
    this.recordBudgets(request.budgets, entry, cost);
  }

  /**
   * Each budgeted owner's max_budget and what is left of it after this request: its spend
   * when the request was admitted plus the request's own cost. Owners without max_budget
   * have no series. The gauges are found once per caller entry.
   */
  private recordBudgets(budgets: readonly OwnerSpend[] | undefined, entry: CallerEntry, cost: number): void {
    if (budgets === undefined) return;
    for (const { owner, spend } of budgets) {
      const max = owner.max_budget;
      if (max === null) continue;
      const kind = owner.kind;
      // An end user's (customer's) budget has no gauge.
      if (kind === "customer") continue;
      const gauges = entry.budgets[kind] ?? this.budgetGauges(kind, entry);
      gauges.remaining.set(max - (spend + cost));
      gauges.max.set(max);
    }
  }

  private budgetGauges(kind: "key" | "team" | "user", entry: CallerEntry): BudgetGauges {
    const c = this.catalog;
    const { caller } = entry;
    let gauges: BudgetGauges;
    if (kind === "key") {
      const labels = { hashed_api_key: caller.hashed_api_key, api_key_alias: caller.api_key_alias };
      gauges = { remaining: c.remainingKeyBudget.series(labels), max: c.keyMaxBudget.series(labels) };
    } else if (kind === "team") {
      const labels = { team: caller.team, team_alias: caller.team_alias };
      gauges = { remaining: c.remainingTeamBudget.series(labels), max: c.teamMaxBudget.series(labels) };
    } else {
      const labels = { user: caller.user };
      gauges = { remaining: c.remainingUserBudget.series(labels), max: c.userMaxBudget.series(labels) };
    }
    entry.budgets[kind] = gauges;
    return gauges;
  }

  private answerSeries(
    entry: CallerEntry,
    found: DeploymentSeries,
    requested: string,
    answered: Attempt,
    primary: string | undefined,
  ): AnswerSeries {
    const { caller } = entry;
    const c = this.catalog;
    const { deployment } = answered;
    const called = calledModel(answered, requested, primary);
    const model = withoutProvider(called);
    const modelId = deployment.id;
    const api = { ...caller, model, requested_model: requested, model_id: modelId };
    const series: AnswerSeries = {
      requests: c.requests.series({ ...caller, model, model_id: modelId }),
      requestLatency: c.requestLatency.series(api),
      apiLatency: c.apiLatency.series(api),
      timeToFirstToken: c.timeToFirstToken.series(api),
      overhead: c.overheadLatency.series({
        model_group: requested,
        api_provider: providerPrefix(called),
        api_base: deployment.apiBase ?? "",
        litellm_model_name: called,
        hashed_api_key: caller.hashed_api_key,
        api_key_alias: caller.api_key_alias,
        model_id: modelId,
      }),
      ...this.usageSeries(caller, model, requested, modelId),
    };
    found.answer = series;
    return series;
  }

  private usageSeries(caller: Caller, model: string, requested: string, modelId: string): UsageSeries {
    const c = this.catalog;
    const api = { ...caller, model, requested_model: requested, model_id: modelId };
    return {
      inputTokens: c.inputTokens.series(api),
      outputTokens: c.outputTokens.series(api),
      totalTokens: c.totalTokens.series(api),
      spend: c.spend.series({ ...caller, model, model_id: modelId }),
    };
  }

  private recordAttempt(
    attempt: Attempt,
    primary: string | undefined,
    requested: string,
    entry: CallerEntry,
    found: DeploymentSeries,
  ): void {
    const c = this.catalog;
    const { caller } = entry;
    const deployment = attempt.deployment;
    let series = found.attempt;
    if (series === undefined) {
      const where = deploymentLabels(deployment, calledModel(attempt, requested, primary));
      const labels = attemptLabels(where, requested, caller);
      series = {
        where,
        labels,
        total: c.deploymentTotal.series(labels),
        success: c.deploymentSuccess.series(labels),
        state: c.deploymentState.series(where),
      };
      found.attempt = series;
    }
    series.total.inc();
    if (attempt.remainingRequests !== undefined || attempt.remainingTokens !== undefined) {
      // Only the providers that send these headers pay for it, found by label without a cache.
      const limits = {
        // The model group as LiteLLM names it: the one asked for (as the overhead metric's,
        // while it has a label of its own), or the fallback's.
        model_group: attempt.group === primary && requested !== "" ? requested : attempt.group,
        api_provider: series.where.api_provider,
        api_base: deployment.apiBase ?? "",
        litellm_model_name: series.where.litellm_model_name,
        hashed_api_key: caller.hashed_api_key,
        api_key_alias: caller.api_key_alias,
        model_id: deployment.id,
      };
      if (attempt.remainingRequests !== undefined) c.remainingRequests.series(limits).set(attempt.remainingRequests);
      if (attempt.remainingTokens !== undefined) c.remainingTokens.series(limits).set(attempt.remainingTokens);
    }
    const failure = attempt.failure;
    if (failure !== undefined) {
      const exceptionStatus = String(failure.status);
      c.deploymentFailure
        .series({ ...series.labels, exception_status: exceptionStatus, exception_class: exceptionClass(failure) })
        .inc();
      if (attempt.cooledDown)
        c.deploymentCooledDown.series({ ...series.where, exception_status: exceptionStatus }).inc();
      series.state.set(attempt.cooledDown ? OUTAGE : PARTIAL_OUTAGE);
    } else if (attempt.answeredAt !== undefined) {
      series.success.inc();
      series.state.set(HEALTHY);
    }
  }

  /**
   * Each fallback group tried: successful if it answered, failed if it did not. Each is blamed
   * on the failure that ended the group asked for (its last attempt's), as LiteLLM labels every
   * fallback with the original exception; none when that group made no attempt (all of its
   * deployments cooling down, or skipped by mock_testing_fallbacks).
   */
  private recordFallbacks(
    attempts: readonly Attempt[],
    primary: string | undefined,
    requested: string,
    caller: Caller,
  ): void {
    let cause: AttemptFailure | undefined;
    for (const attempt of attempts) if (attempt.group === primary) cause = attempt.failure ?? cause;
    for (let i = 0; i < attempts.length; i++) {
      const attempt = attempts[i] as Attempt;
      const next = attempts[i + 1];
      // A fallback group counts once, at its last attempt.
      if (attempt.group === primary || (next !== undefined && next.group === attempt.group)) continue;
      const labels = {
        requested_model: requested,
        fallback_model: attempt.group,
        hashed_api_key: caller.hashed_api_key,
        api_key_alias: caller.api_key_alias,
        team: caller.team,
        team_alias: caller.team_alias,
        exception_status: cause === undefined ? "" : String(cause.status),
        exception_class: cause === undefined ? "" : exceptionClass(cause),
        model_id: attempt.deployment.id,
      };
      const answered = attempt.failure === undefined && attempt.answeredAt !== undefined;
      (answered ? this.catalog.successfulFallbacks : this.catalog.failedFallbacks).series(labels).inc();
    }
  }
}
