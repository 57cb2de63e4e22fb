/**
 * Server-Sent Events parser (the WHATWG event-stream format) for every upstream that
 * streams SSE. Bytes may be split anywhere, even inside a multi-byte UTF-8 character;
 * lines end in LF, CR or CRLF; several `data:` lines of one event are joined with "\n";
 * comment lines (`: keep-alive`) are skipped; `event:` and `id:` are kept. One event
 * is bounded in size, so an upstream that never ends its line cannot exhaust memory.
 */
import { MAX_ANSWER_BYTES } from "./body.js";

export interface SseEvent {
  /** The `event:` field; undefined for the default "message" event. */
  event: string | undefined;
  data: string;
  id: string | undefined;
  /**
   * Set by framings that mark an error apart from events (AWS event streams): `event` is
   * then the error's type and `data` its payload. SSE never sets it.
   */
  exception?: true;
}

/** Splits a byte stream into events: SSE here, one event per line for NDJSON, AWS event-stream messages (eventstream.ts). */
export interface Framer {
  push(bytes: Uint8Array): SseEvent[];
  end(): SseEvent[];
}

/** What a framer throws when one event outgrows its bound. */
export function eventTooLarge(limit: number): Error {
  return new Error(`an event longer than ${limit} characters`);
}

export class SseParser implements Framer {
  private readonly decoder = new TextDecoder();
  /** Text of a line not yet ended by a line break (only when a chunk splits a line). */
  private partial = "";
  /** The previous chunk ended with CR: a leading LF in the next one belongs to it. */
  private afterCR = false;
  private data: string[] = [];
  /** Characters in `data`: with `partial`, the size of the event being read. */
  private dataChars = 0;
  private event: string | undefined;
  private id: string | undefined;

  /** `maxEventChars` bounds one event (its unfinished line and data lines); past it push() throws. */
  constructor(private readonly maxEventChars = MAX_ANSWER_BYTES) {}

  /** Feeds bytes; returns the events they complete, in order. */
  push(bytes: Uint8Array): SseEvent[] {
    const events: SseEvent[] = [];
    this.consume(this.decoder.decode(bytes, { stream: true }), events);
    if (this.partial.length + this.dataChars > this.maxEventChars) throw eventTooLarge(this.maxEventChars);
    return events;
  }

  /** Ends the input; an event the stream left unterminated is still delivered. */
  end(): SseEvent[] {
    const events: SseEvent[] = [];
    this.consume(this.decoder.decode(), events);
    if (this.partial !== "") {
      this.line(this.partial, events);
      this.partial = "";
    }
    this.dispatch(events);
    return events;
  }

  private consume(text: string, events: SseEvent[]): void {
    // An empty chunk (or one holding only part of a UTF-8 character) must not clear
    // afterCR: the LF of a split CRLF may still come in the next chunk.
    if (text === "") return;
    let start = 0;
    if (this.afterCR && text.charCodeAt(0) === 10) start = 1;
    this.afterCR = false;
    const length = text.length;
    // Positions of the next LF and CR, searched again only once passed: a chunk without
    // any CR is then scanned once, not once per line.
    let lf = -2;
    let cr = -2;
    while (start < length) {
      if (lf !== -1 && lf < start) lf = text.indexOf("\n", start);
      if (cr !== -1 && cr < start) cr = text.indexOf("\r", start);
      const end = cr === -1 ? lf : lf === -1 ? cr : Math.min(cr, lf);
      if (end === -1) {
        this.partial += text.slice(start);
        return;
      }
      const piece = text.slice(start, end);
      if (this.partial === "") {
        this.line(piece, events);
      } else {
        this.line(this.partial + piece, events);
        this.partial = "";
      }
      if (end === cr && text.charCodeAt(end + 1) === 10) {
        start = end + 2;
      } else {
        if (end === cr && end === length - 1) this.afterCR = true;
        start = end + 1;
      }
    }
  }

  private line(line: string, events: SseEvent[]): void {
    if (line === "") {
      this.dispatch(events);
      return;
    }
    if (line.charCodeAt(0) === 58 /* ":" */) return;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32 /* " " */) value = value.slice(1);
    switch (field) {
      case "data":
        this.data.push(value);
        this.dataChars += value.length;
        break;
      case "event":
        this.event = value;
        break;
      case "id":
        this.id = value;
        break;
      default:
        // `retry:` and unknown fields carry nothing a completion needs.
        break;
    }
  }

  private dispatch(events: SseEvent[]): void {
    if (this.data.length > 0) {
      const data = this.data.length === 1 ? (this.data[0] as string) : this.data.join("\n");
      events.push({ event: this.event, data, id: this.id });
    }
    this.data = [];
    this.dataChars = 0;
    this.event = undefined;
  }
}
