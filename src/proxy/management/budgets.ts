/**
 * LiteLLM's budget table (master key only): /budget/new, /budget/info (POST, `{budgets: [...]}`),
 * /budget/update, /budget/delete (`{id}`) and /budget/list. A budget holds a max_budget and a
 * budget_duration that customers reference by `budget_id`; each customer spends against it on
 * its own. Every change drops the cached end users, so it applies to their next request.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { BudgetPatch, BudgetRecord, JsonObject, Store } from "../../store/types.js";
import { NotFoundError } from "../../wire/errors.js";
import { clip } from "../../wire/validate.js";
import type { RequestContext } from "../context.js";
import type { Gateway } from "../gateway.js";
import { sendJson } from "../respond.js";
import {
  budgetDeleteBody,
  budgetInfoBody,
  type BudgetSettings,
  newBudgetBody,
  readBody,
  updateBudgetBody,
} from "./bodies.js";
import { created } from "./conflict.js";
import { queryOf } from "./query.js";
import { budgetView } from "./views.js";

export function noSuchBudget(budgetId: string, param = "budget_id"): NotFoundError {
  return new NotFoundError(`No budget '${clip(budgetId)}' exists on this gateway; create one with POST /budget/new.`, {
    param,
    code: "budget_not_found",
  });
}

/** The budget columns a body sets (only those it has). */
export function budgetSettings(input: BudgetSettings): BudgetPatch {
  const patch: BudgetPatch = {};
  for (const name of ["max_budget", "soft_budget", "max_parallel_requests", "tpm_limit", "rpm_limit"] as const) {
    const value = input[name];
    if (value !== undefined) patch[name] = value;
  }
  if (input.budget_duration !== undefined) patch.budget_duration = input.budget_duration;
  // zod checked it is JSON; its inferred type is only wider than JsonObject.
  if (input.model_max_budget !== undefined) patch.model_max_budget = input.model_max_budget as JsonObject | null;
  return patch;
}

export async function existingBudget(store: Store, budgetId: string, param = "budget_id"): Promise<BudgetRecord> {
  const budget = await store.getBudget(budgetId);
  if (budget === undefined) throw noSuchBudget(budgetId, param);
  return budget;
}

export async function newBudget(
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
): Promise<void> {
  const store = await gateway.access.requireKeyManagement(req, ctx);
  const input = await readBody(gateway, req, newBudgetBody, "/budget/new");
  const budget = await created(
    store.createBudget({ ...budgetSettings(input), budget_id: input.budget_id ?? randomUUID() }),
  );
  sendJson(res, 200, budgetView(budget), ctx.headers());
}

export async function updateBudget(
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
): Promise<void> {
  const store = await gateway.access.requireKeyManagement(req, ctx);
  const input = await readBody(gateway, req, updateBudgetBody, "/budget/update");
  const budget = await store.updateBudget(input.budget_id, budgetSettings(input));
  // Customers on this budget are bound by it from their next request.
  gateway.access.invalidateAll();
  if (budget === undefined) throw noSuchBudget(input.budget_id);
  sendJson(res, 200, budgetView(budget), ctx.headers());
}

/** POST /budget/info: the budgets named in `budgets` that exist (an array, as LiteLLM's). */
export async function budgetInfo(
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
): Promise<void> {
  const store = await gateway.access.requireKeyManagement(req, ctx);
  const input = await readBody(gateway, req, budgetInfoBody, "/budget/info");
  const found: ReturnType<typeof budgetView>[] = [];
  for (const budgetId of new Set(input.budgets)) {
    const budget = await store.getBudget(budgetId);
    if (budget !== undefined) found.push(budgetView(budget));
  }
  sendJson(res, 200, found, ctx.headers());
}

/** POST /budget/delete: `{id}`; the answer is the deleted budget. Customers on it keep their spend and lose the budget. */
export async function deleteBudget(
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
): Promise<void> {
  const store = await gateway.access.requireKeyManagement(req, ctx);
  const input = await readBody(gateway, req, budgetDeleteBody, "/budget/delete");
  const budget = await existingBudget(store, input.id, "id");
  await store.deleteBudget(input.id);
  gateway.access.invalidateAll();
  sendJson(res, 200, budgetView(budget), ctx.headers());
}

/** Budgets per page read while listing: /budget/list answers every budget, as LiteLLM's does. */
const LIST_PAGE = 500;

export async function listBudgets(
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
): Promise<void> {
  const store = await gateway.access.requireKeyManagement(req, ctx);
  queryOf(req, "/budget/list", []);
  const budgets: ReturnType<typeof budgetView>[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listBudgets({ limit: LIST_PAGE, cursor });
    budgets.push(...page.data.map(budgetView));
    cursor = page.next_cursor ?? undefined;
  } while (cursor !== undefined);
  sendJson(res, 200, budgets, ctx.headers());
}
