/**
 * RouterState shared between instances through Redis (router_settings.redis_url, or
 * redis_host/redis_port/redis_password).
 *
 * - `takeRequest` and `recordFailure` wait for Redis: each is one Lua script, so an rpm limit
 *   holds exactly however many instances count against it.
 * - `setCooldown` waits for Redis too: one Lua script stores the cooldown and publishes it, and
 *   every instance applies what it is told at once, so a cooldown set by one instance is
 *   honoured by the others from their next request.
 * - Reads are synchronous, from a bounded local cache (an LRU of deployments). A background
 *   refresh pulls the deployments used recently every `refreshMs` (which also catches up on
 *   cooldowns announced while an instance was disconnected); this instance's own writes land
 *   in the cache at once.
 * - Other writes are fire-and-forget: applied to the cache, sent to Redis, never awaited.
 * - Redis unreachable or slow: nothing throws, every call falls back to the local cache (which
 *   then is this instance's whole state), a warning is logged at most once a minute, and
 *   sharing resumes when the connection comes back (ioredis reconnects by itself).
 */
import { randomBytes } from "node:crypto";
import {
  decodeCooldown,
  decodeCount,
  decodeSample,
  encodeSample,
  laterCooldown,
  LocalCache,
  mergeSamples,
  type Sample,
} from "./redis-cache.js";
import { RedisLink, type RedisStateLogger } from "./redis-link.js";
import {
  ADD_LUA,
  BUSY_HEARTBEAT_MS,
  BUSY_KEY_TTL_MS,
  BUSY_LUA,
  BUSY_STALE_MS,
  COOL_LUA,
  COOLDOWN_KEY_MARGIN_MS,
  cooldownChannel,
  keyOf,
  keyPrefixOf,
  LATENCY_KEY_TTL_MS,
  LATENCY_LUA,
  MAX_SAMPLES,
  MINUTE_KEY_TTL_MS,
  TAKE_LUA,
} from "./redis-scripts.js";
import {
  type Cooldown,
  MINUTE_MS,
  type MinuteOutcomes,
  type MinuteUsage,
  minuteOf,
  type RouterState,
} from "./router-state.js";

// Part of RedisStateOptions, so importable from here too.
export type { RedisStateLogger };

export interface RedisStateOptions {
  /** redis:// or rediss:// URL (router_settings.redis_url). Wins over host/port. */
  url?: string | undefined;
  /** Default 127.0.0.1. */
  host?: string | undefined;
  /** Default 6379. */
  port?: number | undefined;
  password?: string | undefined;
  /** Keys are `litegate:<keyPrefix>:...`; distinct prefixes keep separate gateways apart. */
  keyPrefix?: string | undefined;
  /** Defaults to console.warn. */
  logger?: RedisStateLogger | undefined;
  /** How often the local cache pulls recently used deployments from Redis. Default 250 ms. */
  refreshMs?: number | undefined;
  /** Deployments kept in the local cache (least recently used are dropped). Default 10 000. */
  maxEntries?: number | undefined;
  /** How long a Redis command may take before the call falls back to local state. Default 500 ms. */
  commandTimeoutMs?: number | undefined;
}

export interface RedisStateStatus {
  /** True while state is shared through Redis; false while this instance runs on local state. */
  shared: boolean;
  /** Deployments in the local cache. */
  cachedDeployments: number;
}

/** The Lua scripts, as ioredis exposes them once defineCommand has run. */
interface Scripts {
  litegateTake(key: string, limit: number, ttlMs: number): Promise<[number, number]>;
  litegateAdd(key: string, amount: number, ttlMs: number): Promise<string>;
  litegateCool(
    key: string,
    until: number,
    cause: string,
    ttlMs: number,
    channel: string,
    message: string,
  ): Promise<number>;
  litegateBusy(key: string, instance: string, count: number, ttlMs: number): Promise<number>;
  litegateLatency(key: string, sample: string, cap: number, ttlMs: number): Promise<number>;
}

