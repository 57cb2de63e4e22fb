/**
 * The connection behind a Redis-backed state (router state, key limits): the ioredis client
 * and what its owner needs to know about it. Is Redis usable right now, did the first
 * connection attempt settle, was a failure an outage or a refusal. It warns at most once a
 * minute per kind of trouble while Redis is away and says so when it is back. The owner
 * falls back to local state whenever `usable()` is false; nothing here throws.
 */
import type { Redis } from "ioredis";
import { CONNECT_TIMEOUT_MS, createRedisClient, describeRedis, type RedisConnectionOptions } from "./redis-client.js";

export interface RedisStateLogger {
  warn(message: string): void;
  /** Told when Redis is reachable again after a warning; optional. */
  info?(message: string): void;
}

export interface RedisLinkOptions extends RedisConnectionOptions {
  /** Defaults to console.warn. */
  logger?: RedisStateLogger | undefined;
}

/** What a link is for, in its messages, and what its owner adds to the client. */
export interface RedisLinkSetup {
  /** What is shared, with its verb: "router state is", "key limits are". */
  subject: string;
  /** What a refused command was: "router-state command", "key-state command". */
  command: string;
  /** Lua scripts to define on the client, by command name. */
  scripts: Record<string, { numberOfKeys?: number; lua: string }>;
  /** What happens while Redis is away, in the warning; default "local to this instance". */
  whileAway?: string;
  /** Runs each time the connection becomes ready, after the recovery has been told, unless closed. */
  onReady?: () => void;
}

/** After a command timed out, calls go local at once for this long instead of each waiting. */
const DEGRADED_MS = 2_000;
const WARN_EVERY_MS = 60_000;

/** `Scripts` is what `setup.scripts` define, as ioredis exposes them once defineCommand has run. */
export class RedisLink<Scripts extends object = object> {
  readonly client: Redis & Scripts;
  /** host:port for messages: never the URL, which may carry the password. */
  private readonly where: string;
  private readonly logger: RedisStateLogger;
  private readonly subject: string;
  private readonly command: string;
  private readonly whileAway: string;
  private readonly firstContact: Promise<boolean>;
  private settled = false;
  private isClosed = false;
  private degradedUntil = 0;
  /** A warning was logged since Redis last answered. */
  private lost = false;
  private readonly warnedAt = new Map<string, number>();
  /** The connection subscribed to this link's channels, made on the first subscribe. */
  private subscriber: Redis | undefined;
  private readonly handlers = new Map<string, (message: string) => void>();
  /** Channels Redis has confirmed, and callers of `subscribed` waiting for theirs. */
  private readonly confirmed = new Set<string>();
  private confirming: { channel: string; resolve: () => void }[] = [];

