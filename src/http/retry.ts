/**
 * When and how long to wait before trying an upstream call again: 408, 409, 429, 5xx
 * and connection failures only; the upstream's retry-after-ms / retry-after wins when
 * it is sane, else exponential backoff with jitter (openai-node's schedule).
 */
import { APIConnectionError, APIError, Timeout } from "../wire/errors.js";

const INITIAL_DELAY_MS = 500;
const MAX_DELAY_MS = 8_000;
/** A retry-after beyond this is not waited for: the caller is better off failing over. */
const MAX_RETRY_AFTER_MS = 60_000;

export function isRetryable(error: unknown): boolean {
  if (error instanceof APIConnectionError || error instanceof Timeout) return true;
  if (!(error instanceof APIError)) return false;
  const status = error.status;
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

type HeaderValue = string | string[] | undefined;

function first(value: HeaderValue): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The upstream's requested wait in ms, from retry-after-ms or retry-after (seconds or HTTP date). */
export function retryAfterMs(headers: Record<string, HeaderValue>, now = Date.now()): number | undefined {
  const ms = first(headers["retry-after-ms"]);
  if (ms !== undefined) {
    const value = Number.parseFloat(ms);
    if (Number.isFinite(value) && value >= 0) return value;
  }
  const after = first(headers["retry-after"]);
  if (after === undefined) return undefined;
  const seconds = Number(after);
  if (after.trim() !== "" && Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined;
  const date = Date.parse(after);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * The wait before retry number `attempt` (0 for the first retry). `random` is
 * injectable so tests are deterministic.
 */
export function backoffMs(attempt: number, retryAfter: number | undefined, random: () => number = Math.random): number {
  if (retryAfter !== undefined && retryAfter <= MAX_RETRY_AFTER_MS) return retryAfter;
  const base = Math.min(INITIAL_DELAY_MS * 2 ** attempt, MAX_DELAY_MS);
  return base * (1 - 0.25 * random());
}
