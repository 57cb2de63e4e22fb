/**
 * One measured window against one target: load from the pinned generator, and around
 * exactly that window the CPU time and peak RSS of the process under test (the mock for
 * "direct", the proxy otherwise) read from /proc, and the window's edges on the
 * monotonic clock (the one V8's CPU profiles use) for BENCH_PROFILE.
 */
import { isRunning } from "./children.js";
import type { LoadGenerator, LoadTarget } from "./load.js";
import { readCpuTicks, readPeakRssKb, resetPeakRss, ticksToMicros } from "./proc-stats.js";
import type { Server } from "./servers.js";
import type { Scenario, TargetName } from "./targets.js";
import type { LoadResult } from "./types.js";

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
  /** The measured window on CLOCK_MONOTONIC, µs (V8 profile timestamps use the same clock on Linux). */
  windowUs: [number, number];
}

export type Cell = { ok: true; m: Measurement } | { ok: false; reason: string };

/** Above this share of failed requests a run's numbers are not comparable. */
const MAX_ERROR_SHARE = 0.01;

const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);

export async function measure(
  gen: LoadGenerator,
  target: Target,
  mock: Server,
  scenario: Scenario,
  durationSec: number,
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
    },
    onEnd: (): void => {
      windowUs[1] = monotonicUs();
      cpu1 = readCpuTicks(pid);
      if (behindProxy) mock1 = readCpuTicks(mock.pid);
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
  return {
    ok: true,
    m: {
      load,
      cpuUsPerRequest: ticksToMicros(cpu1 - cpu0) / load.requests,
      mockCpuUsPerRequest: behindProxy ? ticksToMicros(mock1 - mock0) / load.requests : null,
      peakRssMb: peakRssKb / 1024,
      peakRssScope: scoped ? "scenario" : "lifetime",
      windowUs,
    },
  };
}
