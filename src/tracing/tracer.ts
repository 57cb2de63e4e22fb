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
import {
  type Attributes,
  type HrTime,
  type Link,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
} from "@opentelemetry/api";
import { hrTimeDuration, type InstrumentationScope, millisToHrTime, TraceState } from "@opentelemetry/core";
import { OTLPTraceExporter as JsonExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPTraceExporter as ProtobufExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { type Resource, resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, type ReadableSpan, type TimedEvent } from "@opentelemetry/sdk-trace-base";
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from "@opentelemetry/semantic-conventions";
import { beginTrace, randomSpanId, type TraceStart } from "./ids.js";
import type { TracingSettings } from "./settings.js";

/** One span under a request's server span. Times are performance.now() values. */
export interface ChildSpan {
  name: string;
  /** An upstream call is a client span; the gateway's own steps are internal. */
  client: boolean;
  startedAt: number;
  endedAt: number;
  /** The id its traceparent carried upstream; a new one when none was sent. */
  spanId?: string | undefined;
  attributes: Attributes;
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
  attributes: Attributes;
  /** The request failed on the gateway's or a provider's side (a 5xx): the span's status is an error. */
  error?: string | undefined;
  children: ChildSpan[];
}

const TRACER_NAME = "litegate";
const SAMPLED = 1;
const NO_LINKS: Link[] = [];
const NO_EVENTS: TimedEvent[] = [];

/** What every span of this gateway shares. */
interface SpanSource {
  resource: Resource;
  scope: InstrumentationScope;
}

/** A span already ended, as the exporters read it. */
class FinishedSpan implements ReadableSpan {
  readonly links = NO_LINKS;
  readonly events = NO_EVENTS;
  readonly ended = true;
  readonly droppedAttributesCount = 0;
  readonly droppedEventsCount = 0;
  readonly droppedLinksCount = 0;
  readonly duration: HrTime;
  readonly resource: Resource;
  readonly instrumentationScope: InstrumentationScope;
  readonly status: { code: SpanStatusCode; message?: string };
  /** The server span's parent: the caller's span, when it sent a traceparent. */
  readonly parentSpanContext?: SpanContext;

  constructor(
    source: SpanSource,
    readonly name: string,
    readonly kind: SpanKind,
    private readonly context: SpanContext,
    parent: SpanContext | undefined,
    readonly startTime: HrTime,
    readonly endTime: HrTime,
    readonly attributes: Attributes,
    error: string | undefined,
  ) {
    if (parent !== undefined) this.parentSpanContext = parent;
    this.duration = hrTimeDuration(startTime, endTime);
    this.resource = source.resource;
    this.instrumentationScope = source.scope;
    this.status = error === undefined ? { code: SpanStatusCode.UNSET } : { code: SpanStatusCode.ERROR, message: error };
  }

  spanContext(): SpanContext {
    return this.context;
  }
}

export class GatewayTracer {
  private readonly processor: BatchSpanProcessor;
  private readonly source: SpanSource;

  constructor(settings: TracingSettings, version: string) {
    const Exporter = settings.protocol === "http/json" ? JsonExporter : ProtobufExporter;
    const exporter = new Exporter({ url: settings.url, headers: settings.headers });
    // Unset batch settings are the processor's to read from OTEL_BSP_*.
    this.processor = new BatchSpanProcessor(exporter, settings.batch);
    this.source = {
      resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: settings.serviceName, [ATTR_SERVICE_VERSION]: version }),
      scope: { name: TRACER_NAME, version },
    };
  }

  /** The trace a request starts or continues (its traceparent / tracestate headers). */
  begin(traceparent: unknown, tracestate: unknown): TraceStart {
    return beginTrace(traceparent, tracestate);
  }

  /** Builds a finished request's spans and hands them to the batch processor. */
  record(request: RequestSpans): void {
    const { start } = request;
    // An unsampled trace (the caller's choice) exports nothing: no span is built.
    if (!start.sampled) return;
    // performance.now() times to wall-clock milliseconds, anchored once per request.
    const offset = Date.now() - performance.now();
    const time = (at: number): HrTime => millisToHrTime(at + offset);
    const traceState = start.traceState === undefined ? undefined : new TraceState(start.traceState);
    const withState = traceState === undefined ? {} : { traceState };
    const parent: SpanContext | undefined =
      start.parentSpanId === undefined
        ? undefined
        : { traceId: start.traceId, spanId: start.parentSpanId, traceFlags: SAMPLED, isRemote: true, ...withState };
    const server: SpanContext = { traceId: start.traceId, spanId: start.spanId, traceFlags: SAMPLED, ...withState };
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
        time(child.startedAt),
        time(child.endedAt),
        child.attributes,
        child.error,
      );
      this.processor.onEnd(span);
    }
    this.processor.onEnd(
      new FinishedSpan(
        this.source,
        request.name,
        SpanKind.SERVER,
        server,
        parent,
        time(request.startedAt),
        time(request.endedAt),
        request.attributes,
        request.error,
      ),
    );
  }

  /** Exports every span still waiting, then stops the exporter (at shutdown). */
  async shutdown(): Promise<void> {
    await this.processor.shutdown();
  }
}
