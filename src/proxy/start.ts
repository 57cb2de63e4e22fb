/**
 * From a loaded config.yaml to a running gateway: which settings of LiteLLM's
 * sections the server uses, and the warnings an operator must see at start.
 */
import { resolve } from "node:path";
import type { DestinationStream } from "pino";
import { ResponseCache } from "../cache/response-cache.js";
import { cacheSettings } from "../cache/settings.js";
import { MAX_TIMER_MS } from "../http/cancel.js";
import type { GatewayConfig } from "../config/index.js";
import { DEFAULT_END_USER_LIMIT, type MetricsOptions } from "../metrics/gateway-metrics.js";
import type { RouterOptions } from "../router/router.js";
import { RedisModelChanges } from "../state/model-changes.js";
import { RedisKeyState } from "../state/redis-key-state.js";
import { RedisState } from "../state/redis-state.js";
import { PostgresStore } from "../store/postgres-store.js";
import { SqliteStore } from "../store/sqlite-store.js";
import type { Store, StoreLogger } from "../store/types.js";
import { type TracingSettings, tracingDefaultsEndpoint, tracingSettings } from "../tracing/settings.js";
import { GatewayServer } from "./server.js";
import { DEFAULT_HEALTH_CHECK_INTERVAL_SECONDS } from "./health-checks.js";
import {
  DEFAULT_WEBHOOK_BATCH_SIZE,
  DEFAULT_WEBHOOK_FLUSH_SECONDS,
  DEFAULT_WEBHOOK_MAX_QUEUE,
  type WebhookLoggerOptions,
} from "./webhook-logger.js";

export interface StartOptions {
  detailedDebug?: boolean | undefined;
  logDestination?: DestinationStream | undefined;
  /** Where the shared-state store reports outages. */
  logger?: { warn(message: string): void; info?(message: string): void } | undefined;
  /** `--keepalive_timeout` / KEEPALIVE_TIMEOUT (LiteLLM's names): wins over general_settings.keepalive_timeout_seconds. */
  keepAliveTimeoutSeconds?: number | undefined;
}

/** Where the SQLite store lives when general_settings.database_path does not say. */
export const DEFAULT_DATABASE_PATH = "./litegate.db";

/**
 * The store config.yaml asks for: Postgres at general_settings.database_url (or
 * DATABASE_URL, as LiteLLM reads it), else SQLite at database_path (default
 * ./litegate.db). A gateway with neither a master key nor a database setting has no use
 * for one (no keys to manage), so it opens none.
 */
