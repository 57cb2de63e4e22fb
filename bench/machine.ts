/** One line saying what the numbers were measured on, printed with the table. */
import { readFileSync } from "node:fs";
import { availableParallelism, cpus, release } from "node:os";

export interface MachineInfo {
  cpuModel: string;
  /** CPUs this process may use (affinity-aware). */
  cores: number;
  node: string;
  kernel: string;
}

export function describeMachine(): MachineInfo {
  let cpuModel = cpus()[0]?.model ?? "unknown CPU";
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"));
    if (m?.[1] !== undefined) cpuModel = m[1].trim();
  } catch {
    // Not Linux or no /proc: keep os.cpus()'s model.
  }
  return { cpuModel, cores: availableParallelism(), node: process.version, kernel: `Linux ${release()}` };
}
