/**
 * OTLP's protobuf encoding of a batch of litegate's finished spans (an
 * ExportTraceServiceRequest), written straight from the spans into one buffer.
 *
 * Why not the SDK's ProtobufTraceSerializer: it first copies every span into an
 * intermediate object tree (ids to byte arrays, times to Long-like values, each attribute
 * into a KeyValue/AnyValue pair) and then walks that tree with protobufjs' generic writer,
 * one allocated operation per field. In the bench's profile that cost 36 µs per traced
 * request, a quarter of the request's whole CPU; this writer does the same in a few. It
 * writes the fields the SDK's serializer writes, with the same values (a test decodes both
 * with OTLP's generated decoder and compares them), and only for what litegate's spans
 * hold: one resource, one instrumentation scope, attributes whose values are strings,
 * numbers or booleans, no events, no links.
 *
 * Spans of a route or a deployment are alike from request to request, so most are not
 * written field by field: a span is the copy of the last span of its shape with its ids,
 * times and changed values written over it (SpanTail); only a span of a new shape is
 * written whole, from its head (SpanHead: what every span of a name, kind and block shares).
 *
 * Field numbers are those of opentelemetry/proto/trace/v1/trace.proto and common.proto.
 */

import { TraceState } from "@opentelemetry/core";
import { type AttributeBlock, type AttributeName, type AttributeValue, SpanAttributes } from "./attributes.js";
import { type IdBytes, type KnownText, writeRandomSpanId } from "./ids.js";
import type { SpanBatch } from "./span-queue.js";

/** Protobuf wire types. */
const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;

/** A span under a request's server span, as the encoder reads it. Times are performance.now() values. */
export interface EncodableChild {
  name: string;
  /** An upstream call (a client span); else one of the gateway's own steps (internal). */
  client: boolean;
  startedAt: number;
  endedAt: number;
  /** Its id, when one went out in a traceparent; else a new one is made. */
  spanId?: string | undefined;
  /** Where that id's bytes are, when it was made here (ids.ts); else its hex is decoded. */
  spanIdBytes?: IdBytes | undefined;
  attributes: SpanAttributes;
  /** The span's status is an error with this description. */
  error?: string | undefined;
}

/** A finished request's spans, as the encoder reads them (the tracer's RequestSpans). */
export interface EncodableRequest {
  start: {
    readonly traceId: string;
    readonly spanId: string;
    readonly parentSpanId: string | undefined;
    /** The caller's tracestate header, as received. */
    readonly traceState: string | undefined;
    /** The trace id's 16 bytes then the server span id's 8, when both were made here; else their hex is decoded. */
    readonly bytes?: IdBytes | undefined;
  };
  name: string;
  startedAt: number;
  endedAt: number;
  attributes: SpanAttributes;
  error?: string | undefined;
  children: readonly EncodableChild[];
  /**
   * A text value among its attributes whose bytes are already written (the request id, made by
   * ids.ts): a span replayed copies them instead of writing the text.
   */
  knownText?: KnownText | undefined;
}

/** The resource's and scope's attributes and names, encoded once per tracer. */
export interface EncodableSource {
  resourceAttributes: SpanAttributes;
  scopeName: string;
  scopeVersion: string;
}

/** Span flags: OTLP's bits for "the parent's remoteness is known" and "it is remote". */
export const SPAN_FLAGS_HAS_IS_REMOTE = 0x100;
export const SPAN_FLAGS_IS_REMOTE = 0x200;

/**
 * Milliseconds since the epoch as fixed64 nanoseconds at `at`, split into 32-bit halves with
 * arithmetic that stays exact in doubles (every product below 2^53): no BigInt per time.
 */
function writeNanos(view: DataView, at: number, ms: number): void {
  const seconds = Math.floor(ms / 1000);
  const nanos = Math.round((ms - seconds * 1000) * 1e6);
  // seconds * 1e9 + nanos, with 1e9 = 0x3b9a * 2^16 + 0xca00. Remainders are taken by
  // subtraction: dividing by a power of two is exact, and a double's % is a call to fmod.
  const upper = seconds * 0x3b9a;
  const upperHigh = Math.floor(upper / 0x10000);
  const low = (upper - upperHigh * 0x10000) * 0x10000 + seconds * 0xca00 + nanos;
  const carry = Math.floor(low / 0x100000000);
  view.setUint32(at, low - carry * 0x100000000, true);
  view.setUint32(at + 4, upperHigh + carry, true);
}

/**
 * `from` copied whole to `to` at `at`: keys and kept pairs. TypedArray#set costs about the same
 * whatever the length (a memcpy after some 160 instructions), so it copies anything over 8
 * bytes; a loop (some 6 to 30 instructions a byte, as the compiler manages) copies less.
 */
function copyBytes(from: Uint8Array, to: Uint8Array, at: number): void {
  const length = from.length;
  if (length > 8) to.set(from, at);
  else for (let i = 0; i < length; i++) to[at + i] = from[i] as number;
}

/**
 * ASCII `text` written at `at`, a character a byte; false, with at most `text.length` bytes
 * written, when it is not ASCII.
 *
 * Why Buffer#write and not a loop over charCodeAt: the strings that come here are of many
 * kinds to V8 (literals, slices, concatenations such as randomUUID's), so its property loads
 * on them go megamorphic, about 150 instructions a character; a request id cost 8,000 a
 * request (callgrind, in the gateway). UTF-8 writes any character past ASCII as bytes of
 * 0x80 and up, so the bytes written tell whether the text was ASCII.
 */
