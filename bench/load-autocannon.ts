/**
 * Fallback non-streaming load generator (child process, pinned to the load core) for
 * machines without wrk. It uses autocannon's programmatic API but takes latencies from
 * its per-response event rather than its histogram: the histogram stores whole
 * milliseconds, too coarse for sub-millisecond loopback latencies.
 *
 * Usage: node dist/bench/load-autocannon.js '<ChildSpec JSON>'
 */
import type { EventEmitter } from "node:events";
import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";
import { announceMeasureStart, emitResult, readChildSpec } from "./child-protocol.js";
import { summarize } from "./percentiles.js";
import type { ChildSpec } from "./types.js";

/** The part of autocannon's (untyped, CommonJS) API used here. */
interface AutocannonOptions {
  url: string;
  connections: number;
  duration: number;
  method: "POST";
  headers: Record<string, string>;
  body: string;
  pipelining: number;
  timeout: number;
}
interface AutocannonResult {
  errors: number;
  timeouts: number;
  non2xx: number;
}
type Autocannon = (opts: AutocannonOptions, cb: (err: Error | null, result: AutocannonResult) => void) => EventEmitter;

const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;

interface Run {
  result: AutocannonResult;
  latenciesMs: number[];
  durationSec: number;
}

function run(spec: ChildSpec, seconds: number): Promise<Run> {
  const latenciesMs: number[] = [];
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const tracker = autocannon(
      {
        url: spec.url,
        connections: spec.connections,
        duration: seconds,
        method: "POST",
        headers: spec.headers,
        body: spec.body,
        pipelining: 1,
        timeout: 10,
      },
      (err, result) => {
        if (err !== null) reject(err);
        else resolve({ result, latenciesMs, durationSec: (performance.now() - start) / 1000 });
      },
    );
    tracker.on("response", (_client: unknown, statusCode: number, _bytes: number, responseTimeMs: number) => {
      if (statusCode >= 200 && statusCode < 300) latenciesMs.push(responseTimeMs);
    });
  });
}

const spec = readChildSpec();
if (spec.warmupSec > 0) await run(spec, spec.warmupSec);
announceMeasureStart();
const measured = await run(spec, spec.durationSec);
emitResult({
  tool: "autocannon",
  requests: measured.latenciesMs.length,
  errors: measured.result.errors + measured.result.non2xx,
  durationSec: measured.durationSec,
  requestsPerSec: measured.latenciesMs.length / measured.durationSec,
  latency: summarize(measured.latenciesMs),
});
