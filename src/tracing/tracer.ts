/**
 * OpenTelemetry traces of finished requests. Spans are built once a request has ended, from
 * what it recorded (its start, its RouteTrace's attempts with their times), with explicit
 * start and end times and the ids its `traceparent` headers already carried: the request
 * path itself creates no span and waits on nothing. They are handed, already ended, to the
 * SDK's BatchSpanProcessor, which exports them in batches over OTLP/HTTP (protobuf or JSON)
 * off the request path; shutdown flushes it.
 *
 * The spans are the SDK's ReadableSpan, made here rather than through its Tracer: the
 * Tracer's spans are built to be changed while they run (each attribute validated as it is
 * set, a sampler asked, a clock read), which cost about 40 µs more per request in a
 * micro-benchmark, on top of the OTLP serialiser's own cost. Here every span is complete when it is made, its
 * attributes litegate's own (bounded names and values), and the caller's traceparent decides
 * sampling as the SDK's default (parent-based, else always on) would.
 */
import { type HrTime, type Link, type SpanContext, SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { type InstrumentationScope, millisToHrTime, TraceState } from "@opentelemetry/core";
import { OTLPExporterBase } from "@opentelemetry/otlp-exporter-base";
import { convertLegacyHttpOptions, createOtlpHttpExportDelegate } from "@opentelemetry/otlp-exporter-base/node-http";
import { type ISerializer, JsonTraceSerializer, ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import { type Resource, resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, type ReadableSpan, type TimedEvent } from "@opentelemetry/sdk-trace-base";
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from "@opentelemetry/semantic-conventions";
import { beginTrace, randomSpanId, type TraceStart } from "./ids.js";
import {
  type AttributeValue,
  type EncodableSpan,
  otlpProtobufEncoder,
  SPAN_FLAGS_HAS_IS_REMOTE,
  SPAN_FLAGS_IS_REMOTE,
} from "./otlp-protobuf.js";
import type { Sampler } from "./sampler.js";
import type { TracingSettings } from "./settings.js";

/** A span's attributes: litegate's own names, with string, number or boolean values. */
export type SpanAttributes = Record<string, AttributeValue>;

/** One span under a request's server span. Times are performance.now() values. */
export interface ChildSpan {
  name: string;
  /** An upstream call is a client span; the gateway's own steps are internal. */
  client: boolean;
  startedAt: number;
  endedAt: number;
  /** The id its traceparent carried upstream; a new one when none was sent. */
  spanId?: string | undefined;
  attributes: SpanAttributes;
  /** Set when the step failed: the span's status is then an error with this description. */
  error?: string | undefined;
}

/** A finished request as its trace shows it. */
export interface RequestSpans {
  start: TraceStart;
  /** `POST /v1/chat/completions`: the method and the route (never a raw path with ids). */
  name: string;
  startedAt: number;
  endedAt: number;
  attributes: SpanAttributes;
  /** The request failed on the gateway's or a provider's side (a 5xx): the span's status is an error. */
  error?: string | undefined;
  children: ChildSpan[];
}

const TRACER_NAME = "litegate";
const SAMPLED = 1;
const NO_LINKS: Link[] = [];
const NO_EVENTS: TimedEvent[] = [];

/** What every span of this gateway shares. */
export interface SpanSource {
  resource: Resource;
  scope: InstrumentationScope;
}

/** The `service.name` / `service.version` resource and litegate's instrumentation scope. */
export function spanSource(serviceName: string, version: string): SpanSource {
  return {
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: serviceName, [ATTR_SERVICE_VERSION]: version }),
    scope: { name: TRACER_NAME, version },
  };
}

/**
 * A span already ended: a ReadableSpan for the SDK's processor (and its JSON serializer),
 * and what litegate's protobuf encoder reads. Its HrTimes are made only if something asks.
 */
export class FinishedSpan implements ReadableSpan, EncodableSpan {
  readonly links = NO_LINKS;
  readonly events = NO_EVENTS;
  readonly ended = true;
  readonly droppedAttributesCount = 0;
  readonly droppedEventsCount = 0;
  readonly droppedLinksCount = 0;
  readonly resource: Resource;
  readonly instrumentationScope: InstrumentationScope;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  readonly otlpKind: number;
  readonly statusCode: SpanStatusCode;
  readonly statusMessage: string | undefined;
  readonly flags: number;
  /** The server span's parent: the caller's span, when it sent a traceparent. */
  readonly parentSpanContext?: SpanContext;

  constructor(
    source: SpanSource,
    readonly name: string,
    readonly kind: SpanKind,
    private readonly context: SpanContext,
    parent: SpanContext | undefined,
    readonly traceState: string | undefined,
    readonly startMs: number,
    readonly endMs: number,
    readonly attributes: SpanAttributes,
    error: string | undefined,
  ) {
    if (parent !== undefined) this.parentSpanContext = parent;
    this.resource = source.resource;
    this.instrumentationScope = source.scope;
    this.traceId = context.traceId;
    this.spanId = context.spanId;
    this.parentSpanId = parent?.spanId;
    // The API's kinds start at 0 (internal); OTLP's at 1, 0 being "unspecified".
    this.otlpKind = kind + 1;
    this.statusCode = error === undefined ? SpanStatusCode.UNSET : SpanStatusCode.ERROR;
    this.statusMessage = error;
    this.flags = SAMPLED | SPAN_FLAGS_HAS_IS_REMOTE | (parent?.isRemote === true ? SPAN_FLAGS_IS_REMOTE : 0);
  }

