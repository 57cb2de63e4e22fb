/**
 * Chooses the load generator and runs one measured window against one URL. Non-streaming
 * load goes to wrk (or autocannon where wrk is missing); streaming load always goes to
 * the undici stream client, the only one of the three that sees time to first byte.
 */
import { join } from "node:path";
import { parseLoadResult } from "./child-protocol.js";
import { runLoadProcess, type WindowHooks } from "./load-process.js";
import { detectWrk, runWrk, writeWrkScript } from "./load-wrk.js";
import { BODY, HEADERS, STREAM_BODY } from "./request.js";
import type { Settings } from "./settings.js";
import type { ChildSpec, LoadResult } from "./types.js";

export interface LoadGenerator {
  kind: "wrk" | "autocannon";
  /** Printed with the results, fallback reason included. */
  description: string;
  /** Non-streaming window at `connections` for `durationSec`. */
  nonStream(url: string, connections: number, durationSec: number, hooks: WindowHooks): Promise<LoadResult>;
  /** Streaming window (undici stream client). */
  stream(url: string, connections: number, durationSec: number, hooks: WindowHooks): Promise<LoadResult>;
}

function nodeChild(
  settings: Settings,
  script: string,
  spec: ChildSpec,
  hooks: WindowHooks,
): Promise<LoadResult> {
  return runLoadProcess({
    cmd: process.execPath,
    args: [join(settings.benchDistDir, script), JSON.stringify(spec)],
    cpus: settings.loadCpus,
    hooks,
    startsAtSpawn: false,
    timeoutMs: (spec.durationSec + spec.warmupSec + 30) * 1000,
  }).then(parseLoadResult);
}

export function createLoadGenerator(settings: Settings, tmpDir: string): LoadGenerator {
  const wrk = settings.forceAutocannon ? null : detectWrk();
  const pin = settings.loadCpus === null ? "unpinned" : `pinned to CPU ${settings.loadCpus}`;
  const streamNote = `streams: undici stream client (Node, ${pin}) for TTFB and total`;

  const stream = (url: string, connections: number, durationSec: number, hooks: WindowHooks): Promise<LoadResult> =>
    nodeChild(
      settings,
      "stream-client.js",
      { url, connections, durationSec, warmupSec: settings.childWarmupSec, body: STREAM_BODY, headers: { ...HEADERS } },
      hooks,
    );

  if (wrk !== null) {
    const scriptPath = writeWrkScript(tmpDir, "post.lua", BODY, HEADERS);
    return {
      kind: "wrk",
      description: `non-streaming: ${wrk} (1 thread, ${pin}); ${streamNote}`,
      nonStream: (url, connections, durationSec, hooks) =>
        runWrk({ url, connections, durationSec, scriptPath, cpus: settings.loadCpus, hooks }),
      stream,
    };
  }
  const why = settings.forceAutocannon ? "BENCH_LOADGEN=autocannon" : "wrk not found (apt-get install wrk)";
  return {
    kind: "autocannon",
    description:
      `non-streaming: autocannon (FALLBACK: ${why}; a Node client costs more CPU per request than wrk, ` +
      `so absolute req/s are lower; ${pin}); ${streamNote}`,
    nonStream: (url, connections, durationSec, hooks) =>
      nodeChild(
        settings,
        "load-autocannon.js",
        { url, connections, durationSec, warmupSec: settings.childWarmupSec, body: BODY, headers: { ...HEADERS } },
        hooks,
      ),
    stream,
  };
}
