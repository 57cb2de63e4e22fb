/**
 * Key names and Lua scripts for RedisState. Each script runs atomically inside Redis, which
 * is what makes a limit exact across instances: a GET followed by an INCR from two clients
 * could both see 9 of 10 and both count, one script cannot interleave with another.
 */

/** Per-minute counters outlive their minute a little so a late reader still finds them. */
export const MINUTE_KEY_TTL_MS = 120_000;
/** Latency samples kept per deployment (the same cap as MemoryState). */
export const MAX_SAMPLES = 32;
/** Latency lists are capped by count; the TTL only collects deployments nobody uses any more. */
export const LATENCY_KEY_TTL_MS = 24 * 60 * 60_000;
/** Cooldown keys outlive `until` a little: clocks of instances differ, readers compare `until`. */
export const COOLDOWN_KEY_MARGIN_MS = 5_000;
/**
 * In-flight counts are one hash field per instance, stamped with Redis's clock. An instance
 * republishes its non-zero counts every BUSY_HEARTBEAT_MS; a field older than BUSY_STALE_MS
 * belongs to an instance that died mid-request and is ignored, so a crash cannot leave a
 * deployment looking busy forever (a shared INCR/DECR counter would).
 */
export const BUSY_HEARTBEAT_MS = 5_000;
export const BUSY_STALE_MS = 20_000;
export const BUSY_KEY_TTL_MS = 30_000;

export type Kind = "req" | "tok" | "ok" | "fail" | "cool" | "busy" | "lat";

export function keyPrefixOf(keyPrefix: string | undefined): string {
  if (keyPrefix === undefined || keyPrefix === "") return "litegate:";
  return keyPrefix.endsWith(":") ? `litegate:${keyPrefix}` : `litegate:${keyPrefix}:`;
}

export function keyOf(prefix: string, kind: Kind, id: string, minute?: number): string {
  return minute === undefined ? `${prefix}${kind}:${id}` : `${prefix}${kind}:${id}:${minute}`;
}

/**
 * KEYS[1] request counter; ARGV limit (-1: none), ttl ms.
 * Returns {count, 1} when counted, {count, 0} when the limit was already reached.
 */
export const TAKE_LUA = `
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
local limit = tonumber(ARGV[1])
if limit >= 0 and count >= limit then
  return {count, 0}
end
count = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {count, 1}
`;

/** KEYS[1] counter; ARGV amount, ttl ms. Returns the new total (a string: INCRBYFLOAT). */
export const ADD_LUA = `
local total = redis.call('INCRBYFLOAT', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return total
`;

/** The channel cooldowns are announced on, so every instance skips a deployment from its next request. */
export function cooldownChannel(prefix: string): string {
  return `${prefix}cooldowns`;
}

/**
 * KEYS[1] cooldown; ARGV until, cause, ttl ms, channel, message. The later cooldown wins, as in
 * MemoryState: a short cooldown set by one instance never cuts a longer one set by another.
 * A cooldown that lengthens the current one is published in the same step, so no instance
 * can read the key without the others having been told.
 */
export const COOL_LUA = `
local current = redis.call('GET', KEYS[1])
if current then
  local until_ = tonumber(string.match(current, '^([^|]+)'))
  if until_ and until_ >= tonumber(ARGV[1]) then
    return 0
  end
end
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. ARGV[2], 'PX', ARGV[3])
redis.call('PUBLISH', ARGV[4], ARGV[5])
return 1
`;

/**
 * KEYS[1] in-flight hash; ARGV instance id, count, ttl ms. Stamps the field with Redis's TIME
 * so that staleness does not depend on the instances' clocks agreeing.
 */
export const BUSY_LUA = `
if redis.replicate_commands then redis.replicate_commands() end
if tonumber(ARGV[2]) > 0 then
  local t = redis.call('TIME')
  local ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. '|' .. ms)
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
else
  redis.call('HDEL', KEYS[1], ARGV[1])
end
return 1
`;

/** KEYS[1] latency list (newest first); ARGV sample, cap, ttl ms. */
export const LATENCY_LUA = `
redis.call('LPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[2]) - 1)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`;
