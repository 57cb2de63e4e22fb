/**
 * What a virtual key may do, checked on every request: the key is usable (not blocked,
 * not expired), the model is in every allowlist that applies (key, user, team), and no
 * budget (key, user, team) is spent. Each failure is the typed error the client gets.
 */
import { AuthenticationError, BudgetExceededError, PermissionDeniedError } from "../wire/errors.js";
import type { BudgetOwner, KeyGrant } from "./grant.js";

/** LiteLLM's name for "every model on the proxy" in a models list. */
const ALL_MODELS = "all-proxy-models";

export function assertUsable(grant: KeyGrant, now: number): void {
  const { key } = grant;
  const label = grant.owners[0]?.label ?? "key";
  if (key.blocked) {
    throw new AuthenticationError(
      `The ${label} is blocked; the gateway's admin can unblock it with POST /key/unblock.`,
      {
        code: "key_blocked",
      },
    );
  }
  if (grant.team?.blocked === true) {
    // LiteLLM answers a blocked team's keys with its 401 too.
    throw new AuthenticationError(
      `The team '${grant.team.team_id}' of the ${label} is blocked; the gateway's admin can unblock it with POST /team/unblock.`,
      { code: "team_blocked" },
    );
  }
  if (key.expires_at !== null && key.expires_at <= now) {
    throw new AuthenticationError(
      `The ${label} expired at ${new Date(key.expires_at).toISOString()}; ask the gateway's admin for a new key.`,
      {
        code: "key_expired",
      },
    );
  }
}

/** True when `models` (an allowlist; empty allows all) lets `model` through; `prefix/*` allows a prefix. */
export function allows(models: readonly string[], model: string): boolean {
  if (models.length === 0) return true;
  for (const allowed of models) {
    if (allowed === model || allowed === ALL_MODELS || allowed === "*") return true;
    if (allowed.endsWith("/*") && model.startsWith(allowed.slice(0, -1))) return true;
  }
  return false;
}

/** The allowlists that apply to the grant, each with who set it. */
function allowlists(grant: KeyGrant): { who: string; models: string[] }[] {
  const lists = [{ who: grant.owners[0]?.label ?? "key", models: grant.key.models }];
  if (grant.user !== undefined) lists.push({ who: `user ${grant.user.user_id}`, models: grant.user.models });
  if (grant.team !== undefined) lists.push({ who: `team ${grant.team.team_id}`, models: grant.team.models });
  return lists;
}

/** `param` is where the request named the model: "model", or "fallbacks" for its own fallbacks. */
export function assertModelAllowed(grant: KeyGrant, model: string, param: "model" | "fallbacks" = "model"): void {
  for (const { who, models } of allowlists(grant)) {
    if (!allows(models, model)) {
      const where = param === "model" ? "" : ` (named in '${param}')`;
      throw new PermissionDeniedError(
        `The ${who} may not use model '${model}'${where}; it may use: ${models.join(", ")}. GET /v1/models lists them.`,
        { param, code: "model_not_allowed" },
      );
    }
  }
}

/** True when every allowlist that applies to the grant lets `model` through. */
export function isAllowed(grant: KeyGrant, model: string): boolean {
  return allowlists(grant).every(({ models }) => allows(models, model));
}

/** The models of `all` the grant may use. */
export function allowedModels(grant: KeyGrant, all: readonly string[]): string[] {
  return all.filter((model) => isAllowed(grant, model));
}

/** The owner's spend now: the database's, plus what was counted since and not yet written. */
export function currentSpend(owner: BudgetOwner, recorded: number): number {
  return owner.spend + Math.max(0, recorded - owner.flushedAtLoad);
}

function money(value: number): string {
  return `$${Number(value.toPrecision(6))}`;
}

/** `recorded[i]` is owners[i]'s recorded counter. */
export function assertWithinBudget(owners: readonly BudgetOwner[], recorded: readonly number[]): void {
  owners.forEach((owner, i) => {
    if (owner.max_budget === null) return;
    const spend = currentSpend(owner, recorded[i] ?? 0);
    if (spend < owner.max_budget) return;
    const reset =
      owner.budget_reset_at === null
        ? `It does not reset; the gateway's admin can raise max_budget (POST /${owner.kind}/update).`
        : `It resets at ${new Date(owner.budget_reset_at).toISOString()}.`;
    throw new BudgetExceededError(
      `Budget exceeded for ${owner.label}: spent ${money(spend)} of its max_budget ${money(owner.max_budget)}. ${reset}`,
      { param: "max_budget" },
    );
  });
}
