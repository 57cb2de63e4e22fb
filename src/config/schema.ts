/**
 * zod schemas for one config file. Every message is the "expected ..." half of a
 * problem; the loader adds the path and what was found (see load.ts), so schemas never
 * see whether a value is a secret.
 *
 * No defaults here: an included file is validated on its own, and a default filled in
 * there would override what the including file set. Defaults are applied after merging.
 */
import { z } from "zod";

const NUMERIC = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;
/** YAML 1.1 (PyYAML's, so LiteLLM's) reads `20_000` as 20000: digits grouped with underscores. */
const GROUPED = /^\s*[-+]?\d[\d_]*(\.[\d_]*)?\s*$/;
const TRUE = new Set(["true", "yes", "on"]);
const FALSE = new Set(["false", "no", "off"]);

// Values read from os.environ/ are strings, and PyYAML (which LiteLLM uses) reads
// yes/no/on/off as booleans; accept both spellings so configs keep working unchanged.
const fromNumericString = (v: unknown): unknown => {
  if (typeof v !== "string") return v;
  if (NUMERIC.test(v)) return Number(v);
  return GROUPED.test(v) ? Number(v.replace(/_/g, "")) : v;
};
const fromBooleanString = (v: unknown): unknown => {
  if (typeof v !== "string") return v;
  const lower = v.trim().toLowerCase();
  return TRUE.has(lower) ? true : FALSE.has(lower) ? false : v;
};
const fromScalar = (v: unknown): unknown => (typeof v === "number" || typeof v === "boolean" ? String(v) : v);

export function str(expected = "a string") {
  return z.string({ error: `expected ${expected}` });
}

/** For names that identify something (models, files): an empty one is always a mistake. */
export function name(expected: string) {
  return z.string({ error: `expected ${expected}` }).min(1, { error: `expected ${expected}` });
}

interface NumberRule {
  int?: boolean;
  /** Inclusive lower bound. */
  min?: number;
  /** Exclusive lower bound. */
  gt?: number;
  max?: number;
}

export function num(rule: NumberRule = {}) {
  const noun = rule.int ? "an integer" : "a number";
  const bounds = [
    rule.gt !== undefined ? `> ${rule.gt}` : undefined,
    rule.min !== undefined ? `>= ${rule.min}` : undefined,
    rule.max !== undefined ? `<= ${rule.max}` : undefined,
  ].filter((b) => b !== undefined);
  const error = `expected ${noun}${bounds.length ? ` ${bounds.join(" and ")}` : ""}`;
  let schema = z.number({ error });
  if (rule.int) schema = schema.int({ error });
  if (rule.gt !== undefined) schema = schema.gt(rule.gt, { error });
  if (rule.min !== undefined) schema = schema.min(rule.min, { error });
  if (rule.max !== undefined) schema = schema.max(rule.max, { error });
  return z.preprocess(fromNumericString, schema);
}

export const bool = () => z.preprocess(fromBooleanString, z.boolean({ error: "expected true or false" }));

const mapping = (expected = "a mapping") => ({ error: `expected ${expected}` });

const stringList = (expected = "a list of strings") => z.array(str(), mapping(expected));

const headerMap = () =>
  z.record(
    z.string(),
    z.preprocess(fromScalar, z.string({ error: "expected a string" })),
    mapping("a mapping of header names to values"),
  );

const countMap = (example: string) =>
  z.record(z.string(), num({ int: true, min: 0 }), mapping(`a mapping like {${example}: 3}`));

/** `{gpt-4o: [gpt-4o-mini]}`; a single name is accepted for a one-item list. */
const fallbackList = () =>
  z.array(
    z.record(
      z.string(),
      z.preprocess(
        (v) => (typeof v === "string" ? [v] : v),
        z.array(name("a model name"), mapping("a list of model names")),
      ),
      mapping("a mapping like {gpt-4o: [gpt-4o-mini]}"),
    ),
    mapping("a list like [{gpt-4o: [gpt-4o-mini]}]"),
  );

