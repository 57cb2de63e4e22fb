/**
 * `npm run bench:instructions`: the CPU work a request costs each gateway configuration,
 * counted in instructions by valgrind's callgrind instead of timed. Wall-clock throughput on
 * this machine moves by a tenth from one run to the next (see README.md), which hides a cost
 * of a few per cent; instruction counts repeat within about 1.5% for the same build and load.
 *
 * Each target is one gateway process under callgrind (instrumentation off), sent
 * BENCH_IR_WARMUP requests at BENCH_IR_CONNECTIONS to warm up, then BENCH_IR_REQUESTS more
 * with instrumentation on. What is reported per request: every thread's instructions, the same
 * without the JIT compilers' (V8 may still be optimising code, by amounts that differ between
 * processes of the same build: after 5000 requests, 8k to 138k instructions a request, after
 * 20000, 0 to 16k), and the garbage collector's share. Instructions are not time (a cache
 * miss is one instruction), so this complements the timed bench; it does not replace it.
 *
 *   BENCH_TARGETS           comma list of open,master,vkey,metrics,traced,cached (default vkey,metrics,traced)
 *   BENCH_IR_REQUESTS       requests counted (default 2000)
 *   BENCH_IR_WARMUP         requests before counting (default 20000)
 *   BENCH_IR_CONNECTIONS    concurrent requests (default 64)
 *   BENCH_IR_PARALLEL       targets run at once (default: CPUs, at most 2)
 *   BENCH_IR_CACHE          "1": callgrind also simulates the caches and the report adds first-level
 *                           instruction and data cache misses per request (about twice as slow)
 *   BENCH_IR_FUNCTIONS      "1": the report adds, for each target after the first, the functions whose
 *                           instructions differ most from the first's, JavaScript named by node's
 *                           --perf-basic-prof (callgrind-functions.ts); every function's count is kept
 *                           in bench/results/instructions/<target>.functions.tsv
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { Pool } from "undici";
import { instructionsByFunction, largestDifferences } from "./callgrind-functions.js";
import { installCleanup, stopChild } from "./children.js";
import { BODY, headersFor, MODEL_ALIAS, PATH } from "./request.js";
import { startLitegate, startMock } from "./servers.js";
import { gatewayList, loadSettings, positiveCount } from "./settings.js";
import type { GatewayName } from "./targets.js";
import { startTraceSink } from "./trace-sink.js";

/** V8's largest semi-space on 64-bit Node 20, which a natively loaded gateway's young generation reaches. */
const SEMI_SPACE_MB = 16;

const log = (msg: string): void => void process.stderr.write(`bench:instructions: ${msg}\n`);

const requests = positiveCount("BENCH_IR_REQUESTS", 2000);
const warmup = positiveCount("BENCH_IR_WARMUP", 20_000);
const connections = positiveCount("BENCH_IR_CONNECTIONS", 64);
const parallel = positiveCount("BENCH_IR_PARALLEL", Math.min(2, availableParallelism()));
const cacheSim = process.env.BENCH_IR_CACHE === "1";
const byFunction = process.env.BENCH_IR_FUNCTIONS === "1";
/** Functions listed per target with BENCH_IR_FUNCTIONS. */
const LISTED_FUNCTIONS = 30;
const targets: GatewayName[] = gatewayList();
// Pinning would put every gateway on one CPU; callgrind runs each process's threads one at a time anyway.
const settings = { ...loadSettings(MODEL_ALIAS), loadCpus: null, serverCpus: null };

for (const tool of ["valgrind", "callgrind_control", "callgrind_annotate"]) {
  if (spawnSync(tool, ["--version"], { stdio: "ignore" }).error !== undefined) {
    log(`${tool} not found: install Debian's valgrind package`);
    process.exit(1);
  }
}

const tmpDir = mkdtempSync(join(tmpdir(), "litegate-instructions-"));
const keptDir = join(settings.resultsDir, "instructions");
mkdirSync(keptDir, { recursive: true });
installCleanup(() => rmSync(tmpDir, { recursive: true, force: true }));

/**
 * Instructions per request: in all, without the JIT compilers', and the garbage collector's;
 * with BENCH_IR_CACHE, first-level instruction and data cache misses (reads and writes) too.
 */
interface Counted {
  target: GatewayName;
  total: number;
  withoutCompiler: number;
  gc: number;
  misses: { instruction: number; data: number } | undefined;
  /** With BENCH_IR_FUNCTIONS: instructions per request by function. */
  functions: Map<string, number> | undefined;
}

