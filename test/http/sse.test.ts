/**
 * SseParser: line endings, chunk boundaries anywhere (even inside a CRLF or a UTF-8
 * character), multi-line data, comments, event/id fields, end-of-input flush, and a
 * property test that arbitrary chunking never changes what is parsed.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { SseParser, type SseEvent } from "../../src/http/sse.js";

const encoder = new TextEncoder();
const bytes = (text: string): Uint8Array => encoder.encode(text);

function ev(data: string, event?: string, id?: string): SseEvent {
  return { event, data, id };
}

/** Feeds every chunk to one parser, then ends it; returns all events in order. */
function parseChunks(chunks: readonly Uint8Array[]): SseEvent[] {
  const parser = new SseParser();
  const events: SseEvent[] = [];
  for (const chunk of chunks) events.push(...parser.push(chunk));
  events.push(...parser.end());
  return events;
}

/** Splits `data` at the given byte offsets (any order, duplicates give empty chunks). */
function splitAt(data: Uint8Array, offsets: readonly number[]): Uint8Array[] {
  const cuts = [...offsets].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const cut of cuts) {
    chunks.push(data.subarray(start, cut));
    start = cut;
  }
  chunks.push(data.subarray(start));
  return chunks;
}

interface Case {
  name: string;
  /** One string is one chunk; several strings are fed as several chunks. */
  input: string | string[];
  expected: SseEvent[];
}

const cases: Case[] = [
  { name: "LF line endings", input: "data: a\n\ndata: b\n\n", expected: [ev("a"), ev("b")] },
  { name: "CRLF line endings", input: "data: a\r\n\r\ndata: b\r\n\r\n", expected: [ev("a"), ev("b")] },
  { name: "CR-only line endings", input: "data: a\r\rdata: b\r\r", expected: [ev("a"), ev("b")] },
  {
    name: "mixed line endings in one stream",
    input: "data: a\r\n\ndata: b\r\rdata: c\n\r\n",
    expected: [ev("a"), ev("b"), ev("c")],
  },
  {
    name: "CRLF split across two chunks (CR ends one chunk, LF starts the next)",
    input: ["data: a\r", "\ndata: b\r", "\n\r", "\n"],
    expected: [ev("a\nb")],
  },
  {
    name: "CRLF split, with an empty chunk between the CR and the LF",
    input: ["data: a\r", "", "\ndata: b\r\n\r", "", "", "\n"],
    expected: [ev("a\nb")],
  },
  {
    name: "CR at the end of a chunk followed by a chunk that is not LF",
    input: ["data: a\r", "data: b\r", "\r"],
    expected: [ev("a\nb")],
  },
  {
    name: "blank-line CR at the end of a chunk then a new event",
    input: ["data: a\r\r", "data: b\r\r"],
    expected: [ev("a"), ev("b")],
  },
  {
    name: "a line split mid-field across chunks",
    input: ["da", "ta: hel", "lo\n", "\n"],
    expected: [ev("hello")],
  },
  {
    name: "several data lines joined with LF",
    input: "data: first\ndata: second\ndata: third\n\n",
    expected: [ev("first\nsecond\nthird")],
  },
  {
    name: "an empty data line contributes an empty line",
    input: "data: a\ndata:\ndata: b\n\n",
    expected: [ev("a\n\nb")],
  },
  { name: "a lone empty data line is an event with empty data", input: "data:\n\n", expected: [ev("")] },
  { name: "a `data` line without a colon is empty data", input: "data\n\n", expected: [ev("")] },
  {
    name: "comment lines are ignored",
    input: ": keep-alive\n\ndata: a\n: in the middle\ndata: b\n\n:\n\n",
    expected: [ev("a\nb")],
  },
  {
    name: "event field is kept (Anthropic style)",
    input:
      'event: content_block_delta\ndata: {"type":"content_block_delta","delta":{"text":"Hi"}}\n\n' +
      'event: message_stop\ndata: {"type":"message_stop"}\n\n',
    expected: [
      ev('{"type":"content_block_delta","delta":{"text":"Hi"}}', "content_block_delta"),
      ev('{"type":"message_stop"}', "message_stop"),
    ],
  },
  {
    name: "event name is reset after each event",
    input: "event: ping\ndata: 1\n\ndata: 2\n\n",
    expected: [ev("1", "ping"), ev("2")],
  },
  {
    name: "id field is kept and, as WHATWG says, persists to later events",
    input: "id: 42\ndata: a\n\ndata: b\n\nid: 43\ndata: c\n\n",
    expected: [ev("a", undefined, "42"), ev("b", undefined, "42"), ev("c", undefined, "43")],
  },
  {
    name: "data with and without a space after the colon",
    input: "data:nospace\n\ndata: onespace\n\ndata:  twospaces\n\n",
    expected: [ev("nospace"), ev("onespace"), ev(" twospaces")],
  },
  {
    name: "event and id without a space after the colon",
    input: "event:e\nid:7\ndata:x\n\n",
    expected: [ev("x", "e", "7")],
  },
  {
    name: "colons after the first are part of the value",
    input: "data: a: b: c\n\n",
    expected: [ev("a: b: c")],
  },
  {
    name: "data: [DONE]",
    input: 'data: {"choices":[]}\n\ndata: [DONE]\n\n',
    expected: [ev('{"choices":[]}'), ev("[DONE]")],
  },
  {
    name: "retry and unknown fields are ignored",
    input: "retry: 3000\nfoo: bar\ndata: a\n\n",
    expected: [ev("a")],
  },
  {
    name: "an event with no data lines is not dispatched",
    input: "event: ping\n\nid: 1\n\ndata: a\n\n",
    expected: [ev("a", undefined, "1")],
  },
  {
    name: "unterminated event (no trailing newline) is delivered by end()",
    input: "data: a\n\ndata: tail",
    expected: [ev("a"), ev("tail")],
  },
  {
    name: "unterminated event (one newline, no blank line) is delivered by end()",
    input: "event: last\ndata: tail\n",
    expected: [ev("tail", "last")],
  },
  {
    name: "unterminated event ending in a lone CR is delivered by end()",
    input: "data: tail\r",
    expected: [ev("tail")],
  },
  { name: "empty input gives no events", input: "", expected: [] },
  { name: "only blank lines gives no events", input: "\n\n\r\n\r\r", expected: [] },
  { name: "a leading UTF-8 BOM is skipped", input: "\uFEFFdata: a\n\n", expected: [ev("a")] },
  {
    name: "unicode data is decoded",
    input: "data: café 日本 😀\n\n",
    expected: [ev("café 日本 😀")],
  },
];

