/**
 * Everything the run can be told from the environment, and where things live. Read once
 * at startup so every scenario uses the same values.
 *
 *   BENCH_DURATION        seconds per measured run (default 10; shorter runs mislead)
 *   BENCH_WARMUP          seconds of load each process gets before it is measured, in turns (default 3; a third of BENCH_DURATION when less; rounded up to whole slices)
 *   BENCH_SLICE           seconds per slice of a run (default 2): the targets take turns slice by slice
 *   BENCH_LEAD_IN         seconds of unmeasured load at the start of every slice (default 1; whole seconds, for wrk; 0: none)
 *   BENCH_ROUNDS          rounds of every scenario on every target (default 3); medians reported
 *   BENCH_PROCESSES       processes of each gateway per round, taking its slices in turn (default 2; 1 under BENCH_PROFILE)
 *   BENCH_TARGETS         comma list of direct,floor,open,master,vkey,metrics,traced,cached (default all; floor always runs)
 *   BENCH_PROFILE         "1": floor and gateways run with --cpu-prof; top self-time costs per request
 *   BENCH_VKEY_BODY       JSON body for /key/generate (default: a key with every limit, set too high to trip)
 *   BENCH_LOADGEN         "autocannon" forces the fallback even where wrk exists
 *   BENCH_STREAM_GAP_MS   ms between the mock's SSE chunks (default 0: back to back)
 *   BENCH_LOAD_CPUS       taskset list for load generators (default: first allowed CPU)
 *   BENCH_SERVER_CPUS     taskset list for mock + proxies (default: second allowed CPU)
 *   BENCH_LITEGATE_CLI    litegate entry point (default: dist/src/cli.js), e.g. another checkout's build
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { hasTaskset } from "./children.js";
import { isRecord } from "./child-protocol.js";
import { GATEWAYS, type GatewayName, TARGETS, type TargetName } from "./targets.js";

export interface Settings {
  durationSec: number;
  /**
   * A run is measured as `slices` windows of `sliceSec`, the targets taking turns, so a
   * change in the machine's speed during a round reaches every target alike.
   */
  slices: number;
  sliceSec: number;
  /** Each process's warm-up before a round's first slice, given in the round's turns: whole slices. */
  warmupSec: number;
  /**
   * Unmeasured load at the start of every slice, at the slice's concurrency, before its window
   * opens. The process under test resumes in it from its idle spell while the other targets
   * took their turns, which leaves it slow for a second or so; a Node load child's own JIT
   * warms up in it too.
   */
  leadInSec: number;
  rounds: number;
  /**
   * Processes of each gateway started per round, taking the gateway's slices in turn (A, B,
   * A, …): each round then averages as many draws of how V8 compiled a process.
   */
  processes: number;
  /** The targets to run, in TARGETS order; floor is always among them (ratios are against it). */
  targets: TargetName[];
  /** Floor and gateways run with --cpu-prof. */
  profile: boolean;
  /** The /key/generate body for the vkey target's key. */
  vkeyBody: Record<string, unknown>;
  streamGapMs: number;
  forceAutocannon: boolean;
  loadCpus: string | null;
  serverCpus: string | null;
  /** Why pinning is off, when it is. */
  pinningNote: string | null;
  /** dist/bench: the compiled mock, floor and load children. */
  benchDistDir: string;
  repoRoot: string;
  litegateCli: string;
  /** bench/results: latest.md, latest.json, profiles/ (kept out of git). */
  resultsDir: string;
}

/**
 * The vkey target's key: an allowlist, a budget and rpm/tpm/parallel limits (none near
 * tripping), so every request takes the whole key path: cached lookup, allowlist,
 * budget, admission against each limit, spend record.
 */
export const DEFAULT_VKEY_BODY = {
  max_budget: 1e9,
  rpm_limit: 1e9,
  tpm_limit: 1e12,
  max_parallel_requests: 1e6,
};

