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
import { beginTrace } from "../../src/tracing/ids.js";
import { DEFAULT_SAMPLER } from "../../src/tracing/sampler.js";
import { GatewayTracer, type RequestSpans, serializerFor, spanSource } from "../../src/tracing/tracer.js";

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
    attributes: {
      "http.request.method": "POST",
      "http.response.status_code": 200,
      "litegate.cost": 0.000123,
      "litegate.stream": true,
      "litegate.big": 2 ** 40,
      "litegate.negative": -5,
      "litegate.long": LONG_TEXT,
    },
    error: undefined,
    children: [
      { name: "litegate.auth", client: false, startedAt: now, endedAt: now + 0.05, attributes: {} },
      {
        name: "chat flaky-model",
        client: true,
        startedAt: now + 0.1,
        endedAt: now + 3,
        spanId: "00f067aa0ba902b7",
        attributes: { "error.type": "InternalServerError", "http.response.status_code": 500, "litegate.retry": 0 },
        error: "InternalServerError (500)",
      },
      {
        name: "chat backup-model",
        client: true,
        startedAt: now + 3.1,
        endedAt: now + 12,
        attributes: { "gen_ai.usage.input_tokens": 12, "gen_ai.usage.output_tokens": 3, "server.port": 443 },
      },
    ],
    ...overrides,
  };
}

describe("OTLP protobuf encoding", () => {
  const tracer = new GatewayTracer(settings, "1.2.3");
  const ours = serializerFor("http/protobuf", spanSource(settings.serviceName, "1.2.3"));

  test("a request with a remote parent, tracestate, an error, every attribute type: the SDK's encoding, read back", async () => {
    const spans: ReadableSpan[] = tracer.spans(requestSpans());
    assert.deepEqual(decoded(ours.serializeRequest(spans)), decoded(ProtobufTraceSerializer.serializeRequest(spans)));
    await tracer.shutdown();
  });

  test("a request without a parent, and a batch large enough for multi-byte lengths", () => {
    const spans: ReadableSpan[] = [];
    for (let i = 0; i < 300; i++) {
      spans.push(
        ...tracer.spans(requestSpans({ start: beginTrace(undefined, undefined), name: `GET /${"x".repeat(i)}` })),
      );
    }
    const bytes = ours.serializeRequest(spans);
    assert.ok(bytes !== undefined && bytes.length > 200_000);
    assert.deepEqual(decoded(bytes), decoded(ProtobufTraceSerializer.serializeRequest(spans)));
  });

  test("times keep microseconds: the server span lasts 12.346 ms to the microsecond", () => {
    const spans = tracer.spans(requestSpans());
    const body = decoded(ours.serializeRequest(spans)) as {
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
