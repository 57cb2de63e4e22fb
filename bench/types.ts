/**
 * Shapes shared by the orchestrator (run.ts) and the load-generator child processes.
 * Kept in one place so a result printed by a child is parsed by the same type it was
 * built from.
 */

/** Latency percentiles in milliseconds (fractional: wrk gives µs, our clients ms floats). */
export interface LatencySummary {
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  maxMs: number;
}

/** What one load run measured, whatever tool produced it. */
export interface LoadResult {
  /** Which tool measured this run, printed in the report so numbers are never anonymous. */
  tool: string;
  /** Requests that completed with a 2xx status (and, for streams, a full `[DONE]` body). */
  requests: number;
  /** Transport errors, timeouts and non-2xx responses together. */
  errors: number;
  /** Length of the measured window in seconds (excludes warm-up). */
  durationSec: number;
  requestsPerSec: number;
  /** Whole-request latency (for streams: until the last byte of the body). */
  latency: LatencySummary;
  /** Streams only: time from sending the request to the first byte of the body. */
  ttfb?: LatencySummary;
}

/** What the orchestrator asks a load-generator child to do (passed as JSON in argv[2]). */
export interface ChildSpec {
  url: string;
  connections: number;
  durationSec: number;
  /** Run this long before measuring so the child's own JIT does not skew the first samples. */
  warmupSec: number;
  body: string;
  headers: Record<string, string>;
}
