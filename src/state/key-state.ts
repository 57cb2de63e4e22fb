/**
 * What the proxy tracks about virtual keys between requests, behind one interface so that
 * one process and N instances behave alike (the RouterState idea, for keys):
 *
 * - rate limits per key: `rpm_limit` and `tpm_limit` as GCRA (a generic cell rate: one
 *   "theoretical arrival time" per limit, so a limit of 60 rpm admits a burst of 60 and then
 *   one a second, with an exact retry-after; a fixed window would let a burst of 2x through
 *   at its edge, GCRA lets the burst through once and then holds the rate), and
 *   `max_parallel_requests` as leases (a crashed instance's leases expire, they do not
 *   leave a key blocked forever);
 * - spend counters per budget owner (a key, user or team): `recorded` sums every cost the
 *   proxy has counted, `flushed` every cost the SpendWriter has committed to the database.
 *   Both only grow. A budget check adds `recorded - flushed` (spend the database does not
 *   have yet) to the spend read from the database, so a budget holds between batched
 *   writes and across instances.
 *
 * Two implementations: in memory, and Redis (atomic Lua scripts; when Redis is unreachable
 * calls fall back to memory with a warning, as RedisState does). With Redis, changes made
 * through one instance's management routes also reach the others' caches (pub/sub).
 */

export interface KeyLimits {
  rpm_limit: number | null;
  tpm_limit: number | null;
  max_parallel_requests: number | null;
}

export type LimitName = "rpm_limit" | "tpm_limit" | "max_parallel_requests";

/** What `x-ratelimit-*` headers report after an admission (only for the limits the key has). */
export interface RateStatus {
  limitRequests?: number;
  remainingRequests?: number;
  limitTokens?: number;
  remainingTokens?: number;
}

export type Admission =
  | ({ admitted: true /** recorded(id) for each `spendIds` entry, in order */; recorded: number[] } & RateStatus)
  | ({
      admitted: false;
      limit: LimitName /** Ms until a request would be admitted (>= 1). */;
      retryAfterMs: number;
    } & RateStatus);

export interface SpendEntry {
  /** A budget owner: "key:<hash>", "user:<id>" or "team:<id>". */
  id: string;
  cost: number;
}

export interface KeyState {
  /**
   * Admits one request for `keyHash` against its limits, atomically: when admitted, the rpm
   * cell is taken and (with max_parallel_requests) a lease named `requestId` is held until
   * `finish`. A refused request takes nothing. tpm is checked, not taken: tokens are known
   * only when the request ends (`finish`). Also returns `recorded` for `spendIds`, read in
   * the same round trip. A memory implementation answers without a promise.
   */
  admit(
    keyHash: string,
    limits: KeyLimits,
    requestId: string,
    spendIds: readonly string[],
    now: number,
  ): Admission | Promise<Admission>;
  /** The request ended: releases its lease and charges its tokens to the key's tpm. Never awaited. */
  finish(keyHash: string, limits: KeyLimits, requestId: string, tokens: number, now: number): void;
  /** Adds costs to `recorded`. Never awaited. */
  addSpend(entries: readonly SpendEntry[]): void;
  /** Adds costs to `flushed`, after the database committed them. Never awaited. */
  markFlushed(entries: readonly SpendEntry[]): void;
  /** Current `flushed` for each id (read just before a record is loaded from the database). */
  flushed(ids: readonly string[]): number[] | Promise<number[]>;
  /**
   * Tells the other instances that a key's record changed (its hash), or that any may have
   * ("*"), so they drop their cached lookups at once instead of when those expire. Never awaited.
   */
  announceChange(change: string): void;
  /** Calls `listener` with each change another instance announced. */
  onChange(listener: (change: string) => void): void;
  /** Whether state is shared through Redis now; absent for state kept in this process. */
  status?(): { shared: boolean };
  close(): Promise<void>;
}
