/**
 * One request while the gateway serves it: who asked for what, and its RouteTrace once it
 * is routed. Handlers write what they decide (the model asked for, a stream begun, the
 * admission); routing writes only the trace. The answer's headers, its log line and its
 * spend record are all read from here, in outcome.ts.
 */
import type { IncomingMessage } from "node:http";
import type { Principal, Ticket } from "../access/grant.js";
import type { AttemptFailure, RouteTrace } from "../router/trace.js";
import { type KnownText, newRequestId, type TraceStart } from "../tracing/ids.js";
import type { CompletionUsage } from "../wire/completions.js";
import { responseHeaders } from "./outcome.js";
import { NO_LABELS, type RequestLabels } from "./request-labels.js";
import type { Headers } from "./respond.js";

/**
 * A request's prompt and answer for the generic_api logger. A stream's answer is read from its
 * gathered chunks when the payload is built, with the usage the request settled on (a stream
 * without include_usage carries none of its own).
 */
export interface LoggedExchange {
  input: unknown;
  output: unknown;
  gathered?: { answer(usage: CompletionUsage | undefined): unknown } | undefined;
}

const SAFE_ID = /^[\w.:-]{1,128}$/;

export class RequestContext {
  /** The request id (x-request-id): the client's own when it sent one, else the call id. */
  readonly id: string;
  /**
   * The call id (x-litellm-call-id), always made here, so unique: the spend record's key, so a
   * response's header finds its spend log. With it, where its text's bytes are: the span
   * encoder copies them.
   */
  readonly callId: KnownText = newRequestId();
  readonly started = performance.now();
  /** Who sent the request, once its key is checked. */
  principal: Principal | undefined;
  /** The end user the body names (`user`), cut to a bounded length. */
  endUser: string | undefined;
  /** Why the request failed, when it did: what metrics report. */
  failure: AttemptFailure | undefined;
  /** The model the client named (cut to a bounded length). */
  model: string | undefined;
  /** What routing did; set once the request reaches the Router. */
  trace: RouteTrace | undefined;
  stream = false;
  /** A stream came back from the provider: from here on its tokens may be billed. */
  streamOpened = false;
  /** The status of an error sent as a stream's final event (the HTTP status was already 200). */
  streamError: number | undefined;
  /** Set once a completion is admitted: its end releases the key's hold and records spend. */
  ticket: Ticket | undefined;
  /** The admission while it waits on shared state (Redis): settled by whoever ends last. */
  admitting: Promise<Ticket> | undefined;
  /** The response has closed (finished, or the client left). */
  ended = false;
  /** The key's x-ratelimit-* headers, set at admission. */
  rateHeaders: Headers | undefined;
  /** The completion's tags and metadata, for its spend record and log line. */
  labels: RequestLabels = NO_LABELS;
  /** The request's trace, when tracing is on. */
  tracing: TraceStart | undefined;
  /** performance.now() when the key was checked, when admission began and when it admitted: the trace's steps. */
  authenticatedAt: number | undefined;
  admissionStartedAt: number | undefined;
  admittedAt: number | undefined;
  /** The prompt and the answer, kept only when the generic_api logger sends them (turn_off_message_logging: false). */
  logged: LoggedExchange | undefined;
  /** The body's temperature and token limit, read only when the request is traced (its spans show them). */
  requestParams: { temperature: number | undefined; maxTokens: number | undefined } | undefined;

  constructor(
    req: IncomingMessage,
    readonly route: string,
  ) {
    // A client's own request id is kept, so its logs and ours line up.
    const given = req.headers["x-request-id"];
    this.id = typeof given === "string" && SAFE_ID.test(given) ? given : this.callId.text;
  }

  elapsedMs(): number {
    return performance.now() - this.started;
  }

  /** LiteLLM's response headers, as far as they are known now. */
  headers(): Headers {
    return responseHeaders(this);
  }
}
