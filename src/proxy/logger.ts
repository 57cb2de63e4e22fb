/**
 * The gateway's structured log: JSON lines through pino, written asynchronously so a
 * request never waits on stdout. Fields that can hold secrets are censored by path;
 * request headers (where keys travel) are never logged at all.
 */
import { pino, type DestinationStream, type Logger } from "pino";

export type { Logger };

/** Body fields that may carry credentials (a client may send connection options in a body). */
const BODY_SECRETS = [
  "api_key",
  "azure_ad_token",
  "aws_access_key_id",
  "aws_secret_access_key",
  "aws_session_token",
  "vertex_credentials",
  "master_key",
  "extra_headers",
];
const REDACT = [...BODY_SECRETS.map((key) => `request.${key}`), ...BODY_SECRETS.map((key) => `response.${key}`)];

export interface Loggers {
  /** Operational messages: fixed fields, nothing to redact. */
  log: Logger;
  /** --detailed_debug bodies, with credential fields censored. Redaction costs, so only this logger pays it. */
  debug: Logger;
  /**
   * Writes a request's info line, `fields` already JSON (`,"key":value` each; see the proxy's
   * logFields): the line `log.info(record)` would write, level, time and pid first. pino's
   * serializer reads any record key by key (a lookup on an object of any shape, a type check and a
   * string append each); writing the per-request line's 26 fields from what the request knows
   * instead saved some 30,000 instructions a request, about 6% (callgrind, in the gateway).
   */
  request(fields: string): void;
}

/** Lines are written in batches of about this many characters, and at least every FLUSH_MS: one write per line cost ~10 µs a request. */
const BATCH_CHARS = 4096;
const FLUSH_MS = 1000;

type SonicBoom = ReturnType<typeof pino.destination>;

/**
 * Log lines gathered into batches before pino's SonicBoom gets them. SonicBoom measures the
 * UTF-8 length of the text it is holding each time a line is added (Buffer.byteLength, which
 * first copies text built by appending into one piece): filled a line at a time up to a 4 KB
 * write, that cost some 23,000 instructions a request, 4% of a virtual-key request's work
 * (callgrind). Handed a whole batch, it measures once per batch. SonicBoom still does the
 * writing (asynchronous, retried, flushed synchronously at exit); lines still here at exit are
 * handed to it before its own exit handler runs.
 */
class LineBatches implements DestinationStream {
  private lines: string[] = [];
  private chars = 0;

  constructor(private readonly sink: SonicBoom) {}

  write(line: string): void {
    this.lines.push(line);
    this.chars += line.length;
    if (this.chars >= BATCH_CHARS) this.handOver();
  }

  /** Gives SonicBoom what is gathered; with minLength 1 it starts writing at once (or after its write in flight). */
  handOver(): void {
    if (this.lines.length === 0) return;
    const batch = this.lines.join("");
    this.lines = [];
    this.chars = 0;
    this.sink.write(batch);
  }

  /** Hands over what is gathered, then SonicBoom writes it all; `done` when written. */
  flush(done?: (error?: Error) => void): void {
    this.handOver();
    this.sink.flush(done);
  }

  flushSync(): void {
    this.handOver();
    this.sink.flushSync();
  }
}

/** stdout is the process's: every server in it shares one writer, one timer and one exit hook. */
let stdout: LineBatches | undefined;

function stdoutDestination(): DestinationStream {
  if (stdout !== undefined) return stdout;
  // minLength 1: SonicBoom writes a batch as soon as its last write is done (not 0: flush() would
  // then call back at once instead of once everything is written).
  const batches = new LineBatches(pino.destination({ dest: 1, sync: false, minLength: 1 }));
  // Only a hand-over: flush() would also make SonicBoom write (and fsync) when it holds nothing.
  setInterval(() => batches.handOver(), FLUSH_MS).unref();
  // Ahead of pino's own exit handler, which writes out what SonicBoom holds.
  process.prependListener("exit", () => {
    try {
      batches.flushSync();
    } catch {
      // stdout is gone (closed, or SonicBoom destroyed): nothing more can be written.
    }
  });
  stdout = batches;
  return batches;
}

export function createLoggers(options: { debug: boolean; destination?: DestinationStream | undefined }): Loggers {
  const destination = options.destination ?? stdoutDestination();
  const log = pino({ level: options.debug ? "debug" : "info", base: { pid: process.pid } }, destination);
  // pino's own start of an info line (its level, epoch time and base bindings), in its order.
  const pid = `,"pid":${process.pid}`;
  return {
    log,
    debug: log.child({}, { redact: { paths: REDACT, censor: "[redacted]" } }),
    request: (fields) => {
      if (!log.isLevelEnabled("info")) return;
      // JSON.stringify, not a template's conversion: that one keeps the text in V8's number-to-string cache (see logField).
      destination.write(`{"level":30,"time":${JSON.stringify(Date.now())}${pid}${fields}}\n`);
    },
  };
}
