/**
 * The HTTP server: routes each request to its handler, turns every failure into
 * OpenAI's error JSON, writes one log line per request, and shuts down gracefully
 * (stop accepting, let in-flight requests and streams finish, then close).
 */
import { once } from "node:events";
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerOptions,
  type ServerResponse,
  STATUS_CODES,
} from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { costOf } from "../cost/cost.js";
import { closePools } from "../http/transport.js";
import { Router, type RouterOptions } from "../router/router.js";
import type { Deployment, RequestOverrides } from "../config/index.js";
import type { CompletionUsage } from "../wire/completions.js";
import { APIError, NotFoundError } from "../wire/errors.js";
import { AccessControl } from "../access/access-control.js";
import type { SignInLimiter } from "../access/sign-in-limiter.js";
import type { Outcome } from "../access/spend-ledger.js";
import type { KeyState } from "../state/key-state.js";
import type { ModelChanges } from "../state/model-changes.js";
import { MemoryKeyState } from "../state/memory-key-state.js";
import type { SpendWriterOptions } from "../store/spend-writer.js";
import { MemoryResponseStore } from "../store/memory-responses.js";
import type { Store } from "../store/types.js";
import { GatewayMetrics, type MetricsOptions } from "../metrics/gateway-metrics.js";
import { failureOf } from "../router/trace.js";
import type { TracingSettings } from "../tracing/settings.js";
import type { GatewayTracer } from "../tracing/tracer.js";
import { packageVersion } from "../version.js";
import { RequestContext } from "./context.js";
import { isCompletionRoute } from "./docs/route-docs.js";
import { logFields, requestRecord, spendOutcome } from "./outcome.js";
import { requestSpans, type TraceEnd } from "./traces.js";
import type { Gateway } from "./gateway.js";
import { createLoggers, type Logger } from "./logger.js";
import { DEFAULT_MODEL_REFRESH_SECONDS, ModelCatalog } from "./model-catalog.js";
import { HealthChecks } from "./health-checks.js";
import { asAPIError, sendError } from "./respond.js";
import { matchRoute, routesNear } from "./routes.js";
import type { DestinationStream } from "pino";
import { Counter } from "prom-client";
import { WebhookLogger, type WebhookLoggerOptions } from "./webhook-logger.js";

