/**
 * Where traces go, read from the environment once at start: OpenTelemetry's standard
 * variables, and LiteLLM's own names (OTEL_EXPORTER, OTEL_ENDPOINT, OTEL_HEADERS) where the
 * standard ones are unset, so a LiteLLM deployment's environment works unchanged.
 */

import { accessSync, constants } from "node:fs";
import { SAMPLERS, type Sampler } from "./sampler.js";
import { type BatchSettings, DEFAULT_BATCH_SETTINGS } from "./span-queue.js";
import { MAX_TIMER_MS } from "../http/cancel.js";

export type TraceProtocol = "http/protobuf" | "http/json";

export interface TracingSettings {
  /** The OTLP/HTTP traces URL (…/v1/traces). */
  url: string;
  protocol: TraceProtocol;
  /** Sent with every export (a collector's or vendor's API key): never logged. */
  headers: Record<string, string>;
  serviceName: string;
  /** OTEL_TRACES_SAMPLER and its ratio: which traces are recorded. */
  sampler: Sampler;
  /** OTEL_BSP_* as set (the SDK's defaults for the rest). */
  batch?: Partial<BatchSettings> | undefined;
}

/** OTEL_TRACES_SAMPLER (default parentbased_always_on) with OTEL_TRACES_SAMPLER_ARG, the ratio (default 1). */
function samplerOf(env: Env): Sampler {
  const name = set(env, "OTEL_TRACES_SAMPLER")?.toLowerCase() ?? "parentbased_always_on";
  const kind = SAMPLERS[name];
  if (kind === undefined) {
    throw new TracingSettingsError(
      `OTEL_TRACES_SAMPLER=${name}: not a sampler litegate serves; use one of ${Object.keys(SAMPLERS).join(", ")}.`,
    );
  }
  if (kind.ratio !== undefined) return { parentBased: kind.parentBased, ratio: kind.ratio };
  const arg = set(env, "OTEL_TRACES_SAMPLER_ARG");
  const ratio = arg === undefined ? 1 : Number(arg);
  if (!Number.isFinite(ratio) || ratio < 0 || ratio > 1) {
    throw new TracingSettingsError(
      `OTEL_TRACES_SAMPLER_ARG=${arg}: the share of traces to record, a number from 0 to 1 (e.g. 0.1 for one in ten).`,
    );
  }
  return { parentBased: kind.parentBased, ratio };
}

/** OpenTelemetry's default OTLP/HTTP collector address. */
const DEFAULT_ENDPOINT = "http://localhost:4318";
export const DEFAULT_SERVICE_NAME = "litegate";

/** A tracing setting litegate cannot serve: the gateway refuses to start, naming the variable and the fix. */
export class TracingSettingsError extends Error {
  override name = "TracingSettingsError";
}

type Env = Readonly<Record<string, string | undefined>>;

function set(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === "" ? undefined : value;
}

/** LiteLLM's OTEL_EXPORTER values and the standard protocols, as the protocol litegate sends. */
function protocolOf(name: string, value: string): TraceProtocol {
  switch (value.toLowerCase()) {
    case "http/protobuf":
    case "otlp_http":
      return "http/protobuf";
    case "http/json":
      return "http/json";
    case "grpc":
    case "otlp_grpc":
      throw new TracingSettingsError(
        `${name}=${value}: litegate exports traces over OTLP/HTTP only; point OTEL_EXPORTER_OTLP_ENDPOINT at the collector's HTTP port (4318) and set ${name}=http/protobuf (or http/json).`,
      );
    default:
      throw new TracingSettingsError(
        `${name}=${value}: not a trace protocol litegate serves; use http/protobuf (the default) or http/json.`,
      );
  }
}

/** The OTEL_BSP_* variables and the batch setting each sets. */
const BATCH_VARIABLES: Readonly<Record<keyof BatchSettings, string>> = {
  scheduledDelayMillis: "OTEL_BSP_SCHEDULE_DELAY",
  maxExportBatchSize: "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
  maxQueueSize: "OTEL_BSP_MAX_QUEUE_SIZE",
  exportTimeoutMillis: "OTEL_BSP_EXPORT_TIMEOUT",
};

/** Variables that are timers' milliseconds. */
const MILLISECONDS = /(_DELAY|_TIMEOUT)$/;

/**
 * Variable `name` as a whole number above 0 (milliseconds no longer than a timer takes);
 * undefined when unset; else an error that says what it takes (`expected`).
 */
function wholeAboveZero(env: Env, name: string, expected: string): number | undefined {
  const value = set(env, name);
  if (value === undefined) return undefined;
  const n = Number(value);
  const max = MILLISECONDS.test(name) ? MAX_TIMER_MS : Number.MAX_SAFE_INTEGER;
  if (!Number.isInteger(n) || n <= 0 || n > max) {
    throw new TracingSettingsError(`${name}=${value}: ${expected}${n > max ? `, at most ${max}` : ""}.`);
  }
  return n;
}

/** The OTEL_BSP_* variables set, each a whole number above 0; a batch no larger than the queue. */
function batchOf(env: Env): Partial<BatchSettings> {
  const batch: Partial<BatchSettings> = {};
  for (const [setting, name] of Object.entries(BATCH_VARIABLES) as [keyof BatchSettings, string][]) {
    const n = wholeAboveZero(env, name, `a whole number above 0 (default ${DEFAULT_BATCH_SETTINGS[setting]})`);
    if (n !== undefined) batch[setting] = n;
  }
  const size = batch.maxExportBatchSize ?? DEFAULT_BATCH_SETTINGS.maxExportBatchSize;
  const queue = batch.maxQueueSize ?? DEFAULT_BATCH_SETTINGS.maxQueueSize;
  if (size > queue) {
    throw new TracingSettingsError(
      `OTEL_BSP_MAX_EXPORT_BATCH_SIZE (${size}) is larger than OTEL_BSP_MAX_QUEUE_SIZE (${queue}): a batch is taken from the queue, so make it no larger.`,
    );
  }
  return batch;
}

