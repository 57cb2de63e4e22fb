/**
 * OpenTelemetry traces of finished requests. Spans are made once a request has ended, from
 * what it recorded (its start, its RouteTrace's attempts with their times), with explicit
 * start and end times and the ids its `traceparent` headers already carried: the request
 * path itself creates no span and waits on nothing. A finished request's spans go into the
 * open batch of a SpanQueue (OTEL_BSP_* settings), exported over OTLP/HTTP off the request
 * path by the SDK's exporter (over undici to a plain-http collector, otlp-transport.ts; else
 * through the SDK's own HTTP sending and retries); shutdown flushes it.
 *
 * Protobuf, the default, is encoded by litegate as requests end, a few at a time
 * (otlp-protobuf.ts): no SDK span object is made, and a request's spans are kept only until
 * they are encoded (the SDK's Tracer, BatchSpanProcessor and serializer cost several times
 * more per request). JSON goes through the SDK's serializer, from ReadableSpans
 * made here (FinishedSpan), complete when made, with litegate's own bounded attributes.
 * Sampling is OTEL_TRACES_SAMPLER's (sampler.ts; by default parent-based, else always on, as
 * the SDK's), decided when a request starts.
 */
import { type HrTime, type Link, type SpanContext, SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { type InstrumentationScope, millisToHrTime, TraceState } from "@opentelemetry/core";
import { createOtlpNetworkExportDelegate, OTLPExporterBase } from "@opentelemetry/otlp-exporter-base";
import { convertLegacyHttpOptions, createOtlpHttpExportDelegate } from "@opentelemetry/otlp-exporter-base/node-http";
import { JsonTraceSerializer, ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import { type Resource, resourceFromAttributes } from "@opentelemetry/resources";
import type { ReadableSpan, TimedEvent } from "@opentelemetry/sdk-trace-base";
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from "@opentelemetry/semantic-conventions";
import { type AttributeValue, SpanAttributes } from "./attributes.js";
import { beginTrace, type IdBytes, type KnownText, randomSpanId, type TraceStart } from "./ids.js";
import { BatchBuffers, encodeSource, ProtobufSpanBatch, wallClockOffset, wireTraceState } from "./otlp-protobuf.js";
import { collectorTransport } from "./otlp-transport.js";
import type { Sampler } from "./sampler.js";
import type { TracingSettings } from "./settings.js";
import { DEFAULT_BATCH_SETTINGS, type SpanBatch, SpanQueue } from "./span-queue.js";

/** One span under a request's server span. Times are performance.now() values. */
export interface ChildSpan {
  name: string;
  /** An upstream call is a client span; the gateway's own steps are internal. */
  client: boolean;
  startedAt: number;
  endedAt: number;
  /** The id its traceparent carried upstream; undefined when none was sent (a new one is made). */
  spanId: string | undefined;
  /** Where that id's bytes are (it was made by ids.ts): the encoder copies them instead of decoding the hex. */
  spanIdBytes?: IdBytes | undefined;
  attributes: SpanAttributes;
  /** Set when the step failed: the span's status is then an error with this description. */
  error: string | undefined;
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
  error: string | undefined;
  children: ChildSpan[];
  /** Its id, when the gateway made it: an attribute value whose bytes the encoder copies. */
  knownText?: KnownText | undefined;
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

/** A span already ended: a ReadableSpan for the SDK's JSON serializer. Its HrTimes are made only if it asks. */
export class FinishedSpan implements ReadableSpan {
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
  readonly statusCode: SpanStatusCode;
  readonly statusMessage: string | undefined;
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
    readonly attributes: Record<string, AttributeValue>,
    error: string | undefined,
  ) {
    if (parent !== undefined) this.parentSpanContext = parent;
    this.resource = source.resource;
    this.instrumentationScope = source.scope;
    this.traceId = context.traceId;
    this.spanId = context.spanId;
    this.parentSpanId = parent?.spanId;
    this.statusCode = error === undefined ? SpanStatusCode.UNSET : SpanStatusCode.ERROR;
    this.statusMessage = error;
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

/** A batch for the SDK's JSON serializer: the spans kept as ReadableSpans until it is sent. */
class JsonSpanBatch implements SpanBatch<RequestSpans> {
  private readonly list: FinishedSpan[] = [];

  constructor(private readonly tracer: GatewayTracer) {}

  get spans(): number {
    return this.list.length;
  }

  add(request: RequestSpans): void {
    this.list.push(...this.tracer.spans(request));
  }

  bytes(): Uint8Array {
    // The serializer returns undefined only for what it cannot read; these are its own ReadableSpans.
    return JsonTraceSerializer.serializeRequest(this.list) ?? new Uint8Array();
  }

  /** Nothing to keep: its serialized body is the serializer's. */
  release(): void {}
}

export class GatewayTracer {
  private readonly queue: SpanQueue<RequestSpans>;
  private readonly source: SpanSource;
  private readonly sampler: Sampler;

  /** `warn` is told of dropped spans and refused batches (counts, never a header). */
  constructor(settings: TracingSettings, version: string, warn: (message: string) => void = () => undefined) {
    this.sampler = settings.sampler;
    this.source = spanSource(settings.serviceName, version);
    const json = settings.protocol === "http/json";
    const options = convertLegacyHttpOptions({ url: settings.url, headers: settings.headers }, "TRACES", "v1/traces", {
      "Content-Type": json ? "application/json" : "application/x-protobuf",
    });
    // Batches arrive as their bytes; the collector's answer, in the protocol's encoding, is read by the SDK's decoder.
    const decode = (json ? JsonTraceSerializer : ProtobufTraceSerializer).deserializeResponse;
    const serializer = {
      serializeRequest: (body: Uint8Array) => body,
      deserializeResponse: (answer: Uint8Array) => {
        const response = decode(answer);
        // The SDK only tells its diagnostic logger, which litegate does not install. In OTLP/JSON the count is a string.
        const rejected = Number(response.partialSuccess?.rejectedSpans ?? 0);
        if (rejected > 0) this.queue.rejectedByCollector(rejected, response.partialSuccess?.errorMessage);
        return response;
      },
    };
    const transport = collectorTransport(options, `litegate/${version}`);
    const exporter = new OTLPExporterBase(
      transport === undefined
        ? createOtlpHttpExportDelegate(options, serializer)
        : createOtlpNetworkExportDelegate(options, serializer, transport),
    );
    const encoded = encodeSource({
      resourceAttributes: SpanAttributes.of(this.source.resource.attributes as Record<string, AttributeValue>),
      scopeName: this.source.scope.name,
      scopeVersion: this.source.scope.version ?? "",
    });
    const buffers = new BatchBuffers();
    const newBatch = json ? () => new JsonSpanBatch(this) : () => new ProtobufSpanBatch(encoded, buffers);
    this.queue = new SpanQueue<RequestSpans>(
      newBatch,
      exporter,
      { ...DEFAULT_BATCH_SETTINGS, ...settings.batch },
      warn,
    );
  }

  /** The trace a request starts or continues (its traceparent / tracestate headers). */
  begin(traceparent: unknown, tracestate: unknown): TraceStart {
    return beginTrace(traceparent, tracestate, this.sampler);
  }

  /** Queues a finished, sampled request's spans for export (an unsampled one's are never built: see the proxy's server). */
  record(request: RequestSpans): void {
    this.queue.add(request, request.children.length + 1);
  }

  /** A request's spans, its children first, as exported; `offset` anchors its times (by default now). */
  spans(request: RequestSpans, offset: number = wallClockOffset()): FinishedSpan[] {
    const { start } = request;
    const traceState = start.traceState === undefined ? undefined : new TraceState(start.traceState);
    const withState = traceState === undefined ? {} : { traceState };
    const wireState = wireTraceState(start.traceState);
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
        child.attributes.toRecord(),
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
        request.attributes.toRecord(),
        request.error,
      ),
    );
    return spans;
  }

  /** Exports every span still waiting, then stops the exporter (at shutdown). */
  async shutdown(): Promise<void> {
    await this.queue.shutdown();
  }
}
