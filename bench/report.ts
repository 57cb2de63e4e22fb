/**
 * Turns the measurements into the README table, litegate-vs-floor ratios, the pass/fail
 * lines for the project's targets, and the JSON written to bench/results/latest.json.
 * Pure functions of the results: nothing here measures anything.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { MachineInfo } from "./machine.js";
import { SCENARIOS, TARGETS, type Cell, type Measurement, type ScenarioId, type TargetName } from "./measure.js";
import type { LatencySummary } from "./types.js";

export interface RunInfo {
  startedAt: string;
  machine: MachineInfo;
  loadGenerator: string;
  durationSec: number;
  warmupSec: number;
  streamGapMs: number;
  loadCpus: string | null;
  serverCpus: string | null;
  pinningNote: string | null;
  /** BENCH_KEYS: litegate checked a virtual key and recorded spend on every request. */
  keys: boolean;
}

export type Results = Record<ScenarioId, Record<TargetName, Cell>>;

export interface Comparison {
  scenario: ScenarioId;
  /** litegate req/s ÷ floor req/s. */
  throughputRatio: number | null;
  /** litegate CPU µs/req ÷ floor CPU µs/req. */
  cpuRatio: number | null;
  rssRatio: number | null;
  /** p50 (TTFB p50 for streams) minus direct's, per proxy. */
  addedMs: { floor: number | null; litegate: number | null };
  /** litegate's added latency minus the floor's (TTFB for streams). */
  addedDiffMs: number | null;
  /** Streams only: the same on total stream time. */
  addedTotalMs?: { floor: number | null; litegate: number | null };
}

export interface TargetCheck {
  goal: string;
  value: string;
  pass: boolean | null;
}

function ok(cell: Cell | undefined): Measurement | null {
  return cell !== undefined && cell.ok ? cell.m : null;
}

function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  return a == null || b == null || b === 0 ? null : a / b;
}

function diff(a: number | null | undefined, b: number | null | undefined): number | null {
  return a == null || b == null ? null : a - b;
}

/** The latency that "added" is computed on: TTFB for streams, whole request otherwise. */
function headline(m: Measurement | null): LatencySummary | null {
  return m === null ? null : (m.load.ttfb ?? m.load.latency);
}

export function compare(results: Results): Comparison[] {
  return SCENARIOS.map((s) => {
    const [d, f, l] = TARGETS.map((t) => ok(results[s.id][t]));
    const addedF = diff(headline(f ?? null)?.p50Ms, headline(d ?? null)?.p50Ms);
    const addedL = diff(headline(l ?? null)?.p50Ms, headline(d ?? null)?.p50Ms);
    const c: Comparison = {
      scenario: s.id,
      throughputRatio: ratio(l?.load.requestsPerSec, f?.load.requestsPerSec),
      cpuRatio: ratio(l?.cpuUsPerRequest, f?.cpuUsPerRequest),
      rssRatio: ratio(l?.peakRssMb, f?.peakRssMb),
      addedMs: { floor: addedF, litegate: addedL },
      addedDiffMs: diff(addedL, addedF),
    };
    if (s.stream) {
      c.addedTotalMs = {
        floor: diff(f?.load.latency.p50Ms, d?.load.latency.p50Ms),
        litegate: diff(l?.load.latency.p50Ms, d?.load.latency.p50Ms),
      };
    }
    return c;
  });
}

function peakOverRun(results: Results, t: TargetName): number | null {
  const peaks = SCENARIOS.map((s) => ok(results[s.id][t])?.peakRssMb).filter((v): v is number => v !== undefined);
  return peaks.length === 0 ? null : Math.max(...peaks);
}

const fmtRatio = (v: number | null): string => (v === null ? "n/a" : `${v.toFixed(2)}x`);

/** The project's targets for litegate against the floor. */
export function checkTargets(results: Results, comparisons: Comparison[]): TargetCheck[] {
  const by = (id: ScenarioId): Comparison | undefined => comparisons.find((c) => c.scenario === id);
  const checks: TargetCheck[] = [];
  for (const id of ["c16", "c64"] as const) {
    const r = by(id)?.throughputRatio ?? null;
    checks.push({
      goal: `${id === "c16" ? "c=16" : "c=64"} throughput >= 0.85x floor`,
      value: fmtRatio(r),
      pass: r === null ? null : r >= 0.85,
    });
  }
  const ttfb = by("stream16")?.addedDiffMs ?? null;
  checks.push({
    goal: "stream added TTFB <= floor's + 1 ms",
    value: ttfb === null ? "n/a" : `${signed(ttfb)} ms`,
    pass: ttfb === null ? null : ttfb <= 1,
  });
  const rss = ratio(peakOverRun(results, "litegate"), peakOverRun(results, "floor"));
  checks.push({ goal: "peak RSS (max over scenarios) <= 1.2x floor", value: fmtRatio(rss), pass: rss === null ? null : rss <= 1.2 });
  return checks;
}

