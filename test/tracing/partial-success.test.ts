/** OTLP's partial success: a collector that keeps a batch but refuses some of its spans is counted and warned of, in either protocol. */
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { SpanAttributes } from "../../src/tracing/attributes.js";
import { beginTrace } from "../../src/tracing/ids.js";
import { DEFAULT_SAMPLER } from "../../src/tracing/sampler.js";
import { GatewayTracer, type RequestSpans } from "../../src/tracing/tracer.js";

/** What the collector answers the next export with: its content type and body. */
let answer: { type: string; body: Buffer } = { type: "application/x-protobuf", body: Buffer.alloc(0) };
let exports = 0;
const server = createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    exports += 1;
    res.writeHead(200, { "content-type": answer.type }).end(answer.body);
  });
});
let url = "";

before(async () => {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`;
});
after(() => server.close());

/** ExportTraceServiceResponse { partial_success { rejected_spans, error_message } } in protobuf. */
function protobufPartialSuccess(rejected: number, message: string): Buffer {
  const text = Buffer.from(message);
  const inner = Buffer.concat([Buffer.from([0x08, rejected, 0x12, text.length]), text]);
  return Buffer.concat([Buffer.from([0x0a, inner.length]), inner]);
}

/** A finished request of two spans: its server span and one child. */
function request(): RequestSpans {
  const now = performance.now();
  return {
    start: beginTrace(undefined, undefined),
    name: "POST /v1/chat/completions",
    startedAt: now,
    endedAt: now + 5,
    attributes: SpanAttributes.of({ "http.response.status_code": 200 }),
    error: undefined,
    children: [
      {
        name: "litegate.auth",
        client: false,
        startedAt: now,
        endedAt: now + 1,
        spanId: undefined,
        attributes: new SpanAttributes(),
        error: undefined,
      },
    ],
  };
}

/** Sends one request's spans through a tracer of `protocol` and returns what it warned of. */
async function exportOnce(protocol: "http/protobuf" | "http/json"): Promise<string[]> {
  const warnings: string[] = [];
  const settings = { url, protocol, headers: {}, serviceName: "litegate-test", sampler: DEFAULT_SAMPLER };
  const tracer = new GatewayTracer(settings, "1.2.3", (message) => warnings.push(message));
  const before = exports;
  tracer.record(request());
  await tracer.shutdown();
  assert.equal(exports, before + 1, "one export");
  return warnings;
}

describe("OTLP partial success", () => {
  test("protobuf: the refused spans are counted, with the collector's reason", async () => {
    answer = { type: "application/x-protobuf", body: protobufPartialSuccess(2, "attribute value too long") };
    assert.deepEqual(await exportOnce("http/protobuf"), [
      "traces: 2 spans rejected by the collector (partial success) so far (last: attribute value too long)",
    ]);
  });

  test("JSON: the count arrives as a string; it is counted alike", async () => {
    const body = { partialSuccess: { rejectedSpans: "1", errorMessage: "too many attributes" } };
    answer = { type: "application/json", body: Buffer.from(JSON.stringify(body)) };
    assert.deepEqual(await exportOnce("http/json"), [
      "traces: 1 spans rejected by the collector (partial success) so far (last: too many attributes)",
    ]);
  });

  test("a batch accepted whole (an empty answer, or no span refused) warns of nothing", async () => {
    answer = { type: "application/x-protobuf", body: Buffer.alloc(0) };
    assert.deepEqual(await exportOnce("http/protobuf"), []);
    answer = { type: "application/x-protobuf", body: protobufPartialSuccess(0, "") };
    assert.deepEqual(await exportOnce("http/protobuf"), []);
  });
});
