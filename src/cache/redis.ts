/**
 * The `redis` cache: answers shared by every instance, each key expiring by its TTL in Redis.
 * Values over COMPRESS_ABOVE_BYTES are deflated (off the event loop, on libuv's pool). While
 * Redis is away the cache is off — every lookup a miss, every write dropped, requests go to
 * their model — with one warning, and on again when Redis answers (RedisLink).
 */
import { promisify } from "node:util";
import { deflateRaw, inflateRaw } from "node:zlib";
import type { RedisConnectionOptions } from "../state/redis-client.js";
import { RedisLink, type RedisStateLogger } from "../state/redis-link.js";
import { keyPrefixOf } from "../state/redis-scripts.js";
import type { CachePing, CacheStore, StoredAnswer } from "./store.js";

const deflate = promisify(deflateRaw);
const inflate = promisify(inflateRaw);

/** Answers larger than this are stored deflated: JSON text shrinks 3-10x, and Redis memory is the cost that grows. */
export const COMPRESS_ABOVE_BYTES = 1024;

/** The first byte of a stored value: how the rest is written. */
const PLAIN = 0x70; // "p"
const DEFLATED = 0x7a; // "z"

export interface RedisCacheOptions extends RedisConnectionOptions {
  logger?: RedisStateLogger | undefined;
  /** Keys are `litegate:<keyPrefix>:cache:<key>`; distinct prefixes keep separate gateways apart. */
  keyPrefix?: string | undefined;
}

/** `storedAt` and the body in one value: `<epoch ms>\n<json>`. */
function encode(answer: StoredAnswer): Buffer {
  return Buffer.from(`${answer.storedAt}\n${answer.body}`, "utf8");
}

function decode(text: string): StoredAnswer | undefined {
  const newline = text.indexOf("\n");
  const storedAt = Number(text.slice(0, newline));
  if (newline === -1 || !Number.isFinite(storedAt)) return undefined;
  return { storedAt, body: text.slice(newline + 1) };
}

export class RedisCache implements CacheStore {
  readonly type = "redis";
  private readonly link: RedisLink;
  private readonly prefix: string;

  constructor(options: RedisCacheOptions) {
    this.prefix = `${keyPrefixOf(options.keyPrefix)}cache:`;
    this.link = new RedisLink(options, {
      subject: "the response cache is",
      command: "cache command",
      scripts: {},
      whileAway: "off (every request calls its model)",
    });
  }

  /** Resolves true once connected (false if the first attempt failed; the cache is then off until Redis answers). */
  ready(): Promise<boolean> {
    return this.link.ready();
  }

  private usable(): boolean {
    if (this.link.usable()) return true;
    this.link.fallingBack();
    return false;
  }

  async get(key: string): Promise<StoredAnswer | undefined> {
    if (!this.usable()) return undefined;
    let stored: Buffer | null;
    try {
      stored = await this.link.client.getBuffer(this.prefix + key);
      this.link.answered();
    } catch (error) {
      this.link.failed(error);
      return undefined;
    }
    if (stored === null || stored.length === 0) return undefined;
    const rest = stored.subarray(1);
    // A value this gateway cannot read (another version's) is a miss, and is overwritten.
    try {
      if (stored[0] === PLAIN) return decode(rest.toString("utf8"));
      if (stored[0] === DEFLATED) return decode((await inflate(rest)).toString("utf8"));
    } catch {
      return undefined;
    }
    return undefined;
  }

  async set(key: string, answer: StoredAnswer, ttlSeconds: number): Promise<void> {
    if (!this.usable()) return;
    const plain = encode(answer);
    let value: Buffer;
    try {
      value =
        plain.length > COMPRESS_ABOVE_BYTES
          ? Buffer.concat([Buffer.of(DEFLATED), await deflate(plain)])
          : Buffer.concat([Buffer.of(PLAIN), plain]);
    } catch {
      // zlib out of memory: the answer goes unstored, the request is unaffected.
      return;
    }
    try {
      await this.link.client.set(this.prefix + key, value, "PX", Math.max(1, Math.ceil(ttlSeconds * 1000)));
      this.link.answered();
    } catch (error) {
      this.link.failed(error);
    }
  }

  async delete(keys: readonly string[]): Promise<number> {
    if (keys.length === 0) return 0;
    return this.link.client.del(...keys.map((key) => this.prefix + key));
  }

  /** Every key under this gateway's prefix, a batch at a time (never FLUSHALL: Redis holds the router's state too). */
  async flush(): Promise<void> {
    let cursor = "0";
    do {
      const [next, keys] = await this.link.client.scan(cursor, "MATCH", `${this.prefix}*`, "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) await this.link.client.unlink(...keys);
    } while (cursor !== "0");
  }

  async ping(): Promise<CachePing> {
    if (!this.link.connected()) return { healthy: false, error: "Redis is unreachable" };
    try {
      await this.link.client.ping();
      return { healthy: true };
    } catch (error) {
      return { healthy: false, error: error instanceof Error ? error.message : String(error) };
    }
  }

  close(): Promise<void> {
    return this.link.close();
  }
}
