/**
 * LiteLLM's end users, which its routes call customers (master key only): /customer/new,
 * /customer/info (GET `?end_user_id=`), /customer/update, /customer/delete (`{user_ids}`),
 * /customer/block and /customer/unblock (`{user_ids}`), /customer/list. A completion whose
 * body's `user` names a customer is refused while it is blocked or its budget is spent, and
 * its spend is added to the customer's (a customer row is created by the first request that
 * names it, as LiteLLM's end-user table fills itself). The budget lives in a budget row: given
 * `max_budget` (or `budget_duration`, ...) a customer gets a budget of its own, or it names a
 * shared one by `budget_id`. Every change drops the cached end users.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { addDuration } from "../../access/duration.js";
import type { BudgetRecord, CustomerPatch, CustomerRecord, JsonObject, Store } from "../../store/types.js";
import { BadRequestError, NotFoundError } from "../../wire/errors.js";
import { clip } from "../../wire/validate.js";
import type { RequestContext } from "../context.js";
import type { Gateway } from "../gateway.js";
import { sendJson } from "../respond.js";
import { newCustomerBody, readBody, updateCustomerBody, userIdsBody } from "./bodies.js";
import { budgetSettings, existingBudget } from "./budgets.js";
import { alreadyExists, created } from "./conflict.js";
import { queryOf, requiredParam } from "./query.js";
import { customerView } from "./views.js";

type CustomerInput = ReturnType<typeof newCustomerBody.parse>;

function noSuchCustomers(ids: readonly string[], param: string): NotFoundError {
  return new NotFoundError(
    `No end user ${ids.map((id) => `'${clip(id)}'`).join(", ")} exists on this gateway; create one with POST /customer/new.`,
    { param, code: "end_user_not_found" },
  );
}

async function viewOf(store: Store, customer: CustomerRecord) {
  const budget = customer.budget_id === null ? undefined : await store.getBudget(customer.budget_id);
  return customerView(customer, budget);
}

/** The customer columns a body sets besides its budget (only those it has). */
function customerFields(input: CustomerInput): CustomerPatch {
  const patch: CustomerPatch = {};
  if (input.alias !== undefined) patch.alias = input.alias;
  if (input.blocked !== undefined) patch.blocked = input.blocked;
  if (input.allowed_model_region !== undefined) patch.allowed_model_region = input.allowed_model_region;
  if (input.default_model !== undefined) patch.default_model = input.default_model;
  // zod checked it is JSON; its inferred type is only wider than JsonObject.
  if (input.metadata !== undefined) patch.metadata = input.metadata as JsonObject;
  return patch;
}

/**
 * The budget a body gives the customer: the one it names by `budget_id` (it must exist), else
 * its own current one updated with the body's budget fields, else a new one holding them.
 * Undefined when the body says nothing about a budget.
 */
async function budgetFor(
  store: Store,
  input: CustomerInput,
  current: CustomerRecord | undefined,
): Promise<BudgetRecord | null | undefined> {
  if (input.budget_id != null && input.max_budget != null) {
    // LiteLLM's rule: a customer's max_budget lives in its budget row, so the two would disagree.
    throw new BadRequestError("Set either 'max_budget' or 'budget_id', not both.", {
      param: "budget_id",
      code: "invalid_value",
    });
  }
  if (input.budget_id === null) return null;
  if (input.budget_id !== undefined) return existingBudget(store, input.budget_id);
  const settings = budgetSettings(input);
  if (Object.keys(settings).length === 0) return undefined;
  if (current?.budget_id != null) {
    const updated = await store.updateBudget(current.budget_id, settings);
    if (updated !== undefined) return updated;
  }
  return store.createBudget({ ...settings, budget_id: randomUUID() });
}

/** A new budget window starts now when the customer's budget changes its duration. */
function windowOf(budget: BudgetRecord | null | undefined, now: number): CustomerPatch {
  if (budget === undefined) return {};
  const duration = budget?.budget_duration ?? null;
  return {
    budget_id: budget?.budget_id ?? null,
    budget_reset_at: duration === null ? null : addDuration(now, duration),
  };
}

