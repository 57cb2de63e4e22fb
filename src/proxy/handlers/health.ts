/**
 * Health: /health/liveliness says the process serves; /health/readiness (both without auth,
 * for orchestrators) also what it depends on, in LiteLLM's shape: the database and Redis
 * connections and the callbacks in use, 503 while a configured database does not answer.
 * /health (master key only: it calls every upstream) makes a cheap real call to every
 * deployment and reports which answer — never with a key; /health/latest shows the last
 * check of each (health-checks.ts keeps them) and the cooldowns now.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { RequestContext } from "../context.js";
import type { Gateway } from "../gateway.js";
import { packageVersion } from "../../version.js";
import type { CooldownCause } from "../../state/router-state.js";
import type { HealthCheck, HealthCheckRecord } from "../health-checks.js";
import { sendJson } from "../respond.js";
import type { Deployment } from "../../config/index.js";
import { NotFoundError } from "../../wire/errors.js";
import { clip } from "../../wire/validate.js";
import { queryOf } from "../management/query.js";

export async function liveliness(
  _gateway: Gateway,
  _req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
): Promise<void> {
  // LiteLLM's body, a JSON string: probes written for it look for "alive".
  sendJson(res, 200, "I'm alive!", ctx.headers());
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

/** A check as /health lists it: LiteLLM's endpoint fields, the deployment's cooldown now, never a key. */
function endpointOf(gateway: Gateway, { deployment, record }: HealthCheck) {
  const cooldown = gateway.router.cooldownOf(deployment);
  return {
    model: deployment.model,
    model_name: deployment.modelName,
    model_id: deployment.id,
    api_base: deployment.apiBase ?? null,
    ...(cooldown === undefined
      ? {}
      : { cooldown_until: new Date(cooldown.until).toISOString(), cooldown_cause: cooldown.cause }),
    ...(record.error_message === null ? {} : { error: record.error_message }),
  };
}

/**
 * The deployments `?model_id=` (one deployment) or `?model=` (a model group's) name, as ids;
 * undefined when neither is given. A name no deployment has is a 404 naming the parameter.
 */
function targeted(gateway: Gateway, req: IncomingMessage): ReadonlySet<string> | undefined {
  const query = queryOf(req, "/health", ["model", "model_id"]);
  const modelId = query.get("model_id");
  const model = query.get("model");
  if (modelId === null && model === null) return undefined;
  const [param, wanted, matches] =
    modelId !== null
      ? ["model_id", modelId, (d: Deployment) => d.id === modelId]
      : ["model", model ?? "", (d: Deployment) => d.modelName === model];
  const ids = new Set(gateway.router.deployments.filter(matches).map((deployment) => deployment.id));
  if (ids.size === 0) {
    throw new NotFoundError(
      `/health: no deployment has ${param} '${clip(wanted)}'; GET /model/info lists the model groups and their model ids.`,
      { param, code: "model_not_found" },
    );
  }
  return ids;
}

/**
 * Every deployment's health (or, with ?model= / ?model_id=, those named): checked now, or with
 * background_health_checks the background runs' latest (waiting for the first), calling no
 * upstream, as LiteLLM's health_endpoint. A targeted check where none is healthy answers 503,
 * as LiteLLM's does, so a monitor can read the status alone.
 */
export async function health(
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
): Promise<void> {
  await gateway.access.requireAdmin(req, ctx);
  const only = targeted(gateway, req);
  const checks = gateway.health;
  let results: readonly HealthCheck[];
  if (checks.background) {
    await checks.settled();
    results = checks.latest().filter((check) => only === undefined || only.has(check.deployment.id));
  } else results = await checks.run(null, only);
  const healthy = results.filter((r) => r.record.status === "healthy").map((r) => endpointOf(gateway, r));
  const unhealthy = results.filter((r) => r.record.status === "unhealthy").map((r) => endpointOf(gateway, r));
  sendJson(
    res,
    only !== undefined && healthy.length === 0 ? 503 : 200,
    {
      healthy_endpoints: healthy,
      unhealthy_endpoints: unhealthy,
      healthy_count: healthy.length,
      unhealthy_count: unhealthy.length,
    },
    ctx.headers(),
  );
}

/**
 * LiteLLM's /health/latest: each deployment's latest check by model id (from memory, not a
 * database), and `cooldowns`, the deployments cooling down now by model id, so a page needs
 * no check of its own to show either. Master key only, like /health.
 */
export async function healthLatest(
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
): Promise<void> {
  await gateway.access.requireAdmin(req, ctx);
  const latest: Record<string, HealthCheckRecord> = {};
  for (const { record } of gateway.health.latest()) latest[record.model_id] = record;
  const cooldowns: Record<string, { model_name: string; until: string; cause: CooldownCause }> = {};
  for (const deployment of gateway.router.deployments) {
    const cooldown = gateway.router.cooldownOf(deployment);
    if (cooldown === undefined) continue;
    cooldowns[deployment.id] = {
      model_name: deployment.modelName,
      until: new Date(cooldown.until).toISOString(),
      cause: cooldown.cause,
    };
  }
  sendJson(
    res,
    200,
    { latest_health_checks: latest, total_models: Object.keys(latest).length, cooldowns },
    ctx.headers(),
  );
}
