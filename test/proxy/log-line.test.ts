/**
 * The per-request log line is written without pino's serializer (Loggers.request, logField):
 * it must be byte for byte the line pino writes for the same record, so log pipelines see no
 * change.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { DestinationStream } from "pino";
import { createLoggers } from "../../src/proxy/logger.js";
import { logField } from "../../src/proxy/outcome.js";

/** A destination keeping each line written to it. */
function capture(): { lines: string[]; destination: DestinationStream } {
  const lines: string[] = [];
  return { lines, destination: { write: (line: string) => void lines.push(line) } };
}

/** The line with its time (the only field that differs between two writes) set to 0. */
const timeless = (line: string | undefined): string => (line ?? "").replace(/"time":\d+/, '"time":0');

test("a request's line is the line pino writes for the same record", () => {
  const records: Record<string, string | number | boolean | readonly string[] | object | undefined>[] = [
    { request_id: "req-1", method: "POST", route: "/v1/chat/completions", status: 200, stream: false, cost: 0.000123 },
    {
      // Text pino escapes by hand and text it hands to JSON.stringify.
      key_alias: 'quote " and backslash \\',
      team_id: "new\nline\ttab\u0001",
      end_user: "é ü 日本 🙂",
      model: "",
      // Left out, as pino leaves undefined out.
      deployment_id: undefined,
      // A number that is not finite is null.
      duration_ms: Number.NaN,
      upstream_ms: Number.POSITIVE_INFINITY,
      overhead_ms: -0.5,
      prompt_tokens: 0,
      cache_hit: true,
      request_tags: ["a", 'b"c'],
      metadata: { nested: { list: [1, "two", null], flag: false } },
    },
    {},
  ];
  for (const record of records) {
    const { lines, destination } = capture();
    const { log, request } = createLoggers({ debug: false, destination });
    log.info(record);
    request(
      Object.entries(record)
        .map(([key, value]) => logField(key, value))
        .join(""),
    );
    assert.equal(lines.length, 2);
    assert.equal(timeless(lines[1]), timeless(lines[0]));
    assert.ok(lines[1]?.endsWith("}\n"));
  }
});

test("with the level above info, no request line is written", () => {
  const { lines, destination } = capture();
  const { log, request } = createLoggers({ debug: false, destination });
  log.level = "warn";
  request(logField("status", 200));
  assert.deepEqual(lines, []);
});

test("a lone surrogate is escaped, so the line stays valid UTF-8 and parses back to the same text", () => {
  const { lines, destination } = capture();
  const { request } = createLoggers({ debug: false, destination });
  request(logField("end_user", "a\ud800b"));
  assert.ok(lines[0]?.includes(String.raw`"end_user":"a\ud800b"`));
  assert.equal((JSON.parse(lines[0] ?? "") as { end_user: string }).end_user, "a\ud800b");
});
