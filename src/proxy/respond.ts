/** Writing JSON answers and OpenAI-shaped errors. */
import type { ServerResponse } from "node:http";
import { APIError, InternalServerError } from "../wire/errors.js";

export type Headers = Record<string, string>;

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Headers = {}): void {
  sendJsonText(res, status, JSON.stringify(body), headers);
}

/** A body that is JSON already (a provider's answer forwarded as it came). */
export function sendJsonText(res: ServerResponse, status: number, text: string, headers: Headers = {}): void {
  headers["content-type"] = "application/json";
  headers["content-length"] = String(Buffer.byteLength(text));
  res.writeHead(status, headers);
  res.end(text);
}

/** Any thrown value as a typed error; unknown failures become a 500 that reveals nothing internal. */
export function asAPIError(error: unknown): APIError {
  if (error instanceof APIError) return error;
  return new InternalServerError("The gateway failed while handling the request; see its logs for the request id.", {
    cause: error,
  });
}

/** Seconds a 429 or 503 that knows no better asks the client to wait: every one says when to come back. */
const DEFAULT_RETRY_AFTER_SECONDS = 1;

export function sendError(res: ServerResponse, error: APIError, headers: Headers = {}): void {
  const extra: Headers = { ...headers };
  const retryAfter =
    error.retryAfter ?? (error.status === 429 || error.status === 503 ? DEFAULT_RETRY_AFTER_SECONDS : undefined);
  if (retryAfter !== undefined) extra["retry-after"] = String(Math.ceil(retryAfter));
  sendJson(res, error.status, error.toBody(), extra);
}
