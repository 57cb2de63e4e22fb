/**
 * NdjsonParser: LF and CRLF line ends, chunk boundaries anywhere (inside a CRLF or a
 * UTF-8 character), blank lines, the unterminated last line, and a property test that
 * arbitrary chunking never changes what is parsed.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { NdjsonParser } from "../../src/http/ndjson.js";
import type { SseEvent } from "../../src/http/sse.js";

const encoder = new TextEncoder();
const bytes = (text: string): Uint8Array => encoder.encode(text);
const ev = (data: string): SseEvent => ({ event: undefined, data, id: undefined });

function parseChunks(chunks: readonly Uint8Array[]): SseEvent[] {
  const parser = new NdjsonParser();
  const events: SseEvent[] = [];
  for (const chunk of chunks) events.push(...parser.push(chunk));
  events.push(...parser.end());
  return events;
}

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

const cases: { name: string; input: string | string[]; expected: SseEvent[] }[] = [
  { name: "LF line ends", input: '{"a":1}\n{"b":2}\n', expected: [ev('{"a":1}'), ev('{"b":2}')] },
  { name: "CRLF line ends", input: '{"a":1}\r\n{"b":2}\r\n', expected: [ev('{"a":1}'), ev('{"b":2}')] },
  {
    name: "CRLF split between CR and LF",
    input: ['{"a":1}\r', '\n{"b":2}\r', "", "\n"],
    expected: [ev('{"a":1}'), ev('{"b":2}')],
  },
  { name: "a line split mid-token", input: ['{"resp', 'onse":"Hel', 'lo"}\n'], expected: [ev('{"response":"Hello"}')] },
  {
    name: "blank and whitespace-only lines are skipped",
    input: '\n{"a":1}\n\n\r\n  \n{"b":2}\n\n',
    expected: [ev('{"a":1}'), ev('{"b":2}')],
  },
  {
    name: "the last line without a line break comes from end()",
    input: '{"a":1}\n{"done":true}',
    expected: [ev('{"a":1}'), ev('{"done":true}')],
  },
  {
    name: "a last line ending in a lone CR comes from end() without it",
    input: '{"done":true}\r',
    expected: [ev('{"done":true}')],
  },
  { name: "empty input gives no events", input: "", expected: [] },
  { name: "several lines in one chunk", input: "1\n2\n3\n", expected: [ev("1"), ev("2"), ev("3")] },
  { name: "a leading UTF-8 BOM is skipped", input: '\uFEFF{"a":1}\n', expected: [ev('{"a":1}')] },
  { name: "unicode is decoded", input: '{"response":"café 日本 😀"}\n', expected: [ev('{"response":"café 日本 😀"}')] },
];

describe("NdjsonParser", () => {
  for (const c of cases) {
    test(c.name, () => {
      const chunks = (typeof c.input === "string" ? [c.input] : c.input).map(bytes);
      assert.deepStrictEqual(parseChunks(chunks), c.expected);
    });
  }

  test("push returns the lines each chunk completes; end() returns the rest", () => {
    const parser = new NdjsonParser();
    assert.deepStrictEqual(parser.push(bytes('{"a"')), []);
    assert.deepStrictEqual(parser.push(bytes(':1}\n{"b":2}\n{"c"')), [ev('{"a":1}'), ev('{"b":2}')]);
    assert.deepStrictEqual(parser.push(bytes("")), []);
    assert.deepStrictEqual(parser.end(), [ev('{"c"')]);
  });

  test("a multi-byte character split byte by byte is decoded whole", () => {
    const data = bytes('{"response":"😀é"}\n');
    const chunks = Array.from(data, (byte) => Uint8Array.of(byte));
    assert.deepStrictEqual(parseChunks(chunks), [ev('{"response":"😀é"}')]);
  });

  test("end() with a truncated UTF-8 character yields U+FFFD", () => {
    assert.deepStrictEqual(parseChunks([bytes("é").subarray(0, 1)]), [ev("\uFFFD")]);
  });

  test("a line longer than the bound throws; complete lines never count", () => {
    const parser = new NdjsonParser(10);
    assert.deepStrictEqual(parser.push(bytes('"012345678"\n"0')), [ev('"012345678"')]);
    assert.throws(() => parser.push(bytes("1234567890")), { message: "an event longer than 10 characters" });
  });

  test("end() with nothing pending returns no events", () => {
    const parser = new NdjsonParser();
    assert.deepStrictEqual(parser.push(bytes("x\n")), [ev("x")]);
    assert.deepStrictEqual(parser.end(), []);
  });

  test("any split of any stream gives the same events as one chunk", () => {
    const lineText = fc.string({ unit: "grapheme", maxLength: 12 }).map((text) => text.replace(/[\r\n]/g, " "));
    const ending = fc.constantFrom("\n", "\r\n");
    const stream = fc.array(fc.tuple(lineText, ending), { maxLength: 8 }).chain((lines) =>
      fc.tuple(fc.constant(lines), fc.boolean()).map(([parts, unterminated]) => {
        const text = parts.map(([line, end]) => line + end).join("");
        // Sometimes drop the last line break, which end() must still deliver.
        return unterminated && text.endsWith("\n") ? text.replace(/\r?\n$/, "") : text;
      }),
    );
    fc.assert(
      fc.property(
        stream.chain((text) => {
          const data = bytes(text);
          return fc.tuple(fc.constant(data), fc.array(fc.integer({ min: 0, max: data.length }), { maxLength: 10 }));
        }),
        ([data, offsets]) => {
          const whole = parseChunks([data]);
          assert.deepStrictEqual(parseChunks(splitAt(data, offsets)), whole);
          const expected = new TextDecoder()
            .decode(data)
            .split("\n")
            .map((line) => line.replace(/\r$/, ""))
            .filter((line) => line.trim() !== "")
            .map(ev);
          assert.deepStrictEqual(whole, expected);
        },
      ),
      { numRuns: 500 },
    );
  });
});
