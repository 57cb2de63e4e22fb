/**
 * The one config model: LiteLLM's config.yaml read, checked and resolved once. The
 * schemas (schema.ts) are the single description of every setting, and the types come
 * from them; `os.environ/` references are resolved once, into deployments (deployment.ts)
 * that carry whatever an unset variable left missing.
 */
export {
  buildDeployments,
  callPrice,
  type Deployment,
  type DeploymentLimits,
  deploymentHash,
  deploymentsFromLiteLLM,
  safeApiBase,
} from "./deployment.js";
export { ConfigError, formatPath } from "./errors.js";
export { ENV_PREFIX } from "./env.js";
export {
  DEFAULT_ROUTING_STRATEGY,
  GENERAL_SETTINGS_DEFAULTS,
  loadConfig,
  singleModelConfig,
  type SingleModelOptions,
} from "./load.js";
export type {
  FallbackList,
  GeneralSettings,
  LitellmParams,
  CacheCallType,
  CacheParams,
  LitellmSettings,
  ModelEntry,
  ModelInfo,
  RouterSettings,
  RoutingStrategy,
} from "./schema.js";
export type { ConfigMissingEnv, GatewayConfig, MasterKey, MissingEnv, RequestOverrides } from "./types.js";
