/**
 * W3C trace context ids, made before a request's spans exist: the trace id and each upstream
 * attempt's span id go out in `traceparent` while the request runs, and the spans are built
 * with the same ids when it ends. Random bytes come from a pool filled a few KB at a time, so
 * an id costs a slice of it, not a call into the system's generator. The pool is turned to hex
 * once per fill, and a hex id is a slice of that text: V8 makes a slice of 13 characters or
 * more without copying, where Buffer#toString('hex') per id was three calls into native code
 * (about 0.15 µs a traced request in a micro-benchmark).
 *
 * An id made here also says where its bytes are (IdBytes), for the span encoder: decoding its
 * hex again was two or three calls into Buffer#write a request, about 4,000 instructions of
 * the encoder's 17,000 (callgrind, in the gateway). So a full pool is never written again: the
 * next fill is a new buffer, and the old one lives as long as an id still points into it.
 */
import { randomFillSync } from "node:crypto";
import { DEFAULT_SAMPLER, isSampled, type Sampler } from "./sampler.js";

/** Where an id made here has its bytes: `view` at `at`, never written again. */
export interface IdBytes {
  readonly view: DataView;
  readonly at: number;
}

const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
/** The pool's bytes as a DataView, read 32 bits at a time. */
let poolView = new DataView(pool.buffer, pool.byteOffset, 0);
/** The pool as lowercase hex, two characters a byte. */
let poolHex = "";
let used = POOL_BYTES;

/** Where `bytes` fresh random bytes start in the pool (a new pool when too few are left). */
function takeRandom(bytes: number): number {
  if (used + bytes > POOL_BYTES) {
    pool = randomFillSync(Buffer.allocUnsafeSlow(POOL_BYTES));
    poolView = new DataView(pool.buffer, pool.byteOffset, pool.byteLength);
    poolHex = pool.toString("hex");
    used = 0;
  }
  const at = used;
  used += bytes;
  return at;
}

const ZERO_SPAN = "0000000000000000";
const ZERO_TRACE = "00000000000000000000000000000000";

/** 16 hex characters, never all zeros (W3C's invalid id). */
export function randomSpanId(): string {
  return newSpanId().spanId;
}

/** A new span id, as hex and as where its bytes are. Never all zeros. */
export function newSpanId(): { spanId: string; spanIdBytes: IdBytes } {
  for (;;) {
    const at = takeRandom(8);
    const spanId = poolHex.slice(2 * at, 2 * at + 16);
    if (spanId !== ZERO_SPAN) return { spanId, spanIdBytes: { view: poolView, at } };
  }
}

/**
 * A new span id written as its 8 bytes at `at` (an id that never goes out in a header needs
 * no hex), as two 32-bit words. Never all zeros.
 */
export function writeRandomSpanId(target: DataView, at: number): void {
  for (;;) {
    const from = takeRandom(8);
    const low = poolView.getUint32(from, true);
    const high = poolView.getUint32(from + 4, true);
    if ((low | high) !== 0) {
      target.setUint32(at, low, true);
      target.setUint32(at + 4, high, true);
      return;
    }
  }
}

/** Where a request's trace stands when it starts: its ids and the caller's span, if it sent one. */
export interface TraceStart {
  readonly traceId: string;
  /** The server span's id. */
  readonly spanId: string;
  /** The caller's span (an incoming `traceparent`), the server span's parent. */
  readonly parentSpanId: string | undefined;
  /** The caller's `tracestate`, passed on unchanged. */
  readonly traceState: string | undefined;
  /** The trace is sampled: spans are exported (the sampler's decision; by default the caller's traceparent's, else yes). */
  readonly sampled: boolean;
  /** The trace id's 16 bytes then the server span id's 8, when both were made here (a new trace). */
  readonly bytes: IdBytes | undefined;
}

/** The `traceparent` an upstream attempt carries: this trace, the attempt's span as parent. */
export function traceparentOf(start: TraceStart, spanId: string): string {
  return `00-${start.traceId}-${spanId}-${start.sampled ? "01" : "00"}`;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
/** W3C's limit on tracestate: longer ones may be dropped. */
const MAX_TRACESTATE_CHARS = 512;

/**
 * The trace a request continues (its `traceparent`, W3C Trace Context level 1), or a new one.
 * A malformed or invalid header starts a new trace, as the spec says.
 */
export function beginTrace(traceparent: unknown, tracestate: unknown, sampler: Sampler = DEFAULT_SAMPLER): TraceStart {
  const match = typeof traceparent === "string" ? TRACEPARENT.exec(traceparent.trim()) : null;
  const version = match?.[1];
  const traceId = match?.[2];
  const parentSpanId = match?.[3];
  const flags = match?.[4];
  const valid =
    match !== null &&
    version !== "ff" &&
    // Version 00 has nothing after the flags; later versions may add fields.
    (version !== "00" || match[5] === undefined) &&
    traceId !== ZERO_TRACE &&
    parentSpanId !== ZERO_SPAN;
  if (!valid || traceId === undefined || parentSpanId === undefined || flags === undefined) return newTrace(sampler);
  const state = typeof tracestate === "string" && tracestate.length <= MAX_TRACESTATE_CHARS ? tracestate : undefined;
  return {
    traceId,
    spanId: randomSpanId(),
    parentSpanId,
    traceState: state === "" ? undefined : state,
    // Bit 0 of the flags: the caller records this trace (a parent-based sampler follows it).
    sampled: isSampled(sampler, (Number.parseInt(flags, 16) & 1) === 1, traceId),
    bytes: undefined,
  };
}

/** A new trace: its id and the server span's, from one draw of the pool. */
function newTrace(sampler: Sampler): TraceStart {
  for (;;) {
    const at = takeRandom(24);
    const traceId = poolHex.slice(2 * at, 2 * at + 32);
    const spanId = poolHex.slice(2 * at + 32, 2 * at + 48);
    if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) continue;
    return {
      traceId,
      spanId,
      parentSpanId: undefined,
      traceState: undefined,
      sampled: isSampled(sampler, undefined, traceId),
      bytes: { view: poolView, at },
    };
  }
}