export const ROUTING_STRATEGIES = [
  "simple-shuffle",
  "least-busy",
  "latency-based-routing",
  "usage-based-routing",
] as const;

/** LiteLLM strategies litegate does not implement: accepted with a warning, mapped to one it has. */
export const ROUTING_STRATEGY_SUBSTITUTES: Readonly<Record<string, (typeof ROUTING_STRATEGIES)[number]>> = {
  "usage-based-routing-v2": "usage-based-routing",
  "cost-based-routing": "simple-shuffle",
};

const routingStrategy = z.enum(
  [...ROUTING_STRATEGIES, ...(Object.keys(ROUTING_STRATEGY_SUBSTITUTES) as [string, ...string[]])],
  { error: `expected one of ${ROUTING_STRATEGIES.join(", ")}` },
);

export const litellmParamsSchema = z.looseObject(
  {
    model: name('a string like "openai/gpt-4o"'),
    api_key: str().nullish(),
    api_base: str("a URL").nullish(),
    api_version: str('a string like "2024-10-21"').nullish(),
    organization: str().nullish(),
    azure_ad_token: str().nullish(),
    vertex_project: str().nullish(),
    vertex_location: str('a region like "us-central1"').nullish(),
    // A service-account JSON file's path, or the JSON itself (often `os.environ/NAME`).
    vertex_credentials: str("a file path or a service-account JSON string").nullish(),
    aws_access_key_id: str().nullish(),
    aws_secret_access_key: str().nullish(),
    aws_session_token: str().nullish(),
    aws_region_name: str('a region like "us-east-1"').nullish(),
    aws_bedrock_runtime_endpoint: str("a URL").nullish(),
    timeout: num({ gt: 0 }).nullish(),
    stream_timeout: num({ gt: 0 }).nullish(),
    max_retries: num({ int: true, min: 0 }).nullish(),
    rpm: num({ int: true, min: 0 }).nullish(),
    tpm: num({ int: true, min: 0 }).nullish(),
    weight: num({ min: 0 }).nullish(),
    order: num({ int: true, min: 0 }).nullish(),
    mock_response: z.string({ error: "expected a string" }).nullish(),
    drop_params: bool().nullish(),
    additional_drop_params: stringList().nullish(),
    extra_headers: headerMap().nullish(),
    input_cost_per_token: num({ min: 0 }).nullish(),
    output_cost_per_token: num({ min: 0 }).nullish(),
    // Added to the request_tags of every request this deployment answers, as LiteLLM does.
    tags: stringList().nullish(),
    // Request params as the deployment's defaults (a request's own value wins), as LiteLLM
    // passes litellm_params on to every call.
    temperature: num({ min: 0, max: 2 }).nullish(),
    top_p: num({ min: 0, max: 1 }).nullish(),
    max_tokens: num({ int: true, gt: 0 }).nullish(),
    max_completion_tokens: num({ int: true, gt: 0 }).nullish(),
    n: num({ int: true, gt: 0 }).nullish(),
    seed: num({ int: true }).nullish(),
    stop: z.union([str(), stringList()], mapping("a string or a list of strings")).nullish(),
    presence_penalty: num({ min: -2, max: 2 }).nullish(),
    frequency_penalty: num({ min: -2, max: 2 }).nullish(),
    logit_bias: z
      .record(z.string(), num({ min: -100, max: 100 }), mapping("a mapping of token ids to -100..100"))
      .nullish(),
    user: str().nullish(),
    response_format: z.looseObject({ type: str() }, mapping("a mapping like {type: json_object}")).nullish(),
    reasoning_effort: str().nullish(),
    parallel_tool_calls: bool().nullish(),
    top_k: num({ int: true, min: 0 }).nullish(),
    extra_body: z.record(z.string(), z.unknown(), mapping("a mapping of extra params for the provider")).nullish(),
  },
  mapping("a mapping with at least `model`"),
);

