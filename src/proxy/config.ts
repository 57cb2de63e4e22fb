/**
 * The proxy's config: LiteLLM's config.yaml, read unchanged. See config/load.ts for
 * the loading order and config/types.ts for the result.
 */
export { ConfigError, formatPath } from "./config/errors.js";
export {
  DEFAULT_ROUTING_STRATEGY,
  deploymentHash,
  GENERAL_SETTINGS_DEFAULTS,
  loadConfig,
  singleModelConfig,
  type SingleModelOptions,
} from "./config/load.js";
export { ENV_PREFIX } from "./config/env.js";
export type {
  ConfigMissingEnv,
  ConfigSource,
  Deployment,
  FallbackList,
  GatewayConfig,
  GeneralSettings,
  LitellmParams,
  LitellmSettings,
  MasterKey,
  MissingEnv,
  ModelGroupAliasTarget,
  ModelInfo,
  RouterSettings,
  RoutingStrategy,
} from "./config/types.js";
