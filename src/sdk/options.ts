/**
 * The per-call options an SDK caller may mix into the params object (LiteLLM's style:
 * `textCompletion({model, prompt, api_key, timeout})`), and their separation from the
 * wire params that go upstream.
 */
import type { AbortLike } from "../http/cancel.js";
import type { ConnectionOptions } from "../providers/types.js";
import type { UsageLedger } from "../usage/ledger.js";
import type { TextCompletionParams } from "../wire/completions.js";
import { cacheControls } from "../cache/controls.js";
import type { ResponseCache } from "../cache/response-cache.js";
import { BadRequestError } from "../wire/errors.js";

export interface CallOptions extends ConnectionOptions {
  /** Seconds the call may take; for a stream, the longest wait for the next data. Default 600. */
  timeout?: number | undefined;
  /** Further attempts after a retryable failure (408, 409, 429, 5xx, connection). Default 0. */
  num_retries?: number | undefined;
  /** Drop params the provider cannot take instead of failing with UnsupportedParamsError. */
  drop_params?: boolean | undefined;
  /** Params to drop before the call whatever the provider (LiteLLM's additional_drop_params). */
  additional_drop_params?: string[] | undefined;
  /** Aborts the call, and the upstream request with it (an AbortSignal, or anything shaped like one). */
  signal?: AbortLike | undefined;
  /** LiteLLM's mock_response: answer with this text, calling no provider. */
  mock_response?: string | undefined;
  /**
   * Sees this call's usage: what the provider reported, else what it counted. One that
   * `bills` also makes a stream ask its provider for usage (kept from the caller unless the
   * caller asked too), so billing needs no tokenizer run when the provider can count.
   */
  ledger?: UsageLedger | undefined;
  /** Receives the provider's x-ratelimit-remaining-requests / -tokens of the answer, when it sends them. */
  remaining?: RemainingLimits | undefined;
  /**
   * Answers from this response cache and stores in it (textCompletion and chatCompletion; a
   * Router's own `cache` option does the same for its calls). The request's `cache` controls apply.
   */
  response_cache?: ResponseCache | undefined;
}

/** What a provider said is left of its rate limits, read from its answer's headers. */
export interface RemainingLimits {
  remainingRequests: number | undefined;
  remainingTokens: number | undefined;
}

export type TextCompletionRequest = TextCompletionParams & CallOptions;

/** The call options a deployment's litellm_params set, under the same names. */
export const DEPLOYMENT_OPTIONS = [
  "api_key",
  "api_base",
  "api_version",
  "organization",
  "azure_ad_token",
  "vertex_project",
  "vertex_location",
  "vertex_credentials",
  "aws_access_key_id",
  "aws_secret_access_key",
  "aws_session_token",
  "aws_region_name",
  "aws_bedrock_runtime_endpoint",
  "extra_headers",
  "timeout",
  "drop_params",
  "additional_drop_params",
  "mock_response",
] as const satisfies readonly (keyof CallOptions)[];

const OPTION_KEYS: ReadonlySet<string> = new Set<keyof CallOptions>([
  ...DEPLOYMENT_OPTIONS,
  "num_retries",
  "signal",
  "ledger",
  "traceparent",
  "tracestate",
  "remaining",
  "response_cache",
]);

export const DEFAULT_TIMEOUT_SECONDS = 600;

/**
 * LiteLLM's own request fields: how to log, tag, cache, guard or route a call, never what to
 * ask the provider (which would refuse an unknown field). Consumed here, never forwarded.
 */
const LITELLM_FIELDS: ReadonlySet<string> = new Set([
  "metadata",
  "litellm_metadata",
  "tags",
  "cache",
  "caching",
  "guardrails",
  "request_timeout",
  "stream_timeout",
  "max_retries",
  "mock_testing_fallbacks",
  "fallbacks",
  "extra_body",
]);

const isStringList = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === "string");
const isCount = (value: unknown): boolean => typeof value === "number" && Number.isInteger(value) && value >= 0;
const isSeconds = (value: unknown): boolean => typeof value === "number" && Number.isFinite(value) && value > 0;

