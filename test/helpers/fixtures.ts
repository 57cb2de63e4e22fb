/** Canonical OpenAI answers the mock upstreams send, and small test utilities. */
import type { ChatCompletion } from "../../src/wire/chat.js";
import type { TextCompletion, TextCompletionChunk } from "../../src/wire/completions.js";

/** OpenAI's documented example answer to "Say this is a test", with a system_fingerprint. */
export function completionAnswer(overrides: Partial<TextCompletion> = {}): TextCompletion {
  return {
    id: "cmpl-uqkvlQyYK7bGYrRHQ0eXlWi7",
    object: "text_completion",
    created: 1589478378,
    model: "gpt-3.5-turbo-instruct",
    system_fingerprint: "fp_44709d6fcb",
    choices: [{ text: "\n\nThis is indeed a test", index: 0, logprobs: null, finish_reason: "length" }],
    usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 },
    ...overrides,
  };
}

/** A chat answer of one choice saying `content`, with usage 5 + 7 = 12 tokens. */
export function chatAnswer(content: string, overrides: Partial<ChatCompletion> = {}): ChatCompletion {
  return {
    id: "chatcmpl-1",
    object: "chat.completion",
    created: 1700000000,
    model: "chat-model",
    choices: [
      { index: 0, message: { role: "assistant", content, refusal: null }, logprobs: null, finish_reason: "stop" },
    ],
    usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 },
    ...overrides,
  };
}

/** A stream of `pieces` for choice 0, the last one finishing with `finish`. */
export function streamChunks(pieces: string[], finish: "stop" | "length" = "stop"): TextCompletionChunk[] {
  return pieces.map((text, i) => ({
    id: "cmpl-stream1",
    object: "text_completion",
    created: 1700000000,
    model: "gpt-3.5-turbo-instruct",
    choices: [{ text, index: 0, logprobs: null, finish_reason: i === pieces.length - 1 ? finish : null }],
  }));
}

/** Sets environment variables for the duration of `fn`, restoring the previous values after. */
export async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(vars)) {
    saved[name] = process.env[name];
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  try {
    return await fn();
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

/** The error `promise` rejects with (fails the test if it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`rejected with a non-Error: ${String(error)}`);
  }
  throw new Error("expected a rejection, but the promise resolved");
}

/** Collects every chunk of an async iterable. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}
