/** What every route handler may use: the router, access control, the limits, the log. */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Router } from "../router/router.js";
import type { AccessControl } from "../access/access-control.js";
import type { RequestContext } from "./context.js";
import type { Logger } from "./logger.js";
import type { ModelCatalog } from "./model-catalog.js";
import type { RequestOverrides } from "../config/index.js";
import type { GatewayMetrics } from "../metrics/gateway-metrics.js";
import type { ResponseStore } from "../store/memory-responses.js";
import type { HealthChecks } from "./health-checks.js";

export interface Gateway {
  router: Router;
  /** The deployments: config.yaml's and those stored through /model/new; it alone replaces the router's. */
  models: ModelCatalog;
  /** Every deployment's latest health check, and the background loop when it is on. */
  health: HealthChecks;
  /** Credentials, key limits, budgets and spend records. */
  access: AccessControl;
  /** Responses API conversations (store: true): the database's, else this process's memory. */
  responses: ResponseStore;
  maxBodyBytes: number;
  /** How often `: keep-alive` is sent while a stream waits for its first token. */
  keepAliveMs: number;
  logger: Logger;
  /** Where --detailed_debug bodies go, redacted. */
  debugLogger: Logger;
  detailedDebug: boolean;
  /** Add `cost` to a stream's usage chunk (its headers left before the cost was known). */
  includeCostInStreamingUsage: boolean;
  /** Set by `litegate --model X`: the model every completion goes to. */
  userModel: string | undefined;
  /** Set by `litegate --temperature/--max_tokens`: params every completion gets, over the client's. */
  requestOverrides: RequestOverrides | undefined;
  /** Prometheus metrics, when litellm_settings.callbacks has `prometheus`. */
  metrics: GatewayMetrics | undefined;
  /** The LiteLLM callbacks in use (prometheus, otel), as /health/readiness names them. */
  callbacks: readonly string[];
  /** The generic_api logger sends prompts and answers: handlers keep them on the request (ctx.logged). */
  logMessages: boolean;
  /** general_settings.ui_disabled / DISABLE_ADMIN_UI: /ui answers 404. */
  uiDisabled: boolean;
  /** Unix seconds the gateway started; the `created` of /v1/models entries. */
  startedAt: number;
}

/** A route handler; `param` is the path's variable part (a model name) when the route has one. */
export type Handler = (
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
  param: string | undefined,
) => Promise<void>;