export async function openStore(
  config: GatewayConfig,
  logger?: StoreLogger,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Store | undefined> {
  const database = databaseOf(config, env);
  if (database === undefined) return undefined;
  if (database.kind === "postgres") {
    return PostgresStore.open({
      connectionString: database.url,
      poolMax: config.generalSettings.database_connection_pool_limit,
      logger,
    });
  }
  return SqliteStore.open({ path: database.path });
}

type Database = { kind: "postgres"; url: string } | { kind: "sqlite"; path: string };

/**
 * general_settings.store_model_in_db, else LiteLLM's STORE_MODEL_IN_DB variable ("True"):
 * models added through /model/new are kept in the database and loaded by every instance.
 */
export function storeModelInDb(config: GatewayConfig, env: NodeJS.ProcessEnv = process.env): boolean {
  return config.generalSettings.store_model_in_db ?? env.STORE_MODEL_IN_DB?.trim().toLowerCase() === "true";
}

function databaseOf(config: GatewayConfig, env: NodeJS.ProcessEnv): Database | undefined {
  const g = config.generalSettings;
  const url = g.database_url ?? (env.DATABASE_URL === "" ? undefined : env.DATABASE_URL);
  if (url !== undefined) return { kind: "postgres", url };
  if (config.masterKey.state === "none" && g.database_path === undefined && !storeModelInDb(config, env)) {
    return undefined;
  }
  // Relative to the directory the gateway starts in, as any path on a command line.
  return { kind: "sqlite", path: resolve(g.database_path ?? DEFAULT_DATABASE_PATH) };
}

/** Where keys and spend live, for the start-up log line: never a password. */
export function describeDatabase(config: GatewayConfig, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const database = databaseOf(config, env);
  if (database === undefined) return undefined;
  if (database.kind === "sqlite") return `sqlite:${database.path}`;
  try {
    const url = new URL(database.url);
    return `${url.protocol}//${url.host}${url.pathname}`;
  } catch {
    return "postgres (database_url)";
  }
}

/** router_settings' Redis connection, if any: router state and key limits share it. */
function redisSettings(config: GatewayConfig) {
  const r = config.routerSettings;
  if (r.redis_url === undefined && r.redis_host === undefined) return;
  return { url: r.redis_url, host: r.redis_host, port: r.redis_port, password: r.redis_password };
}

/** router_settings (and the litellm_settings that overlap them) as Router options; Redis when configured. */
export function routerOptions(config: GatewayConfig, logger?: StartOptions["logger"]): RouterOptions {
  const r = config.routerSettings;
  const l = config.litellmSettings;
  const redis = redisSettings(config);
  return {
    ...r,
    num_retries: r.num_retries ?? l.num_retries,
    timeout: r.timeout ?? l.request_timeout,
    fallbacks: r.fallbacks ?? l.fallbacks,
    default_fallbacks: r.default_fallbacks ?? l.default_fallbacks,
    context_window_fallbacks: r.context_window_fallbacks ?? l.context_window_fallbacks,
    content_policy_fallbacks: r.content_policy_fallbacks ?? l.content_policy_fallbacks,
    allowed_fails: r.allowed_fails ?? l.allowed_fails,
    drop_params: l.drop_params,
    additional_drop_params: l.additional_drop_params,
    state: redis === undefined ? undefined : RedisState.connect({ ...redis, logger }),
    cache: responseCache(config, logger),
  };
}

/** The response cache litellm_settings.cache and cache_params ask for; Redis' settings default to the router's. */
function responseCache(config: GatewayConfig, logger?: StartOptions["logger"]): ResponseCache | undefined {
  const settings = cacheSettings(config.litellmSettings, redisSettings(config));
  return settings === undefined ? undefined : ResponseCache.open(settings, { logger });
}

/** A callback named in litellm_settings.callbacks or success_callback, as LiteLLM turns its loggers on. */
function callbackNamed(config: GatewayConfig, name: string): boolean {
  const l = config.litellmSettings;
  return [...(l.callbacks ?? []), ...(l.success_callback ?? [])].includes(name);
}

/** Prometheus metrics, on as LiteLLM turns them on: `prometheus` in litellm_settings.callbacks or success_callback. */
export function metricsOptions(config: GatewayConfig): MetricsOptions | undefined {
  const l = config.litellmSettings;
  if (!callbackNamed(config, "prometheus")) return undefined;
  return {
    requireAuth: l.require_auth_for_metrics_endpoint ?? true,
    endUserLabels: l.disable_end_user_cost_tracking_prometheus_only !== true,
    endUserLimit: l.prometheus_end_user_limit ?? DEFAULT_END_USER_LIMIT,
  };
}

/**
 * OpenTelemetry traces, on with `otel` in the callbacks (as LiteLLM), exported where the
 * OTEL_* variables say. Throws TracingSettingsError for a setting litegate cannot serve (grpc).
 */
export function tracingOptions(
  config: GatewayConfig,
  env: NodeJS.ProcessEnv = process.env,
): TracingSettings | undefined {
  return callbackNamed(config, "otel") ? tracingSettings(env) : undefined;
}

/**
 * LiteLLM's generic_api callback, on when litellm_settings.callbacks (or success_callback /
 * failure_callback) names it: GENERIC_LOGGER_ENDPOINT, GENERIC_LOGGER_HEADERS ("k=v,k2=v2"),
 * and LiteLLM's batch settings DEFAULT_BATCH_SIZE / DEFAULT_FLUSH_INTERVAL_SECONDS. A value
 * litegate cannot use stops the start with one line naming the variable: taken as unset, a
 * mistyped URL would fail every batch until the queue drops them.
 */
export function webhookOptions(
  config: GatewayConfig,
  env: NodeJS.ProcessEnv = process.env,
): WebhookLoggerOptions | undefined {
  const l = config.litellmSettings;
  const named = [...(l.callbacks ?? []), ...(l.success_callback ?? []), ...(l.failure_callback ?? [])].includes(
    "generic_api",
  );
  if (!named) return undefined;
  const endpoint = env.GENERIC_LOGGER_ENDPOINT;
  if (endpoint === undefined || endpoint === "") {
    throw new Error(
      "litellm_settings.callbacks names generic_api but GENERIC_LOGGER_ENDPOINT is not set: set it to the URL that receives the logs.",
    );
  }
  if (!/^https?:\/\/[^/?#\s]+/i.test(endpoint) || !URL.canParse(endpoint)) {
    // Not repeated: a URL may carry credentials.
    throw new Error(
      "GENERIC_LOGGER_ENDPOINT must be an http:// or https:// URL (e.g. https://logs.example.com/ingest).",
    );
  }
  const headers: Record<string, string> = {};
  for (const item of (env.GENERIC_LOGGER_HEADERS ?? "").split(",")) {
    if (item.trim() === "") continue;
    const eq = item.indexOf("=");
    if (eq <= 0 || item.slice(0, eq).trim() === "") {
      // The item may hold a secret: it is not repeated.
      throw new Error(
        'GENERIC_LOGGER_HEADERS must be "name=value" pairs separated by commas (e.g. "Authorization=Bearer x").',
      );
    }
    const name = item.slice(0, eq).trim();
    const value = item.slice(eq + 1).trim();
    // What fetch cannot send would fail every batch; the value is not repeated.
    if (!HEADER_NAME.test(name) || !HEADER_VALUE.test(value)) {
      throw new Error(
        `GENERIC_LOGGER_HEADERS: the header "${HEADER_NAME.test(name) ? name : "(its name)"}" has characters a header cannot carry (spaces or separators in a name; line breaks, control or non-Latin-1 characters in a value).`,
      );
    }
    headers[name] = value;
  }
  return {
    endpoint,
    headers,
    batchSize: positiveSetting(env, "DEFAULT_BATCH_SIZE") ?? DEFAULT_WEBHOOK_BATCH_SIZE,
    flushIntervalMs:
      (positiveSetting(env, "DEFAULT_FLUSH_INTERVAL_SECONDS", MAX_TIMER_SECONDS) ?? DEFAULT_WEBHOOK_FLUSH_SECONDS) *
      1000,
    maxQueue: positiveSetting(env, "GENERIC_LOGGER_MAX_QUEUE") ?? DEFAULT_WEBHOOK_MAX_QUEUE,
    logMessages: l.turn_off_message_logging === false,
  };
}

/** An HTTP token, as a header's name must be. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Tabs, visible ASCII and Latin-1: what fetch sends in a header's value. */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
/** Node's longest timer, in whole seconds: a longer one fires after 1 ms instead. */
const MAX_TIMER_SECONDS = Math.floor(MAX_TIMER_MS / 1000);

/** An unset or empty variable is undefined (the default); anything but a positive integer up to `max` stops the start. */
function positiveSetting(env: NodeJS.ProcessEnv, name: string, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const value = env[name];
  if (value === undefined || value.trim() === "") return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive whole number, got "${value}".`);
  if (n > max) throw new Error(`${name} must be at most ${max}, got "${value}".`);
  return n;
}

/** general_settings.ui_disabled, else LiteLLM's DISABLE_ADMIN_UI variable ("True"). */
export function uiDisabled(config: GatewayConfig, env: NodeJS.ProcessEnv = process.env): boolean {
  return config.generalSettings.ui_disabled ?? env.DISABLE_ADMIN_UI?.trim().toLowerCase() === "true";
}

/** general_settings.health_check_interval (LiteLLM's default 300 s) when background_health_checks is on. */
export function healthCheckInterval(config: GatewayConfig): number | undefined {
  const { background_health_checks, health_check_interval } = config.generalSettings;
  return background_health_checks === true
    ? (health_check_interval ?? DEFAULT_HEALTH_CHECK_INTERVAL_SECONDS)
    : undefined;
}

export async function createGateway(config: GatewayConfig, options: StartOptions = {}): Promise<GatewayServer> {
  const { generalSettings, masterKey } = config;
  // Shared state and the store report outages into the gateway's own log, which exists only once the server does.
  let gateway: GatewayServer | undefined;
  const pending: string[] = [];
  const logger = options.logger ?? {
    warn: (message: string) => (gateway === undefined ? pending.push(message) : gateway.logger.warn(message)),
    info: (message: string) => gateway?.logger.info(message),
  };
  const store = await openStore(config, { warn: (m) => logger.warn(m), info: (m) => logger.info?.(m) });
  const redis = redisSettings(config);
  const storeModels = storeModelInDb(config);
  gateway = new GatewayServer({
    store,
    keyState: redis === undefined ? undefined : RedisKeyState.connect({ ...redis, logger }),
    allowRequestsOnDbUnavailable: generalSettings.allow_requests_on_db_unavailable,
    deployments: config.modelList,
    masterKey: masterKey.state === "set" ? masterKey.value : undefined,
    masterKeyMissingVariable: masterKey.state === "missing-env" ? masterKey.variable : undefined,
    maxRequestSizeMb: generalSettings.max_request_size_mb,
    keepAliveSeconds: generalSettings.keepalive_interval_seconds,
    requestHeadersTimeoutSeconds: generalSettings.request_headers_timeout_seconds,
    requestBodyTimeoutSeconds: generalSettings.request_body_timeout_seconds,
    keepAliveTimeoutSeconds: options.keepAliveTimeoutSeconds ?? generalSettings.keepalive_timeout_seconds,
    router: routerOptions(config, logger),
    includeCostInStreamingUsage: config.litellmSettings.include_cost_in_streaming_usage,
    userModel: config.userModel,
    requestOverrides: config.requestOverrides,
    metrics: metricsOptions(config),
    tracing: tracingOptions(config),
    webhook: webhookOptions(config),
    detailedDebug: options.detailedDebug,
    logDestination: options.logDestination,
    storeModelInDb: storeModels,
    uiDisabled: uiDisabled(config),
    healthCheckIntervalSeconds: healthCheckInterval(config),
    modelChanges: redis === undefined || !storeModels ? undefined : RedisModelChanges.connect({ ...redis, logger }),
  });
  for (const message of pending) gateway.logger.warn(message);
  return gateway;
}

/** What an operator must know before the first request: every config warning, and an open gateway. */
export function startupWarnings(config: GatewayConfig, workers = 1): string[] {
  const warnings = [...config.warnings];
  if (workers > 1 && config.masterKey.state !== "none" && redisSettings(config) === undefined) {
    warnings.push(
      `--num_workers ${workers} without router_settings.redis_*: each worker keeps its own key rate limits (a key's rpm_limit becomes ${workers}x); configure Redis to share them.`,
    );
  }
  const { background_health_checks, health_check_interval } = config.generalSettings;
  if (health_check_interval !== undefined && background_health_checks !== true) {
    warnings.push(
      "general_settings.health_check_interval is set but background_health_checks is not true: it has no effect (/health checks every deployment when called).",
    );
  }
  if (callbackNamed(config, "otel") && tracingDefaultsEndpoint(process.env)) {
    warnings.push(
      "litellm_settings.callbacks has 'otel' but no OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, OTEL_ENDPOINT) is set: traces go to OpenTelemetry's default, http://localhost:4318/v1/traces.",
    );
  }
  if (config.masterKey.state === "none") {
    warnings.push(
      "No master key is configured (general_settings.master_key or LITELLM_MASTER_KEY): the gateway accepts every request without a key.",
    );
  }
  if (config.masterKey.state === "missing-env") {
    warnings.push(
      `The master key is read from ${config.masterKey.variable}, which is not set: every authenticated request will get 401 until it is.`,
    );
  }
  return warnings;
}
