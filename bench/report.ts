/**
 * Turns the rounds' measurements into medians, ratios against the floor of the same
 * round, pass/fail against the project's goals, and the markdown report. Pure functions
 * of the results: nothing here measures anything.
 */
import type { MachineInfo } from "./machine.js";
import type { Cell, Measurement } from "./measure.js";
import { median } from "./percentiles.js";
import {
  GATEWAYS,
  CACHE_HIT_CPU_GOAL,
  METRICS_COST_GOAL,
  isGateway,
  OBSERVED,
  RSS_GOAL,
  SCENARIOS,
  TARGET_NOTES,
  TARGETS,
  THROUGHPUT_GOALS,
  TTFB_SLACK_MS,
  type GatewayName,
  type ScenarioId,
  type TargetName,
} from "./targets.js";

export interface RunInfo {
  startedAt: string;
  machine: MachineInfo;
  loadGenerator: string;
  durationSec: number;
  slices: number;
  sliceSec: number;
  warmupSec: number;
  leadInSec: number;
  rounds: number;
  /** Processes of each gateway per round. */
  processes: number;
  targets: TargetName[];
  streamGapMs: number;
  loadCpus: string | null;
  serverCpus: string | null;
  pinningNote: string | null;
  profile: boolean;
  vkeyBody: Record<string, unknown>;
}

/** One round: every scenario on every target that was up. */
export type RoundCells = Record<ScenarioId, Partial<Record<TargetName, Cell>>>;

export interface ScenarioSummary {
  /** Rounds whose run succeeded; every value below is a median over them. */
  okRounds: number;
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Streams: time to first byte, p50. */
  ttfbP50Ms: number | null;
  cpuUsPerRequest: number;
  mockCpuUsPerRequest: number | null;
  /** Median over rounds of (req/s ÷ the floor's in that round). */
  throughputRatio: number | null;
  cpuRatio: number | null;
  /** Streams: median over rounds of (TTFB p50 − the floor's), ms. */
  ttfbVsFloorMs: number | null;
  /** Per round, req/s ÷ floor's (null where either run failed). */
  roundRatios: Array<number | null>;
  /**
   * Metrics and traced only: per round, req/s ÷ vkey's (the same configuration without them),
   * the median over the round's turns of each slice's ratio to vkey's slice of the same turn.
   */
  vkeyRoundRatios: Array<number | null>;
  /** Their median. */
  vkeyRatio: number | null;
}

export interface TargetSummary {
  scenarios: Partial<Record<ScenarioId, ScenarioSummary>>;
  /** Max over every scenario and round. */
  peakRssMb: number | null;
  rssRatio: number | null;
}

export type Summary = Partial<Record<TargetName, TargetSummary>>;

export type CheckKind = "c16" | "c64" | "ttfb" | "rss" | "c16 vs vkey" | "c64 vs vkey" | "hit CPU vs vkey";
const CHECK_LABELS: Record<CheckKind, string> = {
  c16: "c=16 req/s ÷ floor",
  c64: "c=64 req/s ÷ floor",
  ttfb: "stream TTFB p50 − floor's",
  rss: "peak RSS ÷ floor",
  "c16 vs vkey": "c=16 req/s ÷ vkey's, median of rounds (what metrics, traces cost)",
  "c64 vs vkey": "c=64 req/s ÷ vkey's, median of rounds (what metrics, traces cost)",
  "hit CPU vs vkey": "c=16 CPU µs/request ÷ vkey's (a cache hit against a forwarded request)",
};

export interface Check {
  gateway: GatewayName;
  kind: CheckKind;
  /** The bound, e.g. ">= 0.85x". */
  goal: string;
  value: string;
  pass: boolean | null;
}

function okCell(cell: Cell | undefined): Measurement | null {
  return cell?.ok ? cell.m : null;
}

function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  return a == null || b == null || b === 0 ? null : a / b;
}

/**
 * `on` ÷ `off` in req/s, slice by slice: each turn's two slices ran seconds apart, so they saw
 * nearly the same machine, where the machine's speed has been seen to halve and recover
 * within half a minute. The median over the turns.
 */
function pairedRatio(on: Measurement | null, off: Measurement | null): number | null {
  if (on === null || off === null) return null;
  const turns = Math.min(on.slices.length, off.slices.length);
  const ratios: Array<number | null> = [];
  for (let k = 0; k < turns; k++) ratios.push(ratio(on.slices[k]?.requestsPerSec, off.slices[k]?.requestsPerSec));
  return median(ratios);
}

