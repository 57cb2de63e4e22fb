/**
 * The Prometheus metrics litegate exposes, named and labelled as LiteLLM's proxy names them
 * (litellm/types/integrations/prometheus.py), so dashboards and alerts built for LiteLLM work
 * unchanged. Counters carry the `_total` suffix Python's client adds to every counter.
 *
 * LiteLLM's `client_ip`, `user_agent` and `user_email` labels are left out: the first two are
 * unbounded (any client can mint new series), and litegate's users have no e-mail.
 */
import { Gauge, type Registry } from "prom-client";
import { CounterFamily, GaugeFamily, HistogramFamily } from "./series.js";

/** Seconds; LiteLLM's LATENCY_BUCKETS (+Inf is implied). */
export const LATENCY_BUCKETS = [
  0.005, 0.00625, 0.0125, 0.025, 0.05, 0.1, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 5.5, 6, 6.5, 7, 7.5, 8, 8.5, 9, 9.5,
  10, 15, 20, 25, 30, 60, 120, 180, 240, 300,
];

/** Who made the request, on most request metrics. */
const CALLER = ["end_user", "hashed_api_key", "api_key_alias", "team", "team_alias", "user"] as const;
/** Which deployment served it, on the deployment metrics. */
const DEPLOYMENT = ["litellm_model_name", "model_id", "api_base", "api_provider"] as const;
const KEY_TEAM = ["hashed_api_key", "api_key_alias", "team", "team_alias"] as const;
const EXCEPTION = ["exception_status", "exception_class"] as const;

function counter<L extends string>(registry: Registry, name: string, help: string, labelNames: readonly L[]) {
  return new CounterFamily<L>(registry, `${name}_total`, help, labelNames);
}

function histogram<L extends string>(registry: Registry, name: string, help: string, labelNames: readonly L[]) {
  return new HistogramFamily<L>(registry, name, help, labelNames, LATENCY_BUCKETS);
}

