/**
 * W3C trace context ids, made before a request's spans exist: the trace id and each upstream
 * attempt's span id go out in `traceparent` while the request runs, and the spans are built
 * with the same ids when it ends. Random bytes come from a pool filled a few KB at a time, so
 * an id costs a slice of it, not a call into the system's generator. The pool of ids that go
 * out in headers is turned to hex once per fill, and a hex id is a slice of that text: V8 makes
 * a slice of 13 characters or more without copying, where Buffer#toString('hex') per id was
 * three calls into native code (about 0.15 µs a traced request in a micro-benchmark).
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

/** Random bytes drawn a few KB at a time; `hex` keeps them as lowercase hex too, two characters a byte. */
class RandomPool {
  private bytes = Buffer.alloc(0);
  /** The pool's bytes as a DataView, read 32 bits at a time. */
  view = new DataView(this.bytes.buffer, this.bytes.byteOffset, 0);
  /** The pool as lowercase hex, two characters a byte (a pool made with `hex`; else empty). */
  text = "";
  private used = POOL_BYTES;

  constructor(private readonly hex: boolean) {}

  /** Where `bytes` fresh random bytes start (a new pool when too few are left). */
  take(bytes: number): number {
    if (this.used + bytes > POOL_BYTES) {
      this.bytes = randomFillSync(Buffer.allocUnsafeSlow(POOL_BYTES));
      this.view = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
      if (this.hex) this.text = this.bytes.toString("hex");
      this.used = 0;
    }
    const at = this.used;
    this.used += bytes;
    return at;
  }

  /** The 8 bytes at `at` are all zeros (W3C's invalid span id; a trace id is two such halves). */
  zeros(at: number): boolean {
    return (this.view.getUint32(at, true) | this.view.getUint32(at + 4, true)) === 0;
  }
}

/**
 * Ids that go out in a header (the trace id, an attempt's span id) are read as hex; ids only
 * the span encoder writes (the gateway's own steps) never are, so their pool is not turned to
 * hex: a third of the bytes a request draws, and hex encoding was most of an id's cost.
 */
const headerIds = new RandomPool(true);
const spanOnlyIds = new RandomPool(false);

/** 16 hex characters, never all zeros (W3C's invalid id). */
export function randomSpanId(): string {
  return newSpanId().spanId;
}

/** A new span id, as hex and as where its bytes are. Never all zeros. */
export function newSpanId(): { spanId: string; spanIdBytes: IdBytes } {
  for (;;) {
    const at = headerIds.take(8);
    // Checked as bytes: comparing the hex with a string of zeros cost more than drawing the id.
    if (headerIds.zeros(at)) continue;
    return { spanId: headerIds.text.slice(2 * at, 2 * at + 16), spanIdBytes: { view: headerIds.view, at } };
  }
}

/**
 * A new span id written as its 8 bytes at `at` (an id that never goes out in a header needs
 * no hex), as two 32-bit words. Never all zeros.
 */
export function writeRandomSpanId(target: DataView, at: number): void {
  for (;;) {
    const from = spanOnlyIds.take(8);
    const view = spanOnlyIds.view;
    const low = view.getUint32(from, true);
    const high = view.getUint32(from + 4, true);
    if ((low | high) !== 0) {
      target.setUint32(at, low, true);
      target.setUint32(at + 4, high, true);
      return;
    }
  }
}

/** ASCII text and where its bytes are, never written again (a request id made here). */
export interface KnownText {
  readonly text: string;
  readonly bytes: IdBytes;
}

/** A request id's length: a UUID's 36 characters. */
const REQUEST_ID_CHARS = 36;
/** Request ids made at a time. */
const REQUEST_IDS_PER_FILL = 112;
/**
 * A fill older than this is made again before it is used up: its ids carry the fill's time, and
 * a gateway serving a request a minute would otherwise hand out ids minutes old.
 */