/**
 * The exporter's own variables, which the OpenTelemetry SDK reads as it starts (and, finding one it
 * cannot use, falls back to its default without a word): checked here, so a mistyped one stops
 * the start like every other setting. Each has a generic and a traces-only name.
 */
function checkExporterVariables(env: Env): void {
  for (const scope of ["OTEL_EXPORTER_OTLP_", "OTEL_EXPORTER_OTLP_TRACES_"]) {
    wholeAboveZero(env, `${scope}TIMEOUT`, "milliseconds, a whole number above 0 (default 10000)");
    const compression = set(env, `${scope}COMPRESSION`);
    if (compression !== undefined && compression !== "gzip" && compression !== "none") {
      throw new TracingSettingsError(`${scope}COMPRESSION=${compression}: gzip or none (the default).`);
    }
    for (const file of ["CERTIFICATE", "CLIENT_KEY", "CLIENT_CERTIFICATE"]) {
      const path = set(env, `${scope}${file}`);
      if (path === undefined) continue;
      try {
        accessSync(path, constants.R_OK);
      } catch {
        throw new TracingSettingsError(`${scope}${file}=${path}: no file litegate can read there (a PEM file).`);
      }
    }
  }
}

/** `base` + `/v1/traces`, unless it already ends so (LiteLLM accepts both forms). */
function tracesUrl(base: string): string {
  const trimmed = base.replace(/\/+$/, "");
  if (trimmed.endsWith("/v1/traces")) return trimmed;
  return trimmed.endsWith("/v1") ? `${trimmed}/traces` : `${trimmed}/v1/traces`;
}

function checkedUrl(name: string, url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.protocol === "http:" || parsed.protocol === "https:") return url;
  } catch {
    // Reported below.
  }
  // Never the value: a URL may carry a user, a password or a token in its query.
  throw new TracingSettingsError(`${name} is not an http(s) URL; e.g. http://otel-collector:4318`);
}

/** `k=v,k2=v2`, values percent-decoded (W3C baggage format, as OTEL_EXPORTER_OTLP_HEADERS is written). */
function parseHeaders(name: string, value: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  if (value === undefined) return headers;
  for (const [index, part] of value.split(",").entries()) {
    if (part.trim() === "") continue;
    const equals = part.indexOf("=");
    // Never quoted: the entry is likely a credential.
    if (equals <= 0) {
      throw new TracingSettingsError(
        `${name}: entry ${index + 1} is not name=value; write name=value pairs separated by commas (e.g. authorization=Bearer%20KEY).`,
      );
    }
    const key = part.slice(0, equals).trim();
    let text = part.slice(equals + 1).trim();
    try {
      text = decodeURIComponent(text);
    } catch {
      // Not percent-encoded after all: sent as written.
    }
    headers[key.toLowerCase()] = text;
  }
  return headers;
}

/**
 * The tracing settings in `env`. OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is the traces URL as
 * written; OTEL_EXPORTER_OTLP_ENDPOINT (or LiteLLM's OTEL_ENDPOINT) is a base that gets
 * /v1/traces; neither means OpenTelemetry's default, http://localhost:4318.
 */
export function tracingSettings(env: Env): TracingSettings {
  const protocolVariable = ["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER"].find(
    (name) => set(env, name) !== undefined,
  );
  const protocol =
    protocolVariable === undefined ? "http/protobuf" : protocolOf(protocolVariable, set(env, protocolVariable) ?? "");
  const specific = set(env, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
  const base = set(env, "OTEL_EXPORTER_OTLP_ENDPOINT") ?? set(env, "OTEL_ENDPOINT");
  const url =
    specific !== undefined
      ? checkedUrl("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", specific)
      : tracesUrl(base === undefined ? DEFAULT_ENDPOINT : checkedUrl("OTEL_EXPORTER_OTLP_ENDPOINT", base));
  const generic = set(env, "OTEL_EXPORTER_OTLP_HEADERS") === undefined ? "OTEL_HEADERS" : "OTEL_EXPORTER_OTLP_HEADERS";
  checkExporterVariables(env);
  return {
    url,
    protocol,
    headers: {
      ...parseHeaders(generic, set(env, generic)),
      ...parseHeaders("OTEL_EXPORTER_OTLP_TRACES_HEADERS", set(env, "OTEL_EXPORTER_OTLP_TRACES_HEADERS")),
    },
    serviceName: set(env, "OTEL_SERVICE_NAME") ?? DEFAULT_SERVICE_NAME,
    sampler: samplerOf(env),
    batch: batchOf(env),
  };
}

/** No variable names a traces endpoint: they go to OpenTelemetry's default (a start-up warning says so). */
export function tracingDefaultsEndpoint(env: Env): boolean {
  return ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_ENDPOINT"].every(
    (name) => set(env, name) === undefined,
  );
}

/** Where traces go, for the start-up log line: the URL without its user, password or query. */
export function describeTracing(settings: TracingSettings): string {
  const url = new URL(settings.url);
  return `${url.protocol}//${url.host}${url.pathname} (${settings.protocol}, service.name ${settings.serviceName})`;
}
