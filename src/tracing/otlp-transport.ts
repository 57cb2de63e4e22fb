/**
 * Sends OTLP/HTTP export bodies to a plain-http collector over an undici keep-alive pool made
 * as the upstream calls' pools are (keepAlivePool), within the same kind of deadline, with
 * OTLP's retries: 429, 502, 503, 504 and connection
 * failures are tried again, after the collector's Retry-After or an exponential backoff, within
 * the export's timeout.
 *
 * Why not the SDK's node:http transport, as for https: it streams each body through a Readable
 * into a chunked node:http request, code that runs some 40 times a second and so never gets
 * optimised. In the loaded gateway (fresh processes, five alternating rounds), sending the same
 * batches this way cost 2-8 µs a request less (median 4.7 µs, about 2.5% of the throughput).
 * An https collector keeps the SDK's transport: its agent carries the OTEL_EXPORTER_OTLP_*
 * certificate settings. So does gzip compression.
 */
import type { ExportResponse, IExporterTransport } from "@opentelemetry/otlp-exporter-base";
import { OTLPExporterError } from "@opentelemetry/otlp-exporter-base";
import type { Pool } from "undici";
import { backoffMs, retryAfterMs } from "../http/retry.js";
import { Deadline, keepAlivePool } from "../http/transport.js";

/** What the transport needs of the SDK's resolved exporter configuration. */
export interface CollectorTarget {
  url: string;
  /** The configured headers and the content type (the SDK's header factory). */
  headers: () => Promise<Record<string, string>>;
}

/** Retries after the first try, as the SDK's retrying transport makes. */
const MAX_RETRIES = 5;

/** The collector's answers OTLP/HTTP says to retry. */
function retryableStatus(status: number): boolean {
  return status === 429 || status === 502 || status === 503 || status === 504;
}

class UndiciTransport implements IExporterTransport {
  private readonly pool: Pool;
  private readonly path: string;

  constructor(
    private readonly target: CollectorTarget,
    private readonly userAgent: string,
  ) {
    const url = new URL(target.url);
    this.pool = keepAlivePool(url.origin);
    this.path = url.pathname + url.search;
  }

  async send(data: Uint8Array, timeoutMillis: number): Promise<ExportResponse> {
    const deadline = Date.now() + timeoutMillis;
    let result = await this.once(data, timeoutMillis);
    for (let retry = 0; retry < MAX_RETRIES && result.status === "retryable"; retry++) {
      // The collector's Retry-After wins, however long: a retry sooner than it asked is not made.
      const wait = result.retryInMillis ?? backoffMs(retry, undefined);
      const left = deadline - Date.now();
      // A retry that could not finish within the export's timeout is not started.
      if (wait >= left) break;
      await new Promise((resolve) => setTimeout(resolve, wait));
      result = await this.once(data, left - wait);
    }
    return result;
  }

  private async once(data: Uint8Array, timeoutMillis: number): Promise<ExportResponse> {
    const headers = { ...(await this.target.headers()), "user-agent": this.userAgent };
    // The whole exchange, answer and body, within the timeout: the upstream calls' deadline.
    const deadline = new Deadline(timeoutMillis, undefined);
    try {
      // The upstream calls' options, in their order: see keepAlivePool.
      const response = await this.pool.request({
        method: "POST",
        path: this.path,
        headers,
        body: data,
        signal: deadline,
      });
      const body = new Uint8Array(await response.body.arrayBuffer());
      const status = response.statusCode;
      if (status >= 200 && status < 300) return { status: "success", data: body };
      const error = new OTLPExporterError(`the collector answered ${status}`, status, Buffer.from(body).toString());
      if (!retryableStatus(status)) return { status: "failure", error };
      const retryInMillis = retryAfterMs(response.headers);
      return retryInMillis === undefined
        ? { status: "retryable", error }
        : { status: "retryable", error, retryInMillis };
    } catch (cause) {
      // Refused, reset or timed out: the collector may be back for the next try.
      const error = deadline.aborted ? new Error(`the collector did not answer within ${timeoutMillis} ms`) : cause;
      return { status: "retryable", error: error instanceof Error ? error : new Error(String(error)) };
    } finally {
      deadline.dispose();
    }
  }

  shutdown(): void {
    // Called once the last export settled: nothing is in flight to wait for.
    void this.pool.close().catch(() => undefined);
  }
}

/** The undici transport for a plain-http collector sent uncompressed bodies; undefined for any other (the SDK's serves it). */
export function collectorTransport(
  target: CollectorTarget & { compression: string },
  userAgent: string,
): IExporterTransport | undefined {
  if (new URL(target.url).protocol !== "http:" || target.compression === "gzip") return undefined;
  return new UndiciTransport(target, userAgent);
}