/** The litellm_params that are request params: defaults for every request to the deployment. */
export const REQUEST_DEFAULT_PARAMS = [
  "temperature",
  "top_p",
  "max_tokens",
  "max_completion_tokens",
  "n",
  "seed",
  "stop",
  "presence_penalty",
  "frequency_penalty",
  "logit_bias",
  "user",
  "response_format",
  "reasoning_effort",
  "parallel_tool_calls",
  "top_k",
] as const;

export const modelInfoSchema = z.looseObject(
  {
    id: z.preprocess(fromScalar, name("a string")).nullish(),
    mode: str('a string like "completion" or "chat"').nullish(),
    base_model: str().nullish(),
    input_cost_per_token: num({ min: 0 }).nullish(),
    output_cost_per_token: num({ min: 0 }).nullish(),
    max_tokens: num({ int: true, gt: 0 }).nullish(),
    // LiteLLM's Router reads a deployment's limits here too, after the entry's and litellm_params'.
    rpm: num({ int: true, min: 0 }).nullish(),
    tpm: num({ int: true, min: 0 }).nullish(),
  },
  mapping(),
);

export const modelEntrySchema = z.looseObject(
  {
    model_name: z.preprocess(fromScalar, name("a model name string")),
    litellm_params: litellmParamsSchema,
    model_info: modelInfoSchema.nullish(),
    // Beside litellm_params, as LiteLLM's load-balancing example writes them; read first.
    rpm: num({ int: true, min: 0 }).nullish(),
    tpm: num({ int: true, min: 0 }).nullish(),
  },
  mapping("a mapping with model_name and litellm_params"),
);

export const generalSettingsSchema = z.looseObject(
  {
    master_key: str().nullish(),
    database_url: str().nullish(),
    database_path: str().nullish(),
    database_connection_pool_limit: num({ int: true, gt: 0 }).nullish(),
    max_request_size_mb: num({ gt: 0 }).nullish(),
    allow_requests_on_db_unavailable: bool().nullish(),
    keepalive_interval_seconds: num({ min: 0 }).nullish(),
    graceful_shutdown_timeout_seconds: num({ min: 0 }).nullish(),
    request_headers_timeout_seconds: num({ gt: 0 }).nullish(),
    request_body_timeout_seconds: num({ gt: 0 }).nullish(),
    keepalive_timeout_seconds: num({ gt: 0 }).nullish(),
    // POST /model/new|update|delete store deployments in the database, loaded by every instance.
    store_model_in_db: bool().nullish(),
    // No admin UI at /ui (LiteLLM's DISABLE_ADMIN_UI variable does the same).
    ui_disabled: bool().nullish(),
    // Every deployment checked every health_check_interval seconds; /health answers from the last run.
    background_health_checks: bool().nullish(),
    health_check_interval: num({ gt: 0 }).nullish(),
  },
  mapping(),
);

export const routerSettingsSchema = z.looseObject(
  {
    routing_strategy: routingStrategy.nullish(),
    routing_strategy_args: z
      .looseObject(
        { lowest_latency_buffer: num({ min: 0 }).optional(), ttl: num({ gt: 0 }).optional() },
        mapping("a mapping like {ttl: 3600}"),
      )
      .nullish(),
    num_retries: num({ int: true, min: 0 }).nullish(),
    timeout: num({ gt: 0 }).nullish(),
    stream_timeout: num({ gt: 0 }).nullish(),
    fallbacks: fallbackList().nullish(),
    default_fallbacks: z.array(name("a model name"), mapping("a list of model names")).nullish(),
    context_window_fallbacks: fallbackList().nullish(),
    content_policy_fallbacks: fallbackList().nullish(),
    max_fallbacks: num({ int: true, min: 0 }).nullish(),
    allowed_fails: num({ int: true, min: 0 }).nullish(),
    allowed_fails_policy: countMap("RateLimitErrorAllowedFails").nullish(),
    cooldown_time: num({ min: 0 }).nullish(),
    disable_cooldowns: bool().nullish(),
    disable_panic_routing: bool().nullish(),
    retry_policy: countMap("TimeoutErrorRetries").nullish(),
    model_group_alias: z
      .record(
        z.string(),
        z.union([name("a model name"), z.looseObject({ model: name("a model name"), hidden: bool().optional() })], {
          error: "expected a model name or {model: NAME, hidden: true}",
        }),
        mapping("a mapping of alias to model name"),
      )
      .nullish(),
    redis_host: str().nullish(),
    redis_port: num({ int: true, min: 1, max: 65535 }).nullish(),
    redis_password: str().nullish(),
    redis_url: str().nullish(),
    enable_pre_call_checks: bool().nullish(),
  },
  mapping(),
);

