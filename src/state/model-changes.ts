/**
 * Word between instances that the deployments stored in the database changed (POST
 * /model/new, /model/update, /model/delete), so each reloads them at once instead of at its
 * next periodic refresh. Redis pub/sub on the router's Redis; without Redis there is no word
 * and the refresh alone carries changes. A message lost while Redis is away only waits for
 * that refresh.
 */
import { randomBytes } from "node:crypto";
import { RedisLink, type RedisLinkOptions } from "./redis-link.js";
import { keyPrefixOf } from "./redis-scripts.js";

export interface ModelChanges {
  /** Tells the other instances that stored models changed. Never awaited, never throws. */
  announce(): void;
  /** Calls `listener` each time another instance announces a change. */
  onChange(listener: () => void): void;
  /** Resolves once changes announced from now on are heard (the subscription is confirmed). */
  listening(): Promise<void>;
  close(): Promise<void>;
}

export interface RedisModelChangesOptions extends RedisLinkOptions {
  /** Keys are `litegate:<keyPrefix>:...`; distinct prefixes keep separate gateways apart. */
  keyPrefix?: string | undefined;
}

export class RedisModelChanges implements ModelChanges {
  static connect(options: RedisModelChangesOptions = {}): RedisModelChanges {
    return new RedisModelChanges(options);
  }

  private readonly link: RedisLink;
  private readonly channel: string;
  /** This instance's name on the channel: its own announcements are not news to it. */
  private readonly instance = randomBytes(6).toString("hex");
  private readonly listeners: (() => void)[] = [];

  constructor(options: RedisModelChangesOptions = {}) {
    this.channel = `${keyPrefixOf(options.keyPrefix)}models:changes`;
    this.link = new RedisLink(options, {
      subject: "model changes are",
      command: "model-change announcement",
      scripts: {},
    });
    this.link.subscribe(this.channel, (message) => {
      if (message === this.instance) return;
      for (const listener of this.listeners) listener();
    });
  }

  announce(): void {
    if (!this.link.usable()) {
      this.link.fallingBack();
      return;
    }
    this.link.client.publish(this.channel, this.instance).then(
      () => this.link.back(),
      (error: unknown) => this.link.failed(error),
    );
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  listening(): Promise<void> {
    return this.link.subscribed(this.channel);
  }

  async close(): Promise<void> {
    await this.link.close();
  }
}
