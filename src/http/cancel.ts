/**
 * Cancellation without AbortController on the hot path. An AbortController is an
 * EventTarget and costs several microseconds to create and wire up; litegate needs
 * one per proxied request and per upstream attempt, so it uses these small stand-ins.
 * Callers may still pass a real AbortSignal: it fits AbortLike.
 */

/** setTimeout's longest delay: a longer one fires after 1 ms instead (Node clamps it). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** The part of AbortSignal litegate uses. */
export interface AbortLike {
  readonly aborted: boolean;
  addEventListener(type: "abort", listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: "abort", listener: () => void): void;
}

/** A one-shot cancellation a caller fires with abort(), e.g. when a client disconnects. */
export class Cancellation implements AbortLike {
  aborted = false;
  private readonly listeners: (() => void)[] = [];

  addEventListener(_type: "abort", listener: () => void): void {
    if (this.aborted) return;
    this.listeners.push(listener);
  }

  removeEventListener(_type: "abort", listener: () => void): void {
    const index = this.listeners.indexOf(listener);
    if (index !== -1) this.listeners.splice(index, 1);
  }

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    for (const listener of this.listeners.splice(0)) listener();
  }
}

/** Waits `ms`, or rejects as soon as `signal` fires. */
export function sleep(ms: number, signal: AbortLike | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new Error("aborted"));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(new Error("aborted"));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