/** What each LiteLLM field must be, and how to say so; absent and null are always fine. */
const LITELLM_FIELD_RULES: Readonly<Record<string, { valid: (value: unknown) => boolean; must: string }>> = {
  fallbacks: { valid: isStringList, must: 'a list of model names, e.g. ["gpt-4o-mini"]' },
  mock_response: { valid: (value) => typeof value === "string", must: "the text to answer with (a string)" },
  mock_testing_fallbacks: { valid: (value) => typeof value === "boolean", must: "true or false" },
  num_retries: { valid: isCount, must: "a whole number of retries, 0 or more" },
  max_retries: { valid: isCount, must: "a whole number of retries, 0 or more" },
  request_timeout: { valid: isSeconds, must: "seconds, more than 0" },
  stream_timeout: { valid: isSeconds, must: "seconds, more than 0" },
  caching: { valid: (value) => typeof value === "boolean", must: "true or false" },
};

/** LiteLLM's fields are consumed, not forwarded: a malformed one is the caller's 400, never silently ignored. */
function checkLiteLLMFields(litellm: Record<string, unknown>, options: Record<string, unknown>): void {
  cacheControls(litellm.cache);
  for (const [field, rule] of Object.entries(LITELLM_FIELD_RULES)) {
    const value = field in litellm ? litellm[field] : options[field];
    if (value === undefined || value === null || rule.valid(value)) continue;
    throw new BadRequestError(`Invalid '${field}': it must be ${rule.must}.`, {
      param: field,
      code: "invalid_value",
    });
  }
}

/** A request split three ways: the wire params, how to call, and LiteLLM's own fields. */
export interface SplitRequest<P> {
  params: P;
  options: CallOptions;
  litellm: Record<string, unknown>;
}

/**
 * Splits a request into what goes upstream, how to call it and LiteLLM's own fields; the
 * request is not mutated. `extra_body` (what the OpenAI SDKs send as extra params) is merged
 * into the params, as those SDKs and LiteLLM do.
 */
export function splitRequest<P extends { model: string; [key: string]: unknown }>(
  request: P & CallOptions,
  /** LiteLLM field names that are the endpoint's own params here (the Responses API's `metadata`). */
  keeps?: ReadonlySet<string>,
): SplitRequest<P> {
  const params: Record<string, unknown> = {};
  const options: Record<string, unknown> = {};
  const litellm: Record<string, unknown> = {};
  const source: Record<string, unknown> = request;
  for (const key in source) {
    if (OPTION_KEYS.has(key)) options[key] = source[key];
    else if (LITELLM_FIELDS.has(key) && keeps?.has(key) !== true) litellm[key] = source[key];
    else params[key] = source[key];
  }
  checkLiteLLMFields(litellm, options);
  const extra = litellm.extra_body;
  if (extra !== undefined && extra !== null) {
    if (typeof extra !== "object" || Array.isArray(extra)) {
      throw new BadRequestError(
        "'extra_body' must be an object of extra params for the provider, e.g. {\"top_k\": 40}.",
        { param: "extra_body" },
      );
    }
    for (const key of Object.keys(extra)) {
      // What the request itself decides (which model, a stream, how and where to call, LiteLLM's
      // fields) cannot come in through extra_body: `model` there would route around the key's
      // model allowlist, `stream` would change the answer's shape.
      if (EXTRA_BODY_RESERVED.has(key) || OPTION_KEYS.has(key) || LITELLM_FIELDS.has(key)) {
        throw new BadRequestError(
          `'extra_body.${key.slice(0, 64)}' is not an extra param: send '${key.slice(0, 64)}' as a field of the request itself.`,
          { param: `extra_body.${key.slice(0, 64)}` },
        );
      }
      params[key] = (extra as Record<string, unknown>)[key];
    }
  }
  return { params: params as P, options: options as CallOptions, litellm };
}

/** Fields extra_body may not set: the request's own, and names that would reach an object's prototype. */
const EXTRA_BODY_RESERVED: ReadonlySet<string> = new Set(["model", "stream", "__proto__", "constructor", "prototype"]);
