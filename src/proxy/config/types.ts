/**
 * The typed result of loading a LiteLLM-compatible config.yaml. Section contents keep
 * LiteLLM's snake_case names so they can be handed to the SDK and Router unchanged.
 * Every section object also carries the unknown keys it was given (typed `unknown`),
 * so features built later can read them without a loader change.
 */

export type RoutingStrategy =
  | "simple-shuffle"
  | "least-busy"
  | "latency-based-routing"
  | "usage-based-routing";

/** An `os.environ/NAME` reference whose variable was not set when the config loaded. */
export interface MissingEnv {
  /** Path inside `litellm_params`, LiteLLM style: `api_key`, `extra_headers.Authorization`. */
  field: string;
  variable: string;
}

/** Where a config value came from, for messages: `models.yaml`, `model_list[3]`. */
export interface ConfigSource {
  file: string;
  /** Index of the entry inside that file's `model_list`. */
  index: number;
}

export interface LitellmParams {
  /** `provider/upstream-model`, or a bare OpenAI name. */
  model: string;
  api_key?: string;
  api_base?: string;
  api_version?: string;
  organization?: string;
  azure_ad_token?: string;
  /** Seconds. */
  timeout?: number;
  /** Seconds. */
  stream_timeout?: number;
  max_retries?: number;
  rpm?: number;
  tpm?: number;
  weight?: number;
  order?: number;
  mock_response?: string;
  drop_params?: boolean;
  additional_drop_params?: string[];
  extra_headers?: Record<string, string>;
  input_cost_per_token?: number;
  output_cost_per_token?: number;
  /** Anything else is a provider param passed through (temperature, max_tokens, ...). */
  [param: string]: unknown;
}

export interface ModelInfo {
  id?: string;
  /** `completion`, `chat`, `embedding`, ... (not restricted: LiteLLM keeps adding modes). */
  mode?: string;
  base_model?: string;
  input_cost_per_token?: number;
  output_cost_per_token?: number;
  max_tokens?: number;
  [key: string]: unknown;
}

export interface Deployment {
  /** model_info.id if given, else a hash of model_name + litellm_params as written. */
  id: string;
  /** The public name clients send; several deployments may share one. */
  modelName: string;
  /** With `os.environ/` references resolved; unset ones are absent (see missingEnv). */
  litellmParams: LitellmParams;
  modelInfo: ModelInfo;
  /**
   * Non-empty means the deployment is misconfigured: answer its requests with 401
   * naming the variable rather than falling back to a provider's default env var.
   */
  missingEnv: MissingEnv[];
  source: ConfigSource;
}

export interface GeneralSettings {
  master_key?: string;
  database_url?: string;
  /** litegate: where the embedded SQLite store lives. */
  database_path?: string;
  database_connection_pool_limit?: number;
  /** Default 10. */
  max_request_size_mb: number;
  allow_requests_on_db_unavailable?: boolean;
  /** SSE keep-alive comment interval while waiting for the first token; default 15, 0 = off. */
  keepalive_interval_seconds: number;
  /** How long SIGTERM waits for in-flight requests; default 30. */
  graceful_shutdown_timeout_seconds: number;
  /** A client must have sent its request headers within this; default 20 (see GatewayOptions). */
  request_headers_timeout_seconds?: number;
  /** ... and its whole request, body included; default 120. */
  request_body_timeout_seconds?: number;
  /** An idle keep-alive client connection is closed after this; default 620. */
  keepalive_timeout_seconds?: number;
  [key: string]: unknown;
}

/** `[{ "gpt-4o": ["gpt-4o-mini", "claude"] }]`: each entry maps one model group to its fallbacks. */
export type FallbackList = Array<Record<string, string[]>>;

export interface ModelGroupAliasTarget {
  model: string;
  hidden?: boolean;
}

export interface RouterSettings {
  /** Default "simple-shuffle". */
  routing_strategy: RoutingStrategy;
  routing_strategy_args?: Record<string, unknown>;
  num_retries?: number;
  timeout?: number;
  stream_timeout?: number;
  fallbacks?: FallbackList;
  default_fallbacks?: string[];
  context_window_fallbacks?: FallbackList;
  content_policy_fallbacks?: FallbackList;
  max_fallbacks?: number;
  allowed_fails?: number;
  /** e.g. `{ RateLimitErrorAllowedFails: 100 }`. */
  allowed_fails_policy?: Record<string, number>;
  cooldown_time?: number;
  disable_cooldowns?: boolean;
  /** Refuse (429/503) instead of sending to the deployment whose cooldown ends first when every one is cooling down. */
  disable_panic_routing?: boolean;
  /** e.g. `{ AuthenticationErrorRetries: 0, TimeoutErrorRetries: 3 }`. */
  retry_policy?: Record<string, number>;
  model_group_alias?: Record<string, string | ModelGroupAliasTarget>;
  redis_host?: string;
  redis_port?: number;
  redis_password?: string;
  redis_url?: string;
  enable_pre_call_checks?: boolean;
  [key: string]: unknown;
}

export interface LitellmSettings {
  drop_params?: boolean;
  additional_drop_params?: string[];
  num_retries?: number;
  request_timeout?: number;
  cache?: boolean;
  set_verbose?: boolean;
  json_logs?: boolean;
  /** Adds `cost` (USD) to a stream's usage chunk, as LiteLLM does; a stream's headers leave before its cost is known. */
  include_cost_in_streaming_usage?: boolean;
  [key: string]: unknown;
}

/**
 * How clients authenticate. A discriminated union so the server must decide what to do
 * when the config names a master key variable that is not set (suggested: answer 401
 * naming the variable; never run open by accident).
 */
export type MasterKey =
  | { state: "set"; value: string; source: "general_settings.master_key" | "LITELLM_MASTER_KEY" }
  | { state: "none" }
  | { state: "missing-env"; variable: string };

/** An unset `os.environ/` reference anywhere in the config. */
export interface ConfigMissingEnv {
  file: string;
  /** LiteLLM-style path: `model_list[0].litellm_params.api_key`. */
  path: string;
  variable: string;
}

export interface GatewayConfig {
  /** The file given to loadConfig (as given), or "--model" for singleModelConfig. */
  file: string;
  /** Every file read, the root first, then includes in merge order. */
  files: string[];
  modelList: Deployment[];
  generalSettings: GeneralSettings;
  routerSettings: RouterSettings;
  litellmSettings: LitellmSettings;
  masterKey: MasterKey;
  /** Names (never values) of the variables `environment_variables` set. */
  environmentVariableNames: string[];
  missingEnv: ConfigMissingEnv[];
  /**
   * Set by `litegate --model X`: as in LiteLLM, every request goes to this model group
   * whatever `model` the client sends.
   */
  userModel?: string;
  /** One line each, naming the file and the path; never a secret. */
  warnings: string[];
}