export interface GatewayOptions {
  /** The deployments to route to, resolved (the config loader's, or deploymentsFromLiteLLM's). */
  deployments: readonly Deployment[];
  masterKey?: string | undefined;
  /** The master key is configured as os.environ/NAME and NAME is unset: refuse every request, naming it. */
  masterKeyMissingVariable?: string | undefined;
  /** `litegate --model X`: every request goes to this model, whatever the client names (LiteLLM's behaviour). */
  userModel?: string | undefined;
  /** `litegate --temperature/--max_tokens`: set on every completion, over the client's value. */
  requestOverrides?: RequestOverrides | undefined;
  /** general_settings.max_request_size_mb; default 10. */
  maxRequestSizeMb?: number | undefined;
  /** Seconds between `: keep-alive` comments while a stream waits for its first token; default 15. */
  keepAliveSeconds?: number | undefined;
  /** LiteLLM's router_settings (strategy, retries, fallbacks, cooldowns, shared state). */
  router?: RouterOptions | undefined;
  detailedDebug?: boolean | undefined;
  /** Where log lines go; stdout by default. */
  logDestination?: DestinationStream | undefined;
  /** Virtual keys, budgets and spend logs (with a master key). The server closes it at shutdown. */
  store?: Store | undefined;
  /** Key rate limits and budget counters; in memory by default, Redis to share them. Closed at shutdown. */
  keyState?: KeyState | undefined;
  /** litellm_settings.include_cost_in_streaming_usage: `usage.cost` on a stream's usage chunk. */
  includeCostInStreamingUsage?: boolean | undefined;
  /** general_settings.allow_requests_on_db_unavailable. */
  allowRequestsOnDbUnavailable?: boolean | undefined;
  /** How long a key lookup is cached; default 5 s. */
  keyCacheTtlMs?: number | undefined;
  /** Spend log batching (tests shorten it). */
  spendWriter?: Omit<SpendWriterOptions, "onWritten" | "logger"> | undefined;
  /** general_settings.request_headers_timeout_seconds: a client's request headers must arrive within this; default 20. */
  requestHeadersTimeoutSeconds?: number | undefined;
  /** general_settings.request_body_timeout_seconds: its whole request, from the first byte, within this; default 120. */
  requestBodyTimeoutSeconds?: number | undefined;
  /** general_settings.keepalive_timeout_seconds (LiteLLM's --keepalive_timeout): idle keep-alive connections close after this; default 620. */
  keepAliveTimeoutSeconds?: number | undefined;
  /** general_settings.store_model_in_db: /model/new|update|delete write to the store, and stored models are loaded. */
  storeModelInDb?: boolean | undefined;
  /** How other instances' model changes are heard at once (Redis); closed at shutdown. */
  modelChanges?: ModelChanges | undefined;
  /** How often stored models are read again; default 10. */
  modelRefreshSeconds?: number | undefined;
  /** Where `os.environ/NAME` in stored models are read; process.env by default. */
  env?: Readonly<Record<string, string | undefined>> | undefined;
  /** Prometheus metrics at /metrics (litellm_settings.callbacks: [prometheus]); off when unset. */
  metrics?: MetricsOptions | undefined;
  /** OpenTelemetry traces exported over OTLP/HTTP (litellm_settings.callbacks: [otel]); off when unset. */
  tracing?: TracingSettings | undefined;
  /** LiteLLM's generic_api callback (GENERIC_LOGGER_ENDPOINT); off when unset. */
  webhook?: WebhookLoggerOptions | undefined;
  /** general_settings.ui_disabled (or DISABLE_ADMIN_UI): no admin UI at /ui. */
  uiDisabled?: boolean | undefined;
  /**
   * general_settings.health_check_interval when background_health_checks is on: every
   * deployment is checked this often and /health answers from the results. Unset: /health checks live.
   */
  healthCheckIntervalSeconds?: number | undefined;
  /** Failed admin UI sign-ins allowed per client address; 10 a minute by default (tests give their own clock). */
  signInLimiter?: SignInLimiter | undefined;
}

/**
 * The client connection timeouts. Node closes a connection whose headers (slowloris) or
 * body have not all arrived in time with a 408, but checks only every
 * `connectionsCheckingInterval` (30 s by default), hence a shorter one. Idle keep-alive
 * connections outlive the load balancers in front (AWS ALB and nginx 60 s, Azure 240 s,
 * Google Cloud 600 s), so that the balancer, never the gateway, closes them: a request
 * sent just as the gateway closed its end would fail.
 */
function connectionTimeouts(options: GatewayOptions): ServerOptions {
  const requestMs = Math.ceil((options.requestBodyTimeoutSeconds ?? 120) * 1000);
  // Node refuses a header timeout above the request timeout, which counts from the same first byte.
  const headersMs = Math.min(Math.ceil((options.requestHeadersTimeoutSeconds ?? 20) * 1000), requestMs);
  return {
    headersTimeout: headersMs,
    requestTimeout: requestMs,
    connectionsCheckingInterval: Math.ceil(Math.min(5_000, headersMs / 2)),
    keepAliveTimeout: Math.ceil((options.keepAliveTimeoutSeconds ?? 620) * 1000),
  };
}

/** Hands a finished request's spans to the tracer, its usage known. */
function recordSpans(
  tracer: GatewayTracer,
  ctx: RequestContext,
  end: TraceEnd,
  usage: CompletionUsage | undefined,
): void {
  const spans = requestSpans(ctx, end, usage);
  if (spans !== undefined) tracer.record(spans);
}

/** The longest part of an unknown path an error or log line shows. */
const MAX_PATH_SHOWN = 200;

