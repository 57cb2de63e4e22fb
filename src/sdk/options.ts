/**
 * The per-call options an SDK caller may mix into the params object (LiteLLM's style:
 * `textCompletion({model, prompt, api_key, timeout})`), and their separation from the
 * wire params that go upstream.
 */
import type { AbortLike } from "../http/cancel.js";
import type { ConnectionOptions } from "../providers/types.js";
import type { TextCompletionParams } from "../wire/completions.js";

export interface CallOptions extends ConnectionOptions {
  /** Seconds the call may take; for a stream, the longest wait for the next data. Default 600. */
  timeout?: number;
  /** Further attempts after a retryable failure (408, 409, 429, 5xx, connection). Default 0. */
  num_retries?: number;
  /** Drop params the provider cannot take instead of failing with UnsupportedParamsError. */
  drop_params?: boolean;
  /** Params to drop before the call whatever the provider (LiteLLM's additional_drop_params). */
  additional_drop_params?: string[];
  /** Aborts the call, and the upstream request with it (an AbortSignal, or anything shaped like one). */
  signal?: AbortLike;
  /** LiteLLM's mock_response: answer with this text, calling no provider. */
  mock_response?: string;
  /**
   * Whether a stream whose provider sends no usage ends with a usage chunk counted here
   * (the count can hold the end of the stream up to a couple of seconds). Default: when
   * `stream_options.include_usage` asks for usage. The proxy, which asks providers for
   * usage on a client's behalf and counts whatever is missing after the answer, sets it
   * to what the client itself asked.
   */
  estimate_stream_usage?: boolean;
  /** Told how long each upstream attempt took (to its answer, or a stream's first chunk). */
  observer?: CallObserver;
}

export interface CallObserver {
  upstreamTime(ms: number): void;
}

export type TextCompletionRequest = TextCompletionParams & CallOptions;

const OPTION_KEYS: ReadonlySet<string> = new Set<keyof CallOptions>([
  "api_key",
  "api_base",
  "api_version",
  "organization",
  "azure_ad_token",
  "extra_headers",
  "timeout",
  "num_retries",
  "drop_params",
  "additional_drop_params",
  "signal",
  "mock_response",
  "estimate_stream_usage",
  "observer",
]);

export const DEFAULT_TIMEOUT_SECONDS = 600;

/** Splits a request into what goes upstream and how to call it; the request is not mutated. */
export function splitRequest<P extends { model: string; [key: string]: unknown }>(request: P & CallOptions): { params: P; options: CallOptions } {
  const params: Record<string, unknown> = {};
  const options: Record<string, unknown> = {};
  const source: Record<string, unknown> = request;
  for (const key in source) {
    if (OPTION_KEYS.has(key)) options[key] = source[key];
    else params[key] = source[key];
  }
  return { params: params as P, options: options as CallOptions };
}
