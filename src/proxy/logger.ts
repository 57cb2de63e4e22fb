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
  /** Per-request lines and operational messages: fixed fields, nothing to redact. */
  log: Logger;
  /** --detailed_debug bodies, with credential fields censored. Redaction costs, so only this logger pays it. */
  debug: Logger;
}

/** Lines are written in batches of this many bytes, and at least every FLUSH_MS: one write per line cost ~10 µs a request. */
const BATCH_BYTES = 4096;
const FLUSH_MS = 1000;

function stdoutDestination(): DestinationStream {
  const destination = pino.destination({ dest: 1, sync: false, minLength: BATCH_BYTES });
  setInterval(() => destination.flush(), FLUSH_MS).unref();
  return destination;
}

export function createLoggers(options: { debug: boolean; destination?: DestinationStream | undefined }): Loggers {
  const destination = options.destination ?? stdoutDestination();
  const log = pino({ level: options.debug ? "debug" : "info", base: { pid: process.pid } }, destination);
  return { log, debug: log.child({}, { redact: { paths: REDACT, censor: "[redacted]" } }) };
}
