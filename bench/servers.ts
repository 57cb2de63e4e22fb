/**
 * Starts the servers as separate pinned child processes (so /proc gives each its own CPU
 * time and peak RSS) and waits until each accepts connections. Their output goes to log
 * files, not pipes: nobody has to read it during a run, and a failing gateway's last
 * lines can still be quoted in the report. Each gateway runs in a directory of its own
 * under the run's temp dir: the master and vkey gateways open their default SQLite store
 * (./litegate.db) there, never in the repository.
 */
import type { ChildProcess } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { request } from "undici";
import { isRecord } from "./child-protocol.js";
import { isRunning, spawnTracked, stopChild } from "./children.js";
import { API_KEY, MASTER_KEY, MODEL_ALIAS } from "./request.js";
import { fileExists, type Settings } from "./settings.js";
import type { GatewayName } from "./targets.js";

export interface Server {
  name: string;
  port: number;
  pid: number;
  child: ChildProcess;
  logPath: string;
  /**
   * Where --cpu-prof writes this process's profiles at exit, one per thread
   * (CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile; thread 0 is the main one); null when not profiled.
   */
  profileDir: string | null;
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

interface ServerSpec {
  name: string;
  /** Script and its arguments, after node's own flags. */
  args: readonly string[];
  port: number;
  cwd: string;
  profile: boolean;
  timeoutMs: number;
  /** What the server runs under (bench/instructions.ts: valgrind); none by default. */
  under?: Under | undefined;
}

/** A command a server runs under (valgrind and its options, before node), and node flags it then needs. */
export interface Under {
  command: readonly string[];
  nodeFlags: readonly string[];
}

async function startServer(settings: Settings, tmpDir: string, spec: ServerSpec): Promise<Server> {
  const logPath = join(tmpDir, `${spec.name}.log`);
  // A directory per process and V8's own file names: with one fixed --cpu-prof-name, worker threads
  // (litegate's token counting) would overwrite the main thread's profile.
  const profileDir = join(tmpDir, "profiles", spec.name);
  const nodeFlags = [
    ...(spec.profile ? ["--cpu-prof", "--cpu-prof-dir", profileDir] : []),
    ...(spec.under?.nodeFlags ?? []),
  ];
  const fd = openSync(logPath, "w");
  const [cmd, ...underArgs] = [...(spec.under?.command ?? []), process.execPath];
  const child = spawnTracked(cmd ?? process.execPath, [...underArgs, ...nodeFlags, ...spec.args], {
    cpus: settings.serverCpus,
    stdio: ["ignore", fd, fd],
    cwd: spec.cwd,
  });
  closeSync(fd);
  const pid = child.pid;
  const deadline = Date.now() + spec.timeoutMs;
  while (pid !== undefined && isRunning(child) && Date.now() < deadline) {
    if (await canConnect(spec.port)) {
      return { name: spec.name, port: spec.port, pid, child, logPath, profileDir: spec.profile ? profileDir : null };
    }
    await sleep(50);
  }
  const why = !isRunning(child)
    ? `exited (${child.signalCode ?? `code ${String(child.exitCode)}`})`
    : pid === undefined
      ? "could not be spawned"
      : `did not listen on 127.0.0.1:${spec.port} within ${spec.timeoutMs / 1000} s`;
  await stopChild(child);
  const tail = logTail(logPath);
  throw new Error(`${spec.name} ${why}${tail === "" ? "" : `: ${tail}`}`);
}

export async function startMock(settings: Settings, tmpDir: string): Promise<Server> {
  const port = await freePort();
  const args = [join(settings.benchDistDir, "mock-upstream.js"), "--port", String(port)];
  args.push("--chunk-gap-ms", String(settings.streamGapMs));
  return startServer(settings, tmpDir, { name: "mock", args, port, cwd: tmpDir, profile: false, timeoutMs: 10_000 });
}

export async function startFloor(settings: Settings, tmpDir: string, mockPort: number): Promise<Server> {
  const port = await freePort();
  const script = join(settings.benchDistDir, "floor-proxy.js");
  const args = [script, "--port", String(port), "--upstream", `http://127.0.0.1:${mockPort}`];
  return startServer(settings, tmpDir, {
    name: "floor",
    args,
    port,
    cwd: tmpDir,
    profile: settings.profile,
    timeoutMs: 10_000,
  });
}

/**
 * config.yaml for one gateway: the mock as its only model; master, vkey, metrics, traced and cached
 * add the master key (and so the store), metrics the Prometheus callback, traced Prometheus and
 * OpenTelemetry exporting to the trace sink on `tracesPort`, cached the response cache.
 */
export function litegateConfig(
  mockPort: number,
  withMasterKey: boolean,
  withMetrics = false,
  tracesPort?: number,
  withCache = false,
): string {
  const callbacks = tracesPort !== undefined ? "[prometheus, otel]" : withMetrics ? "[prometheus]" : undefined;
  const litellm = [
    ...(callbacks === undefined ? [] : [`  callbacks: ${callbacks}\n`]),
    ...(withCache ? ["  cache: true\n"] : []),
  ];
  return `model_list:
  - model_name: ${MODEL_ALIAS}
    litellm_params:
      model: text-completion-openai/gpt-3.5-turbo-instruct
      api_base: http://127.0.0.1:${mockPort}/v1
      api_key: ${API_KEY}
general_settings:
  graceful_shutdown_timeout_seconds: 5
${withMasterKey ? `  master_key: ${MASTER_KEY}\n` : ""}${litellm.length === 0 ? "" : `litellm_settings:\n${litellm.join("")}`}${
  tracesPort === undefined
    ? ""
    : `environment_variables:\n  OTEL_EXPORTER_OTLP_ENDPOINT: http://127.0.0.1:${tracesPort}\n`
}`;
}

/** POST /key/generate with the master key; the new key's plaintext. */
async function generateVirtualKey(port: number, body: Record<string, unknown>): Promise<string> {
  const res = await request(`http://127.0.0.1:${port}/key/generate`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${MASTER_KEY}` },
    body: JSON.stringify(body),
    headersTimeout: 10_000,
    bodyTimeout: 10_000,
  });
  const text = await res.body.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    // Reported below.
  }
  if (res.statusCode !== 200 || !isRecord(json) || typeof json.key !== "string") {
    throw new Error(`/key/generate answered HTTP ${res.statusCode}: ${text.slice(0, 300)}`);
  }
  return json.key;
}

