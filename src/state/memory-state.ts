/** RouterState in this process's memory: the default, and what one worker knows without Redis. */
import {
  type Cooldown,
  MINUTE_MS,
  type MinuteOutcomes,
  type MinuteUsage,
  minuteOf,
  type RouterState,
} from "./router-state.js";

interface Minute {
  start: number;
  requests: number;
  tokens: number;
  successes: number;
  failures: number;
}

/** Latency samples kept per deployment; older ones also age out by ttl. */
const MAX_SAMPLES = 32;

export class MemoryState implements RouterState {
  private readonly minutes = new Map<string, Minute>();
  private readonly running = new Map<string, number>();
  private readonly cooldowns = new Map<string, Cooldown>();
  private readonly samples = new Map<string, { at: number; value: number }[]>();

  private minute(id: string, now: number): Minute {
    const start = minuteOf(now);
    let minute = this.minutes.get(id);
    if (minute === undefined || minute.start !== start) {
      minute = { start, requests: 0, tokens: 0, successes: 0, failures: 0 };
      this.minutes.set(id, minute);
    }
    return minute;
  }

  takeRequest(id: string, rpm: number | undefined, now: number): number | undefined {
    const minute = this.minute(id, now);
    if (rpm !== undefined && minute.requests >= rpm) return minute.start + MINUTE_MS - now;
    minute.requests += 1;
    return undefined;
  }

  addTokens(id: string, tokens: number, now: number): void {
    this.minute(id, now).tokens += tokens;
  }

  minuteUsage(id: string, now: number): MinuteUsage {
    const minute = this.minute(id, now);
    return { requests: minute.requests, tokens: minute.tokens };
  }

  startRequest(id: string): void {
    this.running.set(id, (this.running.get(id) ?? 0) + 1);
  }

  endRequest(id: string): void {
    this.running.set(id, Math.max(0, (this.running.get(id) ?? 0) - 1));
  }

  inFlight(id: string): number {
    return this.running.get(id) ?? 0;
  }

  recordSuccess(id: string, now: number): void {
    this.minute(id, now).successes += 1;
  }

  async recordFailure(id: string, now: number): Promise<number> {
    const minute = this.minute(id, now);
    minute.failures += 1;
    return minute.failures;
  }

  minuteOutcomes(id: string, now: number): MinuteOutcomes {
    const minute = this.minute(id, now);
    return { successes: minute.successes, failures: minute.failures };
  }

  setCooldown(id: string, cooldown: Cooldown): void {
    const current = this.cooldowns.get(id);
    if (current === undefined || current.until < cooldown.until) this.cooldowns.set(id, cooldown);
  }

  cooldown(id: string, now: number): Cooldown | undefined {
    const cooldown = this.cooldowns.get(id);
    return cooldown !== undefined && cooldown.until > now ? cooldown : undefined;
  }

  recordLatency(id: string, sample: number, now: number): void {
    const list = this.samples.get(id) ?? [];
    list.push({ at: now, value: sample });
    if (list.length > MAX_SAMPLES) list.shift();
    this.samples.set(id, list);
  }

  latency(id: string, now: number, ttlMs: number): number | undefined {
    const fresh = (this.samples.get(id) ?? []).filter((sample) => now - sample.at <= ttlMs);
    if (fresh.length === 0) return undefined;
    return fresh.reduce((sum, sample) => sum + sample.value, 0) / fresh.length;
  }

  async close(): Promise<void> {
    // Nothing to release.
  }
}
