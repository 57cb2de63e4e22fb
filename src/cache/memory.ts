/**
 * The `local` cache: an LRU in this process, bounded by the bytes its answers take (not only
 * by their count), so many large answers evict old ones instead of growing the heap. Entries
 * expire by their TTL.
 */
import { LRUCache } from "lru-cache";
import type { CachePing, CacheStore, StoredAnswer } from "./store.js";

/** MB the local cache may hold by default (cache_params.max_size_mb). */
export const DEFAULT_MAX_SIZE_MB = 64;

/**
 * Bytes an entry is charged: its text as UTF-16 in V8 (2 bytes a character at most) plus the
 * entry's own bookkeeping, so a bound in MB holds for the heap it takes.
 */
const ENTRY_OVERHEAD_BYTES = 200;
const sizeOf = (answer: StoredAnswer, key: string): number =>
  (answer.body.length + key.length) * 2 + ENTRY_OVERHEAD_BYTES;

export class MemoryCache implements CacheStore {
  readonly type = "local";
  private readonly lru: LRUCache<string, StoredAnswer>;

  /** @param maxEntries LiteLLM's max_size_in_memory, a count on top of the size bound. */
  constructor(maxSizeMb = DEFAULT_MAX_SIZE_MB, maxEntries?: number) {
    this.lru = new LRUCache<string, StoredAnswer>({
      maxSize: Math.max(1, Math.floor(maxSizeMb * 1024 * 1024)),
      sizeCalculation: sizeOf,
      ...(maxEntries === undefined ? {} : { max: maxEntries }),
    });
  }

  /** Bytes held now (the LRU's count of sizeOf). */
  get size(): number {
    return this.lru.calculatedSize;
  }

  get entries(): number {
    return this.lru.size;
  }

  get(key: string): Promise<StoredAnswer | undefined> {
    return Promise.resolve(this.lru.get(key));
  }

  set(key: string, answer: StoredAnswer, ttlSeconds: number): Promise<void> {
    this.lru.set(key, answer, { ttl: Math.ceil(ttlSeconds * 1000) });
    return Promise.resolve();
  }

  delete(keys: readonly string[]): Promise<number> {
    let deleted = 0;
    for (const key of keys) if (this.lru.delete(key)) deleted += 1;
    return Promise.resolve(deleted);
  }

  flush(): Promise<void> {
    this.lru.clear();
    return Promise.resolve();
  }

  ping(): Promise<CachePing> {
    return Promise.resolve({ healthy: true });
  }

  close(): Promise<void> {
    this.lru.clear();
    return Promise.resolve();
  }
}
