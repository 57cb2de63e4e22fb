/**
 * What routing one request did, as it happens: each attempt (its deployment, the model
 * group it served, when it started and answered, how it failed and whether that cooled the
 * deployment down), the retries and fallbacks taken, the time spent waiting on providers,
 * and the request's usage ledger. The Router alone writes it; the proxy reads it for
 * headers, the log line, spend and metrics, including while a request is still running
 * when its client leaves.
 */
import type { CacheOutcome } from "../cache/response-cache.js";
import type { Deployment } from "../config/index.js";
import type { IdBytes, TraceStart } from "../tracing/ids.js";
import { UsageLedger } from "../usage/ledger.js";
import { APIError } from "../wire/errors.js";

export interface AttemptFailure {
  /** The HTTP status the attempt failed with (the gateway's own for a timeout or a refused connection). */
  status: number;
  /** The error's class, openai-node's names (RateLimitError, Timeout, ...). */
  errorClass: string;
  /** The provider that answered with the error, when one did. */
  provider: string | undefined;
  /** The error's message: a provider's already scrubbed of secrets and cut to size; a request's failure is what its client was told. */
  message: string;
}

/** What a thrown error says of a failure: anything not an APIError is the gateway's own 500. */
export function failureOf(error: unknown): AttemptFailure {
  const apiError = error instanceof APIError ? error : undefined;
  return {
    status: apiError?.status ?? 500,
    errorClass: error instanceof Error ? error.name : "Error",
    provider: apiError?.provider,
    message: error instanceof Error ? error.message : String(error),
  };
}

export interface Attempt {
  readonly deployment: Deployment;
  /**
   * The provider model string called: the deployment's own, or for a wildcard deployment
   * (`openai/*`) the name the client's model filled its `*` with. Its price, the `model`
   * label, the span's model and the webhook's `model` are this model's.
   */
  readonly model: string;
  /** The model group the attempt served: the one asked for, or a fallback. */
  readonly group: string;
  /** performance.now() when the call was made. */
  readonly startedAt: number;
  /** performance.now() when the answer came, or a stream's first chunk. */
  answeredAt: number | undefined;
  failure: AttemptFailure | undefined;
  /** The failure put the deployment in cooldown. */
  cooledDown: boolean;
  /** Its span id, sent upstream in `traceparent`: set only when the request is traced. */
  readonly spanId?: string | undefined;
  /** Where its bytes are, for the span encoder. */
  readonly spanIdBytes?: IdBytes | undefined;
  /** The provider's x-ratelimit-remaining-requests / -tokens on its answer, when sent. */
  remainingRequests: number | undefined;
  remainingTokens: number | undefined;
}

export class RouteTrace {
  /** Every attempt, in order; the last one answered when the request succeeded. */
  readonly attempts: Attempt[] = [];
  retries = 0;
  fallbacks = 0;
  /**
   * The model group the request asked for (an alias or a wildcard's name resolved to its
   * group): its attempts come first, if it made any (its deployments may all have been cooling
   * down, or mock_testing_fallbacks skipped it); every other group's are fallbacks.
   */
  primaryGroup: string | undefined = undefined;
  /** Milliseconds spent in upstream attempts: to the answer, or to a stream's first chunk. */
  upstreamMs = 0;
  readonly usage: UsageLedger;
  /** The response cache's lookup, when the request was cacheable: its key and whether it hit (no attempt was made). */
  cache: CacheOutcome | undefined = undefined;
  /** The request's trace when tracing is on: each attempt then gets a span id and sends `traceparent` upstream. */
  tracing: TraceStart | undefined = undefined;

  /** @param bills the request's usage is billed: see UsageLedger. */
  constructor(bills = false) {
    this.usage = new UsageLedger(bills);
  }

  /** The deployment tried last: the one that answered, or failed last. */
  get deployment(): Deployment | undefined {
    return this.attempts.at(-1)?.deployment;
  }
}