/** The path of a URL no route matched, as logs and errors show it: a key mistyped into it is masked, a long one cut. */
function pathOf(url: string): string {
  const mark = url.indexOf("?");
  const path = (mark === -1 ? url : url.slice(0, mark)).replace(/sk-[^/]+/g, "sk-***");
  return path.length > MAX_PATH_SHOWN ? `${path.slice(0, MAX_PATH_SHOWN)}...` : path;
}

/** Node's own answers to what never became a request (malformed HTTP, headers too large, too slow), as OpenAI's error JSON. */
const CLIENT_ERRORS: Record<string, { status: number; message: string }> = {
  HPE_HEADER_OVERFLOW: { status: 431, message: "The request's headers are larger than the gateway accepts." },
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    message: "The request did not arrive in time; send its headers and body without pausing.",
  },
};

function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  // Nothing can be answered on a connection that is gone or already half-answered.
  if (error.code === "ECONNRESET" || !socket.writable) {
    socket.destroy();
    return;
  }
  const known = error.code === undefined ? undefined : CLIENT_ERRORS[error.code];
  const { status, message } = known ?? { status: 400, message: "The request is not valid HTTP." };
  const body = JSON.stringify({ error: { message, type: "invalid_request_error", param: null, code: String(status) } });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

export class GatewayServer {
  readonly server: Server;
  readonly logger: Logger;
  /** Writes a finished request's log line (its fields from logFields). */
  private readonly logRequest: (fields: string) => void;
  private readonly gateway: Gateway;
  private inFlight = 0;
  private readonly webhook: WebhookLogger | undefined;
  private readonly idle: (() => void)[] = [];
  /** Made by listen() when traces are on (options.tracing). */
  private tracer: GatewayTracer | undefined = undefined;
  private readonly tracing: TracingSettings | undefined;

  constructor(options: GatewayOptions) {
    const loggers = createLoggers({ debug: options.detailedDebug === true, destination: options.logDestination });
    this.logger = loggers.log;
    this.logRequest = loggers.request;
    const router = new Router(options.deployments, options.router);
    this.gateway = {
      router,
      models: new ModelCatalog({
        router,
        deployments: options.deployments,
        store: options.store,
        storeModelInDb: options.storeModelInDb === true,
        changes: options.modelChanges,
        refreshSeconds: options.modelRefreshSeconds ?? DEFAULT_MODEL_REFRESH_SECONDS,
        logger: loggers.log,
        env: options.env ?? process.env,
      }),
      health: new HealthChecks({
        target: router,
        intervalSeconds: options.healthCheckIntervalSeconds,
        logger: loggers.log,
      }),
      access: new AccessControl({
        masterKey: options.masterKey,
        masterKeyMissingVariable: options.masterKeyMissingVariable,
        store: options.store,
        keyState: options.keyState ?? new MemoryKeyState(),
        allowOnDbUnavailable: options.allowRequestsOnDbUnavailable,
        cacheTtlMs: options.keyCacheTtlMs,
        spendWriter: { ...options.spendWriter, logger: loggers.log },
        signInLimiter: options.signInLimiter,
      }),
      responses: options.store ?? new MemoryResponseStore(),
      maxBodyBytes: (options.maxRequestSizeMb ?? 10) * 1048576,
      keepAliveMs: (options.keepAliveSeconds ?? 15) * 1000,
      logger: this.logger,
      debugLogger: loggers.debug,
      detailedDebug: options.detailedDebug === true,
      includeCostInStreamingUsage: options.includeCostInStreamingUsage === true,
      userModel: options.userModel,
      requestOverrides: options.requestOverrides,
      metrics:
        options.metrics === undefined
          ? undefined
          : new GatewayMetrics(
              options.metrics,
              () => this.inFlight,
              (model) => router.configuredModel(model),
            ),
      callbacks: [
        ...(options.metrics === undefined ? [] : ["prometheus"]),
        ...(options.tracing === undefined ? [] : ["otel"]),
        ...(options.webhook === undefined ? [] : ["generic_api"]),
      ],
      logMessages: options.webhook?.logMessages === true,
      uiDisabled: options.uiDisabled === true,
      startedAt: Math.floor(Date.now() / 1000),
    };
    this.tracing = options.tracing;
    this.webhook = options.webhook === undefined ? undefined : this.webhookLogger(options.webhook);
    this.server = createServer(connectionTimeouts(options), (req, res) => void this.handle(req, res));
    this.server.on("clientError", answerClientError);
  }

