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

/** utime + stime of the whole process (all threads), in clock ticks. */
export function readCpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // comm (field 2) may contain spaces or parentheses; fields are counted after its last ')'.
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // rest[0] is field 3 (state), so field n is rest[n - 3]: utime = 14, stime = 15.
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error(`cannot parse /proc/${pid}/stat`);
  return utime + stime;
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
