/**
 * KeyState shared between instances through Redis (the router's Redis settings).
 *
 * - `admit` waits for Redis: one Lua script checks every limit, takes the rpm cell and the
 *   lease, and reads the `recorded` counters, in one round trip. A key without limits or
 *   budgets is admitted at once, without Redis.
 * - `finish`, `addSpend` and `markFlushed` are fire-and-forget.
 * - Redis unreachable or slow: nothing throws, every call falls back to a MemoryKeyState
 *   (limits then hold per instance), a warning is logged at most once a minute, and sharing
 *   resumes when the connection comes back (ioredis reconnects by itself).
 */
import type { Redis } from "ioredis";
import type { Admission, KeyLimits, KeyState, LimitName, SpendEntry } from "./key-state.js";
import { admissionOf, chargesTokens, DEFAULT_LEASE_MS, isCost, MemoryKeyState } from "./memory-key-state.js";
import { CONNECT_TIMEOUT_MS, createRedisClient, describeRedis, type RedisConnectionOptions } from "./redis-client.js";
import { ADMIT_LUA, FINISH_LUA, keyStateKey, type KeyStateKind, SPEND_KEY_TTL_MS } from "./redis-key-scripts.js";
import { keyPrefixOf } from "./redis-scripts.js";
import type { RedisStateLogger } from "./redis-state.js";

export interface RedisKeyStateOptions extends RedisConnectionOptions {
  /** Keys are `litegate:<keyPrefix>:key:...`; distinct prefixes keep separate gateways apart. */
  keyPrefix?: string;
  /** Defaults to console.warn. */
  logger?: RedisStateLogger;
  /** How long a max_parallel_requests lease lasts if its request never ends. Default 600 000. */
  leaseMs?: number;
}

/** The Lua scripts, as ioredis exposes them once defineCommand has run. */
interface Scripts {
  /** Takes the number of keys first: the script reads one `recorded` key per spend id. */
  litegateKeyAdmit(numberOfKeys: number, ...keysAndArgs: (string | number)[]): Promise<(number | string)[]>;
  litegateKeyFinish(leaseKey: string, tokenCellKey: string, requestId: string, now: number, tpm: number | "", tokens: number): Promise<number>;
}
type Client = Redis & Scripts;

/** ADMIT_LUA's refusal codes, in its order. */
const REFUSALS: readonly (LimitName | undefined)[] = [undefined, "rpm_limit", "tpm_limit", "max_parallel_requests"];
/** After a command timed out, calls go local at once for this long instead of each waiting. */
const DEGRADED_MS = 2_000;
const WARN_EVERY_MS = 60_000;

function unlimited(limits: KeyLimits): boolean {
  return limits.rpm_limit === null && limits.tpm_limit === null && limits.max_parallel_requests === null;
}

export class RedisKeyState implements KeyState {
  static connect(options: RedisKeyStateOptions = {}): RedisKeyState {
    return new RedisKeyState(options);
  }

  private readonly client: Client;
  private readonly prefix: string;
  /** host:port for messages: never the URL, which may carry the password. */
  private readonly where: string;
  private readonly logger: RedisStateLogger;
  private readonly leaseMs: number;
  /** Answers while Redis is unusable; also counts this instance's spend, for those answers. */
  private readonly local: MemoryKeyState;
  private readonly firstContact: Promise<boolean>;
  /** The first connection attempt has succeeded or failed. */
  private contacted = false;
  private closed = false;
  private degradedUntil = 0;
  /** A warning was logged since Redis last answered. */
  private lost = false;
  private readonly warnedAt = new Map<string, number>();

  constructor(options: RedisKeyStateOptions = {}) {
    this.prefix = keyPrefixOf(options.keyPrefix);
    this.where = describeRedis(options);
    this.logger = options.logger ?? { warn: (message) => console.warn(message) };
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.local = new MemoryKeyState({ leaseMs: this.leaseMs });
    const client = createRedisClient(options);
    client.defineCommand("litegateKeyAdmit", { lua: ADMIT_LUA });
    client.defineCommand("litegateKeyFinish", { numberOfKeys: 2, lua: FINISH_LUA });
    this.client = client as Client;

    // Without an 'error' listener ioredis prints every failed reconnect; with it, we decide.
    this.client.on("error", () => this.unreachable());
    this.client.on("ready", () => this.back());
    this.firstContact = new Promise<boolean>((resolve) => {
      const settle = (ok: boolean): void => {
        if (this.contacted) return;
        this.contacted = true;
        clearTimeout(timeout);
        resolve(ok);
      };
      const timeout = setTimeout(() => settle(false), CONNECT_TIMEOUT_MS);
      timeout.unref();
      this.client.once("ready", () => settle(true));
      this.client.once("error", () => settle(false));
      this.client.once("end", () => settle(false));
    });
  }

  /** Resolves true once connected, false if the first connection attempt failed (calls then run locally until it succeeds). */
  ready(): Promise<boolean> {
    return this.firstContact;
  }

  status(): { shared: boolean } {
    return { shared: this.usable() };
  }

  admit(keyHash: string, limits: KeyLimits, requestId: string, spendIds: readonly string[], now: number): Admission | Promise<Admission> {
    if (unlimited(limits) && spendIds.length === 0) return { admitted: true, recorded: [] };
    return this.admitShared(keyHash, limits, requestId, spendIds, now);
  }