/** The caches litegate serves; LiteLLM's others (s3, gcs, disk, the semantic ones) are refused at start. */
export const CACHE_TYPES = ["local", "redis"] as const;

/** LiteLLM's call type names (with and without its `a` async prefix); litegate caches the completions ones. */
export const CACHE_CALL_TYPES = [
  "completion",
  "acompletion",
  "text_completion",
  "atext_completion",
  "embedding",
  "aembedding",
  "transcription",
  "atranscription",
  "rerank",
  "arerank",
  "responses",
  "aresponses",
] as const;

/** LiteLLM's litellm_settings.cache_params, as its Cache() takes them. */
export const cacheParamsSchema = z.looseObject(
  {
    type: z
      .enum(CACHE_TYPES, {
        error: `expected one of ${CACHE_TYPES.join(", ")} (litegate serves no s3, gcs, azure-blob, disk or semantic cache)`,
      })
      .nullish(),
    host: str().nullish(),
    port: num({ int: true, min: 1, max: 65535 }).nullish(),
    password: str().nullish(),
    url: str("a redis:// URL").nullish(),
    namespace: name("a non-empty string").nullish(),
    ttl: num({ gt: 0 }).nullish(),
    default_in_memory_ttl: num({ gt: 0 }).nullish(),
    default_in_redis_ttl: num({ gt: 0 }).nullish(),
    supported_call_types: z
      .array(
        z.enum(CACHE_CALL_TYPES, { error: `expected one of ${CACHE_CALL_TYPES.join(", ")}` }),
        mapping("a list of call types"),
      )
      .nullish(),
    mode: z.enum(["default_on", "default_off"], { error: "expected default_on or default_off" }).nullish(),
    // litegate's: the in-memory cache's bound in MB (LiteLLM's max_size_in_memory counts entries only).
    max_size_mb: num({ gt: 0 }).nullish(),
    max_size_in_memory: num({ int: true, gt: 0 }).nullish(),
  },
  mapping("a mapping like {type: redis, ttl: 600}"),
);

export const litellmSettingsSchema = z.looseObject(
  {
    drop_params: bool().nullish(),
    additional_drop_params: stringList().nullish(),
    num_retries: num({ int: true, min: 0 }).nullish(),
    request_timeout: num({ gt: 0 }).nullish(),
    // LiteLLM's Router reads these here too; router_settings wins when both set one.
    fallbacks: fallbackList().nullish(),
    default_fallbacks: z.array(name("a model name"), mapping("a list of model names")).nullish(),
    context_window_fallbacks: fallbackList().nullish(),
    content_policy_fallbacks: fallbackList().nullish(),
    allowed_fails: num({ int: true, min: 0 }).nullish(),
    cache: bool().nullish(),
    cache_params: cacheParamsSchema.nullish(),
    set_verbose: bool().nullish(),
    json_logs: bool().nullish(),
    include_cost_in_streaming_usage: bool().nullish(),
    // Observability, as LiteLLM turns it on: `prometheus` in either list serves /metrics.
    callbacks: z.preprocess((v) => (typeof v === "string" ? [v] : v), stringList()).nullish(),
    success_callback: z.preprocess((v) => (typeof v === "string" ? [v] : v), stringList()).nullish(),
    failure_callback: z.preprocess((v) => (typeof v === "string" ? [v] : v), stringList()).nullish(),
    require_auth_for_metrics_endpoint: bool().nullish(),
    turn_off_message_logging: bool().nullish(),
    disable_end_user_cost_tracking_prometheus_only: bool().nullish(),
    prometheus_end_user_limit: num({ int: true, min: 0 }).nullish(),
  },
  mapping(),
);