const DEFAULT_REFRESH_MS = 250;
const DEFAULT_MAX_ENTRIES = 10_000;
/** Deployments not used for this long are no longer refreshed (they stay cached until evicted). */
const INTEREST_MS = 60_000;
/** Keys the refresh reads per deployment in its MGET: req, tok, fail, ok, cool. */
const KEYS_PER_ID = 5;

export class RedisState implements RouterState {
  static connect(options: RedisStateOptions = {}): RedisState {
    return new RedisState(options);
  }

  private readonly link: RedisLink<Scripts>;
  private readonly prefix: string;
  private readonly cache: LocalCache;
  /** Requests in flight on this instance: exact, never evicted, published to Redis. */
  private readonly own = new Map<string, number>();
  /** Names this instance's in-flight fields and latency samples. */
  private readonly instance = randomBytes(6).toString("hex");
  private readonly timer: NodeJS.Timeout;
  private readonly cooldowns: string;
  private refreshing = false;
  private lastHeartbeat = 0;
  private sampleSeq = 0;

  constructor(options: RedisStateOptions = {}) {
    this.prefix = keyPrefixOf(options.keyPrefix);
    this.cache = new LocalCache(Math.max(1, options.maxEntries ?? DEFAULT_MAX_ENTRIES));
    this.link = new RedisLink<Scripts>(options, {
      subject: "router state is",
      command: "router-state command",
      scripts: {
        litegateTake: { numberOfKeys: 1, lua: TAKE_LUA },
        litegateAdd: { numberOfKeys: 1, lua: ADD_LUA },
        litegateCool: { numberOfKeys: 1, lua: COOL_LUA },
        litegateBusy: { numberOfKeys: 1, lua: BUSY_LUA },
        litegateLatency: { numberOfKeys: 1, lua: LATENCY_LUA },
      },
      onReady: () => this.republish(),
    });
    this.cooldowns = cooldownChannel(this.prefix);
    this.link.subscribe(this.cooldowns, (message) => this.heard(message));
    this.timer = setInterval(() => void this.refresh(), Math.max(10, options.refreshMs ?? DEFAULT_REFRESH_MS));
    // The refresh must never be what keeps a process alive.
    this.timer.unref();
  }

  /**
   * Resolves true once connected, false if the first connection attempt failed (calls then run
   * locally until it succeeds).
   */
  ready(): Promise<boolean> {
    return this.link.ready();
  }

  status(): RedisStateStatus {
    return { shared: this.link.usable(), cachedDeployments: this.cache.size };
  }

  async takeRequest(id: string, rpm: number | undefined, now: number): Promise<number | undefined> {
    const minute = minuteOf(now);
    this.cache.entry(id, now);
    if (rpm === undefined && this.link.usable()) {
      // No limit to enforce: count it without holding the request up.
      this.link.client
        .litegateTake(keyOf(this.prefix, "req", id, minute), -1, MINUTE_KEY_TTL_MS)
        .catch((error: unknown) => this.link.failed(error));
      const entry = this.cache.entry(id, now);
      entry.requests += 1;
      return undefined;
    }
    // Only the very first calls wait here, for at most the connect timeout: counting them
    // locally would let a freshly started instance overshoot a shared limit.
    if (!this.link.contacted) await this.link.ready();
    if (this.link.usable()) {
      try {
        const limit = rpm === undefined || !Number.isFinite(rpm) ? -1 : Math.max(0, rpm);
        const [count, counted] = await this.link.client.litegateTake(
          keyOf(this.prefix, "req", id, minute),
          limit,
          MINUTE_KEY_TTL_MS,
        );
        const entry = this.cache.entry(id, now);
        if (entry.minute === minute) entry.requests = Math.max(entry.requests, Number(count));
        return Number(counted) === 1 ? undefined : minute + MINUTE_MS - now;
      } catch (error) {
        this.link.failed(error);
      }
    } else {
      this.link.fallingBack();
    }
    const entry = this.cache.entry(id, now);
    if (rpm !== undefined && entry.requests >= rpm) return minute + MINUTE_MS - now;
    entry.requests += 1;
    return undefined;
  }

