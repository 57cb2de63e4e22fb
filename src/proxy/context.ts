/** What the gateway knows about one request while serving it, for its headers and its log line. */
import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { costOf, formatCostHeader } from "../cost/cost.js";
import type { Ticket } from "../access/grant.js";
import type { Deployment } from "../config/index.js";
import type { RouteObserver } from "../router/router.js";
import type { CompletionUsage } from "../wire/completions.js";
import type { Headers } from "./respond.js";
import type { StreamOutputs } from "./stream-outputs.js";

const SAFE_ID = /^[\w.:-]{1,128}$/;

export class RequestContext implements RouteObserver {
  readonly id: string;
  readonly started = performance.now();
  model: string | undefined;
  chosen: Deployment | undefined;
  upstreamMs = 0;
  usage: CompletionUsage | undefined;
  stream = false;
  retries = 0;
  fallbacks = 0;
  /** The status of an error sent as a stream's final event (the HTTP status was already 200). */
  streamError: number | undefined;
  /** Set once a completion is admitted: its end releases the key's hold and records spend. */
  ticket: Ticket | undefined;
  /** The admission while it waits on shared state (Redis): settled by whoever ends last. */
  admitting: Promise<Ticket> | undefined;
  /** The response has closed (finished, or the client left). */
  ended = false;
  /** A stream came back from the provider: from here on its tokens may be billed. */
  streamOpened = false;
  /** The key's x-ratelimit-* headers, set at admission. */
  rateHeaders: Headers | undefined;
  /** The request and what it has generated so far, to count its tokens when the provider reports none. */
  outputs: StreamOutputs | undefined;

  constructor(
    req: IncomingMessage,
    readonly route: string,
  ) {
    // A client's own request id is kept, so its logs and ours line up.
    const given = req.headers["x-request-id"];
    this.id = typeof given === "string" && SAFE_ID.test(given) ? given : randomUUID();
  }

  deployment(deployment: Deployment): void {
    this.chosen = deployment;
  }

  attempts(retries: number, fallbacks: number): void {
    this.retries = retries;
    this.fallbacks = fallbacks;
  }

  upstreamTime(ms: number): void {
    this.upstreamMs += ms;
  }

  /** USD for this request's usage on the deployment that answered; undefined while either is unknown. */
  cost(): number | undefined {
    if (this.chosen === undefined || this.usage === undefined) return undefined;
    return this.costOf(this.usage);
  }

  /** USD for `usage` on the deployment that answered (0 when none did or its price is unknown). */
  costOf(usage: CompletionUsage): number {
    const price = this.chosen?.price;
    return price === undefined ? 0 : costOf(usage, price);
  }

  elapsedMs(): number {
    return performance.now() - this.started;
  }

  /** LiteLLM's response headers, as far as they are known now. */
  headers(): Headers {
    const elapsed = this.elapsedMs();
    const headers: Headers = {
      "x-request-id": this.id,
      "x-litellm-call-id": this.id,
      "x-litellm-response-duration-ms": elapsed.toFixed(3),
      "x-litellm-overhead-duration-ms": Math.max(0, elapsed - this.upstreamMs).toFixed(3),
    };
    if (this.rateHeaders !== undefined) Object.assign(headers, this.rateHeaders);
    if (this.chosen !== undefined) {
      headers["x-litellm-attempted-retries"] = String(this.retries);
      headers["x-litellm-attempted-fallbacks"] = String(this.fallbacks);
      headers["x-litellm-model-id"] = this.chosen.id;
      if (this.chosen.apiBase !== undefined) headers["x-litellm-model-api-base"] = this.chosen.apiBase;
      const cost = this.cost();
      if (cost !== undefined) headers["x-litellm-response-cost"] = formatCostHeader(cost);
    }
    return headers;
  }
}
