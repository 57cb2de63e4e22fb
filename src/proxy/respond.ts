/** Writing JSON answers and OpenAI-shaped errors. */
import type { ServerResponse } from "node:http";
import { APIError, InternalServerError } from "../wire/errors.js";

export type Headers = Record<string, string>;

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Headers = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/** Any thrown value as a typed error; unknown failures become a 500 that reveals nothing internal. */
export function asAPIError(error: unknown): APIError {
  if (error instanceof APIError) return error;
  return new InternalServerError("The gateway failed while handling the request; see its logs for the request id.", {
    cause: error,
  });
}

export function sendError(res: ServerResponse, error: APIError, headers: Headers = {}): void {
  const extra: Headers = { ...headers };
  if (error.retryAfter !== undefined) extra["retry-after"] = String(Math.ceil(error.retryAfter));
  sendJson(res, error.status, error.toBody(), extra);
}
