/**
 * One upstream call as the SDK sees it: the prepared request, the provider's dialect,
 * and the mapping of whatever goes wrong into typed errors that never carry a credential.
 */
import type { AbortLike } from "../http/cancel.js";
import type { UpstreamRequest, UpstreamResponse } from "../http/transport.js";
import { retryAfterMs } from "../http/retry.js";
import type { ProviderDialect } from "../providers/types.js";
import type { CallObserver } from "./options.js";
import { type APIError, errorFromStatus, type ProviderErrorDetail } from "../wire/errors.js";

export interface PreparedCall {
  /** How the provider words errors and request ids; every adapter is one. */
  adapter: ProviderDialect;
  request: UpstreamRequest;
  /** The model as the caller named it (for errors). */
  model: string;
  timeoutMs: number;
  signal: AbortLike | undefined;
  observer: CallObserver | undefined;
}

const REDACTED = "[redacted]";
const CREDENTIAL_HEADERS = ["authorization", "api-key", "x-api-key"];

/** The credentials this request carries, to be scrubbed from anything we report. */
function credentialsOf(request: UpstreamRequest): string[] {
  const found: string[] = [];
  for (const name of CREDENTIAL_HEADERS) {
    const value = request.headers[name];
    if (value === undefined || value === "") continue;
    // The bare token first, so "Bearer <key>" in a message reads "Bearer [redacted]".
    if (value.startsWith("Bearer ")) found.push(value.slice(7));
    found.push(value);
  }
  return found;
}

export function scrub(text: string, request: UpstreamRequest): string {
  let clean = text;
  for (const secret of credentialsOf(request)) {
    if (secret.length >= 4 && clean.includes(secret)) clean = clean.split(secret).join(REDACTED);
  }
  return clean;
}

/** The typed error for a provider's error detail, secrets scrubbed. */
export function providerError(
  call: PreparedCall,
  status: number,
  detail: ProviderErrorDetail,
  headers: UpstreamResponse["headers"] = {},
): APIError {
  const retryAfter = retryAfterMs(headers);
  return errorFromStatus(
    status,
    { ...detail, message: scrub(detail.message, call.request) },
    {
      provider: call.adapter.provider,
      model: call.model,
      requestId: call.adapter.requestId(headers),
      retryAfter: retryAfter === undefined ? undefined : retryAfter / 1000,
    },
  );
}

function parseBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Reads an error response (status >= 400) into its typed error. */
export async function errorFromResponse(call: PreparedCall, response: UpstreamResponse): Promise<APIError> {
  const text = await response.body.text();
  return providerError(call, response.status, call.adapter.parseError(parseBody(text)), response.headers);
}