function writeAsciiOver(buf: Buffer, at: number, text: string): boolean {
  const length = text.length;
  const written = buf.write(text, at, length);
  if (written !== length) return false;
  for (let i = at; i < at + length; i++) if ((buf[i] as number) > 0x7f) return false;
  return true;
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * An id of 8 or 16 bytes (or any whole number of 32-bit words: a known text's) copied between
 * DataViews, 32 bits at a time. A byte loop cost some 29 instructions a byte and TypedArray#set
 * some 170 a call (callgrind); a DataView's loads and stores are inlined by V8's optimizing
 * compiler.
 */
function copyId(from: DataView, fromAt: number, to: DataView, toAt: number, bytes: number): void {
  for (let i = 0; i < bytes; i += 4) to.setUint32(toAt + i, from.getUint32(fromAt + i, true), true);
}

/** A growable buffer written front to back; length-delimited messages are measured when they end. */
class Writer {
  buf: Buffer;
  /** `buf` as a DataView: ids and times are stored a 32-bit word at a time. */
  view: DataView;
  pos: number;

  /** A new buffer of `size` bytes, or one given (written from `start`). */
  constructor(size: number | Buffer, start = 0) {
    this.buf = typeof size === "number" ? Buffer.allocUnsafe(size) : size;
    this.view = viewOf(this.buf);
    this.pos = start;
  }

  ensure(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + bytes));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
    this.view = viewOf(grown);
  }

  varint(value: number): void {
    this.ensure(10);
    let v = value;
    // Up to 2^53: past 32 bits, shifts would wrap, so divide.
    while (v > 0x7f) {
      this.buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.pos++] = v;
  }

  tag(field: number, wireType: number): void {
    this.varint((field << 3) | wireType);
  }

  /** int64 as protobuf writes it: a negative number is its 64-bit two's complement, 10 bytes. */
  int64(value: number): void {
    if (value >= 0 && value <= Number.MAX_SAFE_INTEGER) {
      this.varint(value);
      return;
    }
    let v = BigInt.asUintN(64, BigInt(value));
    this.ensure(10);
    while (v > 0x7fn) {
      this.buf[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.pos++] = Number(v);
  }

  string(field: number, text: string): void {
    this.tag(field, LENGTH_DELIMITED);
    const length = text.length;
    // Short ASCII text (every name and most values) is written once, its length known before
    // (the one byte left for it): no Buffer.byteLength first.
    if (length < 128) {
      this.ensure(1 + length);
      if (writeAsciiOver(this.buf, this.pos + 1, text)) {
        this.buf[this.pos] = length;
        this.pos += 1 + length;
        return;
      }
    }
    const bytes = Buffer.byteLength(text, "utf8");
    this.varint(bytes);
    this.ensure(bytes);
    this.pos += this.buf.write(text, this.pos, "utf8");
  }

  /** A bytes field (an id). */
  bytesField(field: number, bytes: Uint8Array): void {
    this.tag(field, LENGTH_DELIMITED);
    this.varint(bytes.length);
    this.raw(bytes);
  }

  fixed32(field: number, value: number): void {
    this.tag(field, FIXED32);
    this.ensure(4);
    this.view.setUint32(this.pos, value, true);
    this.pos += 4;
  }

  double(field: number, value: number): void {
    this.tag(field, FIXED64);
    this.ensure(8);
    this.buf.writeDoubleLE(value, this.pos);
    this.pos += 8;
  }

  /**
   * Opens a length-delimited field; `reserve` bytes are left for its length, a guess of
   * its size's varint. end() writes the length and, when the guess was wrong, moves the body.
   */
  begin(field: number, reserve: number): number {
    this.tag(field, LENGTH_DELIMITED);
    this.ensure(reserve);
    const start = this.pos;
    this.pos += reserve;
    return start * 8 + reserve;
  }

  /** Closes the field begin() opened; returns the size of its length's varint (a better guess next time). */
  end(mark: number): number {
    const reserve = mark % 8;
    const start = (mark - reserve) / 8;
    const body = start + reserve;
    const length = this.pos - body;
    const size = varintSize(length);
    if (size !== reserve) {
      this.ensure(size - reserve);
      this.buf.copyWithin(start + size, body, this.pos);
      this.pos += size - reserve;
    }
    const end = this.pos;
    this.pos = start;
    this.varint(length);
    this.pos = end;
    return size;
  }

  raw(bytes: Uint8Array): void {
    const length = bytes.length;
    this.ensure(length);
    copyBytes(bytes, this.buf, this.pos);
    this.pos += length;
  }

  bytes(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}

/** A KeyValue's `value` (AnyValue), by the value's JavaScript type (as the SDK chooses them: an integer is int_value). */
function writeValue(writer: Writer, value: AttributeValue): void {
  const any = writer.begin(2, 1);
  if (typeof value === "string") writer.string(1, value);
  else if (typeof value === "boolean") {
    writer.tag(2, VARINT);
    writer.varint(value ? 1 : 0);
  } else if (Number.isInteger(value)) {
    writer.tag(3, VARINT);
    writer.int64(value);
  } else writer.double(4, value);
  writer.end(any);
}

/**
 * Attribute bytes already encoded, kept on the attribute's name: its KeyValue `key` field, and
 * for string values the whole pair, length first. Most of a span's bytes recur request after
 * request (the names, and values from the config: models, deployments, providers, routes),
 * and copying them costs a fraction of encoding them again. A name keeps at most
 * PAIRS_PER_NAME values, and none for a name whose values never recur (a request's id), so
 * the memory is bounded whatever the traffic.
 */
export interface EncodedName {
  key: Uint8Array;
  /** Undefined for a name whose values do not recur. */
  pairs: Map<string, Uint8Array> | undefined;
}
const PAIRS_PER_NAME = 64;
/** A longer value is encoded each time: copying it saves little, and keeping it costs memory. */
const MAX_KEPT_VALUE_LENGTH = 256;

function encodeName(name: AttributeName): EncodedName {
  const writer = new Writer(name.text.length * 3 + 8);
  writer.string(1, name.text);
  const encoded = { key: Uint8Array.from(writer.bytes()), pairs: name.recurring ? new Map() : undefined };
  name.encoded = encoded;
  return encoded;
}

/** A KeyValue's body (its length first) for a name and a string value, kept when there is room. */
function encodedPair(name: EncodedName, pairs: Map<string, Uint8Array>, value: string): Uint8Array | undefined {
  let pair = pairs.get(value);
  if (pair === undefined && pairs.size < PAIRS_PER_NAME && value.length <= MAX_KEPT_VALUE_LENGTH) {
    const writer = new Writer(name.key.length + value.length * 3 + 16);
    const mark = writer.begin(0, 2);
    writer.raw(name.key);
    writeValue(writer, value);
    writer.end(mark);
    // begin() wrote a tag for field 0: the kept bytes start at the length.
    pair = Uint8Array.from(writer.bytes().subarray(1));
    pairs.set(value, pair);
  }
  return pair;
}

/** One-byte tags of the fields an attribute's fast path writes (common.proto's KeyValue and AnyValue). */
const KEY_VALUE_VALUE_TAG = (2 << 3) | LENGTH_DELIMITED;
const STRING_VALUE_TAG = (1 << 3) | LENGTH_DELIMITED;
const BOOL_VALUE_TAG = (2 << 3) | VARINT;
const INT_VALUE_TAG = (3 << 3) | VARINT;
const DOUBLE_VALUE_TAG = (4 << 3) | FIXED64;
/** The longest body a one-byte length can give. */
const ONE_BYTE_LENGTH = 0x7f;

/**
 * A KeyValue's tag, length (`length`, its body's, as the caller measured it: the key's field,
 * the value's tag and length, and `valueLength`), key and the start of its value at `at`,
 * room made; where the AnyValue's own field goes.
 */
function writeKeyValueHead(
  buf: Buffer,
  at: number,
  tag: number,
  length: number,
  key: Uint8Array,
  valueLength: number,
): number {
  buf[at] = tag;
  buf[at + 1] = length;
  copyBytes(key, buf, at + 2);
  const anyValue = at + 2 + key.length;
  buf[anyValue] = KEY_VALUE_VALUE_TAG;
  buf[anyValue + 1] = valueLength;
  return anyValue + 2;
}

/**
 * A number or boolean attribute whose KeyValue fits a one-byte length (every litegate name
 * does), its bytes written directly: the lengths are known before a byte is written, so
 * nothing is measured afterwards. False, with nothing written, for what it does not cover
 * (negative integers, which protobuf writes in 10 bytes).
 */
function writeShortScalar(writer: Writer, tag: number, key: Uint8Array, value: number | boolean): boolean {
  const integer = typeof value === "number" && Number.isInteger(value);
  if (integer && (value < 0 || value > Number.MAX_SAFE_INTEGER)) return false;
  const valueLength = typeof value === "boolean" ? 2 : integer ? 1 + varintSize(value) : 9;
  const length = key.length + 2 + valueLength;
  if (length > ONE_BYTE_LENGTH) return false;
  writer.ensure(2 + length);
  const buf = writer.buf;
  const field = writeKeyValueHead(buf, writer.pos, tag, length, key, valueLength);
  writer.pos = field + 1;
  if (typeof value === "boolean") {
    buf[field] = BOOL_VALUE_TAG;
    buf[field + 1] = value ? 1 : 0;
    writer.pos += 1;
  } else if (integer) {
    buf[field] = INT_VALUE_TAG;
    writer.varint(value);
  } else {
    buf[field] = DOUBLE_VALUE_TAG;
    buf.writeDoubleLE(value, writer.pos);
    writer.pos += 8;
  }
  return true;
}

/** A short ASCII string attribute (a request id, a key hash), written directly; false, with nothing written, for any other. */
function writeShortString(writer: Writer, tag: number, key: Uint8Array, value: string): boolean {
  const chars = value.length;
  const valueLength = 2 + chars;
  const length = key.length + 2 + valueLength;
  if (length > ONE_BYTE_LENGTH) return false;
  writer.ensure(2 + length);
  const buf = writer.buf;
  const text = writer.pos + 2 + key.length + 4;
  if (!writeAsciiOver(buf, text, value)) return false;
  const field = writeKeyValueHead(buf, writer.pos, tag, length, key, valueLength);
  buf[field] = STRING_VALUE_TAG;
  buf[field + 1] = chars;
  writer.pos = text + chars;
  return true;
}

/**
 * A list of attributes as repeated field `field`. `ends`, when given, gets where each
 * attribute's bytes end: a span written to be replayed later (SpanTail) records its values' places.
 */
function writeList(
  writer: Writer,
  field: number,
  names: readonly AttributeName[],
  values: readonly AttributeValue[],
  ends?: number[],
): void {
  // Attributes are fields 1 (a resource's) and 9 (a span's): one byte.
  const tag = (field << 3) | LENGTH_DELIMITED;
  for (let i = 0; i < names.length; i++) {
    writeAttribute(writer, field, tag, names[i] as AttributeName, values[i] as AttributeValue);
    ends?.push(writer.pos);
  }
}

function writeAttribute(writer: Writer, field: number, tag: number, name: AttributeName, value: AttributeValue): void {
  const encoded = name.encoded ?? encodeName(name);
  if (typeof value !== "string") {
    if (writeShortScalar(writer, tag, encoded.key, value)) return;
  } else {
    const pairs = encoded.pairs;
    const pair = pairs === undefined ? undefined : encodedPair(encoded, pairs, value);
    if (pair !== undefined) {
      writer.ensure(1);
      writer.buf[writer.pos++] = tag;
      writer.raw(pair);
      return;
    }
    if (writeShortString(writer, tag, encoded.key, value)) return;
  }
  const mark = writer.begin(field, 1);
  writer.raw(encoded.key);
  writeValue(writer, value);
  writer.end(mark);
}

/**
 * Shared blocks' encodings, as the attributes of a span (field 9): made the first time a
 * block is written and gone with the block. The blocks are few (a deployment's, a route's)
 * and each is encoded once, whatever the traffic.
 */
const SPAN_ATTRIBUTES = 9;
const encodedBlocks = new WeakMap<AttributeBlock, Uint8Array>();

function blockBytes(block: AttributeBlock): Uint8Array {
  let bytes = encodedBlocks.get(block);
  if (bytes === undefined) {
    const scratch = new Writer(256);
    writeList(scratch, SPAN_ATTRIBUTES, block.names, block.values);
    bytes = Uint8Array.from(scratch.bytes());
    encodedBlocks.set(block, bytes);
  }
  return bytes;
}

/**
 * A span's fields before its own attributes, as bytes: trace id, span id, parent's id, name,
 * kind, start and end times, and its shared attributes. Most of a span is the same for every
 * request of a route or a deployment, so this is made once per name, kind, block and parent
 * (there or not), and a span written whole copies it and writes its ids and times over the
 * zeros left for them: one copy instead of a dozen fields written one by one.
 */
interface SpanHead {
  readonly kind: number;
  readonly block: AttributeBlock;
  readonly withParent: boolean;
  readonly bytes: Uint8Array;
  /** Where in `bytes` the ids and times go (the trace id at TRACE_ID_AT). */
  readonly spanIdAt: number;
  readonly parentAt: number;
  readonly startAt: number;
  readonly endAt: number;
  /**
   * Bytes to leave for the length of a span made from it: the last one's. Spans of one head
   * are of a size, and a wrong guess moves the span's bytes once written.
   */
  lengthBytes: number;
  /** The last spans written from it, newest last, to be replayed (see SpanTail). */
  readonly tails: SpanTail[];
}

/** The trace id comes first, after its tag and length. */
const TRACE_ID_AT = 2;
/** What a head holds where each span writes its trace id, and its span ids and times (8 bytes each). */
const ZEROS_16 = new Uint8Array(16);
const ZEROS_8 = new Uint8Array(8);

function makeHead(name: string, kind: number, block: AttributeBlock, withParent: boolean): SpanHead {
  const writer = new Writer(256);
  writer.bytesField(1, ZEROS_16);
  writer.bytesField(2, ZEROS_8);
  const spanIdAt = writer.pos - 8;
  if (withParent) writer.bytesField(4, ZEROS_8);
  const parentAt = withParent ? writer.pos - 8 : -1;
  writer.string(5, name);
  writer.tag(6, VARINT);
  writer.varint(kind);
  // Times are fixed64: 8 bytes whatever their value.
  writer.tag(7, FIXED64);
  writer.raw(ZEROS_8);
  const startAt = writer.pos - 8;
  writer.tag(8, FIXED64);
  writer.raw(ZEROS_8);
  const endAt = writer.pos - 8;
  writer.raw(blockBytes(block));
  const bytes = Uint8Array.from(writer.bytes());
  return { kind, block, withParent, bytes, spanIdAt, parentAt, startAt, endAt, lengthBytes: 2, tails: [] };
}

/**
 * Heads by span name. A name has few heads (a route's methods, the kinds of principal), at
 * most HEADS_PER_NAME, the oldest replaced past that (a config reload brings new blocks);
 * at most MAX_HEAD_NAMES names are kept, and no name longer than MAX_KEPT_VALUE_LENGTH:
 * memory stays bounded whatever the traffic, and a head not kept is made for its one span.
 */
const HEADS_PER_NAME = 8;
const MAX_HEAD_NAMES = 512;
const heads = new Map<string, SpanHead[]>();

function spanHead(name: string, kind: number, block: AttributeBlock, withParent: boolean): SpanHead {
  const kept = heads.get(name);
  if (kept !== undefined) {
    for (const head of kept) {
      if (head.block === block && head.kind === kind && head.withParent === withParent) return head;
    }
  }
  const head = makeHead(name, kind, block, withParent);
  if (kept !== undefined) {
    if (kept.length >= HEADS_PER_NAME) kept.shift();
    kept.push(head);
  } else if (heads.size < MAX_HEAD_NAMES && name.length <= MAX_KEPT_VALUE_LENGTH) heads.set(name, [head]);
  return head;
}

/** Span field 15 (status), whose unset value is an empty message. */
const STATUS_TAG = (15 << 3) | LENGTH_DELIMITED;

/** What turns a performance.now() time into wall-clock milliseconds now. */
export function wallClockOffset(): number {
  return Date.now() - performance.now();
}

/** A tracestate header as the SDK's serializers write it: normalised. */
export function wireTraceState(header: string | undefined): string | undefined {
  return header === undefined ? undefined : new TraceState(header).serialize();
}

/** OTLP's SpanKind values. */
const KIND_INTERNAL = 1;
const KIND_SERVER = 2;
const KIND_CLIENT = 3;
/** The W3C "sampled" trace flag: only sampled requests are encoded. */
const SAMPLED = 1;

/**
 * A span as written before (its whole Span field, tag and length first), with where its own
 * values went, to be written again for a later span of the same head. Spans of a route or a
 * deployment differ mostly in their ids, times and numbers, and seldom in their size: a later
 * span whose own attribute names are the same, and whose values each fit the place of the
 * earlier one's (a number of the same varint size, a double, a boolean, ASCII text of the
 * same length, or the same value), is this copy with its ids, times and values written over
 * it: one copy and a few stores per value. With spans replayed, a bench request's encoding
 * went from 31,000 instructions to 16,000 (callgrind, in the gateway).
 */
interface SpanTail {
  readonly bytes: Uint8Array;
  readonly names: readonly AttributeName[];
  /** The values written, and how a later value may be written over each (SLOT_*). */
  readonly values: readonly AttributeValue[];
  readonly slots: Uint8Array;
  /** Where each value's bytes end in `bytes` (a value is the last of its KeyValue's bytes). */
  readonly ends: readonly number[];
  readonly traceState: string | undefined;
  /** Where the tracestate's text starts in `bytes` when it is ASCII (another of its length may be written there); else -1. */
  readonly traceStateAt: number;
  readonly error: string | undefined;
  readonly flags: number;
  /** Where the ids and times go in `bytes`; parentAt -1 when the head has no parent. */
  readonly traceIdAt: number;
  readonly spanIdAt: number;
  readonly parentAt: number;
  readonly startAt: number;
  readonly endAt: number;
}

/** Only the same value fits (a negative integer, text that is not ASCII). */
const SLOT_SAME = 0;
/** ASCII text of the same length: its characters are its last bytes. */
const SLOT_TEXT = 1;
const SLOT_BOOL = 2;
const SLOT_DOUBLE = 3;
/** A varint of SLOT_VARINT + n: an integer whose varint is n bytes. */
const SLOT_VARINT = 8;
/** A head keeps its last few spans' tails (a few sizes of token counts, an error): the oldest goes. */
const TAILS_PER_HEAD = 4;
/** A longer span is not kept: it is rare, and keeping it would cost memory. */
const MAX_TAIL_BYTES = 2048;

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** How a later value may be written where `value` was. */
function slotOf(value: AttributeValue): number {
  if (typeof value === "string") return isAscii(value) ? SLOT_TEXT : SLOT_SAME;
  if (typeof value === "boolean") return SLOT_BOOL;
  if (!Number.isInteger(value)) return SLOT_DOUBLE;
  return value >= 0 && value <= Number.MAX_SAFE_INTEGER ? SLOT_VARINT + varintSize(value) : SLOT_SAME;
}

/** `known`'s text written at `to`, copied from its bytes (ASCII: a byte a character), words first. */
function copyKnown(writer: Writer, to: number, known: KnownText): void {
  const { view, at } = known.bytes;
  const length = known.text.length;
  const words = length - (length % 4);
  copyId(view, at, writer.view, to, words);
  for (let i = words; i < length; i++) writer.buf[to + i] = view.getUint8(at + i);
}

/**
 * `value` written over `was`, whose bytes end at `end`; false when it does not fit there (some
 * bytes may be written). `known`'s text is copied from its bytes.
 */
function writeOver(
  writer: Writer,
  end: number,
  slot: number,
  was: AttributeValue,
  value: AttributeValue,
  known: KnownText | undefined,
): boolean {
  const buf = writer.buf;
  if (value === was) return true;
  if (slot >= SLOT_VARINT) {
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > Number.MAX_SAFE_INTEGER) {
      return false;
    }
    const size = slot - SLOT_VARINT;
    if (varintSize(value) !== size) return false;
    let at = end - size;
    let v = value;
    while (v > 0x7f) {
      buf[at++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    buf[at] = v;
    return true;
  }
  if (slot === SLOT_TEXT) {
    if (typeof value !== "string" || value.length !== (was as string).length) return false;
    const at = end - value.length;
    if (known === undefined || value !== known.text) return writeAsciiOver(buf, at, value);
    copyKnown(writer, at, known);
    return true;
  }
  if (slot === SLOT_DOUBLE) {
    if (typeof value !== "number" || Number.isInteger(value)) return false;
    buf.writeDoubleLE(value, end - 8);
    return true;
  }
  if (slot === SLOT_BOOL && typeof value === "boolean") {
    buf[end - 1] = value ? 1 : 0;
    return true;
  }
  return false;
}

/** What a request's spans share: its ids (decoded once), the tracestate on the wire, its known text. */
interface TraceFields {
  /** The request's ids as bytes (the trace id at TRACE_ID, span ids at the *_ID places). */
  ids: DataView;
  traceState: string | undefined;
  known: KnownText | undefined;
}

/** Where a request's ids are in TraceFields' `ids`, decoded once from their hex. */
const TRACE_ID = 0;
const SERVER_ID = 16;
const CALLER_ID = 24;
const CHILD_ID = 32;
const ID_BYTES = 40;
/** A span whose id went nowhere: it is given a new one. */
const NEW_ID = -1;
/** A span without a parent. */
const NO_PARENT = -1;

/** A span's own values: what its head does not hold. Its ids are places in TraceFields' `ids`. */
interface SpanValues {
  spanIdAt: number;
  parentIdAt: number;
  startMs: number;
  endMs: number;
  attributes: SpanAttributes;
  error: string | undefined;
  flags: number;
}

/**
 * The ids and times of a span written at `at` whose places are those of `places`. The ids are
 * copied a word at a time in line, not by copyId: called three times a span, it was not inlined
 * into replay and cost some 1,500 instructions a request (callgrind, in the gateway).
 */
function writeIdsAndTimes(view: DataView, at: number, places: SpanTail, trace: TraceFields, span: SpanValues): void {
  const ids = trace.ids;
  const traceAt = at + places.traceIdAt;
  view.setUint32(traceAt, ids.getUint32(TRACE_ID, true), true);
  view.setUint32(traceAt + 4, ids.getUint32(TRACE_ID + 4, true), true);
  view.setUint32(traceAt + 8, ids.getUint32(TRACE_ID + 8, true), true);
  view.setUint32(traceAt + 12, ids.getUint32(TRACE_ID + 12, true), true);
  const spanAt = at + places.spanIdAt;
  const spanId = span.spanIdAt;
  if (spanId === NEW_ID) writeRandomSpanId(view, spanAt);
  else {
    view.setUint32(spanAt, ids.getUint32(spanId, true), true);
    view.setUint32(spanAt + 4, ids.getUint32(spanId + 4, true), true);
  }
  const parentId = span.parentIdAt;
  if (parentId !== NO_PARENT) {
    const parentAt = at + places.parentAt;
    view.setUint32(parentAt, ids.getUint32(parentId, true), true);
    view.setUint32(parentAt + 4, ids.getUint32(parentId + 4, true), true);
  }
  writeNanos(view, at + places.startAt, span.startMs);
  writeNanos(view, at + places.endAt, span.endMs);
}

/** The span written from `tail`, if its values fit there: true, and the writer is past it; else nothing is kept of it. */
function replay(writer: Writer, tail: SpanTail, trace: TraceFields, span: SpanValues): boolean {
  const { names, values } = span.attributes;
  if (names.length !== tail.names.length || span.flags !== tail.flags || span.error !== tail.error) return false;
  // A caller's tracestate may change from trace to trace (a vendor's value in it): one of the same length fits.
  const state = trace.traceState;
  const otherState = state !== tail.traceState;
  if (
    otherState &&
    (state === undefined ||
      tail.traceState === undefined ||
      tail.traceStateAt < 0 ||
      state.length !== tail.traceState.length)
  ) {
    return false;
  }
  const bytes = tail.bytes;
  writer.ensure(bytes.length);
  const buf = writer.buf;
  const at = writer.pos;
  buf.set(bytes, at);
  if (otherState && !writeAsciiOver(buf, at + tail.traceStateAt, state as string)) return false;
  for (let i = 0; i < names.length; i++) {
    if (names[i] !== tail.names[i]) return false;
    const was = tail.values[i] as AttributeValue;
    const value = values[i] as AttributeValue;
    if (!writeOver(writer, at + (tail.ends[i] as number), tail.slots[i] as number, was, value, trace.known)) {
      return false;
    }
  }
  writeIdsAndTimes(writer.view, at, tail, trace, span);
  writer.pos = at + bytes.length;
  return true;
}

/**
 * One Span message: replayed from one of its head's tails when it fits one; else its head
 * copied, its ids and times written into the copy, then its own attributes, status and flags,
 * and what was written kept as a tail for later spans.
 */
function writeSpan(writer: Writer, trace: TraceFields, name: string, kind: number, span: SpanValues): void {
  const head = spanHead(name, kind, span.attributes.shared, span.parentIdAt !== NO_PARENT);
  const tails = head.tails;
  for (let i = tails.length - 1; i >= 0; i--) if (replay(writer, tails[i] as SpanTail, trace, span)) return;
  const fieldAt = writer.pos;
  const reserved = head.lengthBytes;
  const mark = writer.begin(2, reserved);
  const at = writer.pos;
  writer.raw(head.bytes);
  const state = trace.traceState;
  if (state !== undefined) writer.string(3, state);
  // Its text ends where the attributes start; ASCII text is as many bytes as characters.
  const stateEnd = writer.pos;
  const { names, values } = span.attributes;
  const ends: number[] = [];
  writeList(writer, SPAN_ATTRIBUTES, names, values, ends);
  if (span.error === undefined) {
    writer.ensure(2);
    writer.buf[writer.pos] = STATUS_TAG;
    writer.buf[writer.pos + 1] = 0;
    writer.pos += 2;
  } else {
    const status = writer.begin(15, 1);
    writer.string(2, span.error);
    // STATUS_CODE_ERROR; an unset status (0) is not written.
    writer.tag(3, VARINT);
    writer.varint(2);
    writer.end(status);
  }
  writer.fixed32(16, span.flags);
  head.lengthBytes = writer.end(mark);
  // end() moved the body when the length took other than the bytes reserved for it.
  const moved = head.lengthBytes - reserved;
  const headAt = at + moved - fieldAt;
  const tail: SpanTail = {
    bytes: new Uint8Array(writer.buf.subarray(fieldAt, writer.pos)),
    names: names.slice(),
    values: values.slice(),
    slots: Uint8Array.from(values, slotOf),
    ends: ends.map((end) => end + moved - fieldAt),
    traceState: state,
    traceStateAt: state !== undefined && isAscii(state) ? stateEnd - state.length + moved - fieldAt : -1,
    error: span.error,
    flags: span.flags,
    traceIdAt: headAt + TRACE_ID_AT,
    spanIdAt: headAt + head.spanIdAt,
    parentAt: head.parentAt < 0 ? -1 : headAt + head.parentAt,
    startAt: headAt + head.startAt,
    endAt: headAt + head.endAt,
  };
  writeIdsAndTimes(writer.view, fieldAt, tail, trace, span);
  if (tail.bytes.length > MAX_TAIL_BYTES) return;
  if (tails.length >= TAILS_PER_HEAD) tails.shift();
  tails.push(tail);
}

/** The ResourceSpans' `resource` and ScopeSpans' `scope` fields, encoded once. */
export function encodeSource(source: EncodableSource): EncodedSource {
  const resource = new Writer(256);
  const resourceMark = resource.begin(1, 1);
  const { shared, names, values } = source.resourceAttributes;
  writeList(resource, 1, shared.names, shared.values);
  writeList(resource, 1, names, values);
  resource.end(resourceMark);
  const scope = new Writer(64);
  const scopeMark = scope.begin(1, 1);
  scope.string(1, source.scopeName);
  scope.string(2, source.scopeVersion);
  scope.end(scopeMark);
  return { resource: Buffer.from(resource.bytes()), scope: Buffer.from(scope.bytes()) };
}

/** A tracer's resource and scope, encoded once for every batch. */
export interface EncodedSource {
  resource: Buffer;
  scope: Buffer;
}

/** What a batch's buffer starts at; it grows (doubling) as requests are added. */
const FIRST_BATCH_BYTES = 64 * 1024;
/** Buffers kept for later batches: the one being filled, the one being sent, two waiting. */
const SPARE_BUFFERS = 4;

/**
 * The buffers batches are written into, kept once their batch was sent. A new buffer per batch
 * (64 KB doubling to some 256 KB, dozens of batches a second under load) is fresh memory the
 * kernel has to map page by page, and external memory V8 has to account for; a kept one has
 * already grown to the size batches need.
 */
export class BatchBuffers {
  private readonly spare: Buffer[] = [];

  take(): Buffer {
    return this.spare.pop() ?? Buffer.allocUnsafe(FIRST_BATCH_BYTES);
  }

  give(buffer: Buffer): void {
    if (this.spare.length < SPARE_BUFFERS) this.spare.push(buffer);
  }
}

/** Room for a varint's length: 5 bytes hold any length below 2^35. */
const MAX_LENGTH_BYTES = 5;

/**
 * Requests whose spans wait, as handed over, to be encoded together. Encoding a request as
 * it ends runs the encoder cold, between everything else a request does; encoding a few in a
 * row keeps its code and its caches warm: in a profile of the loaded gateway, 16 at a time
 * cost about a fifth less than one at a time. So few are kept that they are gone long before
 * a garbage collection would have to move them (no more collections were measured).
 */
const ENCODE_TOGETHER = 16;

/**
 * One export's spans, encoded a few requests at a time (nothing of a request is kept but its
 * bytes, once encoded); bytes() frames them as an ExportTraceServiceRequest, in place: the
 * buffer starts with room for the frame (the resource, the scope and their lengths), written
 * once the spans' length is known, so the spans are never copied.
 */
export class ProtobufSpanBatch implements SpanBatch<EncodableRequest> {
  /** Spans added so far. */
  spans = 0;
  private readonly writer: Writer;
  /** Where the spans start: after the room left for the frame. */
  private readonly spansStart: number;

  /**
   * What turns performance.now() times into wall-clock milliseconds: `anchor` when given (a test
   * comparing encodings), else read when the batch gets its first request. The two clocks move
   * together but for the system clock's adjustments, which a batch (a few seconds at most)
   * seldom sees; read per request, the two clock reads cost some 700 instructions (callgrind,
   * in the gateway).
   */
  private offset: number;

  constructor(
    private readonly source: EncodedSource,
    private readonly buffers: BatchBuffers = new BatchBuffers(),
    private readonly anchor?: number,
  ) {
    this.spansStart = source.resource.length + source.scope.length + 2 * (1 + MAX_LENGTH_BYTES);
    this.writer = new Writer(buffers.take(), this.spansStart);
    this.offset = anchor ?? 0;
  }

  /** The ids being written, decoded once a request: every span of it repeats the trace id, every child the server span's. */
  private readonly ids = Buffer.alloc(ID_BYTES);
  private readonly idsView = viewOf(this.ids);

  /** Requests added and not encoded yet. */
  private readonly waiting: EncodableRequest[] = [];

  /** A request's spans, its children first. */
  add(request: EncodableRequest): void {
    if (this.spans === 0 && this.anchor === undefined) this.offset = wallClockOffset();
    this.waiting.push(request);
    this.spans += request.children.length + 1;
    if (this.waiting.length >= ENCODE_TOGETHER) this.encodeWaiting();
  }

  private encodeWaiting(): void {
    const { waiting } = this;
    for (const request of waiting) this.encode(request);
    waiting.length = 0;
  }

  /** The span being written: one object, its fields set span after span. */
  private readonly span: SpanValues = {
    spanIdAt: NEW_ID,
    parentIdAt: NO_PARENT,
    startMs: 0,
    endMs: 0,
    attributes: new SpanAttributes(),
    error: undefined,
    flags: 0,
  };

  private encode(request: EncodableRequest): void {
    const { start } = request;
    const offset = this.offset;
    // Ids made here are copied from their bytes; a caller's were checked as hex before they got
    // here, and Buffer's native decoding reads them.
    const ids = this.ids;
    const idsView = this.idsView;
    const made = start.bytes;
    // The trace id and the server span's are next to each other in both (TRACE_ID, SERVER_ID).
    if (made !== undefined) copyId(made.view, made.at, idsView, TRACE_ID, 24);
    else {
      ids.write(start.traceId, TRACE_ID, 16, "hex");
      ids.write(start.spanId, SERVER_ID, 8, "hex");
    }
    const trace: TraceFields = {
      ids: idsView,
      traceState: wireTraceState(start.traceState),
      known: request.knownText,
    };
    // The children's parent is the server span, known here to be local; the server span's is the caller's, remote.
    const localParent = SAMPLED | SPAN_FLAGS_HAS_IS_REMOTE;
    const span = this.span;
    for (const child of request.children) {
      const madeId = child.spanIdBytes;
      if (madeId !== undefined) {
        copyId(madeId.view, madeId.at, idsView, CHILD_ID, 8);
        span.spanIdAt = CHILD_ID;
      } else if (child.spanId === undefined) span.spanIdAt = NEW_ID;
      else {
        ids.write(child.spanId, CHILD_ID, 8, "hex");
        span.spanIdAt = CHILD_ID;
      }
      span.parentIdAt = SERVER_ID;
      span.startMs = child.startedAt + offset;
      span.endMs = child.endedAt + offset;
      span.attributes = child.attributes;
      span.error = child.error;
      span.flags = localParent;
      writeSpan(this.writer, trace, child.name, child.client ? KIND_CLIENT : KIND_INTERNAL, span);
    }
    const caller = start.parentSpanId;
    span.spanIdAt = SERVER_ID;
    if (caller === undefined) span.parentIdAt = NO_PARENT;
    else {
      ids.write(caller, CALLER_ID, 8, "hex");
      span.parentIdAt = CALLER_ID;
    }
    span.startMs = request.startedAt + offset;
    span.endMs = request.endedAt + offset;
    span.attributes = request.attributes;
    span.error = request.error;
    span.flags = caller === undefined ? localParent : localParent | SPAN_FLAGS_IS_REMOTE;
    writeSpan(this.writer, trace, request.name, KIND_SERVER, span);
  }

  /** The ExportTraceServiceRequest: one ResourceSpans, one ScopeSpans, every span added. */
  bytes(): Uint8Array {
    this.encodeWaiting();
    const { resource, scope } = this.source;
    const { buf, pos } = this.writer;
    const scopeSpans = scope.length + (pos - this.spansStart);
    const frame = new Writer(this.spansStart);
    frame.tag(1, LENGTH_DELIMITED);
    frame.varint(resource.length + 1 + varintSize(scopeSpans) + scopeSpans);
    frame.raw(resource);
    frame.tag(2, LENGTH_DELIMITED);
    frame.varint(scopeSpans);
    frame.raw(scope);
    const start = this.spansStart - frame.pos;
    buf.set(frame.bytes(), start);
    return buf.subarray(start, pos);
  }

  /** Its body was sent: the buffer serves a later batch. */
  release(): void {
    this.buffers.give(this.writer.buf);
  }
}

/** How many bytes `value`'s varint takes. */
function varintSize(value: number): number {
  let size = 1;
  for (let v = value; v > 0x7f; v = Math.floor(v / 0x80)) size += 1;
  return size;
}
