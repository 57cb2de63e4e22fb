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
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { Pool } from "undici";
import { installCleanup, stopChild } from "./children.js";
import { BODY, headersFor, MODEL_ALIAS, PATH } from "./request.js";
import { startLitegate, startMock } from "./servers.js";
import { loadSettings, positiveNumber } from "./settings.js";
import { GATEWAYS, type GatewayName } from "./targets.js";
import { startTraceSink } from "./trace-sink.js";

/** V8's largest semi-space on 64-bit Node 20, which a natively loaded gateway's young generation reaches. */
const SEMI_SPACE_MB = 16;

const log = (msg: string): void => void process.stderr.write(`bench:instructions: ${msg}\n`);

/** A whole count of at least one, read as the timed bench reads its own (settings.ts). */
const count = (name: string, fallback: number): number => Math.max(1, Math.round(positiveNumber(name, fallback)));

const requests = count("BENCH_IR_REQUESTS", 2000);
const warmup = count("BENCH_IR_WARMUP", 20_000);
const connections = count("BENCH_IR_CONNECTIONS", 64);
const parallel = count("BENCH_IR_PARALLEL", Math.min(2, availableParallelism()));
const targets: GatewayName[] = (process.env.BENCH_TARGETS ?? "vkey,metrics,traced").split(",").map((text) => {
  const target = GATEWAYS.find((g) => g === text.trim());
  if (target === undefined) throw new Error(`BENCH_TARGETS: ${text} is none of ${GATEWAYS.join(", ")}`);
  return target;
});
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

/** Instructions per request: in all, without the JIT compilers', and the garbage collector's. */
interface Counted {
  target: GatewayName;
  total: number;
  withoutCompiler: number;
  gc: number;
}

/** Which part of V8 a function of callgrind_annotate's listing belongs to. */
const COMPILER = /v8::internal::(compiler|maglev|baseline|interpreter|wasm)::|OptimizingCompileDispatcher|Compiler::/;
const GC =
  /Scaveng|v8::internal::Heap::|heap::base::|Evacuat|Sweep|Mark(ing|Compact)|MinorMC|SlotSet|BodyDescriptor[^ ]*Visitor|NewSpace::|PagedSpace/;

/** Sums callgrind_annotate's per-function (self) counts of a dump by part. */
function countDump(file: string, target: GatewayName): Counted {
  const out = spawnSync("callgrind_annotate", ["--threshold=100", file], { encoding: "utf8", maxBuffer: 1 << 28 });
  let total = 0;
  let compiler = 0;
  let gc = 0;
  for (const line of out.stdout.split("\n")) {
    const m = /^\s*([\d,]+) \([ \d.]+%\)\s+(.+)$/.exec(line);
    if (m === null || m[2] === "PROGRAM TOTALS" || m[1] === undefined || m[2] === undefined) continue;
    const ir = Number(m[1].replaceAll(",", ""));
    total += ir;
    if (COMPILER.test(m[2])) compiler += ir;
    else if (GC.test(m[2])) gc += ir;
  }
  return { target, total: total / requests, withoutCompiler: (total - compiler) / requests, gc: gc / requests };
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
    `--callgrind-out-file=${join(dir, "callgrind.out.%p")}`,
  ];
  // V8 sizes the young generation by how fast the process allocates in wall-clock time, which
  // valgrind slows some fifty times: left to itself it kept it smaller and collected half again as
  // often (some 15 scavenges in 2,000 requests; 9-11 with it held at 16 MB, the size a natively
  // loaded gateway's reaches), and each scavenge copies the requests in flight.
  const nodeFlags = [`--min-semi-space-size=${SEMI_SPACE_MB}`];
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
    return countDump(kept, target);
  } finally {
    if (!("error" in gateway)) await stopChild(gateway.server.child, 30_000);
    await stopChild(mock.child);
    await sink.close();
  }
}

const results: Counted[] = [];
const queue = [...targets];
await Promise.all(
  Array.from({ length: Math.min(parallel, queue.length) }, async () => {
    for (let target = queue.shift(); target !== undefined; target = queue.shift()) {
      results.push(await countTarget(target));
    }
  }),
);
results.sort((a, b) => targets.indexOf(a.target) - targets.indexOf(b.target));

const vkey = results.find((r) => r.target === "vkey");
const k = (n: number): string => `${(n / 1000).toFixed(1)}k`;
const ratio = (n: number, of: number | undefined): string => (of === undefined ? "" : `${(n / of).toFixed(3)}x`);
const lines = [
  `# Instructions per request (callgrind), ${new Date().toISOString()}`,
  "",
  `${requests} requests counted at ${connections} connections after ${warmup} to warm up; every thread of the gateway.`,
  "",
  "| target | in all | without the JIT compilers | ÷ vkey | of which GC |",
  "|---|---:|---:|---:|---:|",
  ...results.map(
    (r) =>
      `| ${r.target} | ${k(r.total)} | ${k(r.withoutCompiler)} | ${ratio(r.withoutCompiler, vkey?.withoutCompiler)} | ${k(r.gc)} |`,
  ),
  "",
];
const report = lines.join("\n");
writeFileSync(join(keptDir, "report.md"), report);
process.stdout.write(report);
rmSync(tmpDir, { recursive: true, force: true });
