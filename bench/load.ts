/**
 * Chooses the load generator and runs one measured window against one URL. Non-streaming
 * load goes to wrk (or autocannon where wrk is missing); streaming load always goes to
 * the undici stream client, the only one of the three that sees time to first byte. Each
 * window opens after the settings' lead-in: that much unmeasured load on the same URL.
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

/** For load whose window nobody measures (warm-ups, lead-ins). */
export const NO_HOOKS: WindowHooks = { onStart: () => undefined, onEnd: () => undefined };

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
    // A Node child's lead-in is its own warm-up phase, before it opens the window.
    warmupSec: settings.leadInSec,
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
      nonStream: async (t, connections, durationSec, hooks) => {
        const run = { url: t.url, connections, scriptPath: scriptFor(t.headers), cpus: settings.loadCpus };
        // wrk opens its window when it starts: its lead-in is a run of its own, measured by nobody.
        if (settings.leadInSec > 0) await runWrk({ ...run, durationSec: settings.leadInSec, hooks: NO_HOOKS });
        return runWrk({ ...run, durationSec, hooks });
      },
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
