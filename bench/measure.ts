/**
 * One measured window against one target: load from the pinned generator, and around
 * exactly that window the CPU time and peak RSS of the process under test (the mock for
 * "direct", the proxy otherwise) read from /proc.
 */
import { isRunning } from "./children.js";
import type { LoadGenerator } from "./load.js";
import { readCpuTicks, readPeakRssKb, resetPeakRss, ticksToMicros } from "./proc-stats.js";
import { PATH } from "./request.js";
import type { Server } from "./servers.js";
import type { LoadResult } from "./types.js";

export type TargetName = "direct" | "floor" | "litegate";
export const TARGETS: readonly TargetName[] = ["direct", "floor", "litegate"];

export type ScenarioId = "c1" | "c16" | "c64" | "stream16";
export interface Scenario {
  id: ScenarioId;
  label: string;
  connections: number;
  stream: boolean;
}
export const SCENARIOS: readonly Scenario[] = [
  { id: "c1", label: "c=1", connections: 1, stream: false },
  { id: "c16", label: "c=16", connections: 16, stream: false },
  { id: "c64", label: "c=64", connections: 64, stream: false },
  { id: "stream16", label: "stream c=16", connections: 16, stream: true },
];

export interface Target {
  name: TargetName;
  /** The process the load hits and whose CPU/RSS is reported (the mock for direct). */
  server: Server;
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
}

export type Cell = { ok: true; m: Measurement } | { ok: false; reason: string };

/** Above this share of failed requests a run's numbers are not comparable. */
const MAX_ERROR_SHARE = 0.01;

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
  const hooks = {
    onStart: (): void => {
      cpu0 = readCpuTicks(pid);
      if (behindProxy) mock0 = readCpuTicks(mock.pid);
    },
    onEnd: (): void => {
      cpu1 = readCpuTicks(pid);
      if (behindProxy) mock1 = readCpuTicks(mock.pid);
    },
  };
  const url = `http://127.0.0.1:${target.server.port}${PATH}`;
  let load: LoadResult;
  try {
    load = scenario.stream
      ? await gen.stream(url, scenario.connections, durationSec, hooks)
      : await gen.nonStream(url, scenario.connections, durationSec, hooks);
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
    },
  };
}
