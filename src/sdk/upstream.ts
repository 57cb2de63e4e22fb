/**
 * One upstream call as the SDK sees it: the prepared request, the provider's dialect,
 * and the mapping of whatever goes wrong into typed errors that never carry a credential.
 */
import type { RemainingLimits } from "./options.js";
import { MAX_ERROR_BODY_BYTES, readBounded } from "../http/body.js";
import type { AbortLike } from "../http/cancel.js";
import type { UpstreamRequest, UpstreamResponse } from "../http/transport.js";
import { retryAfterMs } from "../http/retry.js";
import type { ProviderDialect } from "../providers/types.js";
import { APIError, BadGatewayError, errorFromStatus, type ProviderErrorDetail } from "../wire/errors.js";

export interface PreparedCall {
  /** How the provider words errors and request ids; every adapter is one. */
  adapter: ProviderDialect;
  request: UpstreamRequest;
  /** The model as the caller named it (for errors). */
  model: string;
  timeoutMs: number;
  signal: AbortLike | undefined;
  /** Where the answer's x-ratelimit-remaining-* go (the Router's attempt record), if anywhere. */
  remaining?: RemainingLimits | undefined;
}

const REDACTED = "[redacted]";
const CREDENTIAL_HEADERS = ["authorization", "api-key", "x-api-key", "x-goog-api-key"];

/** The credentials this request carries, to be scrubbed from anything we report. */
function credentialsOf(request: UpstreamRequest): string[] {
  const found: string[] = [];
  for (const headers of [request.headers, request.signed]) {
    if (headers === undefined) continue;
    for (const name of CREDENTIAL_HEADERS) {
      const value = headers[name];
      if (value === undefined || value === "") continue;
      // The bare token first, so "Bearer <key>" in a message reads "Bearer [redacted]".
      if (value.startsWith("Bearer ")) found.push(value.slice(7));
      found.push(value);
    }
  }
  // Secrets that sign the request without travelling in it (an AWS secret key, a session token).
  if (request.secrets !== undefined) found.push(...request.secrets);
  return found;
}

export function scrub(text: string, request: UpstreamRequest): string {
  let clean = text;
  for (const secret of credentialsOf(request)) {
    if (secret.length >= 4 && clean.includes(secret)) clean = clean.split(secret).join(REDACTED);
  }
  return clean;
}

/** The longest provider message passed on: enough for any real one, small enough for every client. */
const MAX_PROVIDER_MESSAGE_CHARS = 2_000;

/** The message, secrets scrubbed (before the cut, so no key is left half-shown), cut to size. */
function clean(message: string, request: UpstreamRequest): string {
  const scrubbed = scrub(message, request);
  if (scrubbed.length <= MAX_PROVIDER_MESSAGE_CHARS) return scrubbed;
  return `${scrubbed.slice(0, MAX_PROVIDER_MESSAGE_CHARS)}… (the provider's message was cut at ${MAX_PROVIDER_MESSAGE_CHARS} characters)`;
}

/** The typed error for a provider's error detail, secrets scrubbed, the message cut to size. */
export function providerError(
  call: PreparedCall,
  status: number,
  detail: ProviderErrorDetail,
  headers: UpstreamResponse["headers"] = {},
): APIError {
  const retryAfter = retryAfterMs(headers);
  return errorFromStatus(
    status,
    { ...detail, message: clean(detail.message, call.request) },
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

/**
 * Reads an error response (status >= 400) into its typed error. Only the start of a huge
 * body is read (an HTML error page of a misconfigured proxy, a runaway upstream); cut, it
 * is no longer JSON, and its text becomes the message.
 */
export async function errorFromResponse(call: PreparedCall, response: UpstreamResponse): Promise<APIError> {
  const { text } = await readBounded(response, MAX_ERROR_BODY_BYTES);
  return providerError(
    call,
    response.status,
    call.adapter.parseError(parseBody(text), response.headers),
    response.headers,
  );
}

/**
 * The 502 for an answer or stream event litegate cannot read (wrong shape, not JSON, too
 * large): the upstream's fault, with `message` naming it; never a 500.
 */
export function malformed(call: PreparedCall, message: string, requestId?: string): BadGatewayError {
  return new BadGatewayError(scrub(message, call.request), {
    provider: call.adapter.provider,
    model: call.model,
    requestId,
  });
}

/** The message for an answer or chunk that is not the `what` it should be. */
export function malformedMessage(call: PreparedCall, what: string, problem: string): string {
  return `${call.adapter.provider} sent a malformed ${what}: ${problem}.`;
}

/**
 * Runs a parse of upstream data (a framer, an adapter); whatever it throws on data it
 * cannot read becomes `malformed`. Typed errors (a provider's error event) pass as they are.
 */
export function parseWith<T>(call: PreparedCall, what: string, parse: () => T, requestId?: string): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof APIError) throw error;
    throw malformed(
      call,
      malformedMessage(call, what, error instanceof Error ? error.message : String(error)),
      requestId,
    );
  }
}
