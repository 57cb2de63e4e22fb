/**
 * litellm_settings.cache and cache_params, read as LiteLLM reads them, into what the response
 * cache needs: where it lives, for how long, for which calls, and whether it is opt-in.
 */
import type { CacheParams, LitellmSettings } from "../config/index.js";
import type { RedisConnectionOptions } from "../state/redis-client.js";
import type { CacheKind } from "./key.js";
import { DEFAULT_MAX_SIZE_MB } from "./memory.js";

/** Seconds an answer is kept when nothing says otherwise (LiteLLM's in-memory default, 10 minutes). */
export const DEFAULT_TTL_SECONDS = 600;

export interface CacheSettings {
  type: "local" | "redis";
  /** Redis' connection (type redis): cache_params' own, else the router's, else REDIS_* variables. */
  redis: RedisConnectionOptions | undefined;
  /** Prefix of every key (`namespace:hash`), as LiteLLM's cache_params.namespace. */
  namespace: string | undefined;
  /** Seconds an answer is kept unless the request's `cache.ttl` says otherwise. */
  ttl: number;
  /** The endpoints cached. */
  kinds: ReadonlySet<CacheKind>;
  /** default_off: only requests sending `cache: {"use-cache": true}` are cached. */
  optIn: boolean;
  /** The local cache's bound in MB, and LiteLLM's count bound. */
  maxSizeMb: number;
  maxEntries: number | undefined;
}

/** cache_params as written: any key may be absent or null (`ttl:` in YAML). */
export type CacheParamsInput = { readonly [K in keyof CacheParams]?: CacheParams[K] | null | undefined };

const KIND_OF_CALL_TYPE: Readonly<Record<string, CacheKind>> = {
  completion: "chat",
  acompletion: "chat",
  text_completion: "text_completion",
  atext_completion: "text_completion",
};

/** LiteLLM's REDIS_HOST / REDIS_PORT / REDIS_PASSWORD / REDIS_URL, its Redis cache's last resort. */
function redisFromEnv(env: Readonly<Record<string, string | undefined>>): RedisConnectionOptions | undefined {
  const url = env.REDIS_URL || undefined;
  const host = env.REDIS_HOST || undefined;
  if (url === undefined && host === undefined) return undefined;
  const port = Number(env.REDIS_PORT);
  return {
    url,
    host,
    port: Number.isInteger(port) && port > 0 ? port : undefined,
    password: env.REDIS_PASSWORD || undefined,
  };
}

/**
 * The cache config.yaml asks for, or undefined when `litellm_settings.cache` is not true.
 * `routerRedis` is router_settings' Redis, used when cache_params names no host or URL.
 */
export function cacheSettings(
  litellm: Pick<LitellmSettings, "cache" | "cache_params">,
  routerRedis: RedisConnectionOptions | undefined,
  env: Readonly<Record<string, string | undefined>> = process.env,
): CacheSettings | undefined {
  if (litellm.cache !== true) return undefined;
  return settingsOf(litellm.cache_params ?? {}, routerRedis, env);
}

/** cache_params as the SDK's Router takes them (`new Router(deployments, {cache: {type: "redis", ...}})`). */
export function settingsOf(
  params: CacheParamsInput,
  routerRedis?: RedisConnectionOptions,
  env: Readonly<Record<string, string | undefined>> = process.env,
): CacheSettings {
  const type = params.type ?? "local";
  const own =
    params.url != null || params.host != null
      ? {
          url: params.url ?? undefined,
          host: params.host ?? undefined,
          port: params.port ?? undefined,
          password: params.password ?? undefined,
        }
      : undefined;
  const typeTtl = type === "redis" ? params.default_in_redis_ttl : params.default_in_memory_ttl;
  const callTypes = params.supported_call_types ?? Object.keys(KIND_OF_CALL_TYPE);
  const kinds = new Set<CacheKind>();
  for (const callType of callTypes) {
    const kind = KIND_OF_CALL_TYPE[callType];
    if (kind !== undefined) kinds.add(kind);
  }
  return {
    type,
    redis: type === "redis" ? (own ?? routerRedis ?? redisFromEnv(env) ?? {}) : undefined,
    namespace: params.namespace ?? undefined,
    ttl: params.ttl ?? typeTtl ?? DEFAULT_TTL_SECONDS,
    kinds,
    optIn: params.mode === "default_off",
    maxSizeMb: params.max_size_mb ?? DEFAULT_MAX_SIZE_MB,
    maxEntries: params.max_size_in_memory ?? undefined,
  };
}
