/**
 * litegate's OTLP protobuf encoder against the OpenTelemetry SDK's own serializer: both
 * encode the same spans, OTLP's generated decoder reads both, and what it reads is equal.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
// OTLP's generated protobuf classes: the SDK's serializer is built on them; the package has no export map.
import root from "@opentelemetry/otlp-transformer/build/src/generated/root.js";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { beginTrace, type KnownText, newRequestId, newSpanId } from "../../src/tracing/ids.js";
import { DEFAULT_SAMPLER } from "../../src/tracing/sampler.js";
import { BatchBuffers, encodeSource, ProtobufSpanBatch } from "../../src/tracing/otlp-protobuf.js";
import {
  AttributeBlock,
  AttributeName,
  type AttributeValue,
  attributeName,
  SpanAttributes,
} from "../../src/tracing/attributes.js";
import { GatewayTracer, type RequestSpans, spanSource } from "../../src/tracing/tracer.js";

const settings = {
  url: "http://127.0.0.1:9/v1/traces",
  protocol: "http/protobuf" as const,
  headers: {},
  serviceName: "litegate-test",
  sampler: DEFAULT_SAMPLER,
};

interface Decoder {
  decode(bytes: Uint8Array): unknown;
  toObject(message: unknown, options: Record<string, unknown>): unknown;
}
const request = (
  root as unknown as { opentelemetry: { proto: { collector: { trace: { v1: Record<string, Decoder> } } } } }
).opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest as Decoder;

function decoded(bytes: Uint8Array | undefined): unknown {
  assert.ok(bytes !== undefined);
  return request.toObject(request.decode(bytes), { longs: String, bytes: String, defaults: true, arrays: true });
}

const LONG_TEXT = "ünïcødé ✓ ".repeat(30);

function requestSpans(overrides: Partial<RequestSpans> = {}): RequestSpans {
  const now = performance.now();
  return {
    start: beginTrace("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "vendor=opaque,other=1"),
    name: "POST /v1/chat/completions",
    startedAt: now,
    endedAt: now + 12.3456,
    attributes: SpanAttributes.of({
      "http.request.method": "POST",
      "http.response.status_code": 200,
      "litegate.cost": 0.000123,
      "litegate.stream": true,
      "litegate.big": 2 ** 40,
      "litegate.negative": -5,
      "litegate.long": LONG_TEXT,
    }),
    error: undefined,
    children: [
      // Ids given: the batch and the SDK's spans must name them alike (a missing one is random).
      {
        name: "litegate.auth",
        client: false,
        startedAt: now,
        endedAt: now + 0.05,
        spanId: "1111111111111111",
        attributes: new SpanAttributes(),
        error: undefined,
      },
      {
        name: "chat flaky-model",
        client: true,
        startedAt: now + 0.1,
        endedAt: now + 3,
        spanId: "00f067aa0ba902b7",
        attributes: SpanAttributes.of({
          "error.type": "InternalServerError",
          "http.response.status_code": 500,
          "litegate.retry": 0,
        }),
        error: "InternalServerError (500)",
      },
      {
        name: "chat backup-model",
        client: true,
        startedAt: now + 3.1,
        endedAt: now + 12,
        spanId: "2222222222222222",
        attributes: SpanAttributes.of({
          "gen_ai.usage.input_tokens": 12,
          "gen_ai.usage.output_tokens": 3,
          "server.port": 443,
        }),
        error: undefined,
      },
    ],
    ...overrides,
  };
}

const source = spanSource(settings.serviceName, "1.2.3");
const encoded = encodeSource({
  resourceAttributes: SpanAttributes.of(source.resource.attributes as Record<string, AttributeValue>),
  scopeName: source.scope.name,
  scopeVersion: source.scope.version ?? "",
});
/** One time anchor for both encodings, so their times are the same. */
const OFFSET = Date.now() - performance.now();

/** The requests as litegate's batch encodes them, and as the SDK's serializer does from the same spans. */
function bothEncodings(
  tracer: GatewayTracer,
  requests: RequestSpans[],
): { ours: Uint8Array; sdk: Uint8Array | undefined } {
  const batch = new ProtobufSpanBatch(encoded, new BatchBuffers(), OFFSET);
  const spans: ReadableSpan[] = [];
  for (const request of requests) {
    batch.add(request);
    spans.push(...tracer.spans(request, OFFSET));
  }
  assert.equal(batch.spans, spans.length);
  return { ours: batch.bytes(), sdk: ProtobufTraceSerializer.serializeRequest(spans) };
}

