/**
 * Chooses the load generator and runs one measured window against one URL. Non-streaming
 * load goes to wrk (or autocannon where wrk is missing); streaming load always goes to
 * the undici stream client, the only one of the three that sees time to first byte.
 */
import { join } from "node:path";
import { parseLoadResult } from "./child-protocol.js";
import { runLoadProcess, type WindowHooks } from "./load-process.js";
import { detectWrk, runWrk, writeWrkScript } from "./load-wrk.js";
import { BODY, STREAM_BODY } from "./request.js";
import type { Settings } from "./settings.js";
import type { ChildSpec, LoadResult } from "./types.js";

/** Where to send the bench request and with which headers (the bearer token differs per target). */
export interface LoadTarget {
  url: string;
  headers: Readonly<Record<string, string>>;
}

export interface LoadGenerator {
  kind: "wrk" | "autocannon";
  /** Printed with the results, fallback reason included. */
  description: string;
  /** Non-streaming window at `connections` for `durationSec`. */
  nonStream(target: LoadTarget, connections: number, durationSec: number, hooks: WindowHooks): Promise<LoadResult>;
  /** Streaming window (undici stream client). */
  stream(target: LoadTarget, connections: number, durationSec: number, hooks: WindowHooks): Promise<LoadResult>;
}

function nodeChild(settings: Settings, script: string, spec: ChildSpec, hooks: WindowHooks): Promise<LoadResult> {
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
  const spec = (t: LoadTarget, body: string, connections: number, durationSec: number): ChildSpec => ({
    url: t.url,
    connections,
    durationSec,
    warmupSec: settings.childWarmupSec,
    body,
    headers: { ...t.headers },
  });
  const stream: LoadGenerator["stream"] = (t, connections, durationSec, hooks) =>
    nodeChild(settings, "stream-client.js", spec(t, STREAM_BODY, connections, durationSec), hooks);

  if (wrk !== null) {
    // One Lua script per header set (the token differs per target).
    const scripts = new Map<string, string>();
    const scriptFor = (headers: Readonly<Record<string, string>>): string => {
      const key = JSON.stringify(headers);
      let path = scripts.get(key);
      if (path === undefined) {
        path = writeWrkScript(tmpDir, `post-${scripts.size}.lua`, BODY, headers);
        scripts.set(key, path);
      }
      return path;
    };
    return {
      kind: "wrk",
      description: `non-streaming: ${wrk} (1 thread, ${pin}); ${streamNote}`,
      nonStream: (t, connections, durationSec, hooks) =>
        runWrk({
          url: t.url,
          connections,
          durationSec,
          scriptPath: scriptFor(t.headers),
          cpus: settings.loadCpus,
          hooks,
        }),
      stream,
    };
  }
  const why = settings.forceAutocannon ? "BENCH_LOADGEN=autocannon" : "wrk not found (apt-get install wrk)";
  return {
    kind: "autocannon",
    description:
      `non-streaming: autocannon (FALLBACK: ${why}; a Node client costs more CPU per request than wrk, ` +
      `so absolute req/s are lower; ${pin}); ${streamNote}`,
    nonStream: (t, connections, durationSec, hooks) =>
      nodeChild(settings, "load-autocannon.js", spec(t, BODY, connections, durationSec), hooks),
    stream,
  };
}
