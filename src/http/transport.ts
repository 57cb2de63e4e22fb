/**
 * The one way litegate talks to upstreams: an undici Pool per origin, created once and
 * reused (keep-alive), with a deadline and the caller's AbortSignal wired to the
 * request so that either closes the upstream socket.
 */
import { EventEmitter } from "node:events";
import { Pool, type Dispatcher } from "undici";
import type { AbortLike } from "./cancel.js";
import { AbortError, APIConnectionError, APIError, Timeout } from "../wire/errors.js";

export interface UpstreamRequest {
  method: "POST" | "GET" | "DELETE";
  /** Absolute URL, query included. */
  url: string;
  headers: Record<string, string>;
  body?: string;
  /**
   * Headers known only when the request goes out (a cached OAuth token, a SigV4 signature
   * over the final URL, body and time), asked for again on every attempt so a retry is
   * signed afresh. Adapters stay pure: they return this function; the transport calls it.
   * What it throws (a token endpoint down, no credentials) reaches the caller as is, so
   * it should throw litegate's typed errors.
   */
  signedHeaders?: ((request: UpstreamRequest) => Promise<Record<string, string>>) | undefined;
  /**
   * Credentials behind signedHeaders that are not in `headers` (an AWS secret key and
   * session token): scrubbed from every error and message like the keys in `headers`.
   */
  secrets?: readonly string[] | undefined;
  /**
   * What signedHeaders gave the latest attempt (a Vertex OAuth token, a SigV4 Authorization),
   * set by send(): scrubbed from errors like `headers`, since a provider may quote them back.
   */
  signed?: Readonly<Record<string, string>> | undefined;
}

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData["body"];
}

const CONNECT_TIMEOUT_MS = 10_000;
/** Idle keep-alive sockets are closed after this; upstream servers often allow 5-60 s. */
const KEEP_ALIVE_TIMEOUT_MS = 30_000;

const pools = new Map<string, Pool>();

/**
 * A keep-alive pool to `origin` as litegate's HTTP calls use them: the upstream calls' here, and
 * the trace exporter's (tracing/otlp-transport.ts). One set of options matters beyond their
 * values: undici's code is shared by every pool in the process, and pools made alike keep its
 * hot paths seeing one shape of connection (a second shape slowed every upstream call).
 */
export function keepAlivePool(origin: string): Pool {
  return new Pool(origin, {
    connect: { timeout: CONNECT_TIMEOUT_MS },
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    keepAliveMaxTimeout: KEEP_ALIVE_TIMEOUT_MS * 2,
    // Deadlines are ours (Deadline below), per call, not undici's fixed 300 s ones.
    headersTimeout: 0,
    bodyTimeout: 0,
  });
}

function poolFor(origin: string): Pool {
  let pool = pools.get(origin);
  if (pool === undefined) {
    pool = keepAlivePool(origin);
    pools.set(origin, pool);
  }
  return pool;
}

/** Closes every pooled connection; for a clean process exit. */
export async function closePools(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.all(all.map((pool) => pool.close()));
}

/**
 * One call's time limit and cancellation, handed to undici as its `signal` (undici
 * takes an EventEmitter with `aborted`). It fires when the caller's signal does or the
 * deadline passes; `touch()` restarts the deadline (streams use it so the limit bounds
 * each wait for data rather than a long, healthy stream).
 */
export class Deadline extends EventEmitter {
  aborted = false;
  private cause: "timeout" | "caller" | undefined;
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly onCallerAbort: (() => void) | undefined;

  constructor(
    private readonly timeoutMs: number,
    private readonly caller: AbortLike | undefined,
  ) {
    super();
    if (Number.isFinite(timeoutMs) && timeoutMs > 0) {
      this.timer = setTimeout(() => this.abort("timeout"), timeoutMs);
    }
    if (caller !== undefined) {
      if (caller.aborted) {
        this.abort("caller");
      } else {
        this.onCallerAbort = () => this.abort("caller");
        caller.addEventListener("abort", this.onCallerAbort, { once: true });
      }
    }
  }

  private abort(cause: "timeout" | "caller"): void {
    if (this.aborted) return;
    this.aborted = true;
    this.cause = cause;
    this.emit("abort");
  }

  touch(): void {
    this.timer?.refresh();
  }

  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.onCallerAbort !== undefined) this.caller?.removeEventListener("abort", this.onCallerAbort);
  }

  /** The typed error for a failure while this deadline was running. */
  errorFor(cause: unknown, context: { provider: string; model: string }): Error {
    if (this.cause === "timeout") {
      return new Timeout(`${context.provider} did not answer within ${this.timeoutMs / 1000} s (timeout).`, context);
    }
    if (this.cause === "caller") return new AbortError("The request was aborted by the caller.", context);
    // A request's signedHeaders failed in a way it named itself (no credentials: a 401).
    if (cause instanceof APIError) return cause;
    const detail = cause instanceof Error ? cause.message : String(cause);
    return new APIConnectionError(`Could not reach ${context.provider}: ${detail}`, { ...context, cause });
  }
}

/** Upstream URLs are few (a base per deployment, a path per endpoint): each is parsed once. */
const parsedUrls = new Map<string, { origin: string; path: string }>();
const MAX_PARSED_URLS = 1024;

function parseUrl(text: string): { origin: string; path: string } {
  let parsed = parsedUrls.get(text);
  if (parsed === undefined) {
    const url = new URL(text);
    parsed = { origin: url.origin, path: url.pathname + url.search };
    // Bounded whatever builds the URLs; starting afresh is cheaper than an LRU for a set this stable.
    if (parsedUrls.size >= MAX_PARSED_URLS) parsedUrls.clear();
    parsedUrls.set(text, parsed);
  }
  return parsed;
}

/** Sends one request; throws whatever undici throws (callers map it with Deadline.errorFor). */
export async function send(request: UpstreamRequest, deadline: Deadline): Promise<UpstreamResponse> {
  const url = parseUrl(request.url);
  let headers = request.headers;
  if (request.signedHeaders !== undefined) {
    request.signed = await request.signedHeaders(request);
    headers = { ...headers, ...request.signed };
  }
  const response = await poolFor(url.origin).request({
    method: request.method,
    path: url.path,
    headers,
    body: request.body ?? null,
    signal: deadline,
  });
  return { status: response.statusCode, headers: response.headers, body: response.body };
}
