/**
 * /user/new, /user/update and /user/info (master key only). A user has its own budget and
 * allowlist, which bind every key of theirs. As in LiteLLM, /user/new also generates a key
 * for the user unless `auto_create_key` is false.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { NotFoundError } from "../../wire/errors.js";
import { clip } from "../../wire/validate.js";
import { readJsonBody } from "../body.js";
import type { RequestContext } from "../context.js";
import type { Gateway } from "../gateway.js";
import { sendJson } from "../respond.js";
import { newUserBody, parseBody, updateUserBody } from "./bodies.js";
import { budgetFields } from "./budget-fields.js";
import { created } from "./conflict.js";
import { createKey } from "./keys.js";
import { queryOf, requiredParam } from "./query.js";
import { keyView, userView } from "./views.js";

/** Keys listed with a user or team: enough for any real owner, bounded for the answer's size. */
export const OWNED_KEYS_SHOWN = 1000;

function noSuchUser(userId: string): NotFoundError {
  return new NotFoundError(`No user '${clip(userId)}' exists on this gateway; create one with POST /user/new.`, {
    param: "user_id",
    code: "user_not_found",
  });
}

export async function newUser(
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
): Promise<void> {
  const store = await gateway.access.requireKeyManagement(req);
  const input = parseBody(newUserBody, await readJsonBody(req, gateway.maxBodyBytes), "/user/new");
  const user = await created(
    store.createUser({ ...budgetFields(input, Date.now()), user_id: input.user_id ?? randomUUID() }),
  );
  // Budgets and allowlists of a user bind their keys: cached lookups may hold an older user.
  gateway.access.invalidateAll();
  if (input.auto_create_key === false) {
    sendJson(res, 200, userView(user), ctx.headers());
    return;
  }
  const { key, record } = await createKey(store, { user_id: user.user_id });
  sendJson(res, 200, { ...userView(user), key, token: record.token_hash, key_name: record.key_name }, ctx.headers());
}

export async function updateUser(
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
): Promise<void> {
  const store = await gateway.access.requireKeyManagement(req);
  const input = parseBody(updateUserBody, await readJsonBody(req, gateway.maxBodyBytes), "/user/update");
  const user = await store.updateUser(input.user_id, budgetFields(input, Date.now()));
  gateway.access.invalidateAll();
  if (user === undefined) throw noSuchUser(input.user_id);
  sendJson(res, 200, userView(user), ctx.headers());
}

export async function userInfo(
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
): Promise<void> {
  const store = await gateway.access.requireKeyManagement(req);
  const userId = requiredParam(queryOf(req, "/user/info", ["user_id"]), "user_id", "/user/info");
  await gateway.access.flushSpend(2_000);
  const user = await store.getUser(userId);
  if (user === undefined) throw noSuchUser(userId);
  const keys = await store.listKeys({ limit: OWNED_KEYS_SHOWN, user_id: userId });
  sendJson(res, 200, { user_id: userId, user_info: userView(user), keys: keys.data.map(keyView) }, ctx.headers());
}