  addTokens(id: string, tokens: number, now: number): void {
    if (!Number.isFinite(tokens) || tokens === 0) return;
    const minute = minuteOf(now);
    this.cache.entry(id, now).tokens += tokens;
    this.write(async () => {
      const total = await this.link.client.litegateAdd(
        keyOf(this.prefix, "tok", id, minute),
        tokens,
        MINUTE_KEY_TTL_MS,
      );
      const entry = this.cache.peek(id);
      if (entry !== undefined && entry.minute === minute) entry.tokens = Math.max(entry.tokens, decodeCount(total));
    });
  }

  minuteUsage(id: string, now: number): MinuteUsage {
    const entry = this.cache.entry(id, now);
    return { requests: entry.requests, tokens: entry.tokens };
  }

  startRequest(id: string): void {
    this.cache.entry(id);
    this.own.set(id, (this.own.get(id) ?? 0) + 1);
    this.publishBusy(id);
  }

  endRequest(id: string): void {
    this.cache.entry(id);
    const count = Math.max(0, (this.own.get(id) ?? 0) - 1);
    if (count === 0) this.own.delete(id);
    else this.own.set(id, count);
    this.publishBusy(id);
  }

  inFlight(id: string): number {
    const entry = this.cache.entry(id);
    // Other instances' counts only while shared: once Redis is gone they can only go stale.
    return (this.own.get(id) ?? 0) + (this.link.usable() ? entry.elsewhere : 0);
  }

  recordSuccess(id: string, now: number): void {
    const minute = minuteOf(now);
    this.cache.entry(id, now).successes += 1;
    this.write(async () => {
      const total = await this.link.client.litegateAdd(keyOf(this.prefix, "ok", id, minute), 1, MINUTE_KEY_TTL_MS);
      const entry = this.cache.peek(id);
      if (entry !== undefined && entry.minute === minute)
        entry.successes = Math.max(entry.successes, decodeCount(total));
    });
  }

  async recordFailure(id: string, now: number): Promise<number> {
    const minute = minuteOf(now);
    this.cache.entry(id, now);
    if (!this.link.contacted) await this.link.ready();
    if (this.link.usable()) {
      try {
        const total = decodeCount(
          await this.link.client.litegateAdd(keyOf(this.prefix, "fail", id, minute), 1, MINUTE_KEY_TTL_MS),
        );
        const entry = this.cache.entry(id, now);
        if (entry.minute === minute) entry.failures = Math.max(entry.failures, total);
        return total;
      } catch (error) {
        this.link.failed(error);
      }
    } else {
      this.link.fallingBack();
    }
    const entry = this.cache.entry(id, now);
    entry.failures += 1;
    return entry.failures;
  }

  minuteOutcomes(id: string, now: number): MinuteOutcomes {
    const entry = this.cache.entry(id, now);
    return { successes: entry.successes, failures: entry.failures };
  }

  async setCooldown(id: string, cooldown: Cooldown): Promise<void> {
    const copy: Cooldown = { until: cooldown.until, cause: cooldown.cause };
    const entry = this.cache.entry(id);
    entry.cooldown = laterCooldown(entry.cooldown, copy);
    if (this.link.closed) return;
    if (!this.link.contacted) await this.link.ready();
    if (!this.link.usable()) {
      // Sent when Redis is back (republish), with every cooldown still running.
      this.link.fallingBack();
      return;
    }
    try {
      await this.sendCooldown(id, copy);
    } catch (error) {
      this.link.failed(error);
    }
  }

  cooldown(id: string, now: number): Cooldown | undefined {
    const cooldown = this.cache.entry(id).cooldown;
    return cooldown !== undefined && cooldown.until > now ? cooldown : undefined;
  }

