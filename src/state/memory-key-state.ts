/**
 * KeyState in this process's memory: the state of a single instance, and what RedisKeyState
 * falls back to while Redis is unreachable. The limit arithmetic here is the reference one:
 * the Lua scripts in redis-key-scripts.ts compute the same values step for step, so a key
 * behaves the same whichever state holds it.
 */
import type { Admission, KeyLimits, KeyState, LimitName, RateStatus, SpendEntry } from "./key-state.js";

/** rpm_limit and tpm_limit count per minute. */
export const WINDOW_MS = 60_000;
/** A limit of 0 admits nothing however long one waits: the window, rather than an infinite retry-after. */
export const ZERO_LIMIT_RETRY_MS = WINDOW_MS;
/** Leases free up when requests end, which no clock predicts: a second is a fair retry-after. */
export const PARALLEL_RETRY_MS = 1_000;
/**
 * Added before rounding a count down: 60000/7 is not exact in floating point, and that error
 * must never cost a request or a token (7 rpm admits a burst of exactly 7).
 */
export const ROUNDING_SLACK = 1e-9;
/** How long a request holds its max_parallel_requests lease if its instance never ends it. */
export const DEFAULT_LEASE_MS = 600_000;

export interface MemoryKeyStateOptions {
  /** Default 600 000 (10 minutes). */
  leaseMs?: number;
}

/**
 * A GCRA cell. Its theoretical arrival time is `at + excess`, kept as two numbers so that
 * `tat - now` subtracts whole epoch milliseconds exactly: one float near 1.7e12 would keep
 * only a few bits of the fraction that 60000/7 needs.
 */
interface Cell {
  at: number;
  excess: number;
}

interface Refusal {
  limit: LimitName;
  retryAfterMs: number;
}

/** tat - now: how far the cell runs ahead of the clock (0 for an idle key). */
function backlog(cell: Cell | undefined, now: number): number {
  return cell === undefined ? 0 : Math.max(0, cell.at - now + cell.excess);
}

/** Whole requests (or tokens) the minute still has room for; below 1 means refused. */
function room(backlog: number, limit: number): number {
  if (limit <= 0) return 0;
  return Math.floor((WINDOW_MS - backlog) / (WINDOW_MS / limit) + ROUNDING_SLACK);
}

/** Ms until room() reaches 1, for a cell that has no room. */
function wait(backlog: number, limit: number): number {
  if (limit <= 0) return ZERO_LIMIT_RETRY_MS;
  return Math.max(1, Math.ceil(backlog - (WINDOW_MS - WINDOW_MS / limit)));
}

/** Whether `finish` charges tokens: a key with a tpm limit that admits anything, and a real count. */
export function chargesTokens(limits: KeyLimits, tokens: number): limits is KeyLimits & { tpm_limit: number } {
  return limits.tpm_limit !== null && limits.tpm_limit > 0 && Number.isFinite(tokens) && tokens > 0;
}

/** Spend counters only grow: anything else is not added. */
export function isCost(cost: number): boolean {
  return Number.isFinite(cost) && cost > 0;
}

/** The Admission both states answer, from the limits' remaining room (headers only for limits the key has). */
export function admissionOf(
  limits: KeyLimits,
  refusal: Refusal | undefined,
  requestsRoom: number,
  tokensRoom: number,
  recorded: number[],
): Admission {
  const status: RateStatus = {};
  if (limits.rpm_limit !== null) {
    status.limitRequests = limits.rpm_limit;
    status.remainingRequests = Math.max(0, requestsRoom);
  }
  if (limits.tpm_limit !== null) {
    status.limitTokens = limits.tpm_limit;
    status.remainingTokens = Math.max(0, tokensRoom);
  }
  return refusal === undefined ? { admitted: true, recorded, ...status } : { admitted: false, ...refusal, ...status };
}

export class MemoryKeyState implements KeyState {
  private readonly leaseMs: number;
  private readonly requestCells = new Map<string, Cell>();
  private readonly tokenCells = new Map<string, Cell>();
  /** Per key: requestId -> when its lease expires. */
  private readonly leases = new Map<string, Map<string, number>>();
  private readonly recorded = new Map<string, number>();
  private readonly flushedAmounts = new Map<string, number>();

