/**
 * GET /metrics: the Prometheus exposition, when litellm_settings.callbacks has `prometheus`.
 * It needs the master key unless require_auth_for_metrics_endpoint is false: its labels name
 * keys, teams, users and what each spends.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { NotFoundError, ServiceUnavailableError } from "../../wire/errors.js";
import type { RequestContext } from "../context.js";
import type { Gateway } from "../gateway.js";

export async function metrics(
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
): Promise<void> {
  const registry = gateway.metrics;
  if (registry === undefined) {
    throw new NotFoundError(
      "Metrics are off: add `prometheus` to litellm_settings.callbacks in config.yaml and restart the gateway.",
      { code: "metrics_disabled" },
    );
  }
  if (registry.options.requireAuth) await gateway.access.requireAdmin(req, ctx);
  const text = await registry.scrape().catch((error: unknown) => {
    throw new ServiceUnavailableError(
      `The workers' metrics could not be gathered: ${error instanceof Error ? error.message : String(error)}.`,
      { code: "metrics_unavailable" },
    );
  });
  const headers = ctx.headers();
  headers["content-type"] = registry.contentType;
  headers["content-length"] = String(Buffer.byteLength(text));
  res.writeHead(200, headers);
  res.end(text);
}
