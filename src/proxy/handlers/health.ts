/**
 * Health: /health/liveliness says the process serves; /health/readiness (both without auth,
 * for orchestrators) also what it depends on, in LiteLLM's shape: the database and Redis
 * connections and the callbacks in use, 503 while a configured database does not answer.
 * /health (master key only: it calls every upstream) makes a cheap real call to every
 * deployment and reports which answer — never with a key.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { RequestContext } from "../context.js";
import type { Gateway } from "../gateway.js";
import { packageVersion } from "../../version.js";
import { asAPIError, sendJson } from "../respond.js";

const HEALTH_CHECK_TIMEOUT_SECONDS = 30;

export async function liveliness(
  _gateway: Gateway,
  _req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
): Promise<void> {
  sendJson(res, 200, { status: "healthy" }, ctx.headers());
}

/** How long readiness waits for the database to answer. */
const READINESS_DB_TIMEOUT_MS = 2_000;

export async function readiness(
  gateway: Gateway,
  _req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
): Promise<void> {
  const connections = await gateway.access.connections(READINESS_DB_TIMEOUT_MS);
  const { db } = connections;
  // Redis used by the response cache alone (no shared router state) is still Redis in use.
  const cache = gateway.router.cache;
  const redis =
    connections.redis === "Not connected" && cache?.type === "redis"
      ? (await cache.store.ping()).healthy
        ? "connected"
        : "disconnected"
      : connections.redis;
  // A configured database that does not answer takes this instance out of rotation; none configured is fine.
  const ready = db !== "disconnected";
  sendJson(
    res,
    ready ? 200 : 503,
    {
      status: ready ? "healthy" : "unhealthy",
      db,
      redis,
      // The response cache's type, as LiteLLM names it ("local", "redis"); null without one.
      cache: cache?.type ?? null,
      litellm_version: packageVersion(),
      success_callbacks: gateway.callbacks,
      log_level: gateway.detailedDebug ? "DEBUG" : "INFO",
      is_detailed_debug: gateway.detailedDebug,
    },
    ctx.headers(),
  );
}

export async function health(
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
): Promise<void> {
  await gateway.access.requireAdmin(req);
  const results = await Promise.all(
    gateway.router.deployments.map(async (deployment) => {
      const cooldown = gateway.router.cooldownOf(deployment);
      const endpoint = {
        model: deployment.model,
        model_name: deployment.modelName,
        model_id: deployment.id,
        api_base: deployment.apiBase ?? null,
        ...(cooldown === undefined
          ? {}
          : { cooldown_until: new Date(cooldown.until).toISOString(), cooldown_cause: cooldown.cause }),
      };
      try {
        await gateway.router.ping(deployment, HEALTH_CHECK_TIMEOUT_SECONDS);
        return { healthy: true, endpoint };
      } catch (error) {
        return { healthy: false, endpoint: { ...endpoint, error: asAPIError(error).message } };
      }
    }),
  );
  const healthy = results.filter((r) => r.healthy).map((r) => r.endpoint);
  const unhealthy = results.filter((r) => !r.healthy).map((r) => r.endpoint);
  sendJson(
    res,
    200,
    {
      healthy_endpoints: healthy,
      unhealthy_endpoints: unhealthy,
      healthy_count: healthy.length,
      unhealthy_count: unhealthy.length,
    },
    ctx.headers(),
  );
}