export interface Gateway {
  server: Server;
  /** The bearer token the load sends: the upstream's key (open), the master key, or the virtual key. */
  token: string;
}

/** litegate may be built in parallel with this bench: absence or failure is a result, not a crash. */
export async function startLitegate(
  settings: Settings,
  tmpDir: string,
  mockPort: number,
  kind: GatewayName,
  tracesPort?: number,
  /** Runs the gateway under a command (bench/instructions.ts: valgrind), given longer to start. */
  under?: Under,
): Promise<Gateway | { error: string }> {
  if (!fileExists(settings.litegateCli)) {
    return { error: `${settings.litegateCli} not found (litegate's CLI is not built yet)` };
  }
  const cwd = join(tmpDir, kind);
  mkdirSync(cwd, { recursive: true });
  const withMasterKey = kind !== "open";
  const config = litegateConfig(
    mockPort,
    withMasterKey,
    kind === "metrics",
    kind === "traced" ? tracesPort : undefined,
    kind === "cached",
  );
  writeFileSync(join(cwd, "config.yaml"), config);
  const port = await freePort();
  const args = [settings.litegateCli, "--config", "config.yaml", "--port", String(port), "--host", "127.0.0.1"];
  let server: Server | undefined;
  try {
    const profile = settings.profile;
    const timeoutMs = under === undefined ? 20_000 : 180_000;
    server = await startServer(settings, tmpDir, { name: kind, args, port, cwd, profile, timeoutMs, under });
    // The point of master and vkey is the default store: make sure that is what they opened.
    if (withMasterKey && !fileExists(join(cwd, "litegate.db"))) {
      throw new Error(`no default SQLite store (./litegate.db) in its working directory ${cwd}`);
    }
    const token =
      kind === "vkey" || kind === "metrics" || kind === "traced" || kind === "cached"
        ? await generateVirtualKey(port, settings.vkeyBody)
        : kind === "master"
          ? MASTER_KEY
          : API_KEY;
    return { server, token };
  } catch (err) {
    if (server !== undefined) await stopChild(server.child);
    return { error: err instanceof Error ? err.message : String(err) };
  }
}