  recordLatency(id: string, sample: number, now: number): void {
    if (!Number.isFinite(sample)) return;
    this.sampleSeq += 1;
    const item: Sample = { at: now, value: sample, tag: `${this.instance}.${this.sampleSeq}` };
    const entry = this.cache.entry(id);
    entry.samples.push(item);
    if (entry.samples.length > MAX_SAMPLES) entry.samples.shift();
    this.write(async () => {
      // Pending until Redis answers: a refresh sent before this write must not drop the sample.
      this.cache.peek(id)?.pending.push(item);
      try {
        await this.link.client.litegateLatency(
          keyOf(this.prefix, "lat", id),
          encodeSample(item),
          MAX_SAMPLES,
          LATENCY_KEY_TTL_MS,
        );
      } finally {
        const current = this.cache.peek(id);
        if (current !== undefined) current.pending = current.pending.filter((other) => other !== item);
      }
    });
  }

  latency(id: string, now: number, ttlMs: number): number | undefined {
    const fresh = this.cache.entry(id).samples.filter((sample) => now - sample.at <= ttlMs);
    if (fresh.length === 0) return undefined;
    return fresh.reduce((sum, sample) => sum + sample.value, 0) / fresh.length;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.link.close(async () => {
      // A clean shutdown takes its in-flight counts with it instead of letting them age out.
      if (this.own.size === 0) return;
      const pipeline = this.link.client.pipeline();
      for (const id of this.own.keys()) pipeline.hdel(keyOf(this.prefix, "busy", id), this.instance);
      await pipeline.exec();
    });
  }

  /** Sends a write without waiting for it; nothing it does can throw to the caller. */
  private write(op: () => Promise<unknown>): void {
    if (this.link.closed) return;
    if (!this.link.contacted) {
      // At startup, hold writes until the first connection attempt settles (bounded by the
      // connect timeout) so a cooldown set in the first milliseconds still reaches the others.
      void this.link.ready().then(() => this.write(op));
      return;
    }
    if (!this.link.usable()) {
      this.link.fallingBack();
      return;
    }
    op().catch((error: unknown) => this.link.failed(error));
  }

  private sendCooldown(id: string, cooldown: Cooldown): Promise<number> {
    // Expiry from our clock rather than PEXPIREAT on Redis's: `until` is in our clock.
    const ttl = Math.ceil(Math.max(0, cooldown.until - Date.now()) + COOLDOWN_KEY_MARGIN_MS);
    const message = JSON.stringify([this.instance, id, cooldown.until, cooldown.cause]);
    return this.link.client.litegateCool(
      keyOf(this.prefix, "cool", id),
      cooldown.until,
      cooldown.cause,
      ttl,
      this.cooldowns,
      message,
    );
  }

