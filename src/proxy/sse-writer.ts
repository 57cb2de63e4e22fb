/**
 * Writing a completion stream to a client as Server-Sent Events: one `data:` event per
 * chunk, flushed as it comes, `data: [DONE]` at the end. The next chunk is pulled from
 * upstream only once the client has taken the last one (backpressure), so a slow
 * client slows the upstream read instead of growing the gateway's memory.
 */
import type { ServerResponse } from "node:http";
import type { APIError } from "../wire/errors.js";
import type { Headers } from "./respond.js";

export const SSE_HEADERS: Headers = {
  "content-type": "text/event-stream",
  "cache-control": "no-cache",
  connection: "keep-alive",
  // Tells nginx-style buffering proxies to pass each event through at once.
  "x-accel-buffering": "no",
};

const DONE = "data: [DONE]\n\n";
const KEEP_ALIVE = ": keep-alive\n\n";

/** Starts the response; the headers leave with the first event (or at once, with `flush`). */
export function startEventStream(res: ServerResponse, headers: Headers, flush = false): void {
  res.writeHead(200, { ...headers, ...SSE_HEADERS });
  if (flush) res.flushHeaders();
}

function uncork(res: ServerResponse): void {
  res.uncork();
}

/**
 * Writes one event (with its `event:` line when it has a `name`, as the Responses API's
 * events do); when the client's buffer is full, a promise that resolves once it can take
 * more (none otherwise: most chunks cost no promise). Events written in the same turn of the
 * event loop (all those from one upstream read) leave in one socket write.
 */
export function writeEvent(res: ServerResponse, data: string, name?: string): Promise<void> | undefined {
  if (res.writableCorked === 0) {
    res.cork();
    setImmediate(uncork, res);
  }
  const text = name === undefined ? `data: ${data}\n\n` : `event: ${name}\ndata: ${data}\n\n`;
  return res.write(text) ? undefined : drained(res);
}

/**
 * A stream once its first item is in, the response started. Until then a failure still gets
 * its own HTTP status (it is thrown). If the first item is slow, the response starts anyway and
 * `: keep-alive` comments follow every `keepAliveMs` (0: never), so that proxies with idle
 * timeouts between us and the client keep the connection; a failure after that start is given
 * to `failed` (which ends the stream with its error event) and undefined is returned.
 */
export async function streamStarted<S>(
  res: ServerResponse,
  pending: Promise<S>,
  headers: () => Headers,
  keepAliveMs: number,
  failed: (error: unknown) => void,
): Promise<S | undefined> {
  let started = false;
  let keepAlive: NodeJS.Timeout | undefined;
  if (keepAliveMs > 0) {
    keepAlive = setTimeout(function tick() {
      if (!started) {
        started = true;
        startEventStream(res, headers(), true);
      }
      writeKeepAlive(res);
      keepAlive = setTimeout(tick, keepAliveMs);
    }, keepAliveMs);
  }
  let stream: S;
  try {
    stream = await pending;
  } catch (error) {
    if (!started) throw error;
    failed(error);
    return undefined;
  } finally {
    clearTimeout(keepAlive);
  }
  if (!started) startEventStream(res, headers());
  return stream;
}

/** Resolves when the client has taken the buffered data, or has gone; leaves no listener behind. */
export function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

export function writeKeepAlive(res: ServerResponse): void {
  res.write(KEEP_ALIVE);
}

export function endEventStream(res: ServerResponse): void {
  res.end(DONE);
}

/** An error after the stream started: a final error event, and no [DONE]. */
export function endWithError(res: ServerResponse, error: APIError): void {
  res.end(`data: ${JSON.stringify(error.toBody())}\n\n`);
}
