/**
 * What a failure means for routing: how often it may be retried (`retry_policy`), and
 * whether it cools its deployment down. The cooldown rules are LiteLLM's, made so that a
 * gateway never turns a provider's partial outage into a total one:
 *
 * - the caller's own mistakes (400, 422, an abort) say nothing of the deployment: never
 *   counted, never cooled;
 * - a group's only deployment is never cooled (the provider's own answer is better than
 *   the gateway's "no deployment available");
 * - an `allowed_fails_policy` entry for the error's class: cooled once this minute's
 *   failures exceed it;
 * - a 429 cools at once, for `max(cooldown_time, retry-after)`; a 401 or 404 (one
 *   deployment's key or model name) at once, for `cooldown_time`;
 * - any other failure (5xx, timeout, connection): once more than FAILURE_RATE of this
 *   minute's calls failed, with at least MIN_CALLS calls; or, when `allowed_fails` is
 *   configured, once this minute's failures exceed it.
 *
 * Error classes are named as in LiteLLM's policies.
 */
import { isRetryable } from "../http/retry.js";
import type { CooldownCause } from "../state/router-state.js";
import {
  AbortError,
  APIConnectionError,
  APIError,
  AuthenticationError,
  BadRequestError,
  ContentPolicyViolationError,
  NotFoundError,
  RateLimitError,
  Timeout,
} from "../wire/errors.js";

export type ErrorClass =
  | "BadRequestError"
  | "AuthenticationError"
  | "TimeoutError"
  | "RateLimitError"
  | "ContentPolicyViolationError"
  | "InternalServerError";

export function errorClass(error: unknown): ErrorClass | undefined {
  if (error instanceof ContentPolicyViolationError) return "ContentPolicyViolationError";
  if (error instanceof BadRequestError) return "BadRequestError";
  if (error instanceof AuthenticationError) return "AuthenticationError";
  if (error instanceof Timeout) return "TimeoutError";
  if (error instanceof RateLimitError) return "RateLimitError";
  if (error instanceof APIConnectionError || (error instanceof APIError && error.status >= 500))
    return "InternalServerError";
  return undefined;
}

/** `retry_policy` keys are `<ErrorClass>Retries`, `allowed_fails_policy` keys `<ErrorClass>AllowedFails`. */
export type Policy = Readonly<Record<string, number>>;

/** More than this share of a minute's calls failed: the deployment cools down (LiteLLM's 50%). */
export const FAILURE_RATE = 0.5;
/** ...provided the minute has at least this many calls, so two failures of three are not an outage. */
export const MIN_CALLS = 5;

/**
 * How many times this failure may be retried on another attempt. A 401 or 404 is one
 * deployment's key or model name: worth trying the group's others (it cools down at
 * once, so it is not picked again).
 */
export function retriesFor(error: unknown, numRetries: number, retryPolicy: Policy | undefined): number {
  const name = errorClass(error);
  const configured = name === undefined ? undefined : retryPolicy?.[`${name}Retries`];
  if (configured !== undefined) return configured;
  return isRetryable(error) || error instanceof AuthenticationError || error instanceof NotFoundError ? numRetries : 0;
}

/** True when a failure says something about the deployment, and so counts towards its cooldown. */
export function countsAgainstDeployment(error: unknown): boolean {
  if (error instanceof AbortError || error instanceof BadRequestError) return false;
  if (error instanceof RateLimitError || error instanceof AuthenticationError || error instanceof NotFoundError)
    return true;
  return isRetryable(error) && !(error instanceof APIError && error.status === 422);
}

/** What the cooldown decision reads: the failure, the group, and the deployment's minute so far. */
export interface FailureFacts {
  error: unknown;
  /** Deployments in the failing deployment's model group. */
  groupSize: number;
  /** This minute's failures of the deployment, this one included. */
  failures: number;
  /** This minute's successes of the deployment. */
  successes: number;
}

export interface CooldownSettings {
  /** router_settings.allowed_fails, when configured. */
  allowedFails: number | undefined;
  allowedFailsPolicy: Policy | undefined;
  /** Seconds. */
  cooldownTime: number;
}

export interface CooldownVerdict {
  seconds: number;
  cause: CooldownCause;
}

/** Whether, and for how long, a counted failure cools its deployment down; undefined: it stays in. */
export function cooldownFor(facts: FailureFacts, settings: CooldownSettings): CooldownVerdict | undefined {
  const { error, groupSize, failures, successes } = facts;
  if (groupSize <= 1 || !countsAgainstDeployment(error)) return undefined;
  const cause: CooldownCause = error instanceof RateLimitError ? "rate_limit" : "failure";
  const retryAfter = error instanceof APIError && error.retryAfter !== undefined ? error.retryAfter : 0;
  const verdict = { seconds: Math.max(settings.cooldownTime, retryAfter), cause };
  const name = errorClass(error);
  const perClass = name === undefined ? undefined : settings.allowedFailsPolicy?.[`${name}AllowedFails`];
  if (perClass !== undefined) return failures > perClass ? verdict : undefined;
  if (error instanceof RateLimitError || error instanceof AuthenticationError || error instanceof NotFoundError)
    return verdict;
  if (settings.allowedFails !== undefined && failures > settings.allowedFails) return verdict;
  const calls = failures + successes;
  return calls >= MIN_CALLS && failures / calls > FAILURE_RATE ? verdict : undefined;
}
