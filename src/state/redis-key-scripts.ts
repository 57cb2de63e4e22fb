/**
 * Key names and Lua scripts for RedisKeyState. Admission is one script: every check and
 * every take inside Redis, atomically, so a limit holds exactly however many instances admit
 * against it. The arithmetic is MemoryKeyState's, written again in Lua operation for
 * operation (same constants, same float operations in the same order), so both answer alike.
 */
import { PARALLEL_RETRY_MS, ROUNDING_SLACK, WINDOW_MS, ZERO_LIMIT_RETRY_MS } from "./memory-key-state.js";

/** Spend counters live a week past their last write: long after the SpendWriter has flushed them. */
export const SPEND_KEY_TTL_MS = 7 * 24 * 60 * 60_000;
/** Cells and leases outlive the time they matter a little: instances' clocks differ. */
export const KEY_MARGIN_MS = 5_000;

/** rpm and tpm GCRA cells, the lease set of max_parallel_requests, the two spend counters. */
/** "changes" names the pub/sub channel of key changes, not a stored key. */
export type KeyStateKind = "rpm" | "tpm" | "lease" | "recorded" | "flushed" | "changes";

/** `litegate:<keyPrefix>:key:<kind>:<id>`, with the prefix from keyPrefixOf. */
export function keyStateKey(prefix: string, kind: KeyStateKind, id: string): string {
  return `${prefix}key:${kind}:${id}`;
}

/**
 * A cell is the string "<at> <excess>" (see Cell in memory-key-state.ts), written with 17
 * digits so the doubles come back exactly. It expires once its TAT has passed: from then on
 * an absent cell and a stale one mean the same.
 */
const CELL_LUA = `
local function backlog(key, now)
  local cell = redis.call('GET', key)
  if not cell then return 0 end
  local at, excess = string.match(cell, '^(%S+) (%S+)$')
  return math.max(0, tonumber(at) - now + tonumber(excess))
end
local function store(key, now, excess)
  redis.call('SET', key, string.format('%.17g %.17g', now, excess), 'PX', math.max(1, math.ceil(excess)) + ${KEY_MARGIN_MS})
end
`;

/**
 * KEYS: rpm cell, tpm cell, lease set, then the `recorded` counter of each spend id.
 * ARGV: now, rpm_limit, tpm_limit, max_parallel_requests (each "" when the key has none),
 * request id, lease ms.
 * Returns {refused, retryAfterMs, requestsRoom, tokensRoom, recorded...}: refused is 0 when
 * admitted, else 1 rpm_limit, 2 tpm_limit, 3 max_parallel_requests.
 */
export const ADMIT_LUA = `${CELL_LUA}
local now = tonumber(ARGV[1])
local rpm, tpm, parallel = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local function room(backlog, limit)
  if limit <= 0 then return 0 end
  return math.floor((${WINDOW_MS} - backlog) / (${WINDOW_MS} / limit) + ${ROUNDING_SLACK})
end
local function wait(backlog, limit)
  if limit <= 0 then return ${ZERO_LIMIT_RETRY_MS} end
  return math.max(1, math.ceil(backlog - (${WINDOW_MS} - ${WINDOW_MS} / limit)))
end

local refused, retry = 0, 0
local requestsBacklog, requestsRoom, tokensRoom = 0, 0, 0
if rpm then
  requestsBacklog = backlog(KEYS[1], now)
  requestsRoom = room(requestsBacklog, rpm)
  if requestsRoom < 1 then refused, retry = 1, wait(requestsBacklog, rpm) end
end
if tpm then
  local tokensBacklog = backlog(KEYS[2], now)
  tokensRoom = room(tokensBacklog, tpm)
  if refused == 0 and tokensRoom < 1 then refused, retry = 2, wait(tokensBacklog, tpm) end
end
if parallel and refused == 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
  if redis.call('ZCARD', KEYS[3]) >= parallel then refused, retry = 3, ${PARALLEL_RETRY_MS} end
end

local reply = {refused, retry, requestsRoom, tokensRoom}
if refused ~= 0 then return reply end
if rpm then
  store(KEYS[1], now, requestsBacklog + ${WINDOW_MS} / rpm)
  reply[3] = requestsRoom - 1
end
if parallel then
  local leaseMs = tonumber(ARGV[6])
  redis.call('ZADD', KEYS[3], now + leaseMs, ARGV[5])
  redis.call('PEXPIRE', KEYS[3], leaseMs + ${KEY_MARGIN_MS})
end
for i = 4, #KEYS do
  reply[#reply + 1] = redis.call('GET', KEYS[i]) or '0'
end
return reply
`;

/**
 * KEYS: lease set, tpm cell. ARGV: request id, now, tpm_limit ("" when no tokens are
 * charged), tokens. Releases the lease and charges the tokens, in full even past the window.
 */
export const FINISH_LUA = `${CELL_LUA}
redis.call('ZREM', KEYS[1], ARGV[1])
local tpm = tonumber(ARGV[3])
if tpm then
  local now = tonumber(ARGV[2])
  store(KEYS[2], now, backlog(KEYS[2], now) + tonumber(ARGV[4]) * (${WINDOW_MS} / tpm))
end
return 1
`;
