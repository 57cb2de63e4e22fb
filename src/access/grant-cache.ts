/**
 * Key lookups cached in memory, so the database is not read per request: an entry (a
 * grant, or "no such key") lives `ttlMs`, and the management routes drop the entries they
 * change at once. Another instance sees a change within `ttlMs`. Concurrent misses for one
 * key share one load. The cache is bounded: the oldest entries go first.
 *
 * When a load fails (the database is down) the last known entry, however old, is kept and
 * returned as stale for another TTL, at once: the requests meanwhile do not each wait for
 * the database to time out. The caller decides whether stale is good enough.
 */
import type { KeyGrant } from "./grant.js";

/** A key's grant by default; end users are cached the same way. */
export interface Lookup<T = KeyGrant> {
  /** Undefined: no such key. */
  grant: T | undefined;
  /** The database could not be read; this is the last entry it gave. */
  stale: boolean;
}

interface Entry<T> {
  grant: T | undefined;
  expiresAt: number;
  stale: boolean;
}

export type GrantLoader<T = KeyGrant> = (hash: string, masked: string, now: number) => Promise<T | undefined>;

export class GrantCache<T = KeyGrant> {
  private readonly entries = new Map<string, Entry<T>>();
  private readonly loading = new Map<string, Promise<Lookup<T>>>();
  /** Bumped by every invalidation: a load that began before one must not be cached after it. */
  private generation = 0;

  constructor(
    private readonly load: GrantLoader<T>,
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  /** A fresh entry at once; otherwise the load's result (or the stale entry, or the load's error). */
  lookup(hash: string, masked: string, now: number): Lookup<T> | Promise<Lookup<T>> {
    const entry = this.entries.get(hash);
    if (entry !== undefined && entry.expiresAt > now) return { grant: entry.grant, stale: entry.stale };
    let pending = this.loading.get(hash);
    if (pending === undefined) {
      const started: Promise<Lookup<T>> = this.refresh(hash, masked, now).finally(() => {
        if (this.loading.get(hash) === started) this.loading.delete(hash);
      });
      pending = started;
      this.loading.set(hash, pending);
    }
    return pending;
  }

  /** Drops every cached key: after a user or team changed, any key of theirs may be stale. */
  clear(): void {
    this.generation += 1;
    this.entries.clear();
    this.loading.clear();
  }

  invalidate(hash: string): void {
    this.generation += 1;
    this.entries.delete(hash);
    // A load already running may have read the old row: later lookups start their own.
    this.loading.delete(hash);
  }

  private async refresh(hash: string, masked: string, now: number): Promise<Lookup<T>> {
    const generation = this.generation;
    let grant: T | undefined;
    try {
      grant = await this.load(hash, masked, now);
    } catch (error) {
      const last = this.entries.get(hash);
      if (last === undefined) throw error;
      if (generation === this.generation)
        this.store(hash, { grant: last.grant, expiresAt: now + this.ttlMs, stale: true });
      return { grant: last.grant, stale: true };
    }
    if (generation === this.generation) this.store(hash, { grant, expiresAt: now + this.ttlMs, stale: false });
    return { grant, stale: false };
  }

  private store(hash: string, entry: Entry<T>): void {
    this.entries.delete(hash);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    this.entries.set(hash, entry);
  }
}
