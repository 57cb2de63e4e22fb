/**
 * Reading upstream bodies within bounds, so that a runaway or hostile upstream (a 10 MB
 * error page, an answer that never ends) costs the gateway a known amount of memory.
 */
import type { UpstreamResponse } from "./transport.js";

/**
 * The largest successful answer read, and the largest single stream event: far above
 * any real completion (a 128k-token answer is well under 1 MB), low enough that a
 * handful of runaway upstreams cannot exhaust the process.
 */
export const MAX_ANSWER_BYTES = 64 * 1024 * 1024;

/** How much of an error body is read: provider error bodies are a few hundred bytes. */
export const MAX_ERROR_BODY_BYTES = 64 * 1024;

export interface BodyText {
  text: string;
  /** False when the body was longer than the limit and reading stopped there. */
  complete: boolean;
}

/**
 * The body's text, up to `limit` bytes. Past the limit the body is destroyed: its socket
 * is closed rather than drained for reuse, since draining would read what we refuse to.
 */
export async function readBounded(response: UpstreamResponse, limit: number): Promise<BodyText> {
  const body = response.body;
  // A length within the limit is the usual case: undici reads it in one go.
  const declared = declaredLength(response);
  if (declared !== undefined && declared <= limit) return { text: await body.text(), complete: true };
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of body as AsyncIterable<Buffer>) {
    if (size + part.length > limit) {
      parts.push(part.subarray(0, limit - size));
      body.destroy();
      return { text: Buffer.concat(parts).toString("utf8"), complete: false };
    }
    parts.push(part);
    size += part.length;
  }
  return { text: Buffer.concat(parts).toString("utf8"), complete: true };
}

/** The declared Content-Length, when the upstream sent a valid one. */
export function declaredLength(response: UpstreamResponse): number | undefined {
  const value = response.headers["content-length"];
  if (typeof value !== "string") return undefined;
  const length = Number(value);
  return Number.isSafeInteger(length) && length >= 0 ? length : undefined;
}