describe("OTLP protobuf encoding", () => {
  const tracer = new GatewayTracer(settings, "1.2.3");

  test("ids made here are copied from where their bytes are: the SDK's encoding of their hex", async () => {
    // A new trace (no traceparent) and attempts whose ids were made for their traceparent headers.
    const made = requestSpans({ start: beginTrace(undefined, undefined) });
    assert.ok(made.start.bytes !== undefined);
    made.children = made.children.map((child) => ({ ...child, ...newSpanId() }));
    const { ours, sdk } = bothEncodings(tracer, [made, made]);
    assert.deepEqual(decoded(ours), decoded(sdk));
    await tracer.shutdown();
  });

  test("a request with a remote parent, tracestate, an error, every attribute type: the SDK's encoding, read back", async () => {
    const { ours, sdk } = bothEncodings(tracer, [requestSpans()]);
    assert.deepEqual(decoded(ours), decoded(sdk));
    await tracer.shutdown();
  });

  test("a request without a parent, and a batch large enough for multi-byte lengths", () => {
    const requests: RequestSpans[] = [];
    for (let i = 0; i < 300; i++) {
      requests.push(requestSpans({ start: beginTrace(undefined, undefined), name: `GET /${"x".repeat(i)}` }));
    }
    const { ours, sdk } = bothEncodings(tracer, requests);
    assert.ok(ours.length > 200_000);
    assert.deepEqual(decoded(ours), decoded(sdk));
  });

  test("values that recur, values that never do (past what the encoder keeps per name) and a name whose values are never kept: the SDK's encoding", () => {
    const requests: RequestSpans[] = [];
    const requestId = new AttributeName("litegate.request_id", false);
    for (let i = 0; i < 200; i++) {
      const attributes = SpanAttributes.of({
        "litegate.unique": `value-${i}`,
        "gen_ai.request.model": i % 2 === 0 ? "gpt-4o" : "claude",
        "litegate.long": i === 7 ? "é".repeat(400) : "short",
        "litegate.attempts": i,
      }).add(requestId, i === 9 ? "é".repeat(200) : `request-${i}`);
      requests.push(requestSpans({ attributes }));
    }
    const { ours, sdk } = bothEncodings(tracer, requests);
    assert.deepEqual(decoded(ours), decoded(sdk));
  });

  test("attributes a block shares between spans (written once, then copied): the SDK's encoding, block first", () => {
    const deployment = new AttributeBlock({
      "gen_ai.provider.name": "openai",
      "server.port": 443,
      "litegate.stream": false,
      "litegate.long": LONG_TEXT,
    });
    const requests: RequestSpans[] = [];
    for (let i = 0; i < 3; i++) {
      const attempt = new SpanAttributes(deployment)
        .add(attributeName("litegate.attempt"), i)
        .add(attributeName("gen_ai.response.model"), "gpt-4o");
      const base = requestSpans();
      const [auth, ...rest] = base.children;
      assert.ok(auth !== undefined);
      requests.push({ ...base, children: [{ ...auth, attributes: attempt }, ...rest] });
    }
    assert.deepEqual(Object.keys(requests[2]?.children[0]?.attributes.toRecord() ?? {}), [
      "gen_ai.provider.name",
      "server.port",
      "litegate.stream",
      "litegate.long",
      "litegate.attempt",
      "gen_ai.response.model",
    ]);
    const { ours, sdk } = bothEncodings(tracer, requests);
    assert.deepEqual(decoded(ours), decoded(sdk));
  });

  test("one span name with more blocks than the encoder keeps heads for, as client and internal, with and without a parent: the SDK's encoding", () => {
    const requests: RequestSpans[] = [];
    // Twelve deployments' blocks under one span name: past the eight heads a name keeps, the oldest are replaced.
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 12; i++) {
        const block = new AttributeBlock({ "litegate.deployment_id": `deployment-${i}`, "server.port": 8000 + i });
        const base = requestSpans(i % 2 === 0 ? {} : { start: beginTrace(undefined, undefined) });
        requests.push({
          ...base,
          // The server span's name too: with a caller's parent (even i) and without (odd i).
          name: "chat shared-name",
          children: base.children.map((child, index) => ({
            ...child,
            name: "chat shared-name",
            client: index % 2 === 0,
            attributes: new SpanAttributes(block).add(attributeName("litegate.attempt"), index),
          })),
        });
      }
    }
    const { ours, sdk } = bothEncodings(tracer, requests);
    assert.deepEqual(decoded(ours), decoded(sdk));
  });

  test("spans written again from an earlier span of their shape: values that fit its places, and values that do not (another varint size, a double for an integer, other text, non-ASCII, an error, a tracestate of another length): the SDK's encoding", () => {
    const requestId = new AttributeName("litegate.request_id", false);
    interface Values {
      attempts: number;
      cost: number;
      stream: boolean;
      model: string;
      id: string;
      state: string | undefined;
      error: string | undefined;
      status: number;
    }
    const base: Values = {
      attempts: 1,
      cost: 0.5,
      stream: true,
      model: "gpt-4o",
      id: "req-aaaa",
      state: undefined,
      error: undefined,
      status: 500,
    };
    // Each differs from the base in one value: what fits the base's places and what does not.
    const variants: Partial<Values>[] = [
      { attempts: 2 },
      { attempts: 127 },
      { attempts: 128 },
      { attempts: 16_384 },
      { attempts: -1 },
      { attempts: 2 ** 40 },
      { attempts: 0.5 },
      { cost: 0.25 },
      { cost: 1 },
      { cost: Number.NaN },
      { stream: false },
      { model: "gpt-4a" },
      { model: "gpt-4é" },
      { model: "claude-3" },
      { id: "req-bbbb" },
      { id: "req-bbbbb" },
      { id: "req-bbbé" },
      // Past Latin-1 (a Latin-1 write would cut "Ł" to "A") and past the BMP (a surrogate pair): not ASCII.
      { id: "req-bbbŁ" },
      { id: "req-bb😀" },
      { state: "a=1" },
      { error: "InternalServerError (500)" },
      { status: 503 },
      { status: 99 },
    ];
    const requestOf = (values: Values): RequestSpans => {
      const attributes = SpanAttributes.of({
        "litegate.attempts": values.attempts,
        "litegate.cost": values.cost,
        "litegate.stream": values.stream,
        "gen_ai.response.model": values.model,
      }).add(requestId, values.id);
      const spans = requestSpans({
        start: beginTrace("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", values.state),
        attributes,
        error: values.error,
      });
      // The upstream attempt's own values change too; its name, block and attribute names stay.
      const children = spans.children.map((child, index) =>
        index === 1
          ? { ...child, attributes: SpanAttributes.of({ "http.response.status_code": values.status }) }
          : child,
      );
      return { ...spans, children };
    };
    // A caller's tracestate: another of the same length fits, others do not.
    const withState: Values = { ...base, state: "vendor=abc" };
    const stateVariants: Partial<Values>[] = [
      { state: "vendor=abd" },
      { state: "vendor=abcd" },
      { state: "other=xyz1" },
      { state: undefined },
    ];
    const requests: RequestSpans[] = [];
    for (const variant of variants) requests.push(requestOf(base), requestOf({ ...base, ...variant }));
    for (const variant of stateVariants) requests.push(requestOf(withState), requestOf({ ...withState, ...variant }));
    const { ours, sdk } = bothEncodings(tracer, requests);
    assert.deepEqual(decoded(ours), decoded(sdk));
  });

  test("request ids made here, copied from their bytes when their span is written again: the SDK's encoding", () => {
    const requestId = new AttributeName("litegate.request_id", false);
    // Text whose length is no multiple of four: its last bytes are copied one by one.
    const oddBytes = Buffer.from("req-odd", "latin1");
    const odd: KnownText = {
      text: oddBytes.toString("latin1"),
      bytes: { view: new DataView(oddBytes.buffer, oddBytes.byteOffset, oddBytes.length), at: 0 },
    };
    const requestOf = (id: string, knownText: KnownText | undefined): RequestSpans =>
      requestSpans({ attributes: new SpanAttributes().add(requestId, id), knownText });
    const made = Array.from({ length: 4 }, () => newRequestId());
    const requests = [
      ...made.map((known) => requestOf(known.text, known)),
      // Known text that is not the value (a client's own id): the value is written.
      requestOf("0123456789abcdef0123456789abcdef0123", made[0]),
      requestOf("req-abc", undefined),
      requestOf(odd.text, odd),
    ];
    const { ours, sdk } = bothEncodings(tracer, requests);
    assert.deepEqual(decoded(ours), decoded(sdk));
  });

  test("a request id made here is a version 7 UUID of the time it was made, whose bytes are its text", async () => {
    const timeOf = (id: string): number => Number.parseInt(id.replaceAll("-", "").slice(0, 12), 16);
    const before = Date.now();
    const ids = Array.from({ length: 300 }, () => newRequestId());
    for (const { text, bytes } of ids) {
      assert.match(text, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      // Made a fill at a time: a fill older than a second is not used.
      assert.ok(timeOf(text) >= before - 1000 && timeOf(text) <= Date.now(), text);
      const copied = Buffer.from(bytes.view.buffer, bytes.view.byteOffset + bytes.at, text.length);
      assert.equal(copied.toString("latin1"), text);
    }
    assert.equal(new Set(ids.map((id) => id.text)).size, ids.length);
    // After a second without a request, the next id is of its own time, not the old fill's.
    const last = timeOf((ids.at(-1) as KnownText).text);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    assert.ok(timeOf(newRequestId().text) >= last + 1000);
  });

  test("a batch written into a buffer an earlier, larger batch handed back: the same bytes as a fresh one", () => {
    const buffers = new BatchBuffers();
    const big = new ProtobufSpanBatch(encoded, buffers, OFFSET);
    for (let i = 0; i < 400; i++) big.add(requestSpans({ name: `GET /${"y".repeat(i)}` }));
    assert.ok(big.bytes().length > 64 * 1024);
    big.release();
    const request = requestSpans();
    const reused = new ProtobufSpanBatch(encoded, buffers, OFFSET);
    reused.add(request);
    const fresh = new ProtobufSpanBatch(encoded, new BatchBuffers(), OFFSET);
    fresh.add(request);
    assert.deepEqual(Buffer.from(reused.bytes()), Buffer.from(fresh.bytes()));
    assert.deepEqual(decoded(reused.bytes()), decoded(bothEncodings(tracer, [request]).sdk));
  });

  test("a child span whose id went nowhere gets a new one: 8 bytes, never zero, its own", () => {
    const batch = new ProtobufSpanBatch(encoded, new BatchBuffers(), OFFSET);
    const child = { client: false, startedAt: 1, endedAt: 2, spanId: undefined, error: undefined };
    batch.add(
      requestSpans({
        children: [
          { ...child, name: "one", attributes: new SpanAttributes() },
          { ...child, name: "two", attributes: new SpanAttributes() },
        ],
      }),
    );
    const body = decoded(batch.bytes()) as {
      resourceSpans: { scopeSpans: { spans: { name: string; spanId: string; parentSpanId: string }[] }[] }[];
    };
    const spans = body.resourceSpans[0]?.scopeSpans[0]?.spans ?? [];
    const ids = spans.map((span) => Buffer.from(span.spanId, "base64").toString("hex"));
    assert.equal(spans.length, 3);
    for (const id of ids) assert.match(id, /^[0-9a-f]{16}$/);
    assert.ok(!ids.includes("0000000000000000"));
    assert.equal(new Set(ids).size, 3);
    // Both children hang under the server span.
    const server = ids[2];
    for (const span of spans.slice(0, 2))
      assert.equal(Buffer.from(span.parentSpanId, "base64").toString("hex"), server);
  });

  test("times keep microseconds: the server span lasts 12.346 ms to the microsecond", () => {
    const { ours } = bothEncodings(tracer, [requestSpans()]);
    const body = decoded(ours) as {
      resourceSpans: {
        scopeSpans: { spans: { name: string; startTimeUnixNano: string; endTimeUnixNano: string }[] }[];
      }[];
    };
    const server = body.resourceSpans[0]?.scopeSpans[0]?.spans.find(
      (span) => span.name === "POST /v1/chat/completions",
    );
    assert.ok(server !== undefined);
    const nanos = BigInt(server.endTimeUnixNano) - BigInt(server.startTimeUnixNano);
    assert.ok(nanos >= 12_345_000n && nanos <= 12_347_000n, `duration ${nanos} ns`);
  });
});
