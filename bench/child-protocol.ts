/**
 * How a load-generator child talks to the orchestrator: its spec arrives as JSON in
 * argv[2]; it prints a start marker when the measured window begins (so the orchestrator
 * samples the servers' CPU time at that instant, not during the child's warm-up) and one
 * result line at the end. wrk's Lua `done()` prints the same result marker.
 */
import type { ChildSpec, LoadResult } from "./types.js";

export const START_MARKER = "BENCH_MEASURE_START";
export const RESULT_MARKER = "BENCH_RESULT ";

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function stringRecord(v: unknown): Record<string, string> | null {
  if (!isRecord(v)) return null;
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    if (typeof val !== "string") return null;
    out[k] = val;
  }
  return out;
}

export function readChildSpec(argv: readonly string[] = process.argv): ChildSpec {
  const raw = argv[2];
  if (raw === undefined) throw new Error("expected the run spec as JSON in argv[2]");
  const v: unknown = JSON.parse(raw);
  const headers = isRecord(v) ? stringRecord(v.headers) : null;
  if (
    !isRecord(v) ||
    typeof v.url !== "string" ||
    typeof v.connections !== "number" ||
    typeof v.durationSec !== "number" ||
    typeof v.warmupSec !== "number" ||
    typeof v.body !== "string" ||
    headers === null
  ) {
    throw new Error(`malformed run spec: ${raw}`);
  }
  return {
    url: v.url,
    connections: v.connections,
    durationSec: v.durationSec,
    warmupSec: v.warmupSec,
    body: v.body,
    headers,
  };
}

export function announceMeasureStart(): void {
  process.stdout.write(`${START_MARKER}\n`);
}

export function emitResult(result: LoadResult): void {
  process.stdout.write(`${RESULT_MARKER}${JSON.stringify(result)}\n`);
}

function isLatency(v: unknown): boolean {
  return (
    isRecord(v) &&
    typeof v.p50Ms === "number" &&
    typeof v.p99Ms === "number" &&
    typeof v.meanMs === "number" &&
    typeof v.maxMs === "number"
  );
}

/** Validates a node child's result line (wrk's has its own shape, see load-wrk.ts). */
export function parseLoadResult(v: unknown): LoadResult {
  if (
    isRecord(v) &&
    typeof v.tool === "string" &&
    typeof v.requests === "number" &&
    typeof v.errors === "number" &&
    typeof v.durationSec === "number" &&
    typeof v.requestsPerSec === "number" &&
    isLatency(v.latency) &&
    (v.ttfb === undefined || isLatency(v.ttfb))
  ) {
    return v as unknown as LoadResult;
  }
  throw new Error(`malformed load result: ${JSON.stringify(v)}`);
}

export { isRecord };
