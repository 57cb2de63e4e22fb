/**
 * Everything the run can be told from the environment, and where things live. Read once
 * at startup so every scenario uses the same values.
 *
 *   BENCH_DURATION        seconds per measured run (default 10; shorter runs mislead)
 *   BENCH_LOADGEN         "autocannon" forces the fallback even where wrk exists
 *   BENCH_STREAM_GAP_MS   ms between the mock's SSE chunks (default 0: back to back)
 *   BENCH_LOAD_CPUS       taskset list for load generators (default: first allowed CPU)
 *   BENCH_SERVER_CPUS     taskset list for mock + proxy    (default: second allowed CPU)
 *   BENCH_KEYS            "1": litegate checks a virtual key (limits, budget, spend records in SQLite) on every request
 *   BENCH_LITEGATE_CLI    litegate entry point (default: dist/src/cli.js), e.g. another checkout's build
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { hasTaskset } from "./children.js";

export interface Settings {
  durationSec: number;
  /** Per-target warm-up before its first measured run. */
  warmupSec: number;
  /** Warm-up inside each node load child, for the child's own JIT. */
  childWarmupSec: number;
  streamGapMs: number;
  forceAutocannon: boolean;
  /** litegate authenticates a virtual key with limits and records spend (the full key path) instead of running open. */
  keys: boolean;
  loadCpus: string | null;
  serverCpus: string | null;
  /** Why pinning is off, when it is. */
  pinningNote: string | null;
  /** dist/bench: the compiled mock, floor and load children. */
  benchDistDir: string;
  repoRoot: string;
  litegateCli: string;
  resultsPath: string;
}

function positiveNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got ${raw}`);
  return n;
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

export function loadSettings(): Settings {
  const durationSec = Math.max(1, Math.round(positiveNumber("BENCH_DURATION", 10)));
  const benchDistDir = dirname(fileURLToPath(import.meta.url));
  // Compiled layout: <repo>/dist/bench/settings.js.
  const repoRoot = resolve(benchDistDir, "..", "..");
  return {
    durationSec,
    warmupSec: Math.min(3, Math.max(1, Math.round(durationSec / 3))),
    childWarmupSec: durationSec >= 5 ? 1 : 0.5,
    streamGapMs: positiveNumber("BENCH_STREAM_GAP_MS", 0),
    forceAutocannon: process.env.BENCH_LOADGEN === "autocannon",
    keys: process.env.BENCH_KEYS === "1",
    ...cpuAssignment(),
    benchDistDir,
    repoRoot,
    litegateCli: resolve(process.env.BENCH_LITEGATE_CLI || join(repoRoot, "dist", "src", "cli.js")),
    resultsPath: join(repoRoot, "bench", "results", "latest.json"),
  };
}

export function fileExists(path: string): boolean {
  return existsSync(path);
}
