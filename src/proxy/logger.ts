/**
 * The gateway's structured log: JSON lines through pino, written asynchronously so a
 * request never waits on stdout. Fields that can hold secrets are censored by path;
 * request headers (where keys travel) are never logged at all.
 */
import { pino, type DestinationStream, type Logger } from "pino";

export type { Logger };

const REDACT = [
  "request.api_key",
  "request.azure_ad_token",
  "request.master_key",
  "request.extra_headers",
  "*.api_key",
  "*.azure_ad_token",
];

export function createLogger(options: { debug: boolean; destination?: DestinationStream }): Logger {
  const destination = options.destination ?? pino.destination({ dest: 1, sync: false });
  return pino(
    {
      level: options.debug ? "debug" : "info",
      base: { pid: process.pid },
      redact: { paths: REDACT, censor: "[redacted]" },
    },
    destination,
  );
}