  constructor(options: RedisLinkOptions, setup: RedisLinkSetup) {
    this.where = describeRedis(options);
    // biome-ignore lint/suspicious/noConsole: without a logger, an SDK user still hears of Redis trouble
    this.logger = options.logger ?? { warn: (message) => console.warn(message) };
    this.subject = setup.subject;
    this.command = setup.command;
    this.whileAway = setup.whileAway ?? "local to this instance";
    const client = createRedisClient(options);
    for (const [name, definition] of Object.entries(setup.scripts)) client.defineCommand(name, definition);
    this.client = client as Redis & Scripts;

    // Without an 'error' listener ioredis prints every failed reconnect; with it, we decide.
    this.client.on("error", () => this.unreachable());
    this.client.on("ready", () => {
      this.back();
      if (!this.isClosed) setup.onReady?.();
    });
    this.firstContact = new Promise<boolean>((resolve) => {
      const settle = (ok: boolean): void => {
        if (this.settled) return;
        this.settled = true;
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

  /**
   * Resolves true once connected, false if the first connection attempt failed (calls then run
   * locally until it succeeds).
   */
  ready(): Promise<boolean> {
    return this.firstContact;
  }

  /** The first connection attempt has succeeded or failed. */
  get contacted(): boolean {
    return this.settled;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Connected and open; a recent timeout may still make calls go local (see `usable`). */
  connected(): boolean {
    return !this.isClosed && this.client.status === "ready";
  }

  usable(): boolean {
    return this.connected() && Date.now() >= this.degradedUntil;
  }

  /** A command went through: calls no longer go local for an earlier timeout's sake. */
  answered(): void {
    this.degradedUntil = 0;
  }

  /** Redis answers again: sharing resumes, and whoever was warned is told. */
  back(): void {
    this.answered();
    if (!this.lost) return;
    this.lost = false;
    this.logger.info?.(`Redis at ${this.where} is reachable again; ${this.subject} shared again`);
  }

  failed(error: unknown): void {
    if (this.isClosed) return;
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof Error && error.name === "ReplyError") {
      // Redis answered but refused (out of memory, read-only replica, ...): not an outage.
      this.warn("reply", `Redis at ${this.where} rejected a ${this.command} (${message}); that call used local state`);
      return;
    }
    if (/timed out/i.test(message)) this.degradedUntil = Date.now() + DEGRADED_MS;
    this.unreachable();
  }

  /** A call went local because Redis was unusable; before the first contact settles that is no outage yet. */
  fallingBack(): void {
    if (this.settled) this.unreachable();
  }

  unreachable(): void {
    if (this.isClosed) return;
    this.lost = true;
    this.warn("unreachable", `Redis unreachable at ${this.where}; ${this.subject} ${this.whileAway} until it returns`);
  }

  /**
   * Calls `onMessage` with every message published on `channel`, from now until close. A
   * subscribed connection can do nothing else, so channels share one connection of their own;
   * it resubscribes by itself after a reconnect. A message missed during an outage is not
   * replayed: owners keep a slower way to catch up (a cache TTL, a periodic refresh).
   */
  subscribe(channel: string, onMessage: (message: string) => void): void {
    this.handlers.set(channel, onMessage);
    if (this.subscriber === undefined) {
      const subscriber = this.client.duplicate();
      // The main connection already warns about outages.
      subscriber.on("error", () => undefined);
      subscriber.on("ready", () => {
        void subscriber.subscribe(...this.handlers.keys()).then(
          () => this.confirm(this.handlers.keys()),
          () => undefined,
        );
      });
      subscriber.on("message", (from: string, message: string) => this.handlers.get(from)?.(message));
      this.subscriber = subscriber;
    } else if (this.subscriber.status === "ready") {
      void this.subscriber.subscribe(channel).then(
        () => this.confirm([channel]),
        () => undefined,
      );
    }
  }

  /**
   * Resolves once Redis has confirmed this connection's subscription to `channel` (messages
   * published from then on are heard). Never rejects; stays pending while Redis is away.
   */
  subscribed(channel: string): Promise<void> {
    if (this.confirmed.has(channel)) return Promise.resolve();
    return new Promise<void>((resolve) => this.confirming.push({ channel, resolve }));
  }

  private confirm(channels: Iterable<string>): void {
    for (const channel of channels) this.confirmed.add(channel);
    this.confirming = this.confirming.filter((waiting) => {
      if (!this.confirmed.has(waiting.channel)) return true;
      waiting.resolve();
      return false;
    });
  }

  /** Quits cleanly if connected, after `farewell` (the owner's last words to Redis), then disconnects. */
  async close(farewell?: () => Promise<unknown>): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    this.subscriber?.disconnect();
    if (this.client.status === "ready") {
      try {
        await farewell?.();
        await this.client.quit();
      } catch {
        // Closing anyway.
      }
    }
    this.client.disconnect();
  }

  private warn(kind: string, message: string): void {
    const now = Date.now();
    const last = this.warnedAt.get(kind);
    if (last !== undefined && now - last < WARN_EVERY_MS) return;
    this.warnedAt.set(kind, now);
    this.logger.warn(message);
  }
}