  /** A cooldown another instance announced: applied at once, before the next request picks. */
  private heard(message: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(message);
    } catch {
      return;
    }
    if (!Array.isArray(parsed) || parsed[0] === this.instance || typeof parsed[1] !== "string") return;
    const cooldown = decodeCooldown(`${String(parsed[2])}|${String(parsed[3])}`);
    if (cooldown === undefined) return;
    const entry = this.cache.entry(parsed[1]);
    entry.cooldown = laterCooldown(entry.cooldown, cooldown);
  }

  private publishBusy(id: string): void {
    // The count is read when the write goes out, so a deferred write still sends the latest.
    this.write(() =>
      this.link.client.litegateBusy(
        keyOf(this.prefix, "busy", id),
        this.instance,
        this.own.get(id) ?? 0,
        BUSY_KEY_TTL_MS,
      ),
    );
  }

  private heartbeat(): void {
    this.lastHeartbeat = Date.now();
    for (const id of this.own.keys()) this.publishBusy(id);
  }

  /** Each time Redis is ready (again), once the link has noted the recovery. */
  private republish(): void {
    // Republish what only this instance knows after an outage: its in-flight counts and the
    // cooldowns still running (the later-wins script makes repeats harmless).
    this.heartbeat();
    const wall = Date.now();
    for (const entry of this.cache.usedSince(0)) {
      const cooldown = entry.cooldown;
      if (cooldown !== undefined && cooldown.until > wall) this.write(() => this.sendCooldown(entry.id, cooldown));
    }
    void this.refresh();
  }

  /** Pulls everything about recently used deployments in one round trip. */
  private async refresh(): Promise<void> {
    // Deliberately connected(), not usable(): the refresh is the probe that ends a degraded spell.
    if (this.refreshing || !this.link.connected()) return;
    const wall = Date.now();
    if (wall - this.lastHeartbeat >= BUSY_HEARTBEAT_MS) this.heartbeat();
    const wanted = this.cache.usedSince(wall - INTEREST_MS).map((entry) => ({ id: entry.id, minute: entry.minute }));
    if (wanted.length === 0) return;
    this.refreshing = true;
    try {
      const pipeline = this.link.client.pipeline();
      pipeline.time();
      pipeline.mget(
        wanted.flatMap(({ id, minute }) => [
          keyOf(this.prefix, "req", id, minute),
          keyOf(this.prefix, "tok", id, minute),
          keyOf(this.prefix, "fail", id, minute),
          keyOf(this.prefix, "ok", id, minute),
          keyOf(this.prefix, "cool", id),
        ]),
      );
      for (const { id } of wanted) {
        pipeline.hgetall(keyOf(this.prefix, "busy", id));
        pipeline.lrange(keyOf(this.prefix, "lat", id), 0, MAX_SAMPLES - 1);
      }
      const replies = await pipeline.exec();
      if (replies === null) return;
      for (const [error] of replies) if (error !== null) throw error;
      this.link.answered();
      const results = replies.map(([, result]) => result);
      const time = results[0] as [string, string];
      const redisNow = Number(time[0]) * 1000 + Math.floor(Number(time[1]) / 1000);
      const values = results[1] as (string | null)[];
      wanted.forEach(({ id, minute }, index) => {
        const entry = this.cache.peek(id);
        if (entry === undefined) return;
        // Counters only grow within a minute: the larger of Redis and the cache is the newer.
        if (entry.minute === minute) {
          entry.requests = Math.max(entry.requests, decodeCount(values[index * KEYS_PER_ID]));
          entry.tokens = Math.max(entry.tokens, decodeCount(values[index * KEYS_PER_ID + 1]));
          entry.failures = Math.max(entry.failures, decodeCount(values[index * KEYS_PER_ID + 2]));
          entry.successes = Math.max(entry.successes, decodeCount(values[index * KEYS_PER_ID + 3]));
        }
        entry.cooldown = laterCooldown(entry.cooldown, decodeCooldown(values[index * KEYS_PER_ID + 4]));
        entry.elsewhere = this.elsewhere(results[2 + index * 2] as Record<string, string>, redisNow);
        const remote = (results[3 + index * 2] as string[])
          .map(decodeSample)
          .filter((sample): sample is Sample => sample !== undefined)
          .reverse();
        entry.samples = mergeSamples(remote, entry.pending);
      });
    } catch (error) {
      this.link.failed(error);
    } finally {
      this.refreshing = false;
    }
  }

  /** Sums other instances' in-flight fields, ignoring those of instances that stopped heartbeating. */
  private elsewhere(fields: Record<string, string>, redisNow: number): number {
    let total = 0;
    for (const [instance, value] of Object.entries(fields)) {
      if (instance === this.instance) continue;
      const [count, stamp] = value.split("|");
      if (redisNow - Number(stamp) > BUSY_STALE_MS) continue;
      const n = Number(count);
      if (Number.isFinite(n) && n > 0) total += n;
    }
    return total;
  }
}
