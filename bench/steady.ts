/**
 * `npm run bench:steady`: gateway configurations compared in steady state, process by process.
 *
 * The timed bench starts fresh gateways every round and warms each up for a few seconds; its
 * verdicts on a cost of a few per cent turn on the run (README.md, Benchmark). This starts
 * several processes of each configuration once, warms every one up, then loads them in turns
 * (`wrk`, BENCH_STEADY_CONNECTIONS, slices of BENCH_STEADY_SLICE seconds, the order rotated
 * each round), so each process is measured many times in the same state, and reports per
 * process what the kernel counts per request: user and system CPU time, minor page faults and
 * context switches, beside its requests a second (read at the edges of the slice's measured
 * window, as the timed bench's CPU figure is: after its lead-in, BENCH_LEAD_IN). A
 * configuration's figure is the mean of its processes' medians: how V8 happened to compile a
 * process moves it by several per cent for as long as it lives, so processes, not slices, are
 * the draws; their spread is reported.
 *
 *   BENCH_TARGETS               comma list of open,master,vkey,metrics,traced,cached (default vkey,metrics,traced);
 *                               ratios are against the first
 *   BENCH_STEADY_PROCESSES      processes of each (default 2)
 *   BENCH_STEADY_ROUNDS         slices of each process (default 6)
 *   BENCH_STEADY_SLICE          seconds a slice (default 2)
 *   BENCH_STEADY_WARMUP         seconds of load each process gets before the first round, in turns of a slice
 *                               (default 5; rounded up to whole slices)
 *   BENCH_STEADY_CONNECTIONS    connections (default 64)
 *   BENCH_LITEGATE_CLI          litegate entry point (default: dist/src/cli.js), as for `npm run bench`
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { installCleanup, pinSelf, stopChild } from "./children.js";
import { createLoadGenerator } from "./load.js";
import { measure, type Target } from "./measure.js";
import { median } from "./percentiles.js";
import { type ProcessCounters, readProcessCounters } from "./proc-stats.js";
import { headersFor, MODEL_ALIAS, PATH } from "./request.js";
import { startLitegate, startMock } from "./servers.js";
import { gatewayList, loadSettings, positiveCount } from "./settings.js";
import type { GatewayName, Scenario } from "./targets.js";
import { startTraceSink } from "./trace-sink.js";

const log = (msg: string): void => void process.stderr.write(`bench:steady: ${msg}\n`);

const processes = positiveCount("BENCH_STEADY_PROCESSES", 2);
const rounds = positiveCount("BENCH_STEADY_ROUNDS", 6);
const sliceSec = positiveCount("BENCH_STEADY_SLICE", 2);
/** Warm-up slices of each process: BENCH_STEADY_WARMUP seconds, rounded up to whole slices. */
const warmupSlices = Math.ceil(positiveCount("BENCH_STEADY_WARMUP", 5) / sliceSec);
const warmupSec = warmupSlices * sliceSec;
const connections = positiveCount("BENCH_STEADY_CONNECTIONS", 64);
const configurations: GatewayName[] = gatewayList();

const settings = loadSettings(MODEL_ALIAS);
const tmpDir = mkdtempSync(join(tmpdir(), "litegate-steady-"));
installCleanup(() => rmSync(tmpDir, { recursive: true, force: true }));
pinSelf(settings.loadCpus);

/** One slice's figures, each a request's share. */
type Slice = ProcessCounters & { requestsPerSec: number };

interface Measured {
  configuration: GatewayName;
  index: number;
  target: Target;
  slices: Slice[];
}

