/**
 * Newline-delimited JSON framing (Ollama's streams): one event per line. Bytes may be
 * split anywhere, even inside a multi-byte UTF-8 character; lines end in LF or CRLF;
 * blank lines are skipped; a last line the stream left unterminated comes from end().
 * Lines are not parsed here: each arrives as the `data` of an event, like an SSE `data:`.
 * One line is bounded in size, so an upstream that never ends its line cannot exhaust memory.
 */
import { MAX_ANSWER_BYTES } from "./body.js";
import { eventTooLarge, type Framer, type SseEvent } from "./sse.js";

export class NdjsonParser implements Framer {
  private readonly decoder = new TextDecoder();
  /** Text of a line not yet ended by LF (only when a chunk splits a line). */
  private partial = "";

  /** `maxLineChars` bounds one line; past it push() throws. */
  constructor(private readonly maxLineChars = MAX_ANSWER_BYTES) {}

  /** Feeds bytes; returns the events of the lines they complete, in order. */
  push(bytes: Uint8Array): SseEvent[] {
    const events: SseEvent[] = [];
    const text = this.decoder.decode(bytes, { stream: true });
    // Only the new text is searched for LF, so a long line arriving in many small
    // chunks costs linear time, not quadratic.
    let end = text.indexOf("\n");
    if (end === -1) {
      this.partial += text;
      if (this.partial.length > this.maxLineChars) throw eventTooLarge(this.maxLineChars);
      return events;
    }
    this.line(this.partial + text.slice(0, end), events);
    this.partial = "";
    let start = end + 1;
    for (end = text.indexOf("\n", start); end !== -1; end = text.indexOf("\n", start)) {
      this.line(text.slice(start, end), events);
      start = end + 1;
    }
    this.partial = text.slice(start);
    if (this.partial.length > this.maxLineChars) throw eventTooLarge(this.maxLineChars);
    return events;
  }

  /** Ends the input; a last line without a line break is still delivered. */
  end(): SseEvent[] {
    const events: SseEvent[] = [];
    const rest = this.partial + this.decoder.decode();
    this.partial = "";
    this.line(rest, events);
    return events;
  }

  private line(text: string, events: SseEvent[]): void {
    // A CR before the LF belongs to the line break; when a chunk ended between the two,
    // the CR stayed in `partial` and is removed here all the same.
    const line = text.charCodeAt(text.length - 1) === 13 ? text.slice(0, -1) : text;
    if (line.trim() === "") return;
    events.push({ event: undefined, data: line, id: undefined });
  }
}