export function positiveNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got ${raw}`);
  return n;
}

/** A whole count of at least one from the environment (rounds, processes, seconds, requests). */
export function positiveCount(name: string, fallback: number): number {
  return Math.max(1, Math.round(positiveNumber(name, fallback)));
}

/** The gateway configurations BENCH_TARGETS names (default vkey, metrics and traced), for the tools that compare gateways only. */
export function gatewayList(): GatewayName[] {
  return (process.env.BENCH_TARGETS ?? "vkey,metrics,traced").split(",").map((text) => {
    const gateway = GATEWAYS.find((g) => g === text.trim());
    if (gateway === undefined) throw new Error(`BENCH_TARGETS: ${text} is none of ${GATEWAYS.join(", ")}`);
    return gateway;
  });
}

function targetList(): TargetName[] {
  const raw = process.env.BENCH_TARGETS;
  if (raw === undefined || raw.trim() === "") return [...TARGETS];
  const asked = new Set<string>(
    raw
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== ""),
  );
  for (const name of asked) {
    if (!(TARGETS as readonly string[]).includes(name)) {
      throw new Error(`BENCH_TARGETS: unknown target '${name}'; choose from ${TARGETS.join(",")}`);
    }
  }
  // Every ratio is against the floor measured in the same round.
  asked.add("floor");
  return TARGETS.filter((t) => asked.has(t));
}

function vkeyBody(modelAlias: string): Record<string, unknown> {
  const raw = process.env.BENCH_VKEY_BODY;
  if (raw === undefined || raw.trim() === "") return { models: [modelAlias], ...DEFAULT_VKEY_BODY };
  const v: unknown = JSON.parse(raw);
  if (!isRecord(v)) throw new Error(`BENCH_VKEY_BODY must be a JSON object, got ${raw}`);
  return v;
}

/** Expands a kernel CPU list ("0-2,5") to CPU ids. */
export function parseCpuList(list: string): number[] {
  const out: number[] = [];
  for (const part of list.split(",")) {
    const [a, b] = part.trim().split("-");
    const lo = Number(a);
    const hi = b === undefined ? lo : Number(b);
    for (let i = lo; i <= hi; i++) if (Number.isInteger(i)) out.push(i);
  }
  return out;
}

/** CPUs this process may run on; containers may allow e.g. 4,5 rather than 0,1. */
function allowedCpus(): number[] {
  const out = spawnSync("taskset", ["-cp", String(process.pid)], { encoding: "utf8" });
  const m = /list:\s*(\S+)/.exec(out.stdout ?? "");
  return m?.[1] === undefined ? [] : parseCpuList(m[1]);
}

function cpuAssignment(): Pick<Settings, "loadCpus" | "serverCpus" | "pinningNote"> {
  const envLoad = process.env.BENCH_LOAD_CPUS;
  const envServer = process.env.BENCH_SERVER_CPUS;
  if (!hasTaskset()) return { loadCpus: null, serverCpus: null, pinningNote: "taskset not found: nothing pinned" };
  const cpus = allowedCpus();
  const [first, second] = cpus;
  if (envLoad !== undefined && envServer !== undefined) {
    return { loadCpus: envLoad, serverCpus: envServer, pinningNote: null };
  }
  if (first === undefined || second === undefined) {
    return {
      loadCpus: null,
      serverCpus: null,
      pinningNote: "only one CPU available: load generator and servers compete for it",
    };
  }
  return { loadCpus: envLoad ?? String(first), serverCpus: envServer ?? String(second), pinningNote: null };
}

export function loadSettings(modelAlias: string): Settings {
  const durationSec = positiveCount("BENCH_DURATION", 10);
  // wrk takes whole seconds.
  const sliceSec = Math.min(durationSec, positiveCount("BENCH_SLICE", 2));
  const benchDistDir = dirname(fileURLToPath(import.meta.url));
  const profile = process.env.BENCH_PROFILE === "1";
  // Compiled layout: <repo>/dist/bench/settings.js.
  const repoRoot = resolve(benchDistDir, "..", "..");
  return {
    durationSec,
    slices: Math.max(1, Math.round(durationSec / sliceSec)),
    sliceSec,
    // Given a slice at a time (run.ts, warmUpInTurns): whole slices.
    warmupSec:
      sliceSec *
      Math.ceil(positiveCount("BENCH_WARMUP", Math.min(3, Math.max(1, Math.round(durationSec / 3)))) / sliceSec),
    // wrk takes whole seconds.
    leadInSec: Math.ceil(positiveNumber("BENCH_LEAD_IN", 1)),
    rounds: positiveCount("BENCH_ROUNDS", 3),
    // A profile is one process's whole run.
    processes: profile ? 1 : positiveCount("BENCH_PROCESSES", 2),
    targets: targetList(),
    profile,
    vkeyBody: vkeyBody(modelAlias),
    streamGapMs: positiveNumber("BENCH_STREAM_GAP_MS", 0),
    forceAutocannon: process.env.BENCH_LOADGEN === "autocannon",
    ...cpuAssignment(),
    benchDistDir,
    repoRoot,
    litegateCli: resolve(process.env.BENCH_LITEGATE_CLI || join(repoRoot, "dist", "src", "cli.js")),
    resultsDir: join(repoRoot, "bench", "results"),
  };
}

export function fileExists(path: string): boolean {
  return existsSync(path);
}
