/**
 * `npm run bench`: mock upstream, floor proxy and litegate side by side, each driven on
 * loopback by the same pinned load generator in the same run, then one table.
 *
 * Scenarios run interleaved (c=1 on direct, floor, litegate; then c=16 on all three; ...)
 * so that drift in the machine over the run (thermal, neighbours) lands on all targets
 * alike instead of on whichever ran last. Idle servers cost nothing while another is
 * measured. See bench/README.md for what each number means.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkTarget } from "./check.js";
import { installCleanup, isRunning, stopChild } from "./children.js";
import { createLoadGenerator, type LoadGenerator } from "./load.js";
import { describeMachine } from "./machine.js";
import { measure, SCENARIOS, TARGETS, type Cell, type Target, type TargetName } from "./measure.js";
import { PATH } from "./request.js";
import { checkTargets, compare, renderChecks, renderMarkdown, writeJson, type Results, type RunInfo } from "./report.js";
import { logTail, startFloor, startLitegate, startMock, type Server } from "./servers.js";
import { loadSettings } from "./settings.js";

const log = (msg: string): void => void process.stderr.write(`bench: ${msg}\n`);
const noHooks = { onStart: (): void => undefined, onEnd: (): void => undefined };

const settings = loadSettings();
// Before pinning ourselves below, or the machine would report a single CPU.
const machine = describeMachine();
const tmpDir = mkdtempSync(join(tmpdir(), "litegate-bench-"));
installCleanup(() => rmSync(tmpDir, { recursive: true, force: true }));

// The orchestrator itself stays off the servers' core (it mostly sleeps, but not always).
if (settings.loadCpus !== null) {
  spawnSync("taskset", ["-a", "-cp", settings.loadCpus, String(process.pid)], { stdio: "ignore" });
}

const gen: LoadGenerator = createLoadGenerator(settings, tmpDir);
const info: RunInfo = {
  startedAt: new Date().toISOString(),
  machine,
  loadGenerator: gen.description,
  durationSec: settings.durationSec,
  warmupSec: settings.warmupSec,
  streamGapMs: settings.streamGapMs,
  loadCpus: settings.loadCpus,
  serverCpus: settings.serverCpus,
  pinningNote: settings.pinningNote,
  keys: settings.keys,
};
log(`load generator: ${gen.description}`);
if (gen.kind === "autocannon") log("WARNING: wrk not used; install it (apt-get install wrk) for comparable numbers");
if (settings.pinningNote !== null) log(`WARNING: ${settings.pinningNote}`);
if (settings.durationSec < 10) log(`WARNING: ${settings.durationSec} s runs are a smoke test; use >= 10 s for real numbers`);

const servers: Server[] = [];
const unavailable: Partial<Record<TargetName, string>> = {};
const targets = new Map<TargetName, Target>();

async function warmUp(t: Target): Promise<string | null> {
  const url = `http://127.0.0.1:${t.server.port}${PATH}`;
  try {
    // c=64 so proxies' upstream pools already hold every connection the runs will need.
    await gen.nonStream(url, 64, settings.warmupSec, noHooks);
    await gen.stream(url, 16, settings.warmupSec, noHooks);
    return null;
  } catch (err) {
    return `warm-up failed: ${err instanceof Error ? err.message : String(err)}`;
  }
}

function describeCell(cell: Cell): string {
  if (!cell.ok) return `n/a (${cell.reason})`;
  const l = cell.m.load;
  const ttfb = l.ttfb === undefined ? "" : ` ttfb p50 ${l.ttfb.p50Ms.toFixed(3)} ms`;
  return (
    `${l.requestsPerSec.toFixed(0)} req/s p50 ${l.latency.p50Ms.toFixed(3)} ms${ttfb}, ` +
    `${cell.m.cpuUsPerRequest.toFixed(0)} µs CPU/req, peak RSS ${cell.m.peakRssMb.toFixed(1)} MB`
  );
}

async function main(): Promise<void> {
  const mock = await startMock(settings, tmpDir);
  servers.push(mock);
  const floor = await startFloor(settings, tmpDir, mock.port);
  servers.push(floor);
  targets.set("direct", { name: "direct", server: mock });
  targets.set("floor", { name: "floor", server: floor });
  const lg = await startLitegate(settings, tmpDir, mock.port);
  if ("error" in lg) unavailable.litegate = lg.error;
  else {
    servers.push(lg);
    targets.set("litegate", { name: "litegate", server: lg });
  }
  log(`mock :${mock.port}, floor :${floor.port}, litegate ${"error" in lg ? "n/a" : `:${lg.port}`}`);

  for (const [name, t] of [...targets]) {
    const problem = (await checkTarget(t.server.port)) ?? (await warmUp(t));
    if (problem === null) continue;
    // direct and floor are the bench's own code: if they fail, the bench is broken.
    if (name !== "litegate") throw new Error(`${name}: ${problem}`);
    unavailable.litegate = problem;
    targets.delete(name);
  }

  const results = {} as Results;
  for (const s of SCENARIOS) {
    const row = {} as Record<TargetName, Cell>;
    for (const name of TARGETS) {
      const t = targets.get(name);
      if (t === undefined) {
        row[name] = { ok: false, reason: unavailable[name] ?? "not started" };
        continue;
      }
      log(`${s.label} ${name}: running ${settings.durationSec} s`);
      const cell = await measure(gen, t, mock, s, settings.durationSec);
      row[name] = cell;
      log(`${s.label} ${name}: ${describeCell(cell)}`);
      if (!isRunning(t.server.child)) {
        unavailable[name] = `process exited mid-run: ${logTail(t.server.logPath, 300)}`;
        targets.delete(name);
      }
    }
    results[s.id] = row;
  }

  const comparisons = compare(results);
  const checks = checkTargets(results, comparisons);
  process.stdout.write(`\n${renderMarkdown(info, results, comparisons, unavailable)}\n\nTargets (litegate vs floor):\n${renderChecks(checks)}\n`);
  writeJson(settings.resultsPath, info, results, comparisons, checks, unavailable);
  process.stdout.write(`\nResults written to ${settings.resultsPath}\n`);
}

try {
  await main();
} catch (err) {
  log(`failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
} finally {
  await Promise.all(servers.map((s) => stopChild(s.child)));
  rmSync(tmpDir, { recursive: true, force: true });
}
