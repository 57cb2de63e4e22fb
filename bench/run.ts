/**
 * `npm run bench`: the mock upstream direct, the floor proxy, and litegate in three
 * configurations (open, master key + SQLite, virtual key), each its own process, driven
 * on loopback by the same pinned load generator in the same run, then one report.
 *
 * Each round runs every scenario on every target, interleaved (c=16 on all targets,
 * then c=64, then streams), each run cut into slices in which the targets take turns,
 * with the targets' order rotated from round to round, so drift in the machine
 * (thermal, neighbours) lands on all of them alike. Idle servers
 * cost nothing while another is measured. Each round starts fresh gateway processes (see
 * startGateways). Ratios against the floor are taken within a round and the report gives
 * their median. See bench/README.md.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { checkTarget } from "./check.js";
import { installCleanup, isRunning, pinSelf, stopChild } from "./children.js";
import { createLoadGenerator, type LoadGenerator, type LoadTarget, NO_HOOKS } from "./load.js";
import { describeMachine } from "./machine.js";
import { measure, mergeSlices, type Cell, type Target } from "./measure.js";
import { analyzeProfile, renderProfiles, type TargetProfile } from "./profiles.js";
import { checkTargets, renderReport, summarize, type RoundCells, type RunInfo } from "./report.js";
import { API_KEY, headersFor, MODEL_ALIAS, PATH } from "./request.js";
import { logTail, startFloor, startLitegate, startMock, type Server } from "./servers.js";
import { startTraceSink, type TraceSink } from "./trace-sink.js";
import { fileExists, loadSettings } from "./settings.js";
import { isGateway, SCENARIOS, TARGETS, type TargetName } from "./targets.js";

const log = (msg: string): void => void process.stderr.write(`bench: ${msg}\n`);
const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

const settings = loadSettings(MODEL_ALIAS);
// Before pinning ourselves below, or the machine would report a single CPU.
const machine = describeMachine();
const tmpDir = mkdtempSync(join(tmpdir(), "litegate-bench-"));
installCleanup(() => rmSync(tmpDir, { recursive: true, force: true }));

pinSelf(settings.loadCpus);

const gen: LoadGenerator = createLoadGenerator(settings, tmpDir);
const info: RunInfo = {
  startedAt: new Date().toISOString(),
  machine,
  loadGenerator: gen.description,
  durationSec: settings.durationSec,
  slices: settings.slices,
  sliceSec: settings.sliceSec,
  warmupSec: settings.warmupSec,
  leadInSec: settings.leadInSec,
  rounds: settings.rounds,
  processes: settings.processes,
  targets: settings.targets,
  streamGapMs: settings.streamGapMs,
  loadCpus: settings.loadCpus,
  serverCpus: settings.serverCpus,
  pinningNote: settings.pinningNote,
  profile: settings.profile,
  vkeyBody: settings.vkeyBody,
};
log(`load generator: ${gen.description}`);
log(
  `targets: ${settings.targets.join(", ")}; ${settings.rounds} round(s) of ` +
    `${settings.slices * settings.sliceSec} s runs in ${settings.sliceSec} s slices, ` +
    `${settings.processes} process(es) of each gateway per round`,
);
if (gen.kind === "autocannon") log("WARNING: wrk not used; install it (apt-get install wrk) for comparable numbers");
if (settings.pinningNote !== null) log(`WARNING: ${settings.pinningNote}`);
if (settings.durationSec < 10) {
  log(`WARNING: ${settings.durationSec} s runs are a smoke test; use >= 10 s for real numbers`);
}

const servers: Server[] = [];
const unavailable: Partial<Record<TargetName, string>> = {};
/** Each target's processes: one for direct and the floor, settings.processes per gateway (this round's). */
const targets = new Map<TargetName, Target[]>();

