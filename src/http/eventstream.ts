/**
 * AWS's binary event-stream framing (`application/vnd.amazon.eventstream`, Bedrock's
 * ConverseStream): length-prefixed messages of typed headers and a payload, each with a
 * CRC32 over its prelude and one over the whole message. Messages are cut from the byte
 * stream by their length prefix here; @smithy/eventstream-codec decodes each and checks
 * both checksums. Each message becomes one event: `event` is its `:event-type`, or for
 * an exception its `:exception-type` (`exception: true`), and `data` its payload as text.
 */
import { EventStreamCodec, type Message } from "@smithy/eventstream-codec";
import { fromUtf8, toUtf8 } from "@smithy/util-utf8";
import { MAX_ANSWER_BYTES } from "./body.js";
import { eventTooLarge, type Framer, type SseEvent } from "./sse.js";

/** Total length (4 bytes), headers length (4), prelude CRC (4) ... message CRC (4). */
const MIN_MESSAGE_BYTES = 16;

function header(message: Message, name: string): string | undefined {
  const value = message.headers[name];
  return value?.type === "string" ? value.value : undefined;
}

export class EventStreamFramer implements Framer {
  private readonly codec = new EventStreamCodec(toUtf8, fromUtf8);
  /** Bytes of messages not yet complete; usually empty or one partial message. */
  private buffered: Uint8Array = new Uint8Array(0);

  /** `maxMessageBytes` bounds one message; a larger length prefix throws at once. */
  constructor(private readonly maxMessageBytes = MAX_ANSWER_BYTES) {}

  push(bytes: Uint8Array): SseEvent[] {
    let data: Uint8Array = bytes;
    if (this.buffered.length > 0) {
      data = new Uint8Array(this.buffered.length + bytes.length);
      data.set(this.buffered);
      data.set(bytes, this.buffered.length);
    }
    const events: SseEvent[] = [];
    let start = 0;
    while (data.length - start >= 4) {
      const view = new DataView(data.buffer, data.byteOffset + start, 4);
      const length = view.getUint32(0, false);
      if (length < MIN_MESSAGE_BYTES) throw new Error(`an event-stream message of ${length} bytes (at least 16)`);
      if (length > this.maxMessageBytes) throw eventTooLarge(this.maxMessageBytes);
      if (data.length - start < length) break;
      // decode() checks the prelude and message CRC32s and throws on a mismatch.
      events.push(toEvent(this.codec.decode(data.subarray(start, start + length))));
      start += length;
    }
    // Copied, so the undici chunk the rest came from is not kept alive.
    this.buffered = start === data.length ? new Uint8Array(0) : data.slice(start);
    return events;
  }

  end(): SseEvent[] {
    if (this.buffered.length > 0) {
      const left = this.buffered.length;
      this.buffered = new Uint8Array(0);
      throw new Error(`the event stream ended inside a message (${left} bytes left over)`);
    }
    return [];
  }
}

function toEvent(message: Message): SseEvent {
  const data = toUtf8(message.body);
  switch (header(message, ":message-type")) {
    case "exception":
      return { event: header(message, ":exception-type") ?? "exception", data, id: undefined, exception: true };
    case "error": {
      // An error message carries its code and text in headers, with an empty payload.
      const text = JSON.stringify({ message: header(message, ":error-message") ?? "" });
      return { event: header(message, ":error-code") ?? "error", data: text, id: undefined, exception: true };
    }
    default:
      return { event: header(message, ":event-type"), data, id: undefined };
  }
}
