/**
 * Streaming load client (child process, pinned to the load core). wrk cannot see inside
 * a response, so time to first byte is measured here: N concurrent loops over one undici
 * Pool, each timing from sending the request to the first body chunk (TTFB) and to the
 * end of the body (total). A stream counts as a success only with status 200 and a body
 * ending in `data: [DONE]`, so a gateway that truncates streams cannot look fast.
 *
 * Usage: node dist/bench/stream-client.js '<ChildSpec JSON>'
 */
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { Pool } from "undici";
import { announceMeasureStart, emitResult, readChildSpec } from "./child-protocol.js";
import { summarize } from "./percentiles.js";

const spec = readChildSpec();
const url = new URL(spec.url);
const pool = new Pool(url.origin, {
  connections: spec.connections,
  pipelining: 1,
  keepAliveTimeout: 120_000,
  keepAliveMaxTimeout: 120_000,
});
const DONE_TAIL = "data: [DONE]";

interface Sample {
  ttfbMs: number;
  totalMs: number;
}

async function once(): Promise<Sample | null> {
  const t0 = performance.now();
  const res = await pool.request({
    path: url.pathname + url.search,
    method: "POST",
    headers: spec.headers,
    body: spec.body,
  });
  let ttfbMs = -1;
  // Only the tail matters for the [DONE] check; keeping the whole body would cost the
  // load core work the wrk runs do not do.
  let tail = "";
  for await (const chunk of res.body) {
    if (ttfbMs < 0) ttfbMs = performance.now() - t0;
    tail = (tail + (chunk as Buffer).toString("latin1")).slice(-64);
  }
  const totalMs = performance.now() - t0;
  if (res.statusCode !== 200 || !tail.trimEnd().endsWith(DONE_TAIL)) return null;
  return { ttfbMs, totalMs };
}

async function phase(seconds: number, record: Sample[] | null): Promise<number> {
  const deadline = performance.now() + seconds * 1000;
  let errors = 0;
  const loop = async (): Promise<void> => {
    while (performance.now() < deadline) {
      let sample: Sample | null;
      try {
        sample = await once();
      } catch {
        sample = null;
      }
      if (sample === null) {
        errors++;
        // A dead target fails instantly; do not spin the load core at 100 % on it.
        await sleep(5);
      } else if (record !== null) {
        record.push(sample);
      }
    }
  };
  await Promise.all(Array.from({ length: spec.connections }, loop));
  return errors;
}

await phase(spec.warmupSec, null);
const samples: Sample[] = [];
announceMeasureStart();
const start = performance.now();
const errors = await phase(spec.durationSec, samples);
const durationSec = (performance.now() - start) / 1000;
emitResult({
  tool: "undici stream client",
  requests: samples.length,
  errors,
  durationSec,
  requestsPerSec: samples.length / durationSec,
  latency: summarize(samples.map((s) => s.totalMs)),
  ttfb: summarize(samples.map((s) => s.ttfbMs)),
});
await pool.close();