describe("SseParser table cases", () => {
  for (const c of cases) {
    test(c.name, () => {
      const chunks = (typeof c.input === "string" ? [c.input] : c.input).map(bytes);
      assert.deepStrictEqual(parseChunks(chunks), c.expected);
    });
  }

  test("push returns the events each chunk completes, end() returns the rest", () => {
    const parser = new SseParser();
    assert.deepStrictEqual(parser.push(bytes("data: a\n")), []);
    assert.deepStrictEqual(parser.push(bytes("\ndata: b\n\ndata: c")), [ev("a"), ev("b")]);
    assert.deepStrictEqual(parser.push(bytes("")), []);
    assert.deepStrictEqual(parser.end(), [ev("c")]);
  });

  test("end() with nothing pending returns no events", () => {
    const parser = new SseParser();
    assert.deepStrictEqual(parser.push(bytes("data: a\n\n")), [ev("a")]);
    assert.deepStrictEqual(parser.end(), []);
  });

  test("end() with a truncated UTF-8 character yields U+FFFD", () => {
    const truncated = bytes("data: é").subarray(0, -1);
    assert.deepStrictEqual(parseChunks([truncated]), [ev("\uFFFD")]);
  });
});

describe("SseParser bounds one event", () => {
  test("an unfinished line or the data lines of one event past the bound throw; complete events never count", () => {
    const parser = new SseParser(20);
    assert.deepStrictEqual(parser.push(bytes("data: 0123456789\n\n")), [ev("0123456789")]);
    assert.deepStrictEqual(parser.push(bytes("data: 0123456789")), []);
    assert.throws(() => parser.push(bytes("01234")), { message: "an event longer than 20 characters" });
    const lines = new SseParser(20);
    assert.deepStrictEqual(lines.push(bytes("data: 0123456789\n")), []);
    assert.throws(() => lines.push(bytes("data: 01234567890\n")), { message: "an event longer than 20 characters" });
  });
});

