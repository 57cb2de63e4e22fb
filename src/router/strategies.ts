/**
 * How one deployment is chosen among the available ones of a model group (LiteLLM's
 * routing strategies). Each is a pure function of the candidates, the shared state and
 * an injected random source, so tests can pin every choice.
 */
import type { RouterState } from "../state/router-state.js";
import type { Deployment, RoutingStrategy } from "../config/index.js";

export interface StrategyContext {
  state: RouterState;
  now: number;
  random: () => number;
  /** latency-based-routing: pick at random among deployments within this fraction of the fastest. */
  lowestLatencyBuffer: number;
  /** latency-based-routing: samples older than this are forgotten (ms). */
  latencyTtlMs: number;
}

function weighted(
  candidates: readonly Deployment[],
  weightOf: (d: Deployment) => number,
  random: () => number,
): Deployment {
  const weights = candidates.map(weightOf);
  const total = weights.reduce((sum, w) => sum + w, 0);
  let point = random() * total;
  for (let i = 0; i < candidates.length; i++) {
    point -= weights[i] as number;
    if (point < 0) return candidates[i] as Deployment;
  }
  return candidates[candidates.length - 1] as Deployment;
}

function randomOf(candidates: readonly Deployment[], random: () => number): Deployment {
  return candidates[Math.min(candidates.length - 1, Math.floor(random() * candidates.length))] as Deployment;
}

/** Weighted by `weight`, else by `rpm`, else by `tpm`, else uniform (LiteLLM's simple-shuffle). */
function simpleShuffle(candidates: readonly Deployment[], ctx: StrategyContext): Deployment {
  for (const key of ["weight", "rpm", "tpm"] as const) {
    if (candidates.every((d) => typeof d.limits[key] === "number" && (d.limits[key] as number) > 0)) {
      return weighted(candidates, (d) => d.limits[key] as number, ctx.random);
    }
  }
  return randomOf(candidates, ctx.random);
}

/** Fewest requests in flight; ties at random. */
function leastBusy(candidates: readonly Deployment[], ctx: StrategyContext): Deployment {
  const load = candidates.map((d) => ctx.state.inFlight(d.id));
  const least = Math.min(...load);
  return randomOf(
    candidates.filter((_, i) => load[i] === least),
    ctx.random,
  );
}

/**
 * Lowest moving-average latency; deployments without recent samples count as fastest so
 * they get measured. Within `lowestLatencyBuffer` of the best, at random (spreads load).
 */
function lowestLatency(candidates: readonly Deployment[], ctx: StrategyContext): Deployment {
  const latency = candidates.map((d) => ctx.state.latency(d.id, ctx.now, ctx.latencyTtlMs) ?? 0);
  const best = Math.min(...latency);
  const limit = best * (1 + ctx.lowestLatencyBuffer);
  return randomOf(
    candidates.filter((_, i) => (latency[i] as number) <= limit),
    ctx.random,
  );
}

/** Lowest share of its tpm used this minute (tokens used, when no tpm is set); ties at random. */
function lowestUsage(candidates: readonly Deployment[], ctx: StrategyContext): Deployment {
  const share = candidates.map((d) => {
    const tokens = ctx.state.minuteUsage(d.id, ctx.now).tokens;
    return d.limits.tpm !== undefined && d.limits.tpm > 0 ? tokens / d.limits.tpm : tokens;
  });
  const least = Math.min(...share);
  return randomOf(
    candidates.filter((_, i) => share[i] === least),
    ctx.random,
  );
}

const STRATEGIES: Record<RoutingStrategy, (candidates: readonly Deployment[], ctx: StrategyContext) => Deployment> = {
  "simple-shuffle": simpleShuffle,
  "least-busy": leastBusy,
  "latency-based-routing": lowestLatency,
  "usage-based-routing": lowestUsage,
};

/** Picks one of `candidates` (never empty) by `strategy`. */
export function choose(strategy: RoutingStrategy, candidates: readonly Deployment[], ctx: StrategyContext): Deployment {
  return candidates.length === 1 ? (candidates[0] as Deployment) : STRATEGIES[strategy](candidates, ctx);
}
