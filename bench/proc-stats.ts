/**
 * Per-process CPU time and peak RSS from /proc, read from outside the process so the
 * servers need no instrumentation (and litegate needs none to be measured).
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";

let clkTck: number | undefined;
/** Clock ticks per second for /proc/<pid>/stat times (`getconf CLK_TCK`, almost always 100). */
export function clockTicksPerSecond(): number {
  if (clkTck === undefined) {
    const out = spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" });
    const n = Number(out.stdout?.trim());
    clkTck = Number.isFinite(n) && n > 0 ? n : 100;
  }
  return clkTck;
}

/** /proc/<pid>/stat's fields from field 3 (state) on: field n is at n - 3. */
function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // comm (field 2) may contain spaces or parentheses; fields are counted after its last ')'.
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

function statNumber(fields: readonly string[], field: number, pid: number): number {
  const n = Number(fields[field - 3]);
  if (!Number.isFinite(n)) throw new Error(`cannot parse field ${field} of /proc/${pid}/stat`);
  return n;
}

/** utime + stime of the whole process (all threads), in clock ticks. */
export function readCpuTicks(pid: number): number {
  const fields = statFields(pid);
  return statNumber(fields, 14, pid) + statNumber(fields, 15, pid);
}

/** What the kernel counts of a whole process (all threads), for per-request differences. */
export interface ProcessCounters {
  /** User and system CPU time, in µs. */
  userUs: number;
  systemUs: number;
  /** Page faults that needed no disk, and context switches the process asked for (waits) and did not (preemptions). */
  minorFaults: number;
  voluntarySwitches: number;
  involuntarySwitches: number;
}

export function readProcessCounters(pid: number): ProcessCounters {
  const fields = statFields(pid);
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const switches = (name: string): number => {
    const m = new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(status);
    if (m?.[1] === undefined) throw new Error(`no ${name} in /proc/${pid}/status`);
    return Number(m[1]);
  };
  return {
    userUs: ticksToMicros(statNumber(fields, 14, pid)),
    systemUs: ticksToMicros(statNumber(fields, 15, pid)),
    minorFaults: statNumber(fields, 10, pid),
    voluntarySwitches: switches("voluntary_ctxt_switches"),
    involuntarySwitches: switches("nonvoluntary_ctxt_switches"),
  };
}

export function ticksToMicros(ticks: number): number {
  return (ticks / clockTicksPerSecond()) * 1e6;
}

/** VmHWM: the peak resident set size, in kB. */
export function readPeakRssKb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
  if (m?.[1] === undefined) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return Number(m[1]);
}

/**
 * Resets VmHWM to the current RSS (Linux >= 4.0, same user) so each scenario's peak is
 * its own rather than the lifetime maximum. Returns false where the kernel refuses; the
 * peak then covers the process's life so far.
 */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}