/** Every metric, registered on `registry`; `inFlight` is read at each scrape. */
export function createCatalog(registry: Registry, inFlight: () => number) {
  const requestLatency = [...CALLER, "requested_model", "model", "model_id"] as const;
  const apiLatency = ["model", ...CALLER, "requested_model", "model_id"] as const;
  const tokens = [...CALLER, "model", "requested_model", "model_id"] as const;
  const overhead = [
    "model_group",
    "api_provider",
    "api_base",
    "litellm_model_name",
    "hashed_api_key",
    "api_key_alias",
    "model_id",
  ] as const;
  const deploymentRequests = ["requested_model", ...DEPLOYMENT, ...KEY_TEAM] as const;
  const fallbacks = ["requested_model", "fallback_model", ...KEY_TEAM, ...EXCEPTION, "model_id"] as const;
  return {
    totalRequests: counter(
      registry,
      "litellm_proxy_total_requests_metric",
      "Total number of requests made to the proxy server - track number of client side requests",
      [...CALLER, "requested_model", "status_code", "route", "model_id"],
    ),
    failedRequests: counter(
      registry,
      "litellm_proxy_failed_requests_metric",
      "Total number of failed responses from proxy - the client did not get a success response from litellm proxy",
      [...CALLER, "requested_model", ...EXCEPTION, "route", "model_id"],
    ),
    requests: counter(
      registry,
      "litellm_requests_metric",
      "deprecated - use litellm_proxy_total_requests_metric. Total number of LLM calls to litellm - track total per API Key, team, user",
      [...CALLER, "model", "model_id"],
    ),
    inFlight: new Gauge({
      name: "litellm_in_flight_requests",
      help: "Requests the proxy is serving now",
      registers: [registry],
      collect() {
        this.set(inFlight());
      },
    }),
    requestLatency: histogram(
      registry,
      "litellm_request_total_latency_metric",
      "Total latency (seconds) for a request to LiteLLM",
      requestLatency,
    ),
    apiLatency: histogram(
      registry,
      "litellm_llm_api_latency_metric",
      "Total latency (seconds) for a models LLM API call",
      apiLatency,
    ),
    timeToFirstToken: histogram(
      registry,
      "litellm_llm_api_time_to_first_token_metric",
      "Time to first token for a models LLM API call",
      apiLatency,
    ),
    overheadLatency: histogram(
      registry,
      "litellm_overhead_latency_metric",
      "Latency overhead (seconds) added by the proxy's own processing",
      overhead,
    ),
    inputTokens: counter(
      registry,
      "litellm_input_tokens_metric",
      "Total number of input tokens from LLM requests",
      tokens,
    ),
    outputTokens: counter(
      registry,
      "litellm_output_tokens_metric",
      "Total number of output tokens from LLM requests",
      tokens,
    ),
    totalTokens: counter(
      registry,
      "litellm_total_tokens_metric",
      "Total number of input + output tokens from LLM requests",
      tokens,
    ),
    spend: counter(registry, "litellm_spend_metric", "Total spend on LLM requests", [...CALLER, "model", "model_id"]),
    // The response cache: a hit is a request answered with no model call (issue 13: counted, not hidden).
    cacheHits: counter(registry, "litellm_cache_hits_metric", "Total number of LiteLLM cache hits", [
      ...CALLER,
      "model",
      "model_id",
    ]),
    cacheMisses: counter(registry, "litellm_cache_misses_metric", "Total number of LiteLLM cache misses", [
      ...CALLER,
      "model",
      "model_id",
    ]),
    // Workers each see part of a deployment's calls: the worst state any of them saw is its state.
    // Budgets: each worker knows the spend of the requests it served last; the least left is the
    // newest, except after a budget reset, until each worker that held the owner serves it again.
    remainingKeyBudget: new GaugeFamily(
      registry,
      "litellm_remaining_api_key_budget_metric",
      "Remaining Budget for API Key",
      ["hashed_api_key", "api_key_alias"],
      "min",
    ),
    keyMaxBudget: new GaugeFamily(
      registry,
      "litellm_api_key_max_budget_metric",
      "Maximum budget set for api key",
      ["hashed_api_key", "api_key_alias"],
      "max",
    ),
    remainingTeamBudget: new GaugeFamily(
      registry,
      "litellm_remaining_team_budget_metric",
      "Remaining Budget for Team",
      ["team", "team_alias"],
      "min",
    ),
    teamMaxBudget: new GaugeFamily(
      registry,
      "litellm_team_max_budget_metric",
      "Maximum Budget for Team",
      ["team", "team_alias"],
      "max",
    ),
    remainingUserBudget: new GaugeFamily(
      registry,
      "litellm_remaining_user_budget_metric",
      "Remaining Budget for User",
      ["user"],
      "min",
    ),
    userMaxBudget: new GaugeFamily(
      registry,
      "litellm_user_max_budget_metric",
      "Maximum Budget for User",
      ["user"],
      "max",
    ),
    // What the provider said is left of its rate limits on its last answer this worker saw.
    remainingRequests: new GaugeFamily(
      registry,
      "litellm_remaining_requests_metric",
      "LLM Deployment Analytics - remaining requests for model, returned from LLM API Provider",
      overhead,
      "min",
    ),
    remainingTokens: new GaugeFamily(
      registry,
      "litellm_remaining_tokens_metric",
      "remaining tokens for model, returned from LLM API Provider",
      overhead,
      "min",
    ),
    deploymentState: new GaugeFamily(
      registry,
      "litellm_deployment_state",
      "LLM Deployment Analytics - The state of the deployment: 0 = healthy, 1 = partial outage, 2 = complete outage",
      DEPLOYMENT,
      "max",
    ),
    deploymentSuccess: counter(
      registry,
      "litellm_deployment_success_responses",
      "LLM Deployment Analytics - Total number of successful LLM API calls via litellm",
      deploymentRequests,
    ),
    deploymentFailure: counter(
      registry,
      "litellm_deployment_failure_responses",
      "LLM Deployment Analytics - Total number of failed LLM API calls for a specific LLM deployment. exception_status is the status of the exception from the llm api",
      [...deploymentRequests, ...EXCEPTION],
    ),
    deploymentTotal: counter(
      registry,
      "litellm_deployment_total_requests",
      "LLM Deployment Analytics - Total number of LLM API calls via litellm - success + failure",
      deploymentRequests,
    ),
    deploymentCooledDown: counter(
      registry,
      "litellm_deployment_cooled_down",
      "LLM Deployment Analytics - Number of times a deployment has been cooled down by LiteLLM load balancing logic. exception_status is the status of the exception that caused the deployment to be cooled down",
      [...DEPLOYMENT, "exception_status"],
    ),
    successfulFallbacks: counter(
      registry,
      "litellm_deployment_successful_fallbacks",
      "LLM Deployment Analytics - Number of successful fallback requests from primary model -> fallback model",
      fallbacks,
    ),
    failedFallbacks: counter(
      registry,
      "litellm_deployment_failed_fallbacks",
      "LLM Deployment Analytics - Number of failed fallback requests from primary model -> fallback model",
      fallbacks,
    ),
  };
}

export type Catalog = ReturnType<typeof createCatalog>;