function loadTarget(port: number, token: string): LoadTarget {
  return { url: `http://127.0.0.1:${port}${PATH}`, headers: headersFor(token) };
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

/** Where the traced gateway exports its spans; started only when it runs. */
let traceSink: TraceSink | undefined;

async function startTargets(mock: Server): Promise<void> {
  if (settings.targets.includes("direct")) {
    targets.set("direct", [{ name: "direct", server: mock, load: loadTarget(mock.port, API_KEY) }]);
  }
  const floor = await startFloor(settings, tmpDir, mock.port);
  servers.push(floor);
  targets.set("floor", [{ name: "floor", server: floor, load: loadTarget(floor.port, API_KEY) }]);
  await startGateways(mock, 0);
}

/**
 * Starts each gateway of the run, in a directory of the round's, and checks it (the round warms
 * every process up, in turns: warmUpInTurns).
 * Every round has fresh gateways (except under BENCH_PROFILE, whose profile is one process's
 * whole run): how V8 happened to compile a process moves its CPU per request by several
 * percent for as long as it lives, so a gateway kept for the whole run would carry one draw
 * of that luck into every round, and the median over rounds could not even it out. For the
 * same reason a gateway has settings.processes processes per round (each in its own directory,
 * with its own store and key), which take its slices in turn.
 */
async function startGateways(mock: Server, round: number): Promise<void> {
  const dir = join(tmpDir, `round-${round + 1}`);
  mkdirSync(dir, { recursive: true });
  const started: TargetName[] = [];
  for (const name of settings.targets) {
    if (!isGateway(name) || unavailable[name] !== undefined) continue;
    if (name === "traced") traceSink ??= await startTraceSink();
    const processes: Target[] = [];
    for (let i = 0; i < settings.processes; i++) {
      const gw = await startLitegate(settings, join(dir, `process-${i + 1}`), mock.port, name, traceSink?.port);
      if ("error" in gw) {
        unavailable[name] = gw.error;
        log(`${name}: n/a (${gw.error})`);
        break;
      }
      servers.push(gw.server);
      processes.push({ name, server: gw.server, load: loadTarget(gw.server.port, gw.token) });
    }
    if (unavailable[name] !== undefined) {
      await stopProcesses(processes);
      continue;
    }
    targets.set(name, processes);
    started.push(name);
  }
  const ports = (list: Target[]): string => list.map((t) => `:${t.server.port}`).join(" ");
  log(`mock :${mock.port}; ${[...targets].map(([name, list]) => `${name} ${ports(list)}`).join(", ")}`);
  for (const [name, list] of [...targets]) {
    // The mock and the floor are started once and checked with the first round's gateways.
    if (round > 0 && !started.includes(name)) continue;
    for (const t of list) {
      const problem = await checkTarget(t.load);
      if (problem === null) continue;
      await dropTarget(name, list, problem);
      break;
    }
  }
}

/** A target that failed is left out of the run (its processes stopped); the floor or the mock failing ends it. */
async function dropTarget(name: TargetName, list: readonly Target[], problem: string): Promise<void> {
  // direct and floor are the bench's own code: if they fail, the bench is broken.
  if (!isGateway(name)) throw new Error(`${name}: ${problem}`);
  unavailable[name] = problem;
  targets.delete(name);
  await stopProcesses(list);
  log(`${name}: n/a (${problem})`);
}

/** The targets of a round in the order they take their turns, rotated so no target is always first (or right after the floor). */
function roundOrder(round: number): TargetName[] {
  const present = TARGETS.filter((t) => targets.has(t));
  return present.map((_, i) => present[(i + round) % present.length]).filter((t) => t !== undefined);
}

/**
 * Warms every process up before a round is measured, in the round's turns: BENCH_WARMUP
 * seconds of load each (c=64, then streams), given a slice's length at a time (each after the
 * lead-in the load generator gives every run), every process in the order of the turns that
 * follow. So each process waits as long between its last warm-up and its first slice as
 * between two slices. Warmed one after another instead, the
 * first warmed waited for every other's warm-up, and a process resuming after a long idle is
 * slow for seconds: vkey's, warmed first, began every round's c=16 at a third to a half of its
 * speed, with a second of lead-in before each slice or without.
 */
async function warmUpInTurns(round: number): Promise<void> {
  const turns = settings.warmupSec / settings.sliceSec;
  for (let k = 0; k < turns; k++) {
    for (const name of roundOrder(round)) {
      const list = targets.get(name) ?? [];
      for (const t of list) {
        try {
          // c=64 so proxies' upstream pools already hold every connection the runs will need.
          await gen.nonStream(t.load, 64, settings.sliceSec, NO_HOOKS);
          await gen.stream(t.load, 16, settings.sliceSec, NO_HOOKS);
        } catch (err) {
          await dropTarget(name, list, `warm-up failed: ${errorText(err)}`);
          break;
        }
      }
    }
  }
}

async function stopProcesses(list: readonly Target[]): Promise<void> {
  for (const t of list) {
    await stopChild(t.server.child);
    const at = servers.indexOf(t.server);
    if (at !== -1) servers.splice(at, 1);
  }
}

/** Stops the round's gateways before the next round starts its own. */
async function stopGateways(): Promise<void> {
  for (const [name, list] of [...targets]) {
    if (!isGateway(name)) continue;
    await stopProcesses(list);
    targets.delete(name);
  }
}

/**
 * One round: the warm-up, then each scenario runs on every target in slices, the targets taking turns
 * (floor, vkey, traced, floor, vkey, traced, …, the order rotated from round to round),
 * so the machine's drift within the round lands on all of them alike; a gateway's processes
 * take its turns in turn. A target's slices are then merged into its run.
 */
async function runRound(round: number, mock: Server): Promise<RoundCells> {
  await warmUpInTurns(round);
  const order = roundOrder(round);
  const cells = {} as RoundCells;
  const at = `round ${round + 1}/${settings.rounds}`;
  for (const s of SCENARIOS) {
    const slices = new Map<TargetName, Cell[]>();
    log(`${at} ${s.label}: ${order.join(", ")} in turn, ${settings.slices} × ${settings.sliceSec} s each`);
    for (let k = 0; k < settings.slices; k++) {
      for (const name of order) {
        const list = targets.get(name);
        const t = list?.[k % list.length];
        if (list === undefined || t === undefined) continue;
        let measured = slices.get(name);
        if (measured === undefined) {
          measured = [];
          slices.set(name, measured);
        }
        measured.push(await measure(gen, t, mock, s, settings.sliceSec));
        if (!isRunning(t.server.child)) {
          unavailable[name] = `process exited mid-run: ${logTail(t.server.logPath, 300)}`;
          targets.delete(name);
          await stopProcesses(list.filter((other) => other !== t));
          // The floor is what every ratio divides by: without it the run means nothing.
          if (name === "floor") throw new Error(`floor: ${unavailable[name]}`);
        }
      }
    }
    cells[s.id] = {};
    for (const [name, parts] of slices) {
      const cell = mergeSlices(parts);
      cells[s.id][name] = cell;
      log(`${at} ${s.label} ${name}: ${describeCell(cell)}`);
    }
  }
  return cells;
}

/** Stops the profiled processes (--cpu-prof writes at exit) and ranks each one's costs. */
async function collectProfiles(
  rounds: readonly RoundCells[],
): Promise<{ markdown: string; profiles: TargetProfile[] }> {
  // Under BENCH_PROFILE every target has one process.
  const profiled = [...targets.values()].flat().filter((t) => t.server.profileDir !== null);
  // A profile of a few minutes is tens of MB: give the exit time to write it.
  await Promise.all(profiled.map((t) => stopChild(t.server.child, 60_000)));
  const dir = join(settings.resultsDir, "profiles");
  // Only this run's profiles in there.
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const found: TargetProfile[] = [];
  const missing: string[] = [];
  for (const t of profiled) {
    const src = t.server.profileDir ?? "";
    // V8 names them CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile; thread 0 is the main thread.
    const files = fileExists(src) ? readdirSync(src).filter((f) => f.endsWith(".cpuprofile")) : [];
    const thread = (f: string): number => Number(f.split(".")[4]);
    const main = files.find((f) => thread(f) === 0);
    if (main === undefined) {
      missing.push(`${t.name}: no main-thread profile written in ${src}`);
      continue;
    }
    const keep = (f: string, name: string): string => {
      const kept = join(dir, name);
      copyFileSync(join(src, f), kept);
      return kept;
    };
    const workers = files.filter((f) => f !== main).map((f) => keep(f, `${t.name}.thread-${thread(f)}.cpuprofile`));
    try {
      found.push(analyzeProfile(t.name, keep(main, `${t.name}.cpuprofile`), workers, rounds));
    } catch (err) {
      missing.push(`${t.name}: ${errorText(err)}`);
    }
  }
  return { markdown: renderProfiles(found, missing), profiles: found };
}

async function main(): Promise<void> {
  const mock = await startMock(settings, tmpDir);
  servers.push(mock);
  await startTargets(mock);
  const rounds: RoundCells[] = [];
  for (let r = 0; r < settings.rounds; r++) {
    if (r > 0 && !settings.profile) {
      await stopGateways();
      await startGateways(mock, r);
    }
    rounds.push(await runRound(r, mock));
  }

  const summary = summarize(rounds, settings.targets);
  const checks = checkTargets(summary);
  let report = renderReport(info, summary, checks, rounds, unavailable);
  if (traceSink !== undefined) {
    report += `\nThe trace sink received ${traceSink.exports} OTLP exports (${(traceSink.bytes / 1048576).toFixed(1)} MB) from the traced gateway.\n`;
  }
  let profiles: TargetProfile[] = [];
  if (settings.profile) {
    const collected = await collectProfiles(rounds);
    report += `\n${collected.markdown}\n`;
    profiles = collected.profiles;
  }
  mkdirSync(settings.resultsDir, { recursive: true });
  const mdPath = join(settings.resultsDir, "latest.md");
  const jsonPath = join(settings.resultsDir, "latest.json");
  writeFileSync(mdPath, report);
  writeFileSync(jsonPath, `${JSON.stringify({ ...info, unavailable, summary, checks, profiles, rounds }, null, 2)}\n`);
  const written = `${relative(process.cwd(), mdPath)} and ${relative(process.cwd(), jsonPath)}`;
  process.stdout.write(`\n${report}\nWritten to ${written}\n`);
}

try {
  await main();
} catch (err) {
  log(`failed: ${errorText(err)}`);
  process.exitCode = 1;
} finally {
  await Promise.all(servers.map((s) => stopChild(s.child)));
  await traceSink?.close();
  rmSync(tmpDir, { recursive: true, force: true });
}