  private webhookLogger(options: WebhookLoggerOptions): WebhookLogger {
    const registry = this.gateway.metrics?.registry;
    const dropped =
      registry === undefined
        ? undefined
        : new Counter({
            name: "litegate_generic_api_dropped_logs_total",
            help: "generic_api payloads dropped: the queue was full while the endpoint failed, or shutdown came first",
            registers: [registry],
          });
    return new WebhookLogger(options, {
      warn: (fields, message) => this.logger.warn(fields, message),
      callCost: (model, usage) => {
        const price = this.gateway.router.priceOf(model);
        return price === undefined ? 0 : costOf(usage, price);
      },
      dropped: dropped === undefined ? undefined : (count) => dropped.inc(count),
    });
  }

  get router(): Router {
    return this.gateway.router;
  }

  get access(): AccessControl {
    return this.gateway.access;
  }

  get models(): ModelCatalog {
    return this.gateway.models;
  }

  /**
   * Starts the tracer (when traces are on), loads the models stored in the database
   * (store_model_in_db), starts the background health checks (when on), then accepts connections.
   */
  async listen(port: number, host: string): Promise<AddressInfo> {
    if (this.tracing !== undefined) {
      // The OTLP exporter's modules load only when traces are on: a gateway without them starts
      // some 100 ms sooner and holds some 4 MB less heap.
      const { GatewayTracer } = await import("../tracing/tracer.js");
      this.tracer = new GatewayTracer(this.tracing, packageVersion(), (message) => this.logger.warn(message));
    }
    await this.gateway.models.start();
    this.gateway.health.start();
    this.server.listen(port, host);
    await once(this.server, "listening");
    return this.server.address() as AddressInfo;
  }

