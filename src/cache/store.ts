/** Where cached answers live: in this process (memory.ts) or in Redis, shared by every instance (redis.ts). */

/** An answer as stored: its JSON text and when it was stored (epoch ms), for `s-maxage`. */
export interface StoredAnswer {
  storedAt: number;
  body: string;
}

export interface CachePing {
  /** Answers now: for Redis, connected and answering. */
  healthy: boolean;
  /** Why not, when it does not (never a secret: Redis by host:port only). */
  error?: string | undefined;
}

export interface CacheStore {
  readonly type: "local" | "redis";
  /** The entry, or undefined when there is none or the store cannot answer now (a miss, never an error). */
  get(key: string): Promise<StoredAnswer | undefined>;
  /** Keeps the entry for `ttlSeconds`; a store that cannot take it now drops it (never throws). */
  set(key: string, answer: StoredAnswer, ttlSeconds: number): Promise<void>;
  /** Removes these entries; resolves to how many there were. */
  delete(keys: readonly string[]): Promise<number>;
  /** Removes every entry this gateway's cache holds. */
  flush(): Promise<void>;
  ping(): Promise<CachePing>;
  close(): Promise<void>;
}
