/**
 * LiteLLM's cache routes, for the master key: GET /cache/ping (is the response cache up, and of
 * which type), POST /cache/delete (`{"keys": [...]}`: the keys `x-litellm-cache-key` named) and
 * POST /cache/flushall (every entry this gateway's cache holds). Without a cache configured
 * each answers 503 saying how to turn it on, as LiteLLM does.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ResponseCache } from "../../cache/response-cache.js";
import { BadRequestError, ServiceUnavailableError } from "../../wire/errors.js";
import { assertObject } from "../../wire/validate.js";
import { readJsonBody } from "../body.js";
import type { RequestContext } from "../context.js";
import type { Gateway } from "../gateway.js";
import { sendJson } from "../respond.js";

/** The most keys one /cache/delete takes: one Redis command each batch, and a bounded body. */
const MAX_KEYS = 1000;

async function adminCache(gateway: Gateway, req: IncomingMessage, ctx: RequestContext): Promise<ResponseCache> {
  await gateway.access.requireAdmin(req, ctx);
  const cache = gateway.router.cache;
  if (cache === undefined) {
    throw new ServiceUnavailableError(
      "The response cache is off: set litellm_settings.cache: true (and cache_params) in config.yaml and restart the gateway.",
      { code: "cache_not_initialized" },
    );
  }
  return cache;
}

/** A Redis command that failed while Redis is away: 503, with no Redis detail beyond that. */
function unavailable(error: unknown): never {
  throw new ServiceUnavailableError(
    `The response cache did not answer: ${error instanceof Error ? error.message : String(error)}.`,
    { code: "cache_unavailable" },
  );
}

export async function cachePing(gateway: Gateway, req: IncomingMessage, res: ServerResponse, ctx: RequestContext) {
  const cache = await adminCache(gateway, req, ctx);
  const ping = await cache.ping();
  if (!ping.healthy) {
    throw new ServiceUnavailableError(`The ${cache.type} response cache is unhealthy: ${ping.error ?? "no answer"}.`, {
      code: "cache_unhealthy",
    });
  }
  sendJson(
    res,
    200,
    { status: "healthy", cache_type: cache.type, ping_response: true, namespace: cache.settings.namespace ?? null },
    ctx.headers(),
  );
}

export async function cacheDelete(gateway: Gateway, req: IncomingMessage, res: ServerResponse, ctx: RequestContext) {
  const cache = await adminCache(gateway, req, ctx);
  const body = await readJsonBody(req, gateway.maxBodyBytes);
  assertObject(body);
  const { keys } = body;
  if (
    !Array.isArray(keys) ||
    keys.length === 0 ||
    keys.length > MAX_KEYS ||
    !keys.every((key): key is string => typeof key === "string" && key !== "")
  ) {
    throw new BadRequestError(
      `'keys' must be a list of 1 to ${MAX_KEYS} cache keys (strings, as the x-litellm-cache-key header gives them).`,
      { param: "keys", code: "invalid_value" },
    );
  }
  const deleted = await cache.delete(keys).catch(unavailable);
  sendJson(res, 200, { status: "success", deleted }, ctx.headers());
}

export async function cacheFlushAll(gateway: Gateway, req: IncomingMessage, res: ServerResponse, ctx: RequestContext) {
  const cache = await adminCache(gateway, req, ctx);
  await cache.flush().catch(unavailable);
  sendJson(res, 200, { status: "success" }, ctx.headers());
}