  get status(): { code: SpanStatusCode; message?: string } {
    return this.statusMessage === undefined
      ? { code: this.statusCode }
      : { code: this.statusCode, message: this.statusMessage };
  }

  get startTime(): HrTime {
    return millisToHrTime(this.startMs);
  }

  get endTime(): HrTime {
    return millisToHrTime(this.endMs);
  }

  get duration(): HrTime {
    return millisToHrTime(this.endMs - this.startMs);
  }

  spanContext(): SpanContext {
    return this.context;
  }
}

/**
 * How a batch is written on the wire. Protobuf, the default, by litegate's own encoder
 * (otlp-protobuf.ts: the SDK's serializer cost a quarter of a traced request's CPU); JSON by
 * the SDK's. The collector's answer is read by the SDK's decoders either way.
 */
export function serializerFor(
  protocol: TracingSettings["protocol"],
  source: SpanSource,
): ISerializer<ReadableSpan[], ReturnType<typeof ProtobufTraceSerializer.deserializeResponse>> {
  if (protocol === "http/json") return JsonTraceSerializer;
  const encode = otlpProtobufEncoder({
    resourceAttributes: source.resource.attributes as SpanAttributes,
    scopeName: source.scope.name,
    scopeVersion: source.scope.version ?? "",
  });
  return {
    // Sound: this tracer's processor, the exporter's only source, is given FinishedSpans alone.
    serializeRequest: (spans) => encode(spans as FinishedSpan[]),
    deserializeResponse: ProtobufTraceSerializer.deserializeResponse,
  };
}

export class GatewayTracer {
  private readonly processor: BatchSpanProcessor;
  private readonly source: SpanSource;

  private readonly sampler: Sampler;

  constructor(settings: TracingSettings, version: string) {
    this.sampler = settings.sampler;
    this.source = spanSource(settings.serviceName, version);
    const contentType = settings.protocol === "http/json" ? "application/json" : "application/x-protobuf";
    const exporter = new OTLPExporterBase(
      createOtlpHttpExportDelegate(
        convertLegacyHttpOptions({ url: settings.url, headers: settings.headers }, "TRACES", "v1/traces", {
          "Content-Type": contentType,
        }),
        serializerFor(settings.protocol, this.source),
      ),
    );
    // Unset batch settings are the processor's to read from OTEL_BSP_*.
    this.processor = new BatchSpanProcessor(exporter, settings.batch);
  }

  /** The trace a request starts or continues (its traceparent / tracestate headers). */
  begin(traceparent: unknown, tracestate: unknown): TraceStart {
    return beginTrace(traceparent, tracestate, this.sampler);
  }

  /** Builds a finished request's spans and hands them to the batch processor. */
  record(request: RequestSpans): void {
    // An unsampled trace (the caller's choice) exports nothing: no span is built.
    if (!request.start.sampled) return;
    for (const span of this.spans(request)) this.processor.onEnd(span);
  }

  /** A request's spans, its children first, as exported. */
  spans(request: RequestSpans): FinishedSpan[] {
    const { start } = request;
    // performance.now() times to wall-clock milliseconds, anchored once per request.
    const offset = Date.now() - performance.now();
    const traceState = start.traceState === undefined ? undefined : new TraceState(start.traceState);
    const withState = traceState === undefined ? {} : { traceState };
    // As the SDK's serializers write it: the header normalised.
    const wireState = traceState?.serialize();
    const parent: SpanContext | undefined =
      start.parentSpanId === undefined
        ? undefined
        : { traceId: start.traceId, spanId: start.parentSpanId, traceFlags: SAMPLED, isRemote: true, ...withState };
    const server: SpanContext = { traceId: start.traceId, spanId: start.spanId, traceFlags: SAMPLED, ...withState };
    const spans: FinishedSpan[] = [];
    for (const child of request.children) {
      const context: SpanContext = {
        traceId: start.traceId,
        spanId: child.spanId ?? randomSpanId(),
        traceFlags: SAMPLED,
        ...withState,
      };
      const kind = child.client ? SpanKind.CLIENT : SpanKind.INTERNAL;
      const span = new FinishedSpan(
        this.source,
        child.name,
        kind,
        context,
        server,
        wireState,
        child.startedAt + offset,
        child.endedAt + offset,
        child.attributes,
        child.error,
      );
      spans.push(span);
    }
    spans.push(
      new FinishedSpan(
        this.source,
        request.name,
        SpanKind.SERVER,
        server,
        parent,
        wireState,
        request.startedAt + offset,
        request.endedAt + offset,
        request.attributes,
        request.error,
      ),
    );
    return spans;
  }

  /** Exports every span still waiting, then stops the exporter (at shutdown). */
  async shutdown(): Promise<void> {
    await this.processor.shutdown();
  }
}
