/**
 * The fields keys, users and teams share (allowlist, budget, metadata) as store fields:
 * only those the body has, and a new `budget_duration` starts its first window now.
 */
import { addDuration } from "../../access/duration.js";
import type { JsonObject } from "../../store/types.js";

export interface BudgetInput {
  models?: string[] | undefined;
  max_budget?: number | null | undefined;
  budget_duration?: string | null | undefined;
  metadata?: Record<string, unknown> | undefined;
}

export interface BudgetFields {
  models?: string[];
  max_budget?: number | null;
  budget_duration?: string | null;
  budget_reset_at?: number | null;
  metadata?: JsonObject;
}

export function budgetFields(input: BudgetInput, now: number): BudgetFields {
  const fields: BudgetFields = {};
  if (input.models !== undefined) fields.models = input.models;
  if (input.max_budget !== undefined) fields.max_budget = input.max_budget;
  if (input.budget_duration !== undefined) {
    fields.budget_duration = input.budget_duration;
    fields.budget_reset_at = input.budget_duration === null ? null : addDuration(now, input.budget_duration);
  }
  // zod checked it is JSON; its inferred type is only wider than JsonObject.
  if (input.metadata !== undefined) fields.metadata = input.metadata as JsonObject;
  return fields;
}
