/**
 * LiteLLM's per-request "Cache Controls": the body's `cache` object, read and checked once.
 * It is consumed by the gateway and never sent to a provider; a malformed one is the
 * caller's 400 naming the field, never silently ignored.
 */
import { BadRequestError } from "../wire/errors.js";

export interface CacheControls {
  /** Don't read the cache: call the model and refresh the entry. */
  noCache: boolean;
  /** Don't write this answer to the cache. */
  noStore: boolean;
  /** Seconds to keep this answer. */
  ttl: number | undefined;
  /** Accept only an entry younger than this many seconds. */
  maxAge: number | undefined;
  /** The namespace this request reads and writes (over the key's and the settings'). */
  namespace: string | undefined;
  /** With `mode: default_off`, this request is cached. */
  useCache: boolean;
}

export const NO_CONTROLS: CacheControls = {
  noCache: false,
  noStore: false,
  ttl: undefined,
  maxAge: undefined,
  namespace: undefined,
  useCache: false,
};

type Rule = { valid: (value: unknown) => boolean; must: string };

const flag: Rule = { valid: (v) => typeof v === "boolean", must: "true or false" };
/** Ten years: longer is no cache policy, and Redis refuses expiries past its integer range. */
const MAX_TTL_SECONDS = 315_360_000;
const seconds: Rule = {
  valid: (v) => typeof v === "number" && Number.isFinite(v) && v > 0 && v <= MAX_TTL_SECONDS,
  must: `seconds, more than 0 and at most ${MAX_TTL_SECONDS} (ten years)`,
};
const age: Rule = { valid: (v) => typeof v === "number" && Number.isFinite(v) && v >= 0, must: "seconds, 0 or more" };
const label: Rule = {
  valid: (v) => typeof v === "string" && v.length > 0 && v.length <= 256,
  must: "a non-empty string of at most 256 characters",
};

/** LiteLLM's names; it reads `s-max-age` as `s-maxage` too. */
const RULES: Readonly<Record<string, Rule>> = {
  "no-cache": flag,
  "no-store": flag,
  "use-cache": flag,
  ttl: seconds,
  "s-maxage": age,
  "s-max-age": age,
  namespace: label,
};

/** The body's `cache` object as controls; absent or null is no control. Throws BadRequestError naming the field. */
export function cacheControls(value: unknown): CacheControls {
  if (value === undefined || value === null) return NO_CONTROLS;
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new BadRequestError(`Invalid 'cache': it must be an object of cache controls, e.g. {"no-cache": true}.`, {
      param: "cache",
      code: "invalid_value",
    });
  }
  const fields = value as Record<string, unknown>;
  for (const [field, given] of Object.entries(fields)) {
    const rule = RULES[field];
    if (rule === undefined) {
      throw new BadRequestError(
        `Unknown cache control 'cache.${field.slice(0, 64)}'; the controls are ${Object.keys(RULES).join(", ")}.`,
        { param: `cache.${field.slice(0, 64)}`, code: "invalid_value" },
      );
    }
    if (given !== null && !rule.valid(given)) {
      throw new BadRequestError(`Invalid 'cache.${field}': it must be ${rule.must}.`, {
        param: `cache.${field}`,
        code: "invalid_value",
      });
    }
  }
  const pick = <T>(field: string): T | undefined => (fields[field] ?? undefined) as T | undefined;
  return {
    noCache: pick<boolean>("no-cache") === true,
    noStore: pick<boolean>("no-store") === true,
    useCache: pick<boolean>("use-cache") === true,
    ttl: pick<number>("ttl"),
    maxAge: pick<number>("s-maxage") ?? pick<number>("s-max-age"),
    namespace: pick<string>("namespace"),
  };
}
