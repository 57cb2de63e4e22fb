/**
 * Bounds guessing at the admin UI's sign-in: each client address may fail a limited number of
 * times per window (10 a minute by default); past that every attempt from it, even with the
 * right key, is a 429 until the window ends, so a guesser learns nothing more. Addresses are
 * counted apart: others' failures never block a sign-in from another address. A success does
 * not clear an address's failures (signing in with any valid virtual key would otherwise reset
 * a master-key guesser's count).
 *
 * The table is bounded: past `maxAddresses` the address whose window started first is
 * forgotten, so a flood from many addresses cannot grow memory. Behind a reverse proxy every
 * client has the proxy's address and shares one count.
 */
import { RateLimitError } from "../wire/errors.js";

export interface SignInLimits {
  /** Failed sign-ins an address may make in one window; default 10. */
  maxFailures?: number | undefined;
  /** The window, from an address's first failure; default 60 s. */
  windowMs?: number | undefined;
  /** Addresses tracked at once; default 10,000. */
  maxAddresses?: number | undefined;
  /** For tests: the clock (epoch ms). */
  now?: (() => number) | undefined;
}

interface Window {
  failures: number;
  /** Epoch ms when this address's count starts again from zero. */
  resetsAt: number;
}

export class SignInLimiter {
  /** In the order windows started (an ended one is deleted, not reused), so the first entry ends first. */
  private readonly windows = new Map<string, Window>();
  private readonly maxFailures: number;
  private readonly windowMs: number;
  private readonly maxAddresses: number;
  private readonly now: () => number;

  constructor(limits: SignInLimits = {}) {
    this.maxFailures = limits.maxFailures ?? 10;
    this.windowMs = limits.windowMs ?? 60_000;
    this.maxAddresses = limits.maxAddresses ?? 10_000;
    this.now = limits.now ?? Date.now;
  }

  /** Throws a 429 (with retry-after) while `address` has used up its failures. */
  admit(address: string): void {
    const now = this.now();
    this.forgetEnded(now);
    const window = this.windows.get(address);
    if (window === undefined || window.failures < this.maxFailures) return;
    const seconds = Math.max(1, Math.ceil((window.resetsAt - now) / 1000));
    throw new RateLimitError(
      `Too many failed sign-in attempts from this address: try again in ${seconds} s (at most ${this.maxFailures} failures per ${this.windowMs / 1000} s).`,
      { code: "too_many_sign_in_attempts", retryAfter: seconds },
    );
  }

  /** Counts a failed sign-in (a wrong, blocked or expired key) against `address`. */
  failed(address: string): void {
    const now = this.now();
    this.forgetEnded(now);
    const window = this.windows.get(address);
    if (window !== undefined) {
      window.failures += 1;
      return;
    }
    if (this.windows.size >= this.maxAddresses) {
      const first = this.windows.keys().next();
      if (first.done !== true) this.windows.delete(first.value);
    }
    this.windows.set(address, { failures: 1, resetsAt: now + this.windowMs });
  }

  /** Drops the windows that have ended; they are at the front, so this stops at the first live one. */
  private forgetEnded(now: number): void {
    for (const [address, window] of this.windows) {
      if (window.resetsAt > now) return;
      this.windows.delete(address);
    }
  }
}
