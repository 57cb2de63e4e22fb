/**
 * Finished requests' spans on their way to the collector, as the SDK's BatchSpanProcessor
 * would send them (OTEL_BSP_* mean the same), but holding encoded batches instead of span
 * objects: a request's spans are written into the open batch when it ends, and nothing else
 * of it is kept. A batch is exported when it holds `maxExportBatchSize` spans or
 * `scheduledDelayMillis` after its first; one export runs at a time, the others wait in
 * order. Past `maxQueueSize` spans waiting, a request's spans are dropped whole (counted and
 * logged), never a request slowed.
 */
import { ExportResultCode, type ExportResult } from "@opentelemetry/core";

/** OTEL_BSP_*: the SDK's names and defaults. */
export interface BatchSettings {
  scheduledDelayMillis: number;
  maxExportBatchSize: number;
  maxQueueSize: number;
  /** At shutdown, how long the last batches may take to go out. */
  exportTimeoutMillis: number;
}

export const DEFAULT_BATCH_SETTINGS: BatchSettings = {
  scheduledDelayMillis: 5000,
  maxExportBatchSize: 512,
  maxQueueSize: 2048,
  exportTimeoutMillis: 30_000,
};

/** A batch being filled: its span count, and its body once closed. */
export interface SpanBatch<Request> {
  readonly spans: number;
  add(request: Request): void;
  bytes(): Uint8Array;
  /** The collector accepted its body: whatever memory it holds may serve a later batch. */
  release(): void;
}

/** What sends a batch's body (the SDK's OTLP/HTTP exporter, with its retries). */
export interface BatchExporter {
  export(body: Uint8Array, done: (result: ExportResult) => void): void;
  shutdown(): Promise<void>;
}

/** The longest part of a collector's partial-success message a warning quotes. */
const MAX_REASON_SHOWN = 200;

/** Drops and failed exports are logged at most this often, with counts. */
const WARN_INTERVAL_MS = 10_000;

export class SpanQueue<Request> {
  private open: SpanBatch<Request>;
  /** Closed batches waiting for the export in flight, oldest first. */
  private readonly closed: SpanBatch<Request>[] = [];
  /** Spans in the open and closed batches (the one being exported no longer counts). */
  private waiting = 0;
  private exporting: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private dropped = 0;
  private failed = 0;
  private rejected = 0;
  private lastWarning = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly newBatch: () => SpanBatch<Request>,
    private readonly exporter: BatchExporter,
    private readonly settings: BatchSettings,
    private readonly warn: (message: string) => void,
  ) {
    this.open = newBatch();
  }

  /** Adds a request's `spans` spans; never waits. */
  add(request: Request, spans: number): void {
    if (this.waiting + spans > this.settings.maxQueueSize) {
      this.dropped += spans;
      this.warnSometimes();
      return;
    }
    this.open.add(request);
    this.waiting += spans;
    if (this.open.spans >= this.settings.maxExportBatchSize) this.close();
    else if (this.timer === undefined) {
      this.timer = setTimeout(() => this.close(), this.settings.scheduledDelayMillis);
      // Waiting spans alone must not keep a finished process alive: shutdown() sends them.
      this.timer.unref();
    }
  }

  /** Closes the open batch (if it holds anything) and starts exporting. */
  private close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.open.spans > 0) {
      this.closed.push(this.open);
      this.open = this.newBatch();
    }
    this.startExport();
  }

  private startExport(): void {
    if (this.exporting !== undefined || this.closed.length === 0) return;
    this.exporting = this.drain().finally(() => {
      this.exporting = undefined;
      // A batch closed while the last export was finishing.
      this.startExport();
    });
  }

  /** Exports the closed batches one after another until none is left. */
  private async drain(): Promise<void> {
    for (let batch = this.closed.shift(); batch !== undefined; batch = this.closed.shift()) {
      this.waiting -= batch.spans;
      const body = batch.bytes();
      const result = await new Promise<ExportResult>((resolve) => this.exporter.export(body, resolve));
      // Only once accepted: a collector that failed may have answered before it read the whole body.
      if (result.code === ExportResultCode.SUCCESS) batch.release();
      else {
        this.failed += batch.spans;
        this.warnSometimes(result.error);
      }
    }
  }

  /**
   * The collector accepted a batch but refused `spans` of its spans (OTLP's partial success):
   * lost as surely as a dropped batch, so counted and warned of alike, with the collector's reason.
   */
  rejectedByCollector(spans: number, reason: string | undefined): void {
    this.rejected += spans;
    // The collector's own words, cut: a log line stays a line whatever it sends.
    const shown = reason === undefined || reason === "" ? undefined : reason.slice(0, MAX_REASON_SHOWN);
    this.warnSometimes(shown === undefined ? undefined : new Error(shown));
  }

  private warnSometimes(error?: Error): void {
    const now = performance.now();
    if (now - this.lastWarning < WARN_INTERVAL_MS) return;
    this.lastWarning = now;
    const parts: string[] = [];
    if (this.dropped > 0) parts.push(`${this.dropped} spans dropped (OTEL_BSP_MAX_QUEUE_SIZE reached)`);
    if (this.failed > 0) parts.push(`${this.failed} spans not accepted by the collector`);
    if (this.rejected > 0) parts.push(`${this.rejected} spans rejected by the collector (partial success)`);
    // The exporter's messages name the failure (a status, a connection error), never its headers.
    this.warn(`traces: ${parts.join(", ")} so far${error === undefined ? "" : ` (last: ${error.message})`}`);
  }

  /** Sends every span still waiting, within exportTimeoutMillis, then stops the exporter. */
  async shutdown(): Promise<void> {
    this.close();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      // Kept referenced: shutdown waits for it (it is cleared as soon as everything is sent).
      timer = setTimeout(resolve, this.settings.exportTimeoutMillis);
    });
    const sent = (async () => {
      while (this.exporting !== undefined) await this.exporting;
    })();
    await Promise.race([sent, timeout]);
    clearTimeout(timer);
    await this.exporter.shutdown();
  }
}
