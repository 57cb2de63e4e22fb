/**
 * BENCH_PROFILE: the top self-time costs per request of each profiled process, counted
 * inside the measured windows only (start-up, warm-up and the other targets' runs left
 * out), non-streaming and streaming apart. The main thread gets a table; worker threads
 * (litegate's token counting) a summary line.
 */
import {
  mergeSummaries,
  readCpuProfile,
  renderTop,
  selfTimes,
  type ProfileSummary,
  type SelfCost,
} from "./cpuprofile.js";
import type { Measurement } from "./measure.js";
import type { RoundCells } from "./report.js";
import type { ScenarioId, TargetName } from "./targets.js";

export const TOP_N = 5;

interface Group {
  label: string;
  scenarios: readonly ScenarioId[];
}
const GROUPS: readonly Group[] = [
  { label: "non-streaming (c=16 and c=64 runs)", scenarios: ["c16", "c64"] },
  { label: "streaming (stream c=16 runs)", scenarios: ["stream16"] },
];

/** One thread's (or several merged) sampled time in the group's windows. */
export interface ThreadCosts {
  /** Non-idle sampled time, µs. */
  busyUs: number;
  /** The costliest functions, selfUs over all the group's windows. */
  top: SelfCost[];
}

export interface ProfileGroup {
  label: string;
  requests: number;
  /** What /proc counted for the process (all threads) over the same windows, per request. */
  processCpuUsPerRequest: number;
  main: ThreadCosts;
  /** Worker threads merged; null when the process had none. */
  workers: ThreadCosts | null;
}

export interface TargetProfile {
  target: TargetName;
  /** The kept main-thread profile. */
  file: string;
  workerFiles: string[];
  groups: ProfileGroup[];
}

const costsOf = (s: ProfileSummary): ThreadCosts => ({ busyUs: s.busyUs, top: s.costs.slice(0, TOP_N) });

export function analyzeProfile(
  target: TargetName,
  file: string,
  workerFiles: readonly string[],
  rounds: readonly RoundCells[],
): TargetProfile {
  const main = readCpuProfile(file);
  const workers = workerFiles.map(readCpuProfile);
  const groups: ProfileGroup[] = [];
  for (const g of GROUPS) {
    const ms: Measurement[] = [];
    for (const r of rounds) {
      for (const id of g.scenarios) {
        const cell = r[id][target];
        if (cell?.ok) ms.push(cell.m);
      }
    }
    const requests = ms.reduce((n, m) => n + m.load.requests, 0);
    if (requests === 0) continue;
    // What /proc counted in every window (a run's own CPU per request is its median slice's).
    const cpuUs = ms.reduce((n, m) => n + m.slices.reduce((k, x) => k + x.cpuUsPerRequest * x.requests, 0), 0);
    const windows = ms.flatMap((m) => m.windowsUs);
    groups.push({
      label: g.label,
      requests,
      processCpuUsPerRequest: cpuUs / requests,
      main: costsOf(selfTimes(main, windows)),
      workers: workers.length === 0 ? null : costsOf(mergeSummaries(workers.map((w) => selfTimes(w, windows)))),
    });
  }
  return { target, file, workerFiles: [...workerFiles], groups };
}

function perRequest(us: number, requests: number): string {
  return (us / requests).toFixed(1);
}

export function renderProfiles(profiles: readonly TargetProfile[], missing: readonly string[]): string {
  const out = [
    "## CPU profiles (BENCH_PROFILE=1)",
    "",
    `Top ${TOP_N} functions by self time on the main thread, inside the measured windows only, per completed ` +
      "request. Busy = sampled non-idle time per request (wall-clock samples: on a shared core it can exceed CPU " +
      "time); process CPU = what /proc counted for the whole process, all threads, in the same windows.",
    "Profiles kept in bench/results/profiles/ " +
      "(Chrome DevTools, or `node dist/bench/profile-top.js <file> [requests]`).",
    "",
  ];
  for (const p of profiles) {
    for (const g of p.groups) {
      out.push(
        `### ${p.target}, ${g.label}: main thread busy ${perRequest(g.main.busyUs, g.requests)} µs/req, ` +
          `process CPU ${g.processCpuUsPerRequest.toFixed(0)} µs/req, ${g.requests} requests`,
        "",
        renderTop({ busyUs: g.main.busyUs, costs: g.main.top }, TOP_N, g.requests),
        "",
      );
      if (g.workers !== null) {
        const top = g.workers.top.map((c) => `\`${c.name}\` ${perRequest(c.selfUs, g.requests)}`).join(", ");
        const busy = perRequest(g.workers.busyUs, g.requests);
        out.push(
          busy === "0.0"
            ? `Worker threads (${p.workerFiles.length}): idle during the measured windows.`
            : `Worker threads (${p.workerFiles.length}): busy ${busy} µs/req; top: ${top}.`,
          "",
        );
      }
    }
  }
  for (const m of missing) out.push(`- ${m}`);
  return out.join("\n");
}
