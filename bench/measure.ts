/**
 * One measured window against one target: load from the pinned generator, and around
 * exactly that window the CPU time and peak RSS of the process under test (the mock for
 * "direct", the proxy otherwise) read from /proc, and the window's edges on the
 * monotonic clock (the one V8's CPU profiles use) for BENCH_PROFILE.
 */
import { isRunning } from "./children.js";
import type { LoadGenerator, LoadTarget } from "./load.js";
import type { WindowHooks } from "./load-process.js";
import { readCpuTicks, readPeakRssKb, resetPeakRss, ticksToMicros } from "./proc-stats.js";
import type { Server } from "./servers.js";
import type { Scenario, TargetName } from "./targets.js";
import { median } from "./percentiles.js";
import type { LatencySummary, LoadResult } from "./types.js";

export interface Target {
  name: TargetName;
  /** The process the load hits and whose CPU/RSS is reported (the mock for direct). */
  server: Server;
  load: LoadTarget;
}

export interface Measurement {
  load: LoadResult;
  /** CPU time of the process under test per completed request, µs. */
  cpuUsPerRequest: number;
  /** The mock's CPU per request behind a proxy: should match direct's, else the proxy changes upstream work. */
  mockCpuUsPerRequest: number | null;
  peakRssMb: number;
  /** "scenario" when VmHWM could be reset before the window; else the process's lifetime peak. */
  peakRssScope: "scenario" | "lifetime";
  /** Each slice's requests, req/s and CPU µs per request, in the order measured (one entry for a run not sliced). */
  slices: { requests: number; requestsPerSec: number; cpuUsPerRequest: number }[];
  /** The measured windows (a run's slices) on CLOCK_MONOTONIC, µs (V8 profile timestamps use the same clock on Linux). */
  windowsUs: [number, number][];
}

export type Cell = { ok: true; m: Measurement } | { ok: false; reason: string };

/** Above this share of failed requests a run's numbers are not comparable. */
const MAX_ERROR_SHARE = 0.01;

const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);

/** `window`: told when the measured window opens and closes, for readings of its own (bench:steady's counters). */
export async function measure(
  gen: LoadGenerator,
  target: Target,
  mock: Server,
  scenario: Scenario,
  durationSec: number,
  window?: WindowHooks,
): Promise<Cell> {
  const pid = target.server.pid;
  const behindProxy = target.server.pid !== mock.pid;
  const scoped = resetPeakRss(pid);
  let cpu0 = 0;
  let cpu1 = 0;
  let mock0 = 0;
  let mock1 = 0;
  const windowUs: [number, number] = [0, 0];
  const hooks = {
    onStart: (): void => {
      windowUs[0] = monotonicUs();
      cpu0 = readCpuTicks(pid);
      if (behindProxy) mock0 = readCpuTicks(mock.pid);
      window?.onStart();
    },
    onEnd: (): void => {
      windowUs[1] = monotonicUs();
      cpu1 = readCpuTicks(pid);
      if (behindProxy) mock1 = readCpuTicks(mock.pid);
      window?.onEnd();
    },
  };
  let load: LoadResult;
  try {
    load = scenario.stream
      ? await gen.stream(target.load, scenario.connections, durationSec, hooks)
      : await gen.nonStream(target.load, scenario.connections, durationSec, hooks);
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? err.message : String(err) };
  }
  if (!isRunning(target.server.child)) {
    return { ok: false, reason: `${target.server.name} process died during the run` };
  }
  const total = load.requests + load.errors;
  if (load.requests === 0 || load.errors > total * MAX_ERROR_SHARE) {
    return { ok: false, reason: `${load.errors} of ${total} requests failed` };
  }
  let peakRssKb: number;
  try {
    peakRssKb = readPeakRssKb(pid);
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? err.message : String(err) };
  }
  const cpuUsPerRequest = ticksToMicros(cpu1 - cpu0) / load.requests;
  return {
    ok: true,
    m: {
      load,
      cpuUsPerRequest,
      mockCpuUsPerRequest: behindProxy ? ticksToMicros(mock1 - mock0) / load.requests : null,
      peakRssMb: peakRssKb / 1024,
      peakRssScope: scoped ? "scenario" : "lifetime",
      windowsUs: [windowUs],
      slices: [{ requests: load.requests, requestsPerSec: load.requestsPerSec, cpuUsPerRequest }],
    },
  };
}

/** Request-weighted mean of the slices' values. */
function weighted(parts: readonly LoadResult[], pick: (l: LoadResult) => number): number {
  let sum = 0;
  let n = 0;
  for (const l of parts) {
    sum += pick(l) * l.requests;
    n += l.requests;
  }
  return n === 0 ? 0 : sum / n;
}

function mergeLatency(parts: readonly LoadResult[], pick: (l: LoadResult) => LatencySummary): LatencySummary {
  return {
    p50Ms: weighted(parts, (l) => pick(l).p50Ms),
    p99Ms: weighted(parts, (l) => pick(l).p99Ms),
    meanMs: weighted(parts, (l) => pick(l).meanMs),
    maxMs: Math.max(...parts.map((l) => pick(l).maxMs)),
  };
}

/**
 * One run made of slices measured apart (other targets ran in between). Its req/s and CPU
 * per request are the median slice's: this machine has been seen to stall for a second or
 * two at a time (a slice at half the speed of the ones before and after it, whatever ran in
 * it), and a stall that hit one target's slice and not the others' is the machine's noise,
 * not that target's cost; a target's own pauses (collections, trace exports) come every few
 * milliseconds and are in every slice. Counts add up. The load tools report percentiles, not
 * samples, so a run's p50 and p99 are the request-weighted means of its slices'.
 */
export function mergeSlices(slices: readonly Cell[]): Cell {
  const ms: Measurement[] = [];
  for (const c of slices) {
    if (!c.ok) return c;
    ms.push(c.m);
  }
  if (ms.length === 0) return { ok: false, reason: "no slices measured" };
  if (ms.length === 1 && ms[0] !== undefined) return { ok: true, m: ms[0] };
  const loads = ms.map((m) => m.load);
  const requests = loads.reduce((n, l) => n + l.requests, 0);
  const durationSec = loads.reduce((n, l) => n + l.durationSec, 0);
  const ttfbs = loads.filter((l) => l.ttfb !== undefined);
  const load: LoadResult = {
    tool: loads[0]?.tool ?? "",
    requests,
    errors: loads.reduce((n, l) => n + l.errors, 0),
    durationSec,
    requestsPerSec: median(loads.map((l) => l.requestsPerSec)) ?? requests / durationSec,
    latency: mergeLatency(loads, (l) => l.latency),
    ...(ttfbs.length === loads.length ? { ttfb: mergeLatency(loads, (l) => l.ttfb ?? l.latency) } : {}),
  };
  return {
    ok: true,
    m: {
      load,
      cpuUsPerRequest: median(ms.map((m) => m.cpuUsPerRequest)) ?? 0,
      mockCpuUsPerRequest: ms.every((m) => m.mockCpuUsPerRequest !== null)
        ? median(ms.map((m) => m.mockCpuUsPerRequest))
        : null,
      peakRssMb: Math.max(...ms.map((m) => m.peakRssMb)),
      peakRssScope: ms.every((m) => m.peakRssScope === "scenario") ? "scenario" : "lifetime",
      windowsUs: ms.flatMap((m) => m.windowsUs),
      slices: ms.flatMap((m) => m.slices),
    },
  };
}
