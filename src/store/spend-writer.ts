/**
 * Writes spend records to the store in batches, off the hot path. `add` only appends to a
 * buffer; a batch is written every `intervalMs`, or as soon as `batchSize` records wait.
 * One batch is written at a time, oldest first, so records reach the database in order.
 *
 * When the database fails, the batch goes back to the front of the buffer and is retried
 * with exponential backoff; `unavailable()` turns true (the proxy's
 * allow_requests_on_db_unavailable decides whether requests keep being served). The buffer
 * is bounded: when it is full the oldest waiting records are dropped, and every drop is
 * counted (`dropped()`) and logged, never silent. The store skips request ids it already
 * has, so a batch retried after an ambiguous failure is not counted twice.
 */
import type { SpendRecord, Store, StoreLogger } from "./types.js";

export interface SpendWriterOptions {
  /** Ms between writes (default 1000). */
  intervalMs?: number | undefined;
  /** Records per batch; a full batch is written at once (default 100). */
  batchSize?: number | undefined;
  /** Records kept while the database is down (default 100_000). */
  maxBuffered?: number | undefined;
  /** First retry delay after a failure, doubled up to `maxBackoffMs` (default 500). */
  initialBackoffMs?: number | undefined;
  maxBackoffMs?: number | undefined;
  logger?: StoreLogger | undefined;
  /** Told of each batch the store committed (the proxy's budget counters follow commits). */
  onWritten?: ((records: readonly SpendRecord[]) => void) | undefined;
}

/** Drops are logged at most this often (with the running count), not once per record. */
const DROP_LOG_INTERVAL_MS = 5000;

export class SpendWriter {
  private readonly intervalMs: number;
  private readonly batchSize: number;
  private readonly maxBuffered: number;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly logger: StoreLogger | undefined;
  private readonly onWritten: ((records: readonly SpendRecord[]) => void) | undefined;

  /** Waiting records are buffer[head..]; head advances instead of shifting the array. */
  private buffer: SpendRecord[] = [];
  private head = 0;
  /** The batch being written: counted in the bound, never dropped (it may be committed). */
  private inflight: SpendRecord[] = [];
  private writing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private failing = false;
  private backoffMs: number;
  private droppedCount = 0;
  private lastDropLog = Number.NEGATIVE_INFINITY;
  private closed = false;
  private kicked = false;

  constructor(
    private readonly store: Pick<Store, "recordSpend">,
    options: SpendWriterOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 1000;
    this.batchSize = options.batchSize ?? 100;
    this.maxBuffered = options.maxBuffered ?? 100_000;
    this.initialBackoffMs = options.initialBackoffMs ?? 500;
    this.maxBackoffMs = options.maxBackoffMs ?? 30_000;
    this.logger = options.logger;
    this.onWritten = options.onWritten;
    this.backoffMs = this.initialBackoffMs;
    if (this.batchSize < 1 || this.maxBuffered < this.batchSize) {
      throw new RangeError("spend writer: batchSize must be >= 1 and maxBuffered >= batchSize");
    }
    this.schedule(this.intervalMs);
  }

  /**
   * Buffers one record; never waits on the database and never throws. A full batch is
   * written on the next turn of the event loop, not inside this call: SQLite writes
   * synchronously, and the request that called add() must not pay for it.
   */
  add(record: SpendRecord): void {
    this.buffer.push(record);
    if (this.pending() > this.maxBuffered) this.dropOldest();
    if (!this.failing && !this.kicked && this.waiting() >= this.batchSize && this.writing === undefined) {
      this.kicked = true;
      setImmediate(() => {
        this.kicked = false;
        void this.drain(true);
      });
    }
  }

  /** Records not yet written (including a batch being written). */
  pending(): number {
    return this.waiting() + this.inflight.length;
  }

  /** Records dropped because the buffer was full, since start. */
  dropped(): number {
    return this.droppedCount;
  }

  /** True while the last write failed: the database is considered unreachable. */
  unavailable(): boolean {
    return this.failing;
  }

