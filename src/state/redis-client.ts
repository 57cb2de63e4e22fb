/**
 * The ioredis client behind every Redis-backed state (router state, key state), set up to
 * fail fast rather than wait: callers fall back to local state while Redis is away, so a
 * command must never queue, retry or replay.
 */
import { Redis, type RedisOptions } from "ioredis";

/**
 * Where Redis is (router_settings.redis_url, or redis_host/redis_port/redis_password) and how long
 * a command may take.
 */
export interface RedisConnectionOptions {
  /** redis:// or rediss:// URL. Wins over host/port. */
  url?: string | undefined;
  /** Default 127.0.0.1. */
  host?: string | undefined;
  /** Default 6379. */
  port?: number | undefined;
  password?: string | undefined;
  /** How long a Redis command may take before the call falls back to local state. Default 500 ms. */
  commandTimeoutMs?: number | undefined;
}

export const DEFAULT_COMMAND_TIMEOUT_MS = 500;
export const CONNECT_TIMEOUT_MS = 2_000;

export function createRedisClient(options: RedisConnectionOptions): Redis {
  const base: RedisOptions = {
    // Fail fast instead of queueing: while Redis is away calls go local, and a queue would
    // grow without bound and replay stale writes when it returns.
    enableOfflineQueue: false,
    // A command cut off by a disconnect fails at once and is never replayed: the caller has
    // already fallen back to local state, and a replayed INCR would count the request twice.
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    connectTimeout: CONNECT_TIMEOUT_MS,
    // ioredis arms this (ref'd) timer on disconnect and clears it only on a later 'close'
    // event, which never comes for a socket that had already failed: the default 2 s would
    // hold a process open after close().
    disconnectTimeout: 100,
    // Keep trying forever, at most a second apart, so sharing resumes soon after Redis does.
    retryStrategy: (times: number) => Math.min(times * 100, 1_000),
  };
  if (options.password !== undefined) base.password = options.password;
  return options.url !== undefined
    ? new Redis(options.url, base)
    : new Redis({ ...base, host: options.host ?? "127.0.0.1", port: options.port ?? 6379 });
}

/** host:port of the configured Redis, for messages: the URL's credentials are never shown. */
export function describeRedis(options: RedisConnectionOptions): string {
  if (options.url !== undefined) {
    try {
      const url = new URL(options.url);
      return `${url.hostname || "127.0.0.1"}:${url.port || "6379"}`;
    } catch {
      return "the configured redis_url";
    }
  }
  return `${options.host ?? "127.0.0.1"}:${options.port ?? 6379}`;
}
