/**
 * What one run measures: the targets (each its own process, or the mock itself for
 * direct), the scenarios, and the project's goals for each gateway configuration
 * against the floor measured in the same round.
 */
export type TargetName = "direct" | "floor" | "open" | "master" | "vkey" | "metrics" | "traced" | "cached";
export const TARGETS: readonly TargetName[] = [
  "direct",
  "floor",
  "open",
  "master",
  "vkey",
  "metrics",
  "traced",
  "cached",
];

/** The litegate configurations. */
export type GatewayName = "open" | "master" | "vkey" | "metrics" | "traced" | "cached";
export const GATEWAYS: readonly GatewayName[] = ["open", "master", "vkey", "metrics", "traced", "cached"];

/** The gateways measured against vkey: the same configuration with observability on. */
export const OBSERVED: readonly GatewayName[] = ["metrics", "traced"];

export function isGateway(t: TargetName): t is GatewayName {
  return (GATEWAYS as readonly string[]).includes(t);
}

export const TARGET_NOTES: Record<TargetName, string> = {
  direct: "load generator → mock (the ceiling; CPU and RSS are the mock's)",
  floor: "node:http + one undici Pool, bytes piped through (bench/floor-proxy.ts)",
  open: "litegate without a master key (no auth, no store)",
  master: "litegate with general_settings.master_key and the default SQLite store; requests carry the master key",
  vkey: "litegate as master, requests carry a virtual key made by POST /key/generate",
  metrics: "vkey with Prometheus metrics on (litellm_settings.callbacks: [prometheus])",
  traced:
    "vkey with metrics and OpenTelemetry traces on (callbacks: [prometheus, otel]), exporting OTLP/HTTP protobuf to a local sink that accepts every batch",
  cached:
    "vkey with the response cache on (litellm_settings.cache: true, local): every request after the first is a cache hit, answered with no upstream call",
};

export type ScenarioId = "c16" | "c64" | "stream16";
export interface Scenario {
  id: ScenarioId;
  label: string;
  connections: number;
  stream: boolean;
}
export const SCENARIOS: readonly Scenario[] = [
  { id: "c16", label: "c=16", connections: 16, stream: false },
  { id: "c64", label: "c=64", connections: 64, stream: false },
  { id: "stream16", label: "stream c=16", connections: 16, stream: true },
];

/** Throughput at c=16 and c=64 as a share of the floor's, at least; metrics and traced: vkey's, less the 10% they may cost. */
export const THROUGHPUT_GOALS: Record<GatewayName, number> = {
  open: 0.9,
  master: 0.85,
  vkey: 0.8,
  metrics: 0.72,
  traced: 0.72,
  cached: 0.8,
};
/** A cache hit (cached) must cost less CPU per request than the same request forwarded (vkey): at most this ratio. */
export const CACHE_HIT_CPU_GOAL = 1;
/** Metrics (and traces) on may cost at most this share of the same configuration's throughput (÷ vkey). */
export const METRICS_COST_GOAL = 0.9;
/** Stream TTFB p50 at most the floor's plus this. */
export const TTFB_SLACK_MS = 1;
/** Peak RSS (max over the run) at most this times the floor's. */
export const RSS_GOAL = 1.3;