const scenario: Scenario = { id: "c64", label: `c=${connections}`, connections, stream: false };
const gen = createLoadGenerator(settings, tmpDir);
const mock = await startMock(settings, tmpDir);
const sink = await startTraceSink();
const measured: Measured[] = [];
try {
  for (const configuration of configurations) {
    for (let index = 0; index < processes; index++) {
      const dir = join(tmpDir, `${configuration}-${index + 1}`);
      mkdirSync(dir, { recursive: true });
      const gw = await startLitegate(settings, dir, mock.port, configuration, sink.port);
      if ("error" in gw) throw new Error(`${configuration}: ${gw.error}`);
      const load = { url: `http://127.0.0.1:${gw.server.port}${PATH}`, headers: headersFor(gw.token) };
      measured.push({ configuration, index, target: { name: configuration, server: gw.server, load }, slices: [] });
    }
  }
  log(`${measured.length} processes; ${warmupSec} s warm-up each, then ${rounds} rounds of ${sliceSec} s slices`);
  // In turns, as the slices that follow: warmed one after another, the first would wait the
  // longest for its first slice and begin it slow (see npm run bench's warmUpInTurns).
  for (let k = 0; k < warmupSlices; k++) {
    for (const m of measured) {
      const warm = await measure(gen, m.target, mock, scenario, sliceSec);
      if (!warm.ok) throw new Error(`${m.configuration} ${m.index + 1}: warm-up failed: ${warm.reason}`);
    }
  }
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < measured.length; k++) {
      const m = measured[(k + round) % measured.length] as Measured;
      const pid = m.target.server.pid;
      let before: ProcessCounters | undefined;
      let after: ProcessCounters | undefined;
      const window = {
        onStart: (): void => {
          before = readProcessCounters(pid);
        },
        onEnd: (): void => {
          after = readProcessCounters(pid);
        },
      };
      const cell = await measure(gen, m.target, mock, scenario, sliceSec, window);
      if (!cell.ok) throw new Error(`${m.configuration} ${m.index + 1}: ${cell.reason}`);
      // A slice that succeeded opened and closed its window.
      if (before === undefined || after === undefined) throw new Error("the slice's window was not reported");
      const n = cell.m.load.requests;
      m.slices.push({
        requestsPerSec: cell.m.load.requestsPerSec,
        userUs: (after.userUs - before.userUs) / n,
        systemUs: (after.systemUs - before.systemUs) / n,
        minorFaults: (after.minorFaults - before.minorFaults) / n,
        voluntarySwitches: (after.voluntarySwitches - before.voluntarySwitches) / n,
        involuntarySwitches: (after.involuntarySwitches - before.involuntarySwitches) / n,
      });
    }
    log(`round ${round + 1} of ${rounds}`);
  }
} finally {
  for (const m of measured) await stopChild(m.target.server.child);
  await stopChild(mock.child);
  await sink.close();
  // The gateways' stores and logs go with a failed run too.
  rmSync(tmpDir, { recursive: true, force: true });
}

// Every process has its rounds of slices (a failed slice ends the run), so a median exists.
const of = (slices: readonly Slice[], pick: (s: Slice) => number): number => median(slices.map(pick)) ?? Number.NaN;
const mean = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / values.length;
const rows = measured.map((m) => {
  const cell = (pick: (s: Slice) => number, digits: number): string => of(m.slices, pick).toFixed(digits);
  return (
    `| ${m.configuration} ${m.index + 1} | ${cell((s) => s.requestsPerSec, 0)} | ${cell((s) => s.userUs, 1)} | ` +
    `${cell((s) => s.systemUs, 1)} | ${cell((s) => s.minorFaults, 3)} | ${cell((s) => s.voluntarySwitches, 3)} | ` +
    `${cell((s) => s.involuntarySwitches, 3)} | ${m.slices.map((s) => s.requestsPerSec.toFixed(0)).join(" ")} |`
  );
});
const byConfiguration = configurations.map((configuration) => {
  const medians = measured
    .filter((m) => m.configuration === configuration)
    .map((m) => ({ rps: of(m.slices, (s) => s.requestsPerSec), cpu: of(m.slices, (s) => s.userUs + s.systemUs) }));
  const rps = mean(medians.map((x) => x.rps));
  const spread = Math.sqrt(mean(medians.map((x) => (x.rps - rps) ** 2))) / rps;
  return { configuration, rps, cpu: mean(medians.map((x) => x.cpu)), spread };
});
const first = byConfiguration[0];
const report = [
  `# Steady state (bench:steady), ${new Date().toISOString()}`,
  "",
  `${processes} processes of each, ${warmupSec} s warm-up, ${rounds} slices of ${sliceSec} s each at ${connections} connections, in turns; ${gen.description}.`,
  "Per process, the medians over its slices, each a request's share: user and system CPU time (µs), minor page faults, voluntary and involuntary context switches.",
  "",
  "| process | req/s | user µs | system µs | minor faults | voluntary switches | involuntary switches | req/s by slice |",
  "|---|---:|---:|---:|---:|---:|---:|---|",
  ...rows,
  "",
  `Per configuration, the mean of its processes' medians (ratios against ${first?.configuration}):`,
  "",
  "| configuration | req/s | ÷ first | CPU µs a request | ÷ first | spread of processes' req/s |",
  "|---|---:|---:|---:|---:|---:|",
  ...byConfiguration.map(
    (c) =>
      `| ${c.configuration} | ${c.rps.toFixed(0)} | ${(c.rps / (first?.rps ?? c.rps)).toFixed(3)}x | ` +
      `${c.cpu.toFixed(1)} | ${(c.cpu / (first?.cpu ?? c.cpu)).toFixed(3)}x | ${(100 * c.spread).toFixed(1)}% |`,
  ),
  "",
].join("\n");
mkdirSync(settings.resultsDir, { recursive: true });
writeFileSync(join(settings.resultsDir, "steady.md"), report);
process.stdout.write(report);