describe("SseParser multi-byte UTF-8 split at every byte offset", () => {
  for (const text of ["é", "日本", "😀", "a é 日本 😀 z", "👩‍👩‍👧"]) {
    test(JSON.stringify(text), () => {
      const input = bytes(`event: ${text}\ndata: ${text}\ndata: ${text}\n\n`);
      const expected = [ev(`${text}\n${text}`, text)];
      for (let offset = 0; offset <= input.length; offset++) {
        assert.deepStrictEqual(parseChunks(splitAt(input, [offset])), expected, `split at byte ${offset}`);
      }
      // Every byte its own chunk.
      const single = Array.from(input, (byte) => Uint8Array.of(byte));
      assert.deepStrictEqual(parseChunks(single), expected, "one byte per chunk");
    });
  }
});

describe("SseParser property: chunking never changes the result", () => {
  /** A field value: any well-formed unicode without CR or LF (they end lines). */
  const value = fc
    .oneof(
      fc.string({ unit: "binary", maxLength: 12 }),
      fc.string({ unit: "grapheme", maxLength: 12 }),
      fc.constantFrom("[DONE]", '{"text":"hi"}', " leading space", "a: b", ":", "é日本😀"),
    )
    .map((s) => s.replace(/[\r\n]/g, "_"));

  const eventArb = fc.record({
    event: fc.option(
      value.filter((s) => s !== ""),
      { nil: undefined },
    ),
    id: fc.option(
      value.map((s) => s.replace(/\0/g, "_")),
      { nil: undefined },
    ),
    dataLines: fc.array(value, { minLength: 1, maxLength: 4 }),
    comment: fc.option(value, { nil: undefined }),
  });

  const streamArb = fc.record({
    events: fc.array(eventArb, { maxLength: 6 }),
    eol: fc.constantFrom("\n", "\r\n", "\r"),
    spaceAfterColon: fc.boolean(),
    /** 0: blank line after the last event; 1: last line ended but no blank line; 2: last line not ended. */
    ending: fc.constantFrom(0, 1, 2),
    /** Byte offsets to split at; a duplicated offset gives an empty chunk there. */
    cuts: fc.array(fc.tuple(fc.nat(), fc.boolean()), { maxLength: 24 }),
    bytewise: fc.boolean(),
  });

  test("split parse == unsplit parse == original events", () => {
    fc.assert(
      fc.property(streamArb, (stream) => {
        const { events, eol, spaceAfterColon, ending } = stream;
        const field = (name: string, v: string): string =>
          // Without the space, a value that starts with a space would lose it.
          `${name}${spaceAfterColon || v.startsWith(" ") ? ": " : ":"}${v}`;
        const lines: string[] = [];
        for (const e of events) {
          if (e.comment !== undefined) lines.push(`:${e.comment}`);
          if (e.event !== undefined) lines.push(field("event", e.event));
          if (e.id !== undefined) lines.push(field("id", e.id));
          for (const line of e.dataLines) lines.push(field("data", line));
          lines.push("");
        }
        let text = lines.map((line) => line + eol).join("");
        if (events.length > 0 && ending >= 1) {
          text = text.slice(0, -eol.length); // drop the blank line
          if (ending === 2) text = text.slice(0, -eol.length); // and the last line's ending
        }
        const whole = bytes(text);

        let lastId: string | undefined;
        const expected = events.map((e) => {
          if (e.id !== undefined) lastId = e.id;
          return ev(e.dataLines.join("\n"), e.event, lastId);
        });

        const unsplit = parseChunks([whole]);
        const chunks = stream.bytewise
          ? Array.from(whole, (byte) => Uint8Array.of(byte))
          : splitAt(
              whole,
              stream.cuts.flatMap(([cut, twice]) => {
                const offset = cut % (whole.length + 1);
                return twice ? [offset, offset] : [offset];
              }),
            );
        const split = parseChunks(chunks);
        assert.deepStrictEqual(split, unsplit);
        assert.deepStrictEqual(unsplit, expected);
      }),
      { numRuns: 300 },
    );
  });
});
