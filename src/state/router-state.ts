/**
 * What the Router remembers about deployments, behind one small interface so that one
 * process, N workers and N machines behave alike: request and token counts per minute
 * (rpm/tpm limits, usage-based routing), in-flight requests (least-busy), failures and
 * cooldowns, and latency (latency-based routing). Two implementations: in memory, and
 * Redis for state shared between instances.
 *
 * Reads are synchronous and local (the hot path never waits on a network for them);
 * only `takeRequest`, `recordFailure` and `setCooldown` resolve after the shared store
 * answers, because a limit, a failure count and a cooldown must hold across instances at once.
 */

export type CooldownCause = "rate_limit" | "failure";

export interface Cooldown {
  /** Epoch ms when the deployment may be picked again. */
  until: number;
  cause: CooldownCause;
}

export interface MinuteUsage {
  requests: number;
  tokens: number;
}

export interface MinuteOutcomes {
  successes: number;
  failures: number;
}

export interface RouterState {
  /**
   * Counts one request in the deployment's current minute, unless `rpm` requests were
   * already counted: then nothing is counted and the result is the ms until the minute
   * ends. Undefined means the request was counted. A store that answers at once may
   * answer without a promise (saves the request an await).
   */
  takeRequest(id: string, rpm: number | undefined, now: number): Promise<number | undefined> | number | undefined;
  /** Adds tokens to the deployment's current minute. */
  addTokens(id: string, tokens: number, now: number): void;
  /** Requests and tokens counted in the current minute. */
  minuteUsage(id: string, now: number): MinuteUsage;
  startRequest(id: string): void;
  endRequest(id: string): void;
  inFlight(id: string): number;
  /** Counts a success in the deployment's current minute (the failure rate's other half). */
  recordSuccess(id: string, now: number): void;
  /** Counts a failure in the deployment's current minute; resolves with the minute's count. */
  recordFailure(id: string, now: number): Promise<number>;
  /** Successes and failures counted in the current minute. */
  minuteOutcomes(id: string, now: number): MinuteOutcomes;
  /**
   * Starts (or lengthens) a cooldown. A shared store resolves once every other instance can
   * see it, so a request they take after this one's answer already skips the deployment.
   */
  setCooldown(id: string, cooldown: Cooldown): Promise<void> | void;
  /** The deployment's cooldown, if one is running at `now`. */
  cooldown(id: string, now: number): Cooldown | undefined;
  /** Adds a latency sample (ms per output token, or ms to the first chunk for streams). */
  recordLatency(id: string, sample: number, now: number): void;
  /** The moving average of samples younger than `ttlMs`, or undefined without samples. */
  latency(id: string, now: number, ttlMs: number): number | undefined;
  close(): Promise<void>;
}

export const MINUTE_MS = 60_000;

/** The start of the minute `now` falls in: every instance counts in the same windows. */
export function minuteOf(now: number): number {
  return now - (now % MINUTE_MS);
}
