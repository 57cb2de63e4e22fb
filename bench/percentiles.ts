/** Percentiles over raw samples; used by the node-side clients, which keep every sample. */
import type { LatencySummary } from "./types.js";

/** Nearest-rank percentile on an ascending array (p in 0..100). */
function nearestRank(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  const index = Math.min(sorted.length - 1, Math.max(0, rank - 1));
  return sorted[index] ?? 0;
}

export function summarize(samplesMs: readonly number[]): LatencySummary {
  // Float64Array sorts numerically (a plain array would sort as strings).
  const sorted = Float64Array.from(samplesMs).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    p50Ms: nearestRank(sorted, 50),
    p99Ms: nearestRank(sorted, 99),
    meanMs: sorted.length === 0 ? 0 : sum / sorted.length,
    maxMs: sorted.length === 0 ? 0 : (sorted[sorted.length - 1] ?? 0),
  };
}
