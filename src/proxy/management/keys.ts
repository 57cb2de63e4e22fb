/**
 * The virtual key routes (master key only): generate, info, update, delete, list,
 * regenerate, block and unblock. A key's plaintext is in the answer of generate and
 * regenerate only; the store keeps its SHA-256. Every change drops the key's cached
 * lookup, so it applies to the next request on this instance (others within the cache TTL).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { addDuration } from "../../access/duration.js";
import { generateKeyToken, hashKey, keyHashOf, keyName } from "../../access/key-token.js";
import type { KeyPatch, KeyRecord, Store } from "../../store/types.js";
import { BadRequestError, NotFoundError, PermissionDeniedError } from "../../wire/errors.js";
import { clip } from "../../wire/validate.js";
import type { RequestContext } from "../context.js";
import type { Gateway } from "../gateway.js";
import { sendJson } from "../respond.js";
import { budgetFields } from "./budget-fields.js";
import { deleteKeysBody, generateKeyBody, type GenerateKeyBody, keyBody, readBody, updateKeyBody } from "./bodies.js";
import { pageOf, queryOf, requiredParam } from "./query.js";
import { keyView } from "./views.js";

function noSuchKey(key: string): NotFoundError {
  return new NotFoundError(
    `No key '${key.startsWith("sk-") ? keyName(key) : clip(key)}' exists on this gateway; GET /key/list lists them.`,
    {
      param: "key",
      code: "key_not_found",
    },
  );
}

async function existingKey(store: Store, key: string): Promise<KeyRecord> {
  const record = await store.getKey(keyHashOf(key));
  if (record === undefined) throw noSuchKey(key);
  return record;
}

async function assertTeamExists(store: Store, teamId: string | null | undefined): Promise<void> {
  if (teamId === null || teamId === undefined) return;
  if ((await store.getTeam(teamId)) === undefined) {
    throw new BadRequestError(`Team '${teamId}' does not exist; create it with POST /team/new first.`, {
      param: "team_id",
      code: "team_not_found",
    });
  }
}

/** The settings both generate and update take, as store fields (only those the body has). */
function settings(input: Omit<GenerateKeyBody, "blocked">, now: number, route: string): KeyPatch {
  if (input.duration != null && input.expires != null) {
    throw new BadRequestError(`${route} takes 'duration' or 'expires', not both.`, {
      param: "expires",
      code: "invalid_value",
    });
  }
  const patch: KeyPatch = budgetFields(input, now);
  if (input.rpm_limit !== undefined) patch.rpm_limit = input.rpm_limit;
  if (input.tpm_limit !== undefined) patch.tpm_limit = input.tpm_limit;
  if (input.max_parallel_requests !== undefined) patch.max_parallel_requests = input.max_parallel_requests;
  if (input.duration !== undefined)
    patch.expires_at = input.duration === null ? null : addDuration(now, input.duration);
  if (input.expires !== undefined) patch.expires_at = input.expires === null ? null : Date.parse(input.expires);
  if (input.key_alias !== undefined) patch.key_alias = input.key_alias;
  if (input.user_id !== undefined) patch.user_id = input.user_id;
  if (input.team_id !== undefined) patch.team_id = input.team_id;
  return patch;
}

/** A new key for `fields`: its plaintext (shown once) and its record. */
export async function createKey(store: Store, fields: KeyPatch): Promise<{ key: string; record: KeyRecord }> {
  const key = generateKeyToken();
  const record = await store.createKey({ ...fields, token_hash: hashKey(key), key_name: keyName(key) });
  return { key, record };
}

export async function generateKey(
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
): Promise<void> {
  const store = await gateway.access.requireKeyManagement(req, ctx);
  const input = await readBody(gateway, req, generateKeyBody, "/key/generate");
  await assertTeamExists(store, input.team_id);
  const fields = settings(input, Date.now(), "/key/generate");
  if (input.blocked !== undefined) fields.blocked = input.blocked;
  const { key, record } = await createKey(store, fields);
  sendJson(res, 200, { key, ...keyView(record) }, ctx.headers());
}

