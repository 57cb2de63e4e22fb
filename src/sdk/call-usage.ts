/**
 * How one call treats usage, decided once for either endpoint: which ledger sees it, whether
 * the caller asked for a stream's usage chunk, and whether the provider is asked for usage
 * on the caller's behalf (the ledger bills, and a provider's own count beats a tokenizer's).
 */
import { type Countable, type UsageBasis, UsageLedger } from "../usage/ledger.js";
import type { CallOptions } from "./options.js";
import { type ChunkShape, StreamUsage } from "./stream.js";
import { markEstimated } from "./usage-marks.js";

interface UsageParams {
  stream?: boolean | null;
  stream_options?: { include_usage?: boolean | null } | null;
}

export interface CallUsage {
  ledger: UsageLedger;
  /** The caller gets usage: every answer has it, a stream ends with a usage chunk. */
  asked: boolean;
  /** `stream_options.include_usage` goes upstream though the caller did not ask. */
  askProvider: boolean;
}

export function callUsage(params: UsageParams, options: CallOptions): CallUsage {
  const ledger = options.ledger ?? new UsageLedger();
  const stream = params.stream === true;
  const asked = !stream || params.stream_options?.include_usage === true;
  return { ledger, asked, askProvider: stream && !asked && ledger.bills };
}

/** The params as they go upstream: with `include_usage` on when usage is asked for on the caller's behalf. */
export function withProviderUsage<P extends UsageParams>(params: P, usage: CallUsage): P {
  if (!usage.askProvider) return params;
  return { ...params, stream_options: { ...params.stream_options, include_usage: true } };
}

/** Starts the ledger on the call's prompt (an attempt on another deployment starts it afresh). */
export function beginUsage(usage: CallUsage, basis: UsageBasis): void {
  usage.ledger.begin(basis, usage.asked);
}

/** The usage side of a stream whose chunks are of kind `object`. */
export function streamUsage<C extends ChunkShape>(usage: CallUsage, object: string, model: string): StreamUsage<C> {
  return new StreamUsage<C>(usage.ledger, usage.asked, { object, model });
}

/** A whole answer, shown to the ledger, with the usage its provider left out counted in. */
export async function answerWithUsage<A extends Countable & Parameters<typeof markEstimated>[0]>(
  answer: A,
  ledger: UsageLedger,
): Promise<A> {
  ledger.observe(answer);
  if (answer.usage != null) return answer;
  const settled = await ledger.settle();
  if (settled === undefined) return answer;
  answer.usage = settled.usage;
  return markEstimated(answer);
}
