/** A span's attribute list: names and values in the order added. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { AttributeBlock, AttributeName, attributeName, SpanAttributes } from "../../src/tracing/attributes.js";

const texts = (names: readonly AttributeName[]): string[] => names.map((name) => name.text);

test("add keeps the order; the record has the same names and values", () => {
  const attributes = new SpanAttributes()
    .add(attributeName("a"), 1)
    .add(attributeName("b"), "two")
    .add(attributeName("c"), true);
  assert.deepEqual(texts(attributes.names), ["a", "b", "c"]);
  assert.deepEqual(attributes.values, [1, "two", true]);
  assert.deepEqual(attributes.toRecord(), { a: 1, b: "two", c: true });
});

test("of a record: the same names and values, in the record's order", () => {
  const record = { "http.route": "/v1/chat/completions", "http.response.status_code": 200, "litegate.stream": false };
  const attributes = SpanAttributes.of(record);
  assert.deepEqual(texts(attributes.names), Object.keys(record));
  assert.deepEqual(attributes.toRecord(), record);
});

test("a shared block comes first, the same for every span made from it; what is added stays the span's", () => {
  const block = new AttributeBlock({ "gen_ai.provider.name": "openai", "server.port": 443 });
  const first = new SpanAttributes(block).add(attributeName("litegate.attempt"), 0);
  const second = new SpanAttributes(block)
    .add(attributeName("litegate.attempt"), 1)
    .add(attributeName("litegate.cancelled"), true);
  assert.deepEqual(Object.entries(first.toRecord()), [
    ["gen_ai.provider.name", "openai"],
    ["server.port", 443],
    ["litegate.attempt", 0],
  ]);
  assert.deepEqual(second.toRecord(), {
    "gen_ai.provider.name": "openai",
    "server.port": 443,
    "litegate.attempt": 1,
    "litegate.cancelled": true,
  });
  assert.deepEqual(texts(block.names), ["gen_ai.provider.name", "server.port"]);
  assert.deepEqual(texts(first.names), ["litegate.attempt"]);
});

test("a name made from text is the same object each time: the encoder's kept bytes are found on it", () => {
  assert.equal(attributeName("litegate.attempt"), attributeName("litegate.attempt"));
  assert.equal(new SpanAttributes(new AttributeBlock({ a: 1 })).shared.names[0], attributeName("a"));
  assert.equal(attributeName("litegate.attempt").recurring, true);
  assert.equal(new AttributeName("litegate.request_id", false).recurring, false);
});