export async function keyInfo(
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
): Promise<void> {
  const { store, principal } = await gateway.access.requireStoreAccess(req, ctx);
  const query = queryOf(req, "/key/info", ["key"]);
  // Spend this instance has counted but not yet written belongs in the answer.
  await gateway.access.flushSpend(2_000);
  if (principal.kind !== "key") {
    const record = await existingKey(store, requiredParam(query, "key", "/key/info"));
    sendJson(res, 200, { key: record.token_hash, info: keyView(record) }, ctx.headers());
    return;
  }
  // A virtual key describes itself without a parameter, and may ask about its user's other keys
  // (LiteLLM's rule); anything else is refused alike, whether the key exists or not.
  const { grant } = principal;
  const asked = query.get("key");
  const record = await store.getKey(asked === null || asked === "" ? grant.hash : keyHashOf(asked));
  const own =
    record !== undefined &&
    (record.token_hash === grant.hash || (record.user_id !== null && record.user_id === grant.key.user_id));
  if (record === undefined || !own) {
    throw new PermissionDeniedError(
      "A virtual key may only ask /key/info about itself or its own user's keys; call it without 'key', or with the master key.",
      { param: "key", code: "not_own_key" },
    );
  }
  sendJson(res, 200, { key: record.token_hash, info: keyView(record) }, ctx.headers());
}

export async function updateKey(
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
): Promise<void> {
  const store = await gateway.access.requireKeyManagement(req, ctx);
  const input = await readBody(gateway, req, updateKeyBody, "/key/update");
  const current = await existingKey(store, input.key);
  await assertTeamExists(store, input.team_id);
  const patch = settings(input, Date.now(), "/key/update");
  if (input.blocked !== undefined) patch.blocked = input.blocked;
  const updated = await store.updateKey(current.token_hash, patch);
  gateway.access.invalidateKey(current.token_hash);
  if (updated === undefined) throw noSuchKey(input.key);
  sendJson(res, 200, keyView(updated), ctx.headers());
}

export async function deleteKeys(
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
): Promise<void> {
  const store = await gateway.access.requireKeyManagement(req, ctx);
  const input = await readBody(gateway, req, deleteKeysBody, "/key/delete");
  // All or nothing: a list with one unknown key deletes none, so the caller can fix and resend it.
  const records = await Promise.all(input.keys.map((key) => existingKey(store, key)));
  for (const record of records) {
    await store.deleteKey(record.token_hash);
    gateway.access.invalidateKey(record.token_hash);
  }
  sendJson(res, 200, { deleted_keys: input.keys }, ctx.headers());
}

export async function listKeys(
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
): Promise<void> {
  const store = await gateway.access.requireKeyManagement(req, ctx);
  const query = queryOf(req, "/key/list", [
    "page",
    "size",
    "user_id",
    "team_id",
    "key_alias",
    "search",
    "return_full_object",
  ]);
  const { page, size, offset } = pageOf(query);
  const search = query.get("search")?.trim();
  const found = await store.listKeys({
    limit: size,
    offset,
    user_id: query.get("user_id") ?? undefined,
    team_id: query.get("team_id") ?? undefined,
    key_alias: query.get("key_alias") ?? undefined,
    alias_contains: search === undefined || search === "" ? undefined : search.slice(0, 256),
  });
  const full = query.get("return_full_object") === "true";
  sendJson(
    res,
    200,
    {
      keys: found.data.map((record) => (full ? keyView(record) : record.token_hash)),
      current_page: page,
      size,
      has_more: found.next_cursor !== null,
    },
    ctx.headers(),
  );
}

export async function regenerateKey(
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
  pathKey: string | undefined,
): Promise<void> {
  const store = await gateway.access.requireKeyManagement(req, ctx);
  const given = pathKey ?? (await readBody(gateway, req, keyBody, "/key/regenerate")).key;
  const current = await existingKey(store, given);
  // So the answer shows the spend this instance has counted so far.
  await gateway.access.flushSpend(2_000);
  const key = generateKeyToken();
  const updated = await store.updateKey(current.token_hash, {
    token_hash: hashKey(key),
    key_name: keyName(key),
    // Requests still running under the old key record their spend after this: it must land here.
    previous_token_hash: current.token_hash,
  });
  gateway.access.invalidateKey(current.token_hash);
  if (updated === undefined) throw noSuchKey(given);
  sendJson(res, 200, { key, ...keyView(updated) }, ctx.headers());
}

function setBlocked(blocked: boolean) {
  const route = blocked ? "/key/block" : "/key/unblock";
  return async (gateway: Gateway, req: IncomingMessage, res: ServerResponse, ctx: RequestContext): Promise<void> => {
    const store = await gateway.access.requireKeyManagement(req, ctx);
    const input = await readBody(gateway, req, keyBody, route);
    const current = await existingKey(store, input.key);
    const updated = await store.updateKey(current.token_hash, { blocked });
    gateway.access.invalidateKey(current.token_hash);
    if (updated === undefined) throw noSuchKey(input.key);
    sendJson(res, 200, keyView(updated), ctx.headers());
  };
}

export const blockKey = setBlocked(true);
export const unblockKey = setBlocked(false);