/** Which part of V8 a function of callgrind_annotate's listing belongs to. */
const COMPILER = /v8::internal::(compiler|maglev|baseline|interpreter|wasm)::|OptimizingCompileDispatcher|Compiler::/;
const GC =
  /Scaveng|v8::internal::Heap::|heap::base::|Evacuat|Sweep|Mark(ing|Compact)|MinorMC|SlotSet|BodyDescriptor[^ ]*Visitor|NewSpace::|PagedSpace/;

/**
 * One of callgrind_annotate's per-function lines: a column per event ("1,234 (0.5%)", or "."
 * for none), then the function. Returns the counts in the listing's event order and the name.
 */
function parseLine(line: string, events: number): { counts: number[]; name: string } | undefined {
  const counts: number[] = [];
  let rest = line.trimStart();
  for (let i = 0; i < events; i++) {
    const m = /^(?:([\d,]+) \([ \d.]+%\)|\.)\s+/.exec(rest);
    if (m === null) return undefined;
    counts.push(m[1] === undefined ? 0 : Number(m[1].replaceAll(",", "")));
    rest = rest.slice(m[0].length);
  }
  return rest === "" ? undefined : { counts, name: rest };
}

/** Sums callgrind_annotate's per-function (self) counts of a dump by part. */
function countDump(file: string, target: GatewayName): Counted {
  const out = spawnSync("callgrind_annotate", ["--threshold=100", file], { encoding: "utf8", maxBuffer: 1 << 28 });
  const shown = /^Events shown:\s+(.+)$/m.exec(out.stdout)?.[1]?.trim().split(/\s+/) ?? ["Ir"];
  const column = (event: string): number => shown.indexOf(event);
  const [ir, i1, d1r, d1w] = [column("Ir"), column("I1mr"), column("D1mr"), column("D1mw")];
  let total = 0;
  let compiler = 0;
  let gc = 0;
  let instructionMisses = 0;
  let dataMisses = 0;
  for (const line of out.stdout.split("\n")) {
    const parsed = parseLine(line, shown.length);
    if (parsed === undefined || parsed.name === "PROGRAM TOTALS") continue;
    const { counts, name } = parsed;
    const n = counts[ir] ?? 0;
    total += n;
    if (COMPILER.test(name)) compiler += n;
    else if (GC.test(name)) gc += n;
    instructionMisses += counts[i1] ?? 0;
    dataMisses += (counts[d1r] ?? 0) + (counts[d1w] ?? 0);
  }
  return {
    target,
    total: total / requests,
    withoutCompiler: (total - compiler) / requests,
    gc: gc / requests,
    misses: i1 < 0 ? undefined : { instruction: instructionMisses / requests, data: dataMisses / requests },
    functions: undefined,
  };
}

/** `n` requests, `connections` at a time; every answer must be a 200. */
async function load(pool: Pool, token: string, n: number): Promise<void> {
  let left = n;
  const headers = headersFor(token);
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (left > 0) {
        left -= 1;
        const res = await pool.request({ path: PATH, method: "POST", headers, body: BODY });
        const text = await res.body.text();
        if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}: ${text.slice(0, 300)}`);
      }
    }),
  );
}

async function countTarget(target: GatewayName): Promise<Counted> {
  const dir = join(tmpDir, target);
  mkdirSync(dir, { recursive: true });
  const mock = await startMock(settings, dir);
  const sink = await startTraceSink();
  const command = [
    "valgrind",
    "--tool=callgrind",
    "--instr-atstart=no",
    // V8 writes and rewrites its machine code: valgrind must notice code changed in place.
    "--smc-check=all-non-file",
    ...(cacheSim ? ["--cache-sim=yes"] : []),
    // Per instruction, not per line: V8's code has no lines, and its functions are found by address.
    ...(byFunction ? ["--dump-instr=yes", "--compress-pos=no", "--compress-strings=no"] : []),
    `--callgrind-out-file=${join(dir, "callgrind.out.%p")}`,
  ];
  // V8 sizes the young generation by how fast the process allocates in wall-clock time, which
  // valgrind slows some fifty times: left to itself it kept it smaller and collected half again as
  // often (some 15 scavenges in 2,000 requests; 9-11 with it held at 16 MB, the size a natively
  // loaded gateway's reaches), and each scavenge copies the requests in flight.
  const nodeFlags = [`--min-semi-space-size=${SEMI_SPACE_MB}`, ...(byFunction ? ["--perf-basic-prof"] : [])];
  const gateway = await startLitegate(settings, dir, mock.port, target, sink.port, { command, nodeFlags });
  try {
    if ("error" in gateway) throw new Error(`${target}: ${gateway.error}`);
    const pid = String(gateway.server.pid);
    const control = (...args: string[]): void => {
      const r = spawnSync("callgrind_control", [...args, pid], { encoding: "utf8" });
      if (r.status !== 0) throw new Error(`callgrind_control ${args.join(" ")}: ${r.stderr}`);
    };
    const pool = new Pool(`http://127.0.0.1:${gateway.server.port}`, { connections });
    try {
      const started = Date.now();
      await load(pool, gateway.token, warmup);
      log(`${target}: ${warmup} warm-up requests in ${((Date.now() - started) / 1000).toFixed(0)} s`);
      control("--zero");
      control("--instr=on");
      await load(pool, gateway.token, requests);
      control("--dump=counted");
      control("--instr=off");
    } finally {
      await pool.close();
    }
    const dump = readdirSync(dir).find((f) => /^callgrind\.out\.\d+\.1$/.test(f));
    if (dump === undefined) throw new Error(`${target}: callgrind wrote no dump`);
    // Kept for callgrind_annotate (bench/results/ is not committed).
    const kept = join(keptDir, `${target}.callgrind.out`);
    copyFileSync(join(dir, dump), kept);
    const counted = countDump(kept, target);
    if (byFunction) {
      // Node writes the map for its own pid, which is valgrind's: valgrind runs it in its process.
      const perfMap = join(tmpdir(), `perf-${gateway.server.pid}.map`);
      counted.functions = instructionsByFunction(kept, perfMap, requests);
      rmSync(perfMap, { force: true });
      const rows = [...counted.functions].sort((a, b) => b[1] - a[1]).map(([name, n]) => `${n.toFixed(1)}\t${name}`);
      writeFileSync(join(keptDir, `${target}.functions.tsv`), `${rows.join("\n")}\n`);
    }
    return counted;
  } finally {
    if (!("error" in gateway)) await stopChild(gateway.server.child, 30_000);
    await stopChild(mock.child);
    await sink.close();
  }
}