  constructor(options: MemoryKeyStateOptions = {}) {
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  }

  admit(keyHash: string, limits: KeyLimits, requestId: string, spendIds: readonly string[], now: number): Admission {
    const { rpm_limit: rpm, tpm_limit: tpm, max_parallel_requests: parallel } = limits;
    // Every check first: a refused request must leave the rpm cell and the leases untouched.
    let refusal: Refusal | undefined;
    let requestsBacklog = 0;
    let requestsRoom = 0;
    if (rpm !== null) {
      requestsBacklog = backlog(this.requestCells.get(keyHash), now);
      requestsRoom = room(requestsBacklog, rpm);
      if (requestsRoom < 1) refusal = { limit: "rpm_limit", retryAfterMs: wait(requestsBacklog, rpm) };
    }
    let tokensRoom = 0;
    if (tpm !== null) {
      const tokensBacklog = backlog(this.tokenCells.get(keyHash), now);
      tokensRoom = room(tokensBacklog, tpm);
      if (refusal === undefined && tokensRoom < 1)
        refusal = { limit: "tpm_limit", retryAfterMs: wait(tokensBacklog, tpm) };
    }
    if (parallel !== null && refusal === undefined && this.liveLeases(keyHash, now) >= parallel) {
      refusal = { limit: "max_parallel_requests", retryAfterMs: PARALLEL_RETRY_MS };
    }
    if (refusal !== undefined) return admissionOf(limits, refusal, requestsRoom, tokensRoom, []);
    if (rpm !== null) {
      this.requestCells.set(keyHash, { at: now, excess: requestsBacklog + WINDOW_MS / rpm });
      requestsRoom -= 1;
    }
    if (parallel !== null) {
      const leases = this.leases.get(keyHash) ?? new Map<string, number>();
      leases.set(requestId, now + this.leaseMs);
      this.leases.set(keyHash, leases);
    }
    return admissionOf(
      limits,
      undefined,
      requestsRoom,
      tokensRoom,
      spendIds.map((id) => this.recorded.get(id) ?? 0),
    );
  }

  finish(keyHash: string, limits: KeyLimits, requestId: string, tokens: number, now: number): void {
    const leases = this.leases.get(keyHash);
    if (leases !== undefined) {
      leases.delete(requestId);
      if (leases.size === 0) this.leases.delete(keyHash);
    }
    if (chargesTokens(limits, tokens)) {
      // Charged in full even past the window: a key that used 3x its tpm waits for all of it.
      const excess = backlog(this.tokenCells.get(keyHash), now) + tokens * (WINDOW_MS / limits.tpm_limit);
      this.tokenCells.set(keyHash, { at: now, excess });
    }
  }

  addSpend(entries: readonly SpendEntry[]): void {
    add(this.recorded, entries);
  }

  markFlushed(entries: readonly SpendEntry[]): void {
    add(this.flushedAmounts, entries);
  }

  flushed(ids: readonly string[]): number[] {
    return ids.map((id) => this.flushedAmounts.get(id) ?? 0);
  }

  /** One process: the caller's own cache is all there is to tell. */
  announceChange(): void {}

  onChange(): void {}

  async close(): Promise<void> {
    // Nothing to release.
  }

  /** Drops the key's expired leases (their instance never ended them) and counts the rest. */
  private liveLeases(keyHash: string, now: number): number {
    const leases = this.leases.get(keyHash);
    if (leases === undefined) return 0;
    for (const [requestId, expiresAt] of leases) if (expiresAt <= now) leases.delete(requestId);
    if (leases.size === 0) this.leases.delete(keyHash);
    return leases.size;
  }
}

function add(counters: Map<string, number>, entries: readonly SpendEntry[]): void {
  for (const { id, cost } of entries) if (isCost(cost)) counters.set(id, (counters.get(id) ?? 0) + cost);
}
