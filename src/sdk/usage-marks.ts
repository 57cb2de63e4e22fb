/**
 * Which answers carry a usage that litegate counted itself rather than one the provider
 * reported. Kept beside the objects, not in them, so the wire format stays OpenAI's.
 */
import type { ChatCompletion, ChatCompletionChunk } from "../wire/chat.js";
import type { TextCompletion, TextCompletionChunk } from "../wire/completions.js";

type Answer = TextCompletion | TextCompletionChunk | ChatCompletion | ChatCompletionChunk;

const estimated = new WeakSet<object>();

export function markEstimated<T extends Answer>(answer: T): T {
  estimated.add(answer);
  return answer;
}

/** True when `answer.usage` was counted with the model's tokenizer, not reported by the provider. */
export function isUsageEstimated(answer: Answer): boolean {
  return estimated.has(answer);
}
