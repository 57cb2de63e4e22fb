/**
 * Starts the three servers as separate pinned child processes (so /proc gives each its
 * own CPU time and peak RSS) and waits until each accepts connections. Their output goes
 * to log files, not pipes: nobody has to read it during a run, and a failing litegate's
 * last lines can still be quoted in the report.
 */
import type { ChildProcess } from "node:child_process";
import { closeSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { hashKey, keyName } from "../src/access/key-token.js";
import { SqliteStore } from "../src/store/sqlite-store.js";
import { isRunning, spawnTracked, stopChild } from "./children.js";
import { API_KEY, MODEL_ALIAS } from "./request.js";
import { fileExists, type Settings } from "./settings.js";

export interface Server {
  name: string;
  port: number;
  pid: number;
  child: ChildProcess;
  logPath: string;
}

/** A free loopback port (the kernel picks it; the tiny race before reuse is acceptable here). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ port, host: "127.0.0.1" });
    sock.once("connect", () => {
      sock.destroy();
      resolve(true);
    });
    sock.once("error", () => resolve(false));
  });
}

export function logTail(path: string, chars = 600): string {
  try {
    return readFileSync(path, "utf8").trim().slice(-chars);
  } catch {
    return "";
  }
}

async function startServer(
  settings: Settings,
  name: string,
  args: readonly string[],
  port: number,
  tmpDir: string,
  timeoutMs: number,
): Promise<Server> {
  const logPath = join(tmpDir, `${name}.log`);
  const fd = openSync(logPath, "w");
  const child = spawnTracked(process.execPath, args, { cpus: settings.serverCpus, stdio: ["ignore", fd, fd] });
  closeSync(fd);
  const pid = child.pid;
  const deadline = Date.now() + timeoutMs;
  while (pid !== undefined && isRunning(child) && Date.now() < deadline) {
    if (await canConnect(port)) return { name, port, pid, child, logPath };
    await sleep(50);
  }
  const why = !isRunning(child)
    ? `exited (${child.signalCode ?? `code ${String(child.exitCode)}`})`
    : pid === undefined
      ? "could not be spawned"
      : `did not listen on 127.0.0.1:${port} within ${timeoutMs / 1000} s`;
  await stopChild(child);
  const tail = logTail(logPath);
  throw new Error(`${name} ${why}${tail === "" ? "" : `: ${tail}`}`);
}

export async function startMock(settings: Settings, tmpDir: string): Promise<Server> {
  const port = await freePort();
  const args = [join(settings.benchDistDir, "mock-upstream.js"), "--port", String(port)];
  args.push("--chunk-gap-ms", String(settings.streamGapMs));
  return startServer(settings, "mock", args, port, tmpDir, 10_000);
}

export async function startFloor(settings: Settings, tmpDir: string, mockPort: number): Promise<Server> {
  const port = await freePort();
  const args = [
    join(settings.benchDistDir, "floor-proxy.js"),
    "--port",
    String(port),
    "--upstream",
    `http://127.0.0.1:${mockPort}`,
  ];
  return startServer(settings, "floor", args, port, tmpDir, 10_000);
}

/**
 * BENCH_KEYS: the bench's API key becomes a virtual key in a fresh SQLite store, with every
 * limit and a budget set (high enough never to trip), so each request takes the whole key
 * path: lookup, allowlist, budget, rpm/tpm/parallel admission, spend record.
 */
async function seedVirtualKey(databasePath: string): Promise<void> {
  const store = SqliteStore.open({ path: databasePath });
  await store.createKey({
    token_hash: hashKey(API_KEY),
    key_name: keyName(API_KEY),
    models: [MODEL_ALIAS],
    max_budget: 1e9,
    rpm_limit: 1e9,
    tpm_limit: 1e12,
    max_parallel_requests: 1e6,
  });
  await store.close();
}

export async function writeLitegateConfig(tmpDir: string, mockPort: number, keys: boolean): Promise<string> {
  const path = join(tmpDir, "config.yaml");
  const databasePath = join(tmpDir, "bench.db");
  if (keys) await seedVirtualKey(databasePath);
  writeFileSync(
    path,
    `model_list:
  - model_name: ${MODEL_ALIAS}
    litellm_params:
      model: text-completion-openai/gpt-3.5-turbo-instruct
      api_base: http://127.0.0.1:${mockPort}/v1
      api_key: ${API_KEY}
${keys ? `general_settings:
  master_key: sk-bench-master
  database_path: ${databasePath}
` : ""}`,
  );
  return path;
}

/** litegate is built in parallel with this bench: absence or failure is a result, not a crash. */
export async function startLitegate(
  settings: Settings,
  tmpDir: string,
  mockPort: number,
): Promise<Server | { error: string }> {
  if (!fileExists(settings.litegateCli)) {
    return { error: `${settings.litegateCli} not found (litegate's CLI is not built yet)` };
  }
  const config = await writeLitegateConfig(tmpDir, mockPort, settings.keys);
  const port = await freePort();
  const args = [settings.litegateCli, "--config", config, "--port", String(port), "--host", "127.0.0.1"];
  try {
    return await startServer(settings, "litegate", args, port, tmpDir, 20_000);
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
}
