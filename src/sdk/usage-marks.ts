/**
 * What is known of an answer beside its wire fields, kept beside the objects rather than in
 * them so the wire format stays OpenAI's: whether its usage was counted by litegate rather
 * than reported by the provider, and the provider's exact bytes when the answer is theirs
 * unchanged (forwarded as they came, with no second serialisation).
 */
import type { ChatCompletion, ChatCompletionChunk } from "../wire/chat.js";
import type { TextCompletion, TextCompletionChunk } from "../wire/completions.js";
import type { CreateEmbeddingResponse } from "../wire/embeddings.js";

type Answer = TextCompletion | TextCompletionChunk | ChatCompletion | ChatCompletionChunk | CreateEmbeddingResponse;

const estimated = new WeakSet<object>();
const rawBodies = new WeakMap<object, string>();

export function markEstimated<T extends Answer>(answer: T): T {
  estimated.add(answer);
  // Usage filled in here changed the answer: the provider's bytes no longer say it.
  rawBodies.delete(answer);
  return answer;
}

/** True when `answer.usage` was counted with the model's tokenizer, not reported by the provider. */
export function isUsageEstimated(answer: Answer): boolean {
  return estimated.has(answer);
}

/** `answer` is exactly the provider's JSON `text`. Whoever changes the answer afterwards must unmark it. */
export function markRaw(answer: object, text: string): void {
  rawBodies.set(answer, text);
}

/** The provider's bytes for an answer that is theirs unchanged. */
export function rawBodyOf(answer: object): string | undefined {
  return rawBodies.get(answer);
}
