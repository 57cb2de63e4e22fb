/**
 * Where a provider answers and how it is authenticated, read from the call's options and
 * then the environment (LiteLLM's variable names), and the request-id header it answers
 * with. Every adapter resolves its connection through these, so "empty means unset" and
 * the wording of a missing-key error hold for all of them.
 */
import type { UpstreamRequest } from "../http/transport.js";
import { AuthenticationError } from "../wire/errors.js";
import type { ProviderDialect, Target } from "./types.js";

/** A provider's address and key as the environment gives them. The registry shows these in the README. */
export interface Endpoint {
  /** The service's name in messages (`Anthropic`). */
  label: string;
  /** The key's environment variable. */
  keyEnv: string;
  /** The base URL's environment variable. */
  baseEnv: string;
  /** Where it answers when neither api_base nor baseEnv is set; none for servers users host. */
  defaultBase?: string;
  /** Variables read after keyEnv / baseEnv: the names other tools and SDKs use. */
  aliases?: { key?: readonly string[]; base?: readonly string[] };
}

/** The first value that is set and not empty (an option, then its environment variables). */
export function firstSet(...values: (string | undefined)[]): string | undefined {
  return values.find(isSet);
}

function isSet(value: string | undefined): value is string {
  return value !== undefined && value !== "";
}

/**
 * The first of `names` set and not empty in the target's environment. Read only when the
 * option is unset: a read of process.env is a call into the C++ environment (some 1,000
 * instructions, callgrind), and a deployment's options usually say it all.
 */
function fromEnv(target: Target, names: readonly string[]): string | undefined {
  for (const name of names) {
    const value = target.env[name];
    if (isSet(value)) return value;
  }
  return undefined;
}

/** The base URL; always one for an endpoint with a default. */
export function apiBase(target: Target, endpoint: Endpoint & { defaultBase: string }): string;
export function apiBase(target: Target, endpoint: Endpoint): string | undefined;
export function apiBase(target: Target, endpoint: Endpoint): string | undefined {
  return (
    firstSet(target.options.api_base) ??
    fromEnv(target, [endpoint.baseEnv, ...(endpoint.aliases?.base ?? [])]) ??
    endpoint.defaultBase
  );
}

export function apiKey(target: Target, endpoint: Endpoint): string | undefined {
  return firstSet(target.options.api_key) ?? fromEnv(target, [endpoint.keyEnv, ...(endpoint.aliases?.key ?? [])]);
}

export function missingApiKey(target: Target, endpoint: Endpoint, provider: string): AuthenticationError {
  return new AuthenticationError(
    `No ${endpoint.label} API key: set the ${endpoint.keyEnv} environment variable or pass api_key.`,
    { provider, model: target.model, param: "api_key", code: "missing_api_key" },
  );
}

/** The key, or an AuthenticationError before any request is made. */
export function requireApiKey(target: Target, endpoint: Endpoint, provider: string): string {
  const key = apiKey(target, endpoint);
  if (key === undefined) throw missingApiKey(target, endpoint, provider);
  return key;
}

/** A JSON POST upstream. */
export function postJson(url: string, headers: Record<string, string>, body: unknown): UpstreamRequest {
  return { method: "POST", url, headers, body: JSON.stringify(body) };
}

/** `path` under a base given with or without its trailing slash. */
export function joinUrl(base: string, path: string): string {
  return base.endsWith("/") ? base.slice(0, -1) + path : base + path;
}

/**
 * `path` of a `/v1` API. Users write api_base as the host, as the `/v1` root or as the
 * endpoint itself, and all three mean the same endpoint.
 */
export function v1Url(base: string, path: string): string {
  const trimmed = base.replace(/\/+$/, "");
  if (trimmed.endsWith(path)) return trimmed;
  return trimmed.endsWith("/v1") ? trimmed + path : `${trimmed}/v1${path}`;
}

/**
 * A JSON request's headers: the provider's own (auth, version), then the caller's extra_headers,
 * which win, then the attempt's traceparent (and the caller's tracestate) when it is traced. Every
 * adapter builds its headers here, so every provider gets the trace context.
 */
export function jsonHeaders(target: Target, own: Record<string, string>): Record<string, string> {
  const { extra_headers, traceparent, tracestate } = target.options;
  const headers: Record<string, string> = { "content-type": "application/json", ...own, ...extra_headers };
  if (traceparent !== undefined) headers.traceparent = traceparent;
  if (tracestate !== undefined) headers.tracestate = tracestate;
  return headers;
}

/** A bearer key's header; servers users host may take no key. */
export function bearer(key: string | undefined): Record<string, string> {
  return key === undefined ? {} : { authorization: `Bearer ${key}` };
}

export function bearerHeaders(key: string | undefined, target: Target): Record<string, string> {
  return jsonHeaders(target, bearer(key));
}

/** A `requestId` reading the first of `names` the provider sent. */
export function requestIdHeader(...names: string[]): ProviderDialect["requestId"] {
  return (headers) => {
    for (const name of names) {
      const value = headers[name];
      if (value !== undefined) return typeof value === "string" ? value : value[0];
    }
    return;
  };
}
