/**
 * Counting tokens for usage a provider did not report, always on a worker thread
 * (piscina), never on the event loop: the encodings take 150-250 ms to load and any text
 * costs time in proportion to its length, so the main thread only ever posts the texts.
 * Each count has a deadline (queue wait included); past it, or if the worker fails, the
 * texts are estimated from their length instead, so a count never holds up an answer for
 * long. The pool keeps no thread while idle and never keeps the process alive.
 */
import { availableParallelism } from "node:os";
import { Piscina } from "piscina";
import type { CountTask } from "./token-worker.js";
import { encodingFor } from "./tokenizer.js";

/** How long a count may take before the length estimate answers instead. */
export const COUNT_DEADLINE_MS = 2_000;
/** Bytes per token of the length estimate (OpenAI's rule of thumb for English). */
const BYTES_PER_TOKEN = 4;
/** A thread idle this long is ended, taking its loaded encodings with it. */
const IDLE_MS = 30_000;

/** One pool for the process (every gateway and SDK call in it); idle threads end by themselves. */
let pool: Piscina<CountTask, number> | undefined;

function workers(): Piscina<CountTask, number> {
  pool ??= new Piscina<CountTask, number>({
    filename: new URL("./token-worker.js", import.meta.url).href,
    minThreads: 0,
    // One core stays the event loop's.
    maxThreads: Math.max(1, Math.min(2, availableParallelism() - 1)),
    idleTimeout: IDLE_MS,
  });
  return pool;
}

/** The length estimate: what a count falls back to. */
export function estimateFromLength(texts: readonly string[]): number {
  let bytes = 0;
  for (const text of texts) bytes += Buffer.byteLength(text);
  return Math.ceil(bytes / BYTES_PER_TOKEN);
}

/** The tokens of `texts` together, in `model`'s encoding. */
export async function countTokens(model: string, texts: readonly string[]): Promise<number> {
  if (texts.every((text) => text === "")) return 0;
  try {
    return await workers().run(
      { encoding: encodingFor(model), texts },
      { signal: AbortSignal.timeout(COUNT_DEADLINE_MS) },
    );
  } catch {
    return estimateFromLength(texts);
  }
}

/** Starts a thread and loads `model`'s encoding now, so the first real count does not wait for it. */
export function preloadEncoding(model: string): void {
  void workers()
    .run({ encoding: encodingFor(model), texts: [] })
    .catch(() => undefined);
}
