/** The span queue: batches closed by size or delay, one export at a time in order, whole requests dropped past the queue's size. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type ExportResult, ExportResultCode } from "@opentelemetry/core";
import { type BatchSettings, type SpanBatch, SpanQueue } from "../../src/tracing/span-queue.js";

/** Bodies of the batches released (their memory handed back), in order. */
const released: string[] = [];

/** A batch of request names; its body is them joined. */
class NameBatch implements SpanBatch<string> {
  spans = 0;
  private readonly names: string[] = [];
  add(name: string): void {
    this.names.push(name);
    this.spans += 2;
  }
  bytes(): Uint8Array {
    return Buffer.from(this.names.join(","));
  }
  release(): void {
    released.push(this.names.join(","));
  }
}

/** Records each export's body; each export waits until the test lets it finish. */
class HeldExporter {
  readonly bodies: string[] = [];
  private readonly waiting: ((result: ExportResult) => void)[] = [];
  shutdowns = 0;
  export(body: Uint8Array, done: (result: ExportResult) => void): void {
    this.bodies.push(Buffer.from(body).toString());
    this.waiting.push(done);
  }
  finish(code = ExportResultCode.SUCCESS): void {
    const done = this.waiting.shift();
    assert.ok(done !== undefined, "an export is in flight");
    done(code === ExportResultCode.SUCCESS ? { code } : { code, error: new Error("status 503") });
  }
  async shutdown(): Promise<void> {
    this.shutdowns += 1;
  }
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

function queue(settings: Partial<BatchSettings>, warnings: string[] = []) {
  const exporter = new HeldExporter();
  const spans = new SpanQueue<string>(
    () => new NameBatch(),
    exporter,
    { scheduledDelayMillis: 60_000, maxExportBatchSize: 4, maxQueueSize: 8, exportTimeoutMillis: 1000, ...settings },
    (message) => warnings.push(message),
  );
  return { exporter, spans };
}

describe("SpanQueue", () => {
  test("a full batch is exported at once; the next waits for the export in flight, then goes in order", async () => {
    const { exporter, spans } = queue({});
    spans.add("a", 2);
    spans.add("b", 2);
    assert.deepEqual(exporter.bodies, ["a,b"]);
    spans.add("c", 2);
    spans.add("d", 2);
    await tick();
    assert.deepEqual(exporter.bodies, ["a,b"]);
    exporter.finish();
    await tick();
    assert.deepEqual(exporter.bodies, ["a,b", "c,d"]);
    exporter.finish();
    await spans.shutdown();
    assert.equal(exporter.shutdowns, 1);
  });

  test("a batch's memory is handed back once the collector accepted it, never after a failed export", async () => {
    released.length = 0;
    const { exporter, spans } = queue({});
    spans.add("a", 2);
    spans.add("b", 2);
    spans.add("c", 2);
    spans.add("d", 2);
    assert.deepEqual(released, []);
    exporter.finish(ExportResultCode.FAILED);
    await tick();
    assert.deepEqual(released, []);
    exporter.finish();
    await spans.shutdown();
    assert.deepEqual(released, ["c,d"]);
  });

  test("a batch not full goes out scheduledDelayMillis after its first request", async () => {
    const { exporter, spans } = queue({ scheduledDelayMillis: 20 });
    spans.add("a", 2);
    await tick();
    assert.deepEqual(exporter.bodies, []);
    await new Promise((resolve) => setTimeout(resolve, 40));
    assert.deepEqual(exporter.bodies, ["a"]);
    exporter.finish();
    await spans.shutdown();
  });

  test("past maxQueueSize a request's spans are dropped whole, counted in one warning; a failed export is warned of too", async () => {
    const warnings: string[] = [];
    const { exporter, spans } = queue({}, warnings);
    for (const name of ["a", "b", "c", "d", "e"]) spans.add(name, 2);
    // a,b are in flight (no longer waiting); c,d closed, waiting; e in the open batch: 6 of 8.
    spans.add("f", 4);
    assert.deepEqual(warnings, ["traces: 4 spans dropped (OTEL_BSP_MAX_QUEUE_SIZE reached) so far"]);
    exporter.finish(ExportResultCode.FAILED);
    await tick();
    assert.deepEqual(exporter.bodies, ["a,b", "c,d"]);
    exporter.finish();
    const closing = spans.shutdown();
    await tick();
    assert.deepEqual(exporter.bodies, ["a,b", "c,d", "e"]);
    exporter.finish();
    await closing;
    // Warnings are at most one per 10 s: the failure is counted, not yet told.
    assert.equal(warnings.length, 1);
  });

  test("shutdown sends what waits, and gives up after exportTimeoutMillis on a collector that never answers", async () => {
    const { exporter, spans } = queue({ exportTimeoutMillis: 50 });
    spans.add("a", 2);
    const started = performance.now();
    await spans.shutdown();
    assert.deepEqual(exporter.bodies, ["a"]);
    assert.ok(performance.now() - started < 1000);
    assert.equal(exporter.shutdowns, 1);
  });
});