function summarizeScenario(rounds: readonly RoundCells[], id: ScenarioId, t: TargetName): ScenarioSummary | undefined {
  const pairs = rounds.map((r) => ({ m: okCell(r[id][t]), floor: okCell(r[id].floor), vkey: okCell(r[id].vkey) }));
  const ms = pairs.map((p) => p.m).filter((m): m is Measurement => m !== null);
  if (ms.length === 0) return undefined;
  const med = (pick: (m: Measurement) => number | null): number | null => median(ms.map(pick));
  const roundRatios = pairs.map((p) => ratio(p.m?.load.requestsPerSec, p.floor?.load.requestsPerSec));
  const observed = (OBSERVED as readonly TargetName[]).includes(t);
  const vkeyRoundRatios = observed ? pairs.map((p) => pairedRatio(p.m, p.vkey)) : [];
  const ttfb = (m: Measurement | null): number | null => m?.load.ttfb?.p50Ms ?? null;
  const ttfbDiffs = pairs.map((p) => {
    const a = ttfb(p.m);
    const b = ttfb(p.floor);
    return a === null || b === null ? null : a - b;
  });
  return {
    okRounds: ms.length,
    requestsPerSec: med((m) => m.load.requestsPerSec) ?? 0,
    p50Ms: med((m) => m.load.latency.p50Ms) ?? 0,
    p99Ms: med((m) => m.load.latency.p99Ms) ?? 0,
    ttfbP50Ms: med((m) => m.load.ttfb?.p50Ms ?? null),
    cpuUsPerRequest: med((m) => m.cpuUsPerRequest) ?? 0,
    mockCpuUsPerRequest: med((m) => m.mockCpuUsPerRequest),
    throughputRatio: median(roundRatios),
    cpuRatio: median(pairs.map((p) => ratio(p.m?.cpuUsPerRequest, p.floor?.cpuUsPerRequest))),
    ttfbVsFloorMs: median(ttfbDiffs),
    roundRatios,
    vkeyRoundRatios,
    vkeyRatio: median(vkeyRoundRatios),
  };
}

function peakRss(rounds: readonly RoundCells[], t: TargetName): number | null {
  let peak: number | null = null;
  for (const r of rounds) {
    for (const s of SCENARIOS) {
      const m = okCell(r[s.id][t]);
      if (m !== null) peak = Math.max(peak ?? 0, m.peakRssMb);
    }
  }
  return peak;
}

export function summarize(rounds: readonly RoundCells[], targets: readonly TargetName[]): Summary {
  const summary: Summary = {};
  const floorRss = peakRss(rounds, "floor");
  for (const t of targets) {
    const scenarios: TargetSummary["scenarios"] = {};
    for (const s of SCENARIOS) {
      const sc = summarizeScenario(rounds, s.id, t);
      if (sc !== undefined) scenarios[s.id] = sc;
    }
    const rss = peakRss(rounds, t);
    summary[t] = { scenarios, peakRssMb: rss, rssRatio: ratio(rss, floorRss) };
  }
  return summary;
}

const fmtRatio = (v: number | null | undefined): string => (v == null ? "n/a" : `${v.toFixed(2)}x`);

/** A ratio checked against `goal`: with a third decimal where two would print the goal itself (a 0.896x FAIL against 0.90x). */
function fmtChecked(v: number | null, goal: number): string {
  if (v === null) return "n/a";
  return v.toFixed(2) === goal.toFixed(2) && v !== goal ? `${v.toFixed(3)}x` : fmtRatio(v);
}

function fmtMs(v: number | null | undefined): string {
  if (v == null) return "n/a";
  const a = Math.abs(v);
  return a < 10 ? v.toFixed(3) : a < 100 ? v.toFixed(2) : v.toFixed(0);
}

function signed(v: number | null | undefined): string {
  return v == null ? "n/a" : `${v >= 0 ? "+" : ""}${fmtMs(v)}`;
}

