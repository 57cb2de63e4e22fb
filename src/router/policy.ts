/**
 * What a failure means for routing: how often it may be retried (`retry_policy`), and
 * whether it cools the deployment down (at once for 429, 401 and 404; after
 * `allowed_fails` in a minute for server and connection failures; never for the
 * caller's own mistakes). Error classes are named as in LiteLLM's policies.
 */
import { isRetryable } from "../http/retry.js";
import {
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
  if (error instanceof APIConnectionError || (error instanceof APIError && error.status >= 500)) return "InternalServerError";
  return undefined;
}

/** `retry_policy` keys are `<ErrorClass>Retries`, `allowed_fails_policy` keys `<ErrorClass>AllowedFails`. */
export type Policy = Readonly<Record<string, number>>;

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

export type CooldownRule = { kind: "now" } | { kind: "after"; allowedFails: number } | { kind: "never" };

/** Whether a failure cools its deployment down. */
export function cooldownRule(error: unknown, allowedFails: number, policy: Policy | undefined): CooldownRule {
  const name = errorClass(error);
  const configured = name === undefined ? undefined : policy?.[`${name}AllowedFails`];
  if (configured !== undefined) return { kind: "after", allowedFails: configured };
  if (error instanceof RateLimitError || error instanceof AuthenticationError || error instanceof NotFoundError) return { kind: "now" };
  // The caller's own mistakes say nothing about the deployment's health.
  if (error instanceof BadRequestError || (error instanceof APIError && error.status === 422) || !isRetryable(error)) return { kind: "never" };
  return { kind: "after", allowedFails };
}