const MAX_FILL_AGE_MS = 1000;
/** A byte's two hex digits as one little-endian 16-bit word: the first digit in the low byte. */
const HEX_PAIRS = Uint16Array.from({ length: 256 }, (_, byte) => {
  const digit = (nibble: number): number => "0123456789abcdef".charCodeAt(nibble);
  return digit(byte >> 4) | (digit(byte & 0x0f) << 8);
});
/** Where each of a UUID's 16 bytes goes in its text, past the dashes (8-4-4-4-12 digits). */
const UUID_TEXT_AT = Uint8Array.of(0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34);
/** The current fill of ids: their text as one string and as bytes (never written again), how many are given out, and when it was made. */
let idTexts = "";
let idTextsView = new DataView(new ArrayBuffer(0));
let idsGiven = REQUEST_IDS_PER_FILL;
let filledAt = 0;

/**
 * Writes REQUEST_IDS_PER_FILL version 7 UUIDs' text, one after another: each is the time now
 * (milliseconds since the epoch, big-endian, in its first 6 bytes) then random bits.
 */
function fillRequestIds(now: number): void {
  const random = randomFillSync(Buffer.allocUnsafe(16 * REQUEST_IDS_PER_FILL));
  const text = Buffer.allocUnsafeSlow(REQUEST_ID_CHARS * REQUEST_IDS_PER_FILL);
  const view = new DataView(text.buffer, text.byteOffset, text.byteLength);
  // The time's 48 bits as a high 16-bit and a low 32-bit part (a shift would wrap past 32 bits).
  const high = Math.floor(now / 0x100000000);
  const low = now - high * 0x100000000;
  for (let id = 0; id < REQUEST_IDS_PER_FILL; id++) {
    const from = id * 16;
    const to = id * REQUEST_ID_CHARS;
    random.writeUInt16BE(high, from);
    random.writeUInt32BE(low, from + 2);
    // RFC 9562: the version (7) in byte 6's high nibble, the variant (10) in byte 8's top bits.
    random[from + 6] = ((random[from + 6] as number) & 0x0f) | 0x70;
    random[from + 8] = ((random[from + 8] as number) & 0x3f) | 0x80;
    for (let i = 0; i < 16; i++) {
      view.setUint16(to + (UUID_TEXT_AT[i] as number), HEX_PAIRS[random[from + i] as number] as number, true);
    }
    text[to + 8] = 0x2d;
    text[to + 13] = 0x2d;
    text[to + 18] = 0x2d;
    text[to + 23] = 0x2d;
  }
  idTexts = text.toString("latin1");
  idTextsView = view;
  idsGiven = 0;
  filledAt = now;
}

/**
 * A new request id, a version 7 UUID (RFC 9562: the time it was made, to the millisecond within
 * MAX_FILL_AGE_MS, then 74 random bits), and where its text's bytes are. It is the request's
 * call id and its spend record's key: ids led by the time go in at the end of the spend table's
 * index, where random ones would land all over it.
 *
 * A traced request's span carries its id, the one text that is new in every request: the span
 * encoder copies these bytes instead of writing the string, which cost a call into
 * Buffer#write (some 2,000 instructions a request, callgrind, in the gateway). Ids are made a
 * fill at a time, and an id is a slice of the fill's text (V8 does not copy it), where
 * randomUUID joined 20 strings an id.
 */
export function newRequestId(): KnownText {
  const now = Date.now();
  if (idsGiven === REQUEST_IDS_PER_FILL || now - filledAt > MAX_FILL_AGE_MS) fillRequestIds(now);
  const at = idsGiven * REQUEST_ID_CHARS;
  idsGiven += 1;
  return { text: idTexts.slice(at, at + REQUEST_ID_CHARS), bytes: { view: idTextsView, at } };
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

/** W3C's invalid ids: a caller's traceparent carrying one starts a new trace. */
const ZERO_SPAN = "0000000000000000";
const ZERO_TRACE = "00000000000000000000000000000000";

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
    const at = headerIds.take(24);
    if ((headerIds.zeros(at) && headerIds.zeros(at + 8)) || headerIds.zeros(at + 16)) continue;
    const hex = headerIds.text;
    const traceId = hex.slice(2 * at, 2 * at + 32);
    return {
      traceId,
      spanId: hex.slice(2 * at + 32, 2 * at + 48),
      parentSpanId: undefined,
      traceState: undefined,
      sampled: isSampled(sampler, undefined, traceId),
      bytes: { view: headerIds.view, at },
    };
  }
}