export function checkTargets(summary: Summary): Check[] {
  const checks: Check[] = [];
  for (const g of GATEWAYS) {
    const s = summary[g];
    if (s === undefined) continue;
    const goal = THROUGHPUT_GOALS[g];
    for (const id of ["c16", "c64"] as const) {
      const r = s.scenarios[id]?.throughputRatio ?? null;
      const pass = r === null ? null : r >= goal;
      checks.push({ gateway: g, kind: id, goal: `>= ${goal.toFixed(2)}x`, value: fmtChecked(r, goal), pass });
    }
    const ttfb = s.scenarios.stream16?.ttfbVsFloorMs ?? null;
    checks.push({
      gateway: g,
      kind: "ttfb",
      goal: `<= +${TTFB_SLACK_MS} ms`,
      value: ttfb === null ? "n/a" : `${signed(ttfb)} ms`,
      pass: ttfb === null ? null : ttfb <= TTFB_SLACK_MS,
    });
    checks.push({
      gateway: g,
      kind: "rss",
      goal: `<= ${RSS_GOAL}x`,
      value: fmtChecked(s.rssRatio, RSS_GOAL),
      pass: s.rssRatio === null ? null : s.rssRatio <= RSS_GOAL,
    });
  }
  // What metrics and traces cost: the same configuration with them on against off, in the same rounds.
  const off = summary.vkey;
  for (const gateway of OBSERVED) {
    const on = summary[gateway];
    if (on === undefined || off === undefined) continue;
    for (const id of ["c16", "c64"] as const) {
      const r = on.scenarios[id]?.vkeyRatio ?? null;
      checks.push({
        gateway,
        kind: `${id} vs vkey`,
        goal: `>= ${METRICS_COST_GOAL.toFixed(2)}x`,
        value: fmtChecked(r, METRICS_COST_GOAL),
        pass: r === null ? null : r >= METRICS_COST_GOAL,
      });
    }
  }
  // A cache hit makes no upstream call: it must cost less CPU than the same request forwarded.
  const cached = summary.cached?.scenarios.c16?.cpuUsPerRequest;
  const forwarded = off?.scenarios.c16?.cpuUsPerRequest;
  if (cached !== undefined && forwarded !== undefined) {
    const r = ratio(cached, forwarded);
    checks.push({
      gateway: "cached",
      kind: "hit CPU vs vkey",
      goal: `< ${CACHE_HIT_CPU_GOAL.toFixed(2)}x`,
      value: fmtChecked(r, CACHE_HIT_CPU_GOAL),
      pass: r === null ? null : r < CACHE_HIT_CPU_GOAL,
    });
  }
  return checks;
}

const verdict = (pass: boolean | null): string => (pass === null ? "n/a" : pass ? "PASS" : "**FAIL**");

function row(cells: readonly string[]): string {
  return `| ${cells.join(" | ")} |`;
}

/** One table row: a value per target, with " (ratio)" after each gateway's. */
function valueRow(
  label: string,
  targets: readonly TargetName[],
  summary: Summary,
  value: (s: TargetSummary) => string,
  vsFloor: (s: TargetSummary) => string | null,
): string {
  return row([
    label,
    ...targets.map((t) => {
      const s = summary[t];
      if (s === undefined) return "n/a";
      const v = value(s);
      const r = isGateway(t) ? vsFloor(s) : null;
      return r === null || v === "n/a" ? v : `${v} (${r})`;
    }),
  ]);
}

