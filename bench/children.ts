/**
 * Every process the bench starts goes through here, so that each can be stopped by its
 * PID on exit or Ctrl-C and none is left holding a port or a core. Pinning happens here
 * too: `taskset -c <cpus> cmd` execs cmd in place, so the PID we get is the server's own
 * and /proc/<pid> describes it rather than taskset.
 */
import { spawn, spawnSync, type ChildProcess, type StdioOptions } from "node:child_process";

const live = new Map<number, ChildProcess>();

let tasksetPresent: boolean | undefined;
export function hasTaskset(): boolean {
  tasksetPresent ??= spawnSync("taskset", ["--version"], { stdio: "ignore" }).error === undefined;
  return tasksetPresent;
}

/**
 * Pins this process (every thread) to `cpus`, off the servers' core: the orchestrator mostly
 * sleeps, but not always, and the trace sink runs in it. Nothing when pinning is off.
 */
export function pinSelf(cpus: string | null): void {
  if (cpus !== null) spawnSync("taskset", ["-a", "-cp", cpus, String(process.pid)], { stdio: "ignore" });
}

export interface SpawnOptions {
  /** CPU list for taskset (e.g. "1"); null runs unpinned. */
  cpus: string | null;
  stdio: StdioOptions;
  env?: NodeJS.ProcessEnv;
  /** Working directory (litegate writes its default SQLite store there). */
  cwd?: string;
}

export function spawnTracked(cmd: string, args: readonly string[], opts: SpawnOptions): ChildProcess {
  const pinned = opts.cpus !== null && hasTaskset();
  const base = { stdio: opts.stdio, env: opts.env ?? process.env, cwd: opts.cwd };
  const child = pinned ? spawn("taskset", ["-c", opts.cpus ?? "", cmd, ...args], base) : spawn(cmd, [...args], base);
  const pid = child.pid;
  if (pid !== undefined) {
    live.set(pid, child);
    child.once("exit", () => live.delete(pid));
  }
  // Spawn failures (ENOENT) arrive as 'error'; callers see them via exit/close handling.
  child.on("error", () => undefined);
  return child;
}

export function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** SIGTERM, then SIGKILL if the process has not exited within graceMs. */
export async function stopChild(child: ChildProcess, graceMs = 2000): Promise<void> {
  const pid = child.pid;
  if (pid === undefined || !isRunning(child)) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Synchronous so it can run in an 'exit' handler. */
export function killAllTracked(): void {
  for (const pid of live.keys()) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
  live.clear();
}

/** Installs exit/signal handlers that kill every tracked child; onSignal runs first. */
export function installCleanup(onSignal: () => void): void {
  process.once("exit", killAllTracked);
  const signals: [NodeJS.Signals, number][] = [
    ["SIGINT", 130],
    ["SIGTERM", 143],
    ["SIGHUP", 129],
  ];
  for (const [sig, code] of signals) {
    process.once(sig, () => {
      process.stderr.write(`\nbench: ${sig}, stopping child processes\n`);
      killAllTracked();
      onSignal();
      process.exit(code);
    });
  }
}
