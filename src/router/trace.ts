/**
 * What routing one request did, as it happens: each deployment tried, the retries and
 * fallbacks taken, the time spent waiting on providers, and the request's usage ledger.
 * The Router alone writes it; the proxy reads it for headers, the log line and spend (and
 * metrics and traces will), including while a request is still running when its client leaves.
 */
import type { Deployment } from "../config/index.js";
import { UsageLedger } from "../usage/ledger.js";

export class RouteTrace {
  /** Every attempt's deployment, in order; the last one answered when the request succeeded. */
  readonly attempts: Deployment[] = [];
  retries = 0;
  fallbacks = 0;
  /** Milliseconds spent in upstream attempts: to the answer, or to a stream's first chunk. */
  upstreamMs = 0;
  readonly usage: UsageLedger;

  /** @param bills the request's usage is billed: see UsageLedger. */
  constructor(bills = false) {
    this.usage = new UsageLedger(bills);
  }

  /** The deployment tried last: the one that answered, or failed last. */
  get deployment(): Deployment | undefined {
    return this.attempts.at(-1);
  }
}