export function renderReport(
  info: RunInfo,
  summary: Summary,
  checks: readonly Check[],
  rounds: readonly RoundCells[],
  unavailable: Partial<Record<TargetName, string>>,
): string {
  const targets = TARGETS.filter((t) => info.targets.includes(t));
  const gateways = GATEWAYS.filter((g) => summary[g] !== undefined);
  const sc = (s: TargetSummary, id: ScenarioId): ScenarioSummary | undefined => s.scenarios[id];
  const out: string[] = [`# litegate benchmark, ${info.startedAt}`, ""];
  const m = info.machine;
  const pin =
    info.pinningNote ??
    `load generator on CPU ${info.loadCpus ?? "?"}, mock + proxies on CPU ${info.serverCpus ?? "?"}`;
  out.push(
    `Machine: ${m.cpuModel}, ${m.cores} CPUs, Node ${m.node}, ${m.kernel}; ${pin}.`,
    `Load: ${info.loadGenerator}.`,
    `${info.rounds} round(s) × ${info.slices * info.sliceSec} s per run, measured in ${info.sliceSec} s slices ` +
      "with the targets taking turns (order rotated each round), " +
      `${info.processes} fresh process(es) of each gateway per round taking its turns in turn, ` +
      `after ${info.warmupSec} s of warm-up per process (c=64, then streams) given in the same turns` +
      `${info.leadInSec > 0 ? `, each slice after ${info.leadInSec} s of unmeasured load on its process` : ""}` +
      `${info.streamGapMs > 0 ? `; SSE chunks ${info.streamGapMs} ms apart` : ""}.` +
      (info.profile ? " Floor and gateways ran under --cpu-prof (BENCH_PROFILE=1): their numbers carry its cost." : ""),
    "",
    "Values are medians over rounds; (x) is the median over rounds of the value ÷ the floor's in the same round, " +
      "(+ms) the median of the difference.",
    "",
  );
  out.push(row(["", ...targets]), row(["---", ...targets.map(() => "---:")]));
  for (const s of SCENARIOS) {
    out.push(
      valueRow(
        `${s.label} req/s`,
        targets,
        summary,
        (t) => sc(t, s.id)?.requestsPerSec.toFixed(0) ?? "n/a",
        (t) => fmtRatio(sc(t, s.id)?.throughputRatio),
      ),
    );
  }
  out.push(
    valueRow(
      "stream TTFB p50 ms",
      targets,
      summary,
      (t) => fmtMs(sc(t, "stream16")?.ttfbP50Ms),
      (t) => signed(sc(t, "stream16")?.ttfbVsFloorMs),
    ),
  );
  for (const s of SCENARIOS) {
    const label = s.stream ? `${s.label} total p50 / p99 ms` : `${s.label} p50 / p99 ms`;
    out.push(
      valueRow(
        label,
        targets,
        summary,
        (t) => {
          const x = sc(t, s.id);
          return x === undefined ? "n/a" : `${fmtMs(x.p50Ms)} / ${fmtMs(x.p99Ms)}`;
        },
        () => null,
      ),
    );
  }
  for (const s of SCENARIOS) {
    out.push(
      valueRow(
        `CPU µs/req ${s.label}`,
        targets,
        summary,
        (t) => sc(t, s.id)?.cpuUsPerRequest.toFixed(0) ?? "n/a",
        (t) => fmtRatio(sc(t, s.id)?.cpuRatio),
      ),
    );
  }
  out.push(
    valueRow(
      "mock CPU µs/req c=16",
      targets,
      summary,
      (t) => {
        const x = sc(t, "c16");
        return x === undefined ? "n/a" : (x.mockCpuUsPerRequest ?? x.cpuUsPerRequest).toFixed(0);
      },
      () => null,
    ),
    valueRow(
      "peak RSS MB",
      targets,
      summary,
      (t) => t.peakRssMb?.toFixed(1) ?? "n/a",
      (t) => fmtRatio(t.rssRatio),
    ),
    "",
  );
  for (const t of targets) out.push(`- **${t}**: ${TARGET_NOTES[t]}`);
  if (summary.vkey !== undefined) out.push(`- vkey's key: \`POST /key/generate ${JSON.stringify(info.vkeyBody)}\``);
  out.push(
    "- CPU = (utime+stime) of that process during a slice ÷ the requests completed in it; a run's req/s and CPU " +
      "are its median slice's; " +
      "the mock row is the mock's own CPU behind each proxy (it should not move).",
    "- Peak RSS = VmHWM, reset before each run; the max over every run.",
    "",
  );

  if (gateways.length > 0) {
    out.push("## Targets", "", row(["goal", ...gateways]), row(["---", ...gateways.map(() => "---")]));
    for (const kind of Object.keys(CHECK_LABELS) as CheckKind[]) {
      const cells = gateways.map((g) => {
        const c = checks.find((x) => x.gateway === g && x.kind === kind);
        return c === undefined ? "n/a" : `${verdict(c.pass)} ${c.value} (${c.goal})`;
      });
      out.push(row([CHECK_LABELS[kind], ...cells]));
    }
    out.push("");
    // One line per gateway: each round's c=16 / c=64 ratio, as `pick` reads them from a scenario.
    const roundLine = (g: GatewayName, pick: (s: ScenarioSummary | undefined) => Array<number | null>): string => {
      const c16 = pick(summary[g]?.scenarios.c16);
      const c64 = pick(summary[g]?.scenarios.c64);
      return `- ${g}: ${rounds.map((_, i) => `${fmtRatio(c16[i] ?? null)} / ${fmtRatio(c64[i] ?? null)}`).join(" · ")}`;
    };
    out.push("Per round, req/s ÷ floor's at c=16 / c=64:", "");
    for (const g of gateways) out.push(roundLine(g, (s) => s?.roundRatios ?? []));
    const observed = gateways.filter((g) => (OBSERVED as readonly string[]).includes(g) && summary.vkey !== undefined);
    if (observed.length > 0) {
      out.push(
        "",
        "Per round, req/s ÷ vkey's at c=16 / c=64, each the median over the round's turns of a slice ÷ vkey's slice " +
          "in the same turn (the checks take the median over rounds):",
        "",
      );
      for (const g of observed) out.push(roundLine(g, (s) => s?.vkeyRoundRatios ?? []));
    }
    out.push("");
  }

  const problems: string[] = [];
  for (const t of targets) {
    const why = unavailable[t];
    if (why !== undefined) {
      problems.push(`- ${t}: n/a (${why})`);
      continue;
    }
    rounds.forEach((r, i) => {
      for (const s of SCENARIOS) {
        const cell = r[s.id][t];
        if (cell !== undefined && !cell.ok) problems.push(`- ${t} ${s.label}, round ${i + 1}: n/a (${cell.reason})`);
      }
    });
  }
  if (problems.length > 0) out.push("## Failed runs", "", ...problems, "");
  return out.join("\n");
}
