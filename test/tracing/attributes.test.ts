/** A span's attribute list: names and values in the order added. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { SpanAttributes } from "../../src/tracing/attributes.js";

test("add keeps the order; the record has the same names and values", () => {
  const attributes = new SpanAttributes().add("a", 1).add("b", "two").add("c", true);
  assert.deepEqual(attributes.names, ["a", "b", "c"]);
  assert.deepEqual(attributes.values, [1, "two", true]);
  assert.deepEqual(attributes.toRecord(), { a: 1, b: "two", c: true });
});

test("of a record: the same names and values, in the record's order", () => {
  const record = { "http.route": "/v1/chat/completions", "http.response.status_code": 200, "litegate.stream": false };
  const attributes = SpanAttributes.of(record);
  assert.deepEqual(attributes.names, Object.keys(record));
  assert.deepEqual(attributes.toRecord(), record);
});
