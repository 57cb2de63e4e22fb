/**
 * The local side of RedisState: what this instance knows about each deployment, read
 * synchronously on the hot path. Redis snapshots are merged in by the background refresh,
 * this instance's own writes are applied at once, and while Redis is unreachable it is the
 * whole state.
 */
import { type Cooldown, minuteOf } from "./router-state.js";
import { MAX_SAMPLES } from "./redis-scripts.js";

export interface Sample {
  at: number;
  value: number;
  /** Unique per sample, so a sample seen both locally and in Redis is counted once. */
  tag: string;
}

export interface Entry {
  readonly id: string;
  /** Wall-clock ms of the last use: drives LRU eviction and which ids the refresh pulls. */
  touchedAt: number;
  /** Start of the minute the counters below belong to. */
  minute: number;
  requests: number;
  tokens: number;
  successes: number;
  failures: number;
  /** Requests in flight on other instances, as of the last refresh. */
  elsewhere: number;
  cooldown: Cooldown | undefined;
  /** Oldest first, at most MAX_SAMPLES. */
  samples: Sample[];
  /** This instance's samples that Redis has not acknowledged yet (kept across refreshes). */
  pending: Sample[];
}

/** Moving an entry to the LRU's newest end at most once a second keeps reads cheap. */
const TOUCH_GRANULARITY_MS = 1_000;

export class LocalCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly maxEntries: number) {}

  get size(): number {
    return this.entries.size;
  }

  /** The deployment's entry, created if needed, with its counters rolled to `now`'s minute. */
  entry(id: string, now?: number): Entry {
    const clock = Date.now();
    let entry = this.entries.get(id);
    if (entry === undefined) {
      entry = {
        id,
        touchedAt: clock,
        minute: now === undefined ? 0 : minuteOf(now),
        requests: 0,
        tokens: 0,
        successes: 0,
        failures: 0,
        elsewhere: 0,
        cooldown: undefined,
        samples: [],
        pending: [],
      };
      this.entries.set(id, entry);
      this.evict();
    } else if (clock - entry.touchedAt >= TOUCH_GRANULARITY_MS) {
      // Map iteration follows insertion order: re-inserting makes this the newest entry.
      this.entries.delete(id);
      this.entries.set(id, entry);
    }
    entry.touchedAt = clock;
    if (now !== undefined) roll(entry, now);
    return entry;
  }

  /** The entry without touching it: for merging replies that arrive after it was evicted. */
  peek(id: string): Entry | undefined {
    return this.entries.get(id);
  }

  /** Entries used since `since` (wall-clock ms). */
  usedSince(since: number): Entry[] {
    const used: Entry[] = [];
    for (const entry of this.entries.values()) if (entry.touchedAt >= since) used.push(entry);
    return used;
  }

  private evict(): void {
    for (const id of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries) return;
      this.entries.delete(id);
    }
  }
}

/**
 * Starts a new minute when `now` is past the entry's. Only forwards: two requests racing
 * across a minute boundary must not reset the new minute's counts back to the old one.
 */
export function roll(entry: Entry, now: number): void {
  const minute = minuteOf(now);
  if (minute > entry.minute) {
    entry.minute = minute;
    entry.requests = 0;
    entry.tokens = 0;
    entry.successes = 0;
    entry.failures = 0;
  }
}

/** The later cooldown wins, whoever set it. */
export function laterCooldown(a: Cooldown | undefined, b: Cooldown | undefined): Cooldown | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return b.until > a.until ? b : a;
}

/** Samples from Redis (oldest first) plus own samples Redis has not acknowledged yet. */
export function mergeSamples(remote: Sample[], pending: Sample[]): Sample[] {
  const seen = new Set(remote.map((sample) => sample.tag));
  const merged = remote.concat(pending.filter((sample) => !seen.has(sample.tag)));
  return merged.length > MAX_SAMPLES ? merged.slice(merged.length - MAX_SAMPLES) : merged;
}

export function encodeSample(sample: Sample): string {
  return `${sample.at}|${sample.value}|${sample.tag}`;
}

export function decodeSample(raw: string): Sample | undefined {
  const [at, value, tag] = raw.split("|");
  const sample = { at: Number(at), value: Number(value), tag: tag ?? "" };
  return Number.isFinite(sample.at) && Number.isFinite(sample.value) ? sample : undefined;
}

export function encodeCooldown(cooldown: Cooldown): string {
  return `${cooldown.until}|${cooldown.cause}`;
}

export function decodeCooldown(raw: string | null | undefined): Cooldown | undefined {
  if (raw === null || raw === undefined) return undefined;
  const [until, cause] = raw.split("|");
  const value = Number(until);
  if (!Number.isFinite(value) || (cause !== "rate_limit" && cause !== "failure")) return undefined;
  return { until: value, cause };
}

/** A counter read back from Redis (INCRBYFLOAT keeps strings); missing or garbled is 0. */
export function decodeCount(raw: string | null | undefined): number {
  if (raw === null || raw === undefined) return 0;
  const value = Number(raw);
  return Number.isFinite(value) ? value : 0;
}
