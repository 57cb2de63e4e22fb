/** The `litegate` command started as a child process, as operators run it. */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const CLI = join(fileURLToPath(new URL("../../../", import.meta.url)), "dist/src/cli.js");

export interface RunningCli {
  child: ChildProcess;
  url: string;
  port: number;
  /** What it has written so far. */
  stdout(): string;
  stderr(): string;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<void>;
}

/**
 * Starts the CLI on a free port of 127.0.0.1 and waits for its "listening" line; `cwd` is a temp dir, so nothing
 * lands in the repo. `nodeFlags` go to node before the script (V8's tracing flags, say).
 */
export async function startCli(
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
  nodeFlags: readonly string[] = [],
): Promise<RunningCli> {
  const child = spawn(process.execPath, [...nodeFlags, CLI, ...args, "--port", "0", "--host", "127.0.0.1"], {
    cwd,
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stderr?.on("data", (d: Buffer) => (err += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const match = /listening on (http:\/\/[\d.]+:\d+)/.exec(out);
      if (match) resolve(match[1] as string);
    });
    child.once("exit", (code) => reject(new Error(`exited with ${code}: ${err}`)));
  });
  return {
    child,
    url,
    port: Number(new URL(url).port),
    stdout: () => out,
    stderr: () => err,
    async stop() {
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      await exited;
    },
  };
}
