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
import { randomBytes } from "node:crypto";
import type { Admission, KeyLimits, KeyState, LimitName, SpendEntry } from "./key-state.js";
import { admissionOf, chargesTokens, DEFAULT_LEASE_MS, isCost, MemoryKeyState } from "./memory-key-state.js";
import { ADMIT_LUA, FINISH_LUA, keyStateKey, type KeyStateKind, SPEND_KEY_TTL_MS } from "./redis-key-scripts.js";
import { RedisLink, type RedisLinkOptions } from "./redis-link.js";
import { keyPrefixOf } from "./redis-scripts.js";

export interface RedisKeyStateOptions extends RedisLinkOptions {
  /** Keys are `litegate:<keyPrefix>:key:...`; distinct prefixes keep separate gateways apart. */
  keyPrefix?: string | undefined;
  /** How long a max_parallel_requests lease lasts if its request never ends. Default 600 000. */
  leaseMs?: number | undefined;
}

/** The Lua scripts, as ioredis exposes them once defineCommand has run. */
interface Scripts {
  /** Takes the number of keys first: the script reads one `recorded` key per spend id. */
  litegateKeyAdmit(numberOfKeys: number, ...keysAndArgs: (string | number)[]): Promise<(number | string)[]>;
  litegateKeyFinish(
    leaseKey: string,
    tokenCellKey: string,
    requestId: string,
    now: number,
    tpm: number | "",
    tokens: number,
  ): Promise<number>;
}

/** Leases remembered for release after an outage; beyond this they wait out their expiry. */
const MAX_UNRELEASED = 10_000;

/** ADMIT_LUA's refusal codes, in its order. */
const REFUSALS: readonly (LimitName | undefined)[] = [undefined, "rpm_limit", "tpm_limit", "max_parallel_requests"];

function unlimited(limits: KeyLimits): boolean {
  return limits.rpm_limit === null && limits.tpm_limit === null && limits.max_parallel_requests === null;
}

export class RedisKeyState implements KeyState {
  static connect(options: RedisKeyStateOptions = {}): RedisKeyState {
    return new RedisKeyState(options);
  }

  private readonly link: RedisLink<Scripts>;
  private readonly prefix: string;
  private readonly leaseMs: number;
  /** Answers while Redis is unusable; also counts this instance's spend, for those answers. */
  private readonly local: MemoryKeyState;
  /**
   * Leases held in Redis whose requests ended while Redis was away: released when it is back,
   * rather than blocking their keys' max_parallel_requests until the leases expire.
   */
  private readonly unreleased = new Map<string, string>();
  /** The pub/sub channel of key changes, and this instance's name on it. */
  private readonly changes: string;
  private readonly instance = randomBytes(6).toString("hex");
  private readonly listeners: ((change: string) => void)[] = [];

  constructor(options: RedisKeyStateOptions = {}) {
    this.prefix = keyPrefixOf(options.keyPrefix);
    this.changes = keyStateKey(this.prefix, "changes", "keys");
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.local = new MemoryKeyState({ leaseMs: this.leaseMs });
    this.link = new RedisLink<Scripts>(options, {
      subject: "key limits are",
      command: "key-state command",
      scripts: {
        litegateKeyAdmit: { lua: ADMIT_LUA },
        litegateKeyFinish: { numberOfKeys: 2, lua: FINISH_LUA },
      },
      onReady: () => this.releaseLeases(),
    });
  }

  /**
   * Resolves true once connected, false if the first connection attempt failed (calls then run
   * locally until it succeeds).
   */
  ready(): Promise<boolean> {
    return this.link.ready();
  }

  status(): { shared: boolean } {
    return { shared: this.link.usable() };
  }

  admit(
    keyHash: string,
    limits: KeyLimits,
    requestId: string,
    spendIds: readonly string[],
    now: number,
  ): Admission | Promise<Admission> {
    if (unlimited(limits) && spendIds.length === 0) return { admitted: true, recorded: [] };
    return this.admitShared(keyHash, limits, requestId, spendIds, now);
  }

  finish(keyHash: string, limits: KeyLimits, requestId: string, tokens: number, now: number): void {
    // A lease taken locally during an outage is released wherever the rest goes.
    this.local.finish(keyHash, limits, requestId, 0, now);
    const charge = chargesTokens(limits, tokens);
    if (limits.max_parallel_requests === null && !charge) return;
    void this.attempt(() =>
      this.link.client.litegateKeyFinish(
        keyStateKey(this.prefix, "lease", keyHash),
        keyStateKey(this.prefix, "tpm", keyHash),
        requestId,
        now,
        charge ? limits.tpm_limit : "",
        tokens,
      ),
    ).then((done) => {
      if (done !== undefined) return;
      this.local.finish(keyHash, limits, requestId, tokens, now);
      if (limits.max_parallel_requests !== null && this.unreleased.size < MAX_UNRELEASED)
        this.unreleased.set(requestId, keyHash);
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
    const values = await this.attempt(() =>
      this.link.client.mget(ids.map((id) => keyStateKey(this.prefix, "flushed", id))),
    );
    return values === undefined ? this.local.flushed(ids) : values.map(amountOf);
  }

  announceChange(change: string): void {
    void this.attempt(() => this.link.client.publish(this.changes, `${this.instance} ${change}`));
  }

  onChange(listener: (change: string) => void): void {
    this.listeners.push(listener);
    if (this.listeners.length > 1) return;
    // A missed change only waits out the lookup cache's TTL.
    this.link.subscribe(this.changes, (message) => {
      const space = message.indexOf(" ");
      // This instance's own announcements were applied when they were made.
      if (space === -1 || message.slice(0, space) === this.instance) return;
      for (const each of this.listeners) each(message.slice(space + 1));
    });
  }

  async close(): Promise<void> {
    await this.link.close();
  }

  /** Releases the leases of requests that ended while Redis was away (one ZREM each). */
  private releaseLeases(): void {
    for (const [requestId, keyHash] of this.unreleased) {
      this.unreleased.delete(requestId);
      void this.attempt(() => this.link.client.zrem(keyStateKey(this.prefix, "lease", keyHash), requestId));
    }
  }

  private async admitShared(
    keyHash: string,
    limits: KeyLimits,
    requestId: string,
    spendIds: readonly string[],
    now: number,
  ): Promise<Admission> {
    const keys = [
      keyStateKey(this.prefix, "rpm", keyHash),
      keyStateKey(this.prefix, "tpm", keyHash),
      keyStateKey(this.prefix, "lease", keyHash),
      ...spendIds.map((id) => keyStateKey(this.prefix, "recorded", id)),
    ];
    const reply = await this.attempt(() =>
      this.link.client.litegateKeyAdmit(
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
      const pipeline = this.link.client.pipeline();
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
    if (!this.link.contacted) await this.link.ready();
    if (!this.link.usable()) {
      this.link.fallingBack();
      return undefined;
    }
    try {
      const result = await op();
      this.link.back();
      return result;
    } catch (error) {
      this.link.failed(error);
      return undefined;
    }
  }
}

/** A counter's value as Redis holds it (INCRBYFLOAT strings; absent is 0). */
function amountOf(value: string | number | null): number {
  const amount = Number(value ?? 0);
  return Number.isFinite(amount) ? amount : 0;
}