  /**
   * Writes everything buffered, retrying with backoff until `timeoutMs` passes. Resolves
   * true when nothing is pending, false at the deadline (records stay buffered).
   */
  async flush(timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) return this.pending() === 0;
      // A hung write (a connection timing out) must not hold shutdown past the deadline.
      await race(this.drain(false), remaining);
      if (this.pending() === 0) return true;
      if (this.writing === undefined && this.failing) await race(sleep(this.backoffMs), deadline - Date.now());
    }
  }

  /** Stops the timer and flushes (SIGTERM). Does not close the store: its owner does. */
  async close(timeoutMs = 10_000): Promise<boolean> {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const done = await this.flush(timeoutMs);
    if (!done) this.logger?.warn(`spend writer closed with ${this.pending()} records not written`);
    return done;
  }

  private waiting(): number {
    return this.buffer.length - this.head;
  }

  private dropOldest(): void {
    this.head += 1;
    this.droppedCount += 1;
    const now = Date.now();
    if (now - this.lastDropLog >= DROP_LOG_INTERVAL_MS) {
      this.lastDropLog = now;
      this.logger?.warn(
        `spend buffer full (${this.maxBuffered} records) while the database is unavailable: ` +
          `dropped the oldest, ${this.droppedCount} records dropped so far`,
      );
    }
    this.compact();
  }

  /**
   * Lets go of the records before `head` (written or dropped) once they are at least half the
   * array: a copy of what is left, so each record is copied at most once on average. Not later:
   * a record still in the array lives as long as it, and a request's record kept past two
   * young-generation collections is promoted to the old generation, garbage there that only a
   * full collection frees (a buffer compacted only past 1,024 records made every request's
   * record such garbage, the largest share of a loaded gateway's promoted bytes).
   */
  private compact(): void {
    if (this.head > 0 && this.head * 2 >= this.buffer.length) {
      this.buffer = this.buffer.slice(this.head);
      this.head = 0;
    }
  }

  private schedule(ms: number): void {
    if (this.closed) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.drain(false).then(() => this.schedule(this.failing ? this.backoffMs : this.intervalMs));
    }, ms);
    // A pending spend timer must not keep the process alive; shutdown calls close().
    this.timer.unref();
  }

  /** Resolves when no batch is being written (a batch's onWritten has run by then). */
  idle(): Promise<void> {
    return this.writing ?? Promise.resolve();
  }

  /** One writer at a time: `fullOnly` writes only full batches (the size trigger). */
  private drain(fullOnly: boolean): Promise<void> {
    if (this.writing !== undefined) return this.writing;
    this.writing = this.write(fullOnly).finally(() => {
      this.writing = undefined;
    });
    return this.writing;
  }

  private async write(fullOnly: boolean): Promise<void> {
    while (this.waiting() >= (fullOnly ? this.batchSize : 1)) {
      this.inflight = this.buffer.slice(this.head, this.head + this.batchSize);
      this.head += this.inflight.length;
      this.compact();
      try {
        await this.store.recordSpend(this.inflight);
      } catch (error) {
        // Back to the front, ahead of anything added meanwhile: order is kept.
        this.buffer = this.inflight.concat(this.buffer.slice(this.head));
        this.head = 0;
        this.inflight = [];
        // Records added during the failed write may have pushed past the bound.
        while (this.pending() > this.maxBuffered) this.dropOldest();
        if (this.failing) this.backoffMs = Math.min(this.backoffMs * 2, this.maxBackoffMs);
        else this.backoffMs = this.initialBackoffMs;
        this.failing = true;
        const message = error instanceof Error ? error.message : String(error);
        this.logger?.warn(
          `spend write failed (${message}); ${this.pending()} records kept, retrying in ${this.backoffMs} ms`,
        );
        return;
      }
      const written = this.inflight;
      this.inflight = [];
      try {
        this.onWritten?.(written);
      } catch (error) {
        // The records are committed; a failing listener must not stop the writer's timer.
        this.logger?.warn(`after a spend write: ${error instanceof Error ? error.message : String(error)}`);
      }
      if (this.failing) {
        this.failing = false;
        this.backoffMs = this.initialBackoffMs;
        this.logger?.info(`spend writes recovered; ${this.pending()} records still pending`);
      }
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** Waits for `promise` or `ms`, whichever is first. */
async function race(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, ms))))]);
  clearTimeout(timer);
}