export const environmentVariablesSchema = z.record(
  z.string(),
  z.preprocess(fromScalar, z.string({ error: "expected a string, number or boolean" })),
  mapping("a mapping of variable names to values"),
);

export const includeSchema = z.preprocess(
  (v) => (typeof v === "string" ? [v] : v),
  z.array(name("a file path"), mapping("a list of file paths")),
);

export const fileSchema = z.looseObject({
  model_list: z.array(modelEntrySchema, mapping("a list of models")).nullish(),
  general_settings: generalSettingsSchema.nullish(),
  router_settings: routerSettingsSchema.nullish(),
  litellm_settings: litellmSettingsSchema.nullish(),
  environment_variables: environmentVariablesSchema.nullish(),
  include: includeSchema.nullish(),
});

export type ParsedFile = z.output<typeof fileSchema>;
export type ParsedModelEntry = z.output<typeof modelEntrySchema>;

/** LiteLLM reads `key:` (null) as "not set"; the loader drops such keys, and the types say so. */
export type NoNulls<T> = { [K in keyof T]: Exclude<T[K], null> };

export type RoutingStrategy = (typeof ROUTING_STRATEGIES)[number];

// The config's types, each derived from its schema: one description of every setting.
/** `litellm_params` of a deployment, `os.environ/` references resolved. */
export type LitellmParams = NoNulls<z.output<typeof litellmParamsSchema>>;
export type ModelInfo = NoNulls<z.output<typeof modelInfoSchema>>;
/** One `model_list` entry as written in config.yaml, or handed to `Router.fromLiteLLM`. */
export type ModelEntry = z.output<typeof modelEntrySchema>;
export type GeneralSettings = NoNulls<z.output<typeof generalSettingsSchema>> & {
  max_request_size_mb: number;
  keepalive_interval_seconds: number;
  graceful_shutdown_timeout_seconds: number;
};
// An intersection, not Omit: Omit on a type with an index signature (looseObject's) loses every named key.
export type RouterSettings = NoNulls<z.output<typeof routerSettingsSchema>> & { routing_strategy: RoutingStrategy };
export type LitellmSettings = NoNulls<z.output<typeof litellmSettingsSchema>>;
export type CacheParams = NoNulls<z.output<typeof cacheParamsSchema>>;
export type CacheCallType = (typeof CACHE_CALL_TYPES)[number];
/** `[{ "gpt-4o": ["gpt-4o-mini", "claude"] }]`: each entry maps one model group to its fallbacks. */
export type FallbackList = NonNullable<RouterSettings["fallbacks"]>;

/** Known keys per section, for the unknown-key warnings. */
export const KNOWN_KEYS = {
  top: new Set(Object.keys(fileSchema.shape)),
  model_entry: new Set(Object.keys(modelEntrySchema.shape)),
  litellm_params: new Set(Object.keys(litellmParamsSchema.shape)),
  general_settings: new Set(Object.keys(generalSettingsSchema.shape)),
  router_settings: new Set(Object.keys(routerSettingsSchema.shape)),
  litellm_settings: new Set(Object.keys(litellmSettingsSchema.shape)),
  cache_params: new Set(Object.keys(cacheParamsSchema.shape)),
} as const;

export const MAPPING_SECTIONS = ["general_settings", "router_settings", "litellm_settings"] as const;
export type MappingSection = (typeof MAPPING_SECTIONS)[number];
