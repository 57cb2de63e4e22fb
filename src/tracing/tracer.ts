/**
 * OpenTelemetry traces of finished requests. Spans are built once a request has ended, from
 * what it recorded (its start, its RouteTrace's attempts with their times), with explicit
 * start and end times and the ids its `traceparent` headers already carried: the request
 * path itself creates no span and waits on nothing. A BatchSpanProcessor exports them in
 * batches over OTLP/HTTP (protobuf or JSON), off the request path; shutdown flushes it.
 */
import { type Attributes, type Context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { TraceState } from "@opentelemetry/core";
import { OTLPTraceExporter as JsonExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPTraceExporter as ProtobufExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  type IdGenerator,
  ParentBasedSampler,
} from "@opentelemetry/sdk-trace-base";
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from "@opentelemetry/semantic-conventions";
import { beginTrace, randomSpanId, randomTraceId, type TraceStart } from "./ids.js";
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

/**
 * Ids the next span gets, when set: the tracer asks its generator for them while it builds
 * the span, synchronously, so a value set just before startSpan is the one used.
 */
class PresetIds implements IdGenerator {
  traceId: string | undefined;
  spanId: string | undefined;

  generateTraceId(): string {
    const id = this.traceId ?? randomTraceId();
    this.traceId = undefined;
    return id;
  }

  generateSpanId(): string {
    const id = this.spanId ?? randomSpanId();
    this.spanId = undefined;
    return id;
  }
}

const TRACER_NAME = "litegate";

export class GatewayTracer {
  private readonly provider: BasicTracerProvider;
  private readonly tracer;
  private readonly ids = new PresetIds();

  constructor(settings: TracingSettings, version: string) {
    const Exporter = settings.protocol === "http/json" ? JsonExporter : ProtobufExporter;
    const exporter = new Exporter({ url: settings.url, headers: settings.headers });
    this.provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: settings.serviceName, [ATTR_SERVICE_VERSION]: version }),
      idGenerator: this.ids,
      // The caller's sampling decision (traceparent's flag) holds; a trace litegate starts is recorded.
      sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
      spanProcessors: [new BatchSpanProcessor(exporter, settings.batch)],
    });
    this.tracer = this.provider.getTracer(TRACER_NAME, version);
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
    const parent: Context =
      start.parentSpanId === undefined
        ? ROOT_CONTEXT
        : trace.setSpanContext(ROOT_CONTEXT, {
            traceId: start.traceId,
            spanId: start.parentSpanId,
            traceFlags: 1,
            isRemote: true,
            ...(start.traceState === undefined ? {} : { traceState: new TraceState(start.traceState) }),
          });
    this.ids.traceId = start.traceId;
    this.ids.spanId = start.spanId;
    const server = this.tracer.startSpan(
      request.name,
      { kind: SpanKind.SERVER, startTime: request.startedAt + offset, attributes: request.attributes },
      parent,
    );
    if (request.error !== undefined) server.setStatus({ code: SpanStatusCode.ERROR, message: request.error });
    const inServer = trace.setSpan(ROOT_CONTEXT, server);
    for (const child of request.children) {
      this.ids.spanId = child.spanId;
      const span = this.tracer.startSpan(
        child.name,
        {
          kind: child.client ? SpanKind.CLIENT : SpanKind.INTERNAL,
          startTime: child.startedAt + offset,
          attributes: child.attributes,
        },
        inServer,
      );
      if (child.error !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: child.error });
      span.end(child.endedAt + offset);
    }
    server.end(request.endedAt + offset);
  }

  /** Exports every span still waiting, then stops the exporter (at shutdown). */
  async shutdown(): Promise<void> {
    await this.provider.shutdown();
  }
}
