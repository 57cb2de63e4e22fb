/** Percentiles over raw samples (the node-side clients keep every sample), and the median the report takes over rounds and slices. */
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

/** The median of the finite values; null when there are none. */
export function median(values: ReadonlyArray<number | null>): number | null {
  const v = values.filter((x): x is number => x !== null && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 === 1 ? (v[mid] ?? null) : ((v[mid - 1] ?? 0) + (v[mid] ?? 0)) / 2;
}