const results: Counted[] = [];
const queue = [...targets];
try {
  await Promise.all(
    Array.from({ length: Math.min(parallel, queue.length) }, async () => {
      for (let target = queue.shift(); target !== undefined; target = queue.shift()) {
        results.push(await countTarget(target));
      }
    }),
  );
} finally {
  // The gateways' stores, logs and callgrind dumps go with a failed count too (the kept dumps are in bench/results/).
  rmSync(tmpDir, { recursive: true, force: true });
}
results.sort((a, b) => targets.indexOf(a.target) - targets.indexOf(b.target));

const vkey = results.find((r) => r.target === "vkey");
const k = (n: number): string => `${(n / 1000).toFixed(1)}k`;
const ratio = (n: number, of: number | undefined): string => (of === undefined ? "" : `${(n / of).toFixed(3)}x`);
/** With cache simulation: first-level misses per request, instruction then data, and the instruction misses ÷ vkey's. */
const missCells = (r: Counted): string =>
  r.misses === undefined
    ? ""
    : ` ${k(r.misses.instruction)} | ${ratio(r.misses.instruction, vkey?.misses?.instruction)} | ${k(r.misses.data)} |`;
const lines = [
  `# Instructions per request (callgrind), ${new Date().toISOString()}`,
  "",
  `${requests} requests counted at ${connections} connections after ${warmup} to warm up; every thread of the gateway.`,
  "",
  `| target | in all | without the JIT compilers | ÷ vkey | of which GC |${cacheSim ? " I1 misses | ÷ vkey | D1 misses |" : ""}`,
  `|---|---:|---:|---:|---:|${cacheSim ? "---:|---:|---:|" : ""}`,
  ...results.map(
    (r) =>
      `| ${r.target} | ${k(r.total)} | ${k(r.withoutCompiler)} | ${ratio(r.withoutCompiler, vkey?.withoutCompiler)} | ${k(r.gc)} |${missCells(r)}`,
  ),
  "",
];
/** A target's functions but V8's compilers', which the figure without them leaves out too. */
const withoutCompilers = (functions: Map<string, number>): Map<string, number> =>
  new Map([...functions].filter(([name]) => !COMPILER.test(name)));
const [first, ...others] = results;
for (const other of others) {
  if (first?.functions === undefined || other.functions === undefined) continue;
  lines.push(
    `The ${LISTED_FUNCTIONS} functions whose instructions a request differ most between ${first.target} and ${other.target} (self counts, V8's compilers left out; an inlined function is its caller's):`,
    "",
    `| function | ${first.target} | ${other.target} | difference |`,
    "|---|---:|---:|---:|",
    ...largestDifferences(withoutCompilers(first.functions), withoutCompilers(other.functions), LISTED_FUNCTIONS).map(
      (f) =>
        `| ${f.name.replaceAll("|", "\\|")} | ${f.base.toFixed(0)} | ${f.other.toFixed(0)} | ${(f.other - f.base).toFixed(0)} |`,
    ),
    "",
  );
}
const report = lines.join("\n");
writeFileSync(join(keptDir, "report.md"), report);
process.stdout.write(report);
