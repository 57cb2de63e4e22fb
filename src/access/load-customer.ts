/**
 * Reads an end user (a request's `user`) from the store as one more budget owner: its spend
 * and budget window are its own, its max_budget and budget_duration come from the budget row
 * it references (LiteLLM's customer and budget tables). Read like a key's grant: the owner's
 * `flushed` counter first, then the row, and a window that has ended starts again at zero.
 */
import type { KeyState } from "../state/key-state.js";
import type { BudgetRecord, CustomerRecord, Store } from "../store/types.js";
import type { CustomerGrant } from "./grant.js";
import { ownerId } from "./grant.js";
import { type Budgeted, current, flushedOf, owner } from "./load-grant.js";

type CustomerBudget = Budgeted & { customer: CustomerRecord };

function withBudget(customer: CustomerRecord, budget: BudgetRecord | undefined): CustomerBudget {
  return {
    customer,
    spend: customer.spend,
    max_budget: budget?.max_budget ?? null,
    budget_duration: budget?.budget_duration ?? null,
    budget_reset_at: customer.budget_reset_at,
  };
}

export async function loadCustomer(
  store: Store,
  state: KeyState,
  id: string,
  now: number,
): Promise<CustomerGrant | undefined> {
  const counter = ownerId("customer", id);
  const [flushed = 0] = await flushedOf(state, [counter]);
  const found = await store.getCustomer(id);
  if (found === undefined) return undefined;
  const budget = found.budget_id === null ? undefined : await store.getBudget(found.budget_id);
  const read = async (): Promise<CustomerBudget | undefined> => {
    const again = await store.getCustomer(id);
    return again === undefined ? undefined : withBudget(again, budget);
  };
  const windowed = await current(withBudget(found, budget), now, {
    update: async (patch) => {
      if (patch.budget_reset_at !== undefined)
        await store.updateCustomer(id, { budget_reset_at: patch.budget_reset_at });
      return read();
    },
    reset: (from, to) => store.resetBudget("customer", id, from, to),
    read,
  });
  const limits = {
    rpm_limit: budget?.rpm_limit ?? null,
    tpm_limit: budget?.tpm_limit ?? null,
    max_parallel_requests: budget?.max_parallel_requests ?? null,
  };
  const limited = limits.rpm_limit !== null || limits.tpm_limit !== null || limits.max_parallel_requests !== null;
  return {
    customer: windowed.customer,
    owner: owner("customer", id, `end user '${id}'`, windowed, flushed),
    limits: limited ? limits : undefined,
  };
}