export async function newCustomer(
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
): Promise<void> {
  const store = await gateway.access.requireKeyManagement(req, ctx);
  const input = await readBody(gateway, req, newCustomerBody, "/customer/new");
  // Checked before its budget row is made: a taken id must leave nothing behind.
  if ((await store.getCustomer(input.user_id)) !== undefined) throw alreadyExists("customer", input.user_id);
  const budget = await budgetFor(store, input, undefined);
  const customer = await created(
    store.createCustomer({ ...customerFields(input), ...windowOf(budget, Date.now()), user_id: input.user_id }),
  );
  gateway.access.invalidateAll();
  sendJson(res, 200, await viewOf(store, customer), ctx.headers());
}

export async function updateCustomer(
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
): Promise<void> {
  const store = await gateway.access.requireKeyManagement(req, ctx);
  const input = await readBody(gateway, req, updateCustomerBody, "/customer/update");
  const current = await store.getCustomer(input.user_id);
  if (current === undefined) throw noSuchCustomers([input.user_id], "user_id");
  const budget = await budgetFor(store, input, current);
  const customer = await store.updateCustomer(input.user_id, {
    ...customerFields(input),
    ...windowOf(budget, Date.now()),
  });
  gateway.access.invalidateAll();
  if (customer === undefined) throw noSuchCustomers([input.user_id], "user_id");
  sendJson(res, 200, await viewOf(store, customer), ctx.headers());
}

export async function customerInfo(
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
): Promise<void> {
  const store = await gateway.access.requireKeyManagement(req, ctx);
  const id = requiredParam(queryOf(req, "/customer/info", ["end_user_id"]), "end_user_id", "/customer/info");
  await gateway.access.flushSpend(2_000);
  const customer = await store.getCustomer(id);
  if (customer === undefined) throw noSuchCustomers([id], "end_user_id");
  sendJson(res, 200, await viewOf(store, customer), ctx.headers());
}

/** POST /customer/delete: all or nothing; LiteLLM's answer, with the ids as Python prints a list. */
export async function deleteCustomers(
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
): Promise<void> {
  const store = await gateway.access.requireKeyManagement(req, ctx);
  const input = await readBody(gateway, req, userIdsBody, "/customer/delete");
  const missing: string[] = [];
  for (const id of input.user_ids) if ((await store.getCustomer(id)) === undefined) missing.push(id);
  if (missing.length > 0) throw noSuchCustomers(missing, "user_ids");
  let deleted = 0;
  for (const id of new Set(input.user_ids)) if (await store.deleteCustomer(id)) deleted += 1;
  gateway.access.invalidateAll();
  const listed = `[${input.user_ids.map((id) => `'${id}'`).join(", ")}]`;
  sendJson(
    res,
    200,
    { deleted_customers: deleted, message: `Successfully deleted customers with ids: ${listed}` },
    ctx.headers(),
  );
}

/** /customer/block and /customer/unblock: `{user_ids}`; an end user not seen yet gets a row (LiteLLM's upsert). */
function setBlocked(blocked: boolean) {
  const route = blocked ? "/customer/block" : "/customer/unblock";
  return async (gateway: Gateway, req: IncomingMessage, res: ServerResponse, ctx: RequestContext): Promise<void> => {
    const store = await gateway.access.requireKeyManagement(req, ctx);
    const input = await readBody(gateway, req, userIdsBody, route);
    const views: ReturnType<typeof customerView>[] = [];
    for (const id of new Set(input.user_ids)) {
      const customer =
        (await store.updateCustomer(id, { blocked })) ??
        (await created(store.createCustomer({ user_id: id, blocked })));
      views.push(await viewOf(store, customer));
    }
    // The end users are refused (or served again) from their next request.
    gateway.access.invalidateAll();
    sendJson(res, 200, blocked ? { blocked_users: views } : { unblocked_users: views }, ctx.headers());
  };
}

export const blockCustomers = setBlocked(true);
export const unblockCustomers = setBlocked(false);

/** Customers per page read while listing: /customer/list answers every customer, as LiteLLM's does. */
const LIST_PAGE = 500;

export async function listCustomers(
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
): Promise<void> {
  const store = await gateway.access.requireKeyManagement(req, ctx);
  queryOf(req, "/customer/list", []);
  await gateway.access.flushSpend(2_000);
  const customers: ReturnType<typeof customerView>[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listCustomers({ limit: LIST_PAGE, cursor });
    for (const customer of page.data) customers.push(await viewOf(store, customer));
    cursor = page.next_cursor ?? undefined;
  } while (cursor !== undefined);
  sendJson(res, 200, customers, ctx.headers());
}