  finish(keyHash: string, limits: KeyLimits, requestId: string, tokens: number, now: number): void {
    // A lease taken locally during an outage is released wherever the rest goes.
    this.local.finish(keyHash, limits, requestId, 0, now);
    const charge = chargesTokens(limits, tokens);
    if (limits.max_parallel_requests === null && !charge) return;
    void this.attempt(() =>
      this.client.litegateKeyFinish(
        keyStateKey(this.prefix, "lease", keyHash),
        keyStateKey(this.prefix, "tpm", keyHash),
        requestId,
        now,
        charge ? limits.tpm_limit : "",
        tokens,
      ),
    ).then((done) => {
      if (done === undefined) this.local.finish(keyHash, limits, requestId, tokens, now);
    });
  }

  addSpend(entries: readonly SpendEntry[]): void {
    // Counted locally too, whatever Redis does: local answers then reflect this instance's own spend.
    this.local.addSpend(entries);
    this.addTo("recorded", entries);
  }

  markFlushed(entries: readonly SpendEntry[]): void {
    this.local.markFlushed(entries);
    this.addTo("flushed", entries);
  }

  async flushed(ids: readonly string[]): Promise<number[]> {
    if (ids.length === 0) return [];
    const values = await this.attempt(() => this.client.mget(ids.map((id) => keyStateKey(this.prefix, "flushed", id))));
    return values === undefined ? this.local.flushed(ids) : values.map(amountOf);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.client.status === "ready") {
      try {
        await this.client.quit();
      } catch {
        // Closing anyway.
      }
    }
    this.client.disconnect();
  }

  private async admitShared(keyHash: string, limits: KeyLimits, requestId: string, spendIds: readonly string[], now: number): Promise<Admission> {
    const keys = [
      keyStateKey(this.prefix, "rpm", keyHash),
      keyStateKey(this.prefix, "tpm", keyHash),
      keyStateKey(this.prefix, "lease", keyHash),
      ...spendIds.map((id) => keyStateKey(this.prefix, "recorded", id)),
    ];
    const reply = await this.attempt(() =>
      this.client.litegateKeyAdmit(
        keys.length,
        ...keys,
        now,
        limits.rpm_limit ?? "",
        limits.tpm_limit ?? "",
        limits.max_parallel_requests ?? "",
        requestId,
        this.leaseMs,
      ),
    );
    if (reply === undefined) return this.local.admit(keyHash, limits, requestId, spendIds, now);
    const [refused, retryAfterMs, requestsRoom, tokensRoom, ...recorded] = reply;
    const limit = REFUSALS[Number(refused)];
    const refusal = limit === undefined ? undefined : { limit, retryAfterMs: Number(retryAfterMs) };
    return admissionOf(limits, refusal, Number(requestsRoom), Number(tokensRoom), recorded.map(amountOf));
  }

  /** Adds to a spend counter in one pipeline, refreshing each key's TTL. */
  private addTo(kind: KeyStateKind, entries: readonly SpendEntry[]): void {
    const counted = entries.filter((entry) => isCost(entry.cost));
    if (counted.length === 0) return;
    void this.attempt(async () => {
      const pipeline = this.client.pipeline();
      for (const { id, cost } of counted) {
        const key = keyStateKey(this.prefix, kind, id);
        pipeline.incrbyfloat(key, cost);
        pipeline.pexpire(key, SPEND_KEY_TTL_MS);
      }
      const replies = await pipeline.exec();
      for (const [error] of replies ?? []) if (error !== null) throw error;
    });
  }

  /**
   * Runs `op` on Redis. Undefined when it did not (Redis unusable, or the command failed):
   * the caller then answers locally. Never rejects.
   */
  private async attempt<T>(op: () => Promise<T>): Promise<T | undefined> {
    // Only the very first calls wait here, for at most the connect timeout: answering them
    // locally would let a freshly started instance overshoot a shared limit.
    if (!this.contacted) await this.firstContact;
    if (!this.usable()) {
      if (this.contacted) this.unreachable();
      return undefined;
    }
    try {
      const result = await op();
      this.back();
      return result;
    } catch (error) {
      this.failed(error);
      return undefined;
    }
  }

  private usable(): boolean {
    return !this.closed && this.client.status === "ready" && Date.now() >= this.degradedUntil;
  }

  /** Redis answers again: sharing resumes, and whoever was warned is told. */
  private back(): void {
    this.degradedUntil = 0;
    if (!this.lost) return;
    this.lost = false;
    this.logger.info?.(`Redis at ${this.where} is reachable again; key limits are shared again`);
  }

  private failed(error: unknown): void {
    if (this.closed) return;
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof Error && error.name === "ReplyError") {
      // Redis answered but refused (out of memory, read-only replica, ...): not an outage.
      this.warn("reply", `Redis at ${this.where} rejected a key-state command (${message}); that call used local state`);
      return;
    }
    if (/timed out/i.test(message)) this.degradedUntil = Date.now() + DEGRADED_MS;
    this.unreachable();
  }

  private unreachable(): void {
    if (this.closed) return;
    this.lost = true;
    this.warn("unreachable", `Redis unreachable at ${this.where}; key limits are local to this instance until it returns`);
  }

  private warn(kind: string, message: string): void {
    const now = Date.now();
    const last = this.warnedAt.get(kind);
    if (last !== undefined && now - last < WARN_EVERY_MS) return;
    this.warnedAt.set(kind, now);
    this.logger.warn(message);
  }
}

/** A counter's value as Redis holds it (INCRBYFLOAT strings; absent is 0). */
function amountOf(value: string | number | null): number {
  const amount = Number(value ?? 0);
  return Number.isFinite(amount) ? amount : 0;
}
