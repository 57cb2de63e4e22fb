/**
 * What a request's credentials resolve to, and what an admitted request carries to its end.
 * A virtual key resolves to a grant: the key's record with its user's and team's, and one
 * budget owner per record (each spends against its own max_budget).
 */
import type { KeyLimits } from "../state/key-state.js";
import type { CustomerRecord, KeyRecord, TeamRecord, UserRecord } from "../store/types.js";

export type OwnerKind = "key" | "user" | "team" | "customer";

export interface BudgetOwner {
  kind: OwnerKind;
  /** The spend counter's id: "key:<hash>", "user:<id>", "team:<id>" or "customer:<id>". */
  id: string;
  /** How errors name it: "key sk-...abcd", "user alice", "team ml", "end user acme". */
  label: string;
  /** Spend in the database when the grant was loaded. */
  spend: number;
  max_budget: number | null;
  budget_reset_at: number | null;
  /** The owner's `flushed` counter read just before `spend` was: see KeyState. */
  flushedAtLoad: number;
}

/** Hex characters of a key's hash that log lines and spans show: enough to tell keys apart and find one, nothing to attack. */
export const KEY_HASH_SHOWN = 12;

export interface KeyGrant {
  hash: string;
  /** The start of the hash that log lines and spans show (see principalShownId), cut once per load. */
  hashShown: string;
  key: KeyRecord;
  user: UserRecord | undefined;
  team: TeamRecord | undefined;
  /** The key's owner first, then its user's and team's when they exist. */
  owners: BudgetOwner[];
  /** The owners with a max_budget, and their counter ids: what each admission checks, derived once per load. */
  budgeted: BudgetOwner[];
  budgetedIds: string[];
  limits: KeyLimits;
}

/** A budget owner's spend as the ledger knew it at a moment. */
export interface OwnerSpend {
  owner: BudgetOwner;
  spend: number;
}

/**
 * An end user (LiteLLM's customer) as a request's `user` names it: one more budget owner,
 * beside the key's, whoever the caller is.
 */
export interface CustomerGrant {
  customer: CustomerRecord;
  /** Its budget (from its budget row) and spend; max_budget null when it has none. */
  owner: BudgetOwner;
  /** Its budget row's rate limits; undefined when it sets none. */
  limits: KeyLimits | undefined;
}

export type Principal =
  /** No master key is configured: the gateway is open. */
  { kind: "open" } | { kind: "master" } | { kind: "key"; grant: KeyGrant };

/** An admitted completion request: what its end must release and record. */
export class Ticket {
  /** The request's end user (its `user`), whose spend the record carries. */
  endUser: string | undefined;
  /** The end user's rate limits this request holds (by its counter id), released when it ends. */
  endUserLimits: { holder: string; limits: KeyLimits } | undefined;
  /** The key's budgeted owners and their spend when the request was admitted (budget gauges read it). */
  budgets: readonly OwnerSpend[] | undefined;

  constructor(
    readonly principal: Principal,
    /** Epoch ms at admission. */
    readonly startedAt: number,
    /**
     * The request's call id, unique (a client's x-request-id may repeat): the spend log's id
     * and the lease's name.
     */
    readonly spendId: string,
  ) {}
}

export function ownerId(kind: OwnerKind, id: string): string {
  return `${kind}:${id}`;
}