function fmtMs(v: number | null | undefined): string {
  if (v == null) return "n/a";
  const a = Math.abs(v);
  return a < 10 ? v.toFixed(3) : a < 100 ? v.toFixed(2) : v.toFixed(0);
}

function signed(v: number): string {
  return `${v >= 0 ? "+" : ""}${fmtMs(v)}`;
}

function triple(ms: Array<Measurement | null>, pick: (m: Measurement) => string): string {
  return ms.map((m) => (m === null ? "n/a" : pick(m))).join(" / ");
}

export function renderMarkdown(info: RunInfo, results: Results, comparisons: Comparison[], unavailable: Partial<Record<TargetName, string>>): string {
  const out: string[] = [];
  out.push(
    "| Scenario | req/s (direct / floor / litegate) | p50 ms | p99 ms | added p50 ms (floor / litegate) | CPU µs/req | peak RSS MB | litegate÷floor req/s | CPU | RSS | litegate−floor added ms |",
    "|---|---|---|---|---|---|---|---|---|---|---|",
  );
  for (const s of SCENARIOS) {
    const ms = TARGETS.map((t) => ok(results[s.id][t]));
    const c = comparisons.find((x) => x.scenario === s.id);
    const lat = (pick: (l: LatencySummary) => number, useTtfb: boolean) =>
      triple(ms, (m) => fmtMs(pick(useTtfb ? (m.load.ttfb ?? m.load.latency) : m.load.latency)));
    const added = (a: { floor: number | null; litegate: number | null } | undefined): string =>
      a === undefined ? "n/a" : [a.floor, a.litegate].map((v) => (v === null ? "n/a" : signed(v))).join(" / ");
    out.push(
      [
        s.stream ? `${s.label} TTFB` : s.label,
        triple(ms, (m) => m.load.requestsPerSec.toFixed(0)),
        lat((l) => l.p50Ms, s.stream),
        lat((l) => l.p99Ms, s.stream),
        added(c?.addedMs),
        triple(ms, (m) => m.cpuUsPerRequest.toFixed(0)),
        triple(ms, (m) => m.peakRssMb.toFixed(1)),
        fmtRatio(c?.throughputRatio ?? null),
        fmtRatio(c?.cpuRatio ?? null),
        fmtRatio(c?.rssRatio ?? null),
        c?.addedDiffMs == null ? "n/a" : signed(c.addedDiffMs),
      ].join(" | ").replace(/^/, "| ") + " |",
    );
    if (s.stream) {
      const total = c?.addedTotalMs;
      const totalDiff = total === undefined ? null : diff(total.litegate, total.floor);
      out.push(
        [
          `${s.label} total`,
          "(same run)",
          lat((l) => l.p50Ms, false),
          lat((l) => l.p99Ms, false),
          added(total),
          "",
          "",
          "",
          "",
          "",
          totalDiff === null ? "n/a" : signed(totalDiff),
        ].join(" | ").replace(/^/, "| ") + " |",
      );
    }
  }
  out.push("");
  const m = info.machine;
  const pin =
    info.pinningNote ?? `load generator on CPU ${info.loadCpus ?? "?"}, mock + proxy under test on CPU ${info.serverCpus ?? "?"}`;
  out.push(
    `Machine: ${m.cpuModel}, ${m.cores} CPUs, Node ${m.node}, ${m.kernel}; ${pin}. ` +
      `Load: ${info.loadGenerator}. ${info.durationSec} s per run after a ${info.warmupSec} s warm-up per target` +
      `${info.streamGapMs > 0 ? `; mock spaces SSE chunks ${info.streamGapMs} ms apart` : "; mock writes its 8 SSE chunks back to back"}.` +
      (info.keys ? " litegate checked a virtual key (allowlist, budget, rpm/tpm/parallel limits) and wrote a spend record to SQLite per request." : ""),
  );
  out.push(
    "Direct = load generator → mock (its CPU and RSS columns are the mock's); floor and litegate columns are the proxy process alone, " +
      "the mock beside it on the same core. Added = p50 minus direct's p50 (streams: TTFB, then total). CPU = (utime+stime) / completed requests.",
  );
  for (const t of TARGETS) {
    const why = unavailable[t];
    if (why !== undefined) out.push(`${t}: n/a (${why})`);
    else {
      for (const s of SCENARIOS) {
        const cell = results[s.id][t];
        if (!cell.ok) out.push(`${t} ${s.label}: n/a (${cell.reason})`);
      }
    }
  }
  return out.join("\n");
}

export function renderChecks(checks: TargetCheck[]): string {
  return checks
    .map((c) => `- ${c.pass === null ? "n/a " : c.pass ? "PASS" : "FAIL"}  ${c.goal}: ${c.value}`)
    .join("\n");
}

export function writeJson(
  path: string,
  info: RunInfo,
  results: Results,
  comparisons: Comparison[],
  checks: TargetCheck[],
  unavailable: Partial<Record<TargetName, string>>,
): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify({ ...info, unavailable, results, comparisons, targets: checks }, null, 2)}\n`);
}