  /**
   * Stops accepting connections, waits up to `graceMs` for in-flight requests and
   * streams to finish, then closes whatever is left.
   */
  async shutdown(graceMs: number): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    if (this.inFlight > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => this.idle.push(resolve)),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, graceMs);
        }),
      ]);
      clearTimeout(timer);
    }
    this.server.closeAllConnections();
    await closed;
    // No health check starts again; one under way is cancelled rather than waited for.
    await this.gateway.health.stop();
    await this.gateway.models.close();
    // Every finished request's spend record is buffered by now: write them all before exit.
    await this.gateway.access.close();
    await this.webhook?.close(graceMs);
    await this.gateway.router.close();
    await closePools();
    // The last requests' spans, still in the batch, go out before exit (bounded by OTEL_BSP_EXPORT_TIMEOUT).
    await this.tracer
      ?.shutdown()
      .catch((error: unknown) =>
        this.logger.warn(`traces not exported at shutdown: ${error instanceof Error ? error.message : String(error)}`),
      );
    await new Promise<void>((resolve) => this.logger.flush(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const match = matchRoute(req.method ?? "GET", req.url ?? "/");
    // Never the query string: /key/info?key=sk-... carries a key, and log lines name the route.
    const ctx = new RequestContext(req, match.kind === "not_found" ? pathOf(req.url ?? "/") : match.route);
    if (this.tracer !== undefined) ctx.tracing = this.tracer.begin(req.headers.traceparent, req.headers.tracestate);
    this.inFlight += 1;
    res.once("close", () => {
      try {
        this.finished(req, res, ctx, match.kind !== "not_found");
      } catch (error) {
        // A fault in what observes a finished request (metrics, logs, traces) must not end the process.
        this.logger.error({ request_id: ctx.id, err: error }, "finished request not recorded");
      } finally {
        this.inFlight -= 1;
        if (this.inFlight === 0) for (const wake of this.idle.splice(0)) wake();
      }
    });
    try {
      if (match.kind === "not_found") {
        throw new NotFoundError(`No route ${req.method} ${ctx.route}. ${routesNear(ctx.route)}`, {
          code: "route_not_found",
        });
      }
      if (match.kind === "method_not_allowed") {
        res.setHeader("allow", match.allowed.join(", "));
        throw new APIError(`${req.method} is not allowed on ${ctx.route}; use ${match.allowed.join(" or ")}.`, {
          status: 405,
          type: "invalid_request_error",
          code: "method_not_allowed",
        });
      }
      await match.handler(this.gateway, req, res, ctx, match.param);
    } catch (error) {
      const apiError = asAPIError(error);
      ctx.failure = failureOf(apiError);
      if (!(error instanceof APIError)) this.logger.error({ request_id: ctx.id, err: error }, "unexpected failure");
      if (res.headersSent) {
        res.destroy();
        return;
      }
      // A body we refused to read must not be parsed as the next request.
      if (apiError.status === 413) res.setHeader("connection", "close");
      sendError(res, apiError, ctx.headers());
    }
  }

  private finished(req: IncomingMessage, res: ServerResponse, ctx: RequestContext, routed: boolean): void {
    const status = ctx.streamError ?? (res.writableFinished ? res.statusCode : 499);
    const endedAt = performance.now();
    ctx.ended = true;
    const outcome = spendOutcome(ctx, status);
    const access = this.gateway.access;
    let spend: TraceEnd["spend"];
    if (ctx.ticket !== undefined) {
      access.finish(ctx.ticket, outcome);
      if (ctx.tracing !== undefined) spend = { startedAt: endedAt, endedAt: performance.now() };
    } else {
      // The client left while its key was being admitted: the hold it is about to get is released here.
      ctx.admitting?.then(
        (ticket) => access.finish(ticket, outcome),
        () => undefined,
      );
    }
    const completion = isCompletionRoute(req.method, ctx.route);
    if (completion) {
      this.gateway.metrics?.record(requestRecord(ctx, status, outcome));
      this.webhook?.record(ctx, status, outcome);
    }
    if (this.tracer !== undefined) {
      const end = { method: req.method ?? "GET", routed, status, endedAt, model: completion, spend };
      this.trace(ctx, end, outcome.usage);
    }
    const usage = outcome.usage;
    const duration = endedAt - ctx.started;
    const upstream = ctx.trace?.upstreamMs ?? 0;
    if (!(usage instanceof Promise)) {
      this.logRequest(logFields(req, ctx, status, usage, duration, upstream));
      return;
    }
    // Tokens counted here (a stream without the provider's usage, a client gone mid-answer): the
    // line carries what its spend record is charged, once counted.
    usage
      .then(
        (counted) => this.logRequest(logFields(req, ctx, status, counted, duration, upstream)),
        () => this.logRequest(logFields(req, ctx, status, undefined, duration, upstream)),
      )
      .catch((error: unknown) => this.logger.error({ request_id: ctx.id, err: error }, "request not logged"));
  }

  /** Hands a finished request's spans to the tracer, once a stream's counted usage is known. */
  private trace(ctx: RequestContext, end: TraceEnd, usage: Outcome["usage"]): void {
    const tracer = this.tracer;
    // An unsampled trace (OTEL_TRACES_SAMPLER, or the caller's traceparent) exports nothing: its spans are not built.
    if (tracer === undefined || ctx.tracing?.sampled !== true) return;
    if (!(usage instanceof Promise)) {
      // No closure for the common case: a closure made per request is also compiled lazily at its first call.
      recordSpans(tracer, ctx, end, usage);
      return;
    }
    usage
      .then(
        (known) => recordSpans(tracer, ctx, end, known),
        () => recordSpans(tracer, ctx, end, undefined),
      )
      .catch((error: unknown) => this.logger.warn(`trace not recorded: ${String(error)}`));
  }
}
