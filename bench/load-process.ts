/**
 * Runs one load-generator process (wrk or a node child) pinned to the load core and
 * reads its marker lines. The hooks fire at the edges of the measured window so the
 * orchestrator samples the servers' CPU time exactly around it.
 */
import { createInterface } from "node:readline";
import { spawnTracked, stopChild } from "./children.js";
import { RESULT_MARKER, START_MARKER } from "./child-protocol.js";

export interface WindowHooks {
  onStart(): void;
  onEnd(): void;
}

export interface LoadProcessOptions {
  cmd: string;
  args: readonly string[];
  cpus: string | null;
  hooks: WindowHooks;
  /** wrk has no warm-up and prints no start marker: its window starts at spawn. */
  startsAtSpawn: boolean;
  /** Kill the process if it has not reported by then (a hung target must not hang the bench). */
  timeoutMs: number;
}

/** Resolves with the parsed JSON of the result line. */
export function runLoadProcess(opts: LoadProcessOptions): Promise<unknown> {
  const child = spawnTracked(opts.cmd, opts.args, { cpus: opts.cpus, stdio: ["ignore", "pipe", "pipe"] });
  if (opts.startsAtSpawn) opts.hooks.onStart();
  let result: unknown;
  let gotResult = false;
  let stderrTail = "";
  let stdoutTail = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderrTail = (stderrTail + d.toString("utf8")).slice(-2000);
  });
  const lines = createInterface({ input: child.stdout ?? process.stdin });
  lines.on("line", (line) => {
    if (line === START_MARKER) {
      opts.hooks.onStart();
    } else if (line.startsWith(RESULT_MARKER)) {
      opts.hooks.onEnd();
      gotResult = true;
      result = JSON.parse(line.slice(RESULT_MARKER.length));
    } else {
      stdoutTail = `${stdoutTail + line}\n`.slice(-2000);
    }
  });
  const timer = setTimeout(() => void stopChild(child), opts.timeoutMs);
  return new Promise((resolve, reject) => {
    child.once("error", (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${opts.cmd}: ${err.message}`));
    });
    // 'close' (not 'exit') so every stdout line has been read.
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      if (gotResult) resolve(result);
      else
        reject(
          new Error(
            `${opts.cmd} ended (${signal ?? `code ${String(code)}`}) without a result: ` +
              `${(stderrTail || stdoutTail).trim().slice(-500)}`,
          ),
        );
    });
  });
}
