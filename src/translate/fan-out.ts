/**
 * One text completion request as several upstream calls, and their answers as one:
 * K prompts and `n` choices become one call per prompt (the provider making n choices)
 * or n calls per prompt (it cannot), run concurrently with a bound, and choice `j` of
 * prompt `p` is given index `p * n + j`, as OpenAI orders them. Streams are merged as
 * their chunks arrive, so every choice of every call is carried.
 */
import type { CompletionUsage, TextCompletion, TextCompletionChunk } from "../wire/completions.js";

export interface SubCall {
  promptIndex: number;
  prompt: string;
  /** Which of the n calls for this prompt (0 when one call makes all n). */
  k: number;
  /** Choices this call returns. */
  n: number;
}

/** Calls in flight at once for one request. */
export const FAN_OUT_CONCURRENCY = 8;

export function planCalls(prompts: readonly string[], n: number, providerTakesN: boolean): SubCall[] {
  const calls: SubCall[] = [];
  prompts.forEach((prompt, promptIndex) => {
    if (providerTakesN || n === 1) calls.push({ promptIndex, prompt, k: 0, n });
    else for (let k = 0; k < n; k++) calls.push({ promptIndex, prompt, k, n: 1 });
  });
  return calls;
}

/** The request-wide index of a call's choice `local`. */
export function choiceIndex(call: SubCall, n: number, local: number): number {
  return call.promptIndex * n + call.k + local;
}

/**
 * Runs `task` for every item, at most `limit` at a time, results in item order. After
 * a failure no further task starts; the caller cancels those in flight.
 */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (next < items.length && !failed) {
      const at = next++;
      try {
        results[at] = await task(items[at] as T);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function addDetails(
  a: Record<string, number> | undefined,
  b: Record<string, number> | undefined,
): Record<string, number> | undefined {
  if (a === undefined) return b === undefined ? undefined : { ...b };
  if (b === undefined) return { ...a };
  const sum: Record<string, number> = { ...a };
  for (const [key, value] of Object.entries(b)) sum[key] = (sum[key] ?? 0) + value;
  return sum;
}

/** The sum of two usages, the token details (cached, reasoning, ...) included. */
export function addUsage(total: CompletionUsage | undefined, usage: CompletionUsage): CompletionUsage {
  if (total === undefined) return structuredClone(usage);
  const sum: CompletionUsage = {
    prompt_tokens: total.prompt_tokens + usage.prompt_tokens,
    completion_tokens: total.completion_tokens + usage.completion_tokens,
    total_tokens: total.total_tokens + usage.total_tokens,
  };
  const prompt = addDetails(total.prompt_tokens_details, usage.prompt_tokens_details);
  const completion = addDetails(total.completion_tokens_details, usage.completion_tokens_details);
  if (prompt !== undefined) sum.prompt_tokens_details = prompt;
  if (completion !== undefined) sum.completion_tokens_details = completion;
  return sum;
}

/**
 * The answers of all calls as one. Usage is the sum of what each call reported (a
 * prompt sent n times is billed n times), and absent when any call reported none.
 */
export function mergeAnswers(calls: readonly SubCall[], answers: readonly TextCompletion[], n: number): TextCompletion {
  const first = answers[0] as TextCompletion;
  const merged: TextCompletion = { ...first, choices: [] };
  delete merged.usage;
  let usage: CompletionUsage | undefined;
  let allReported = true;
  answers.forEach((answer, i) => {
    const call = calls[i] as SubCall;
    for (const choice of answer.choices) merged.choices.push({ ...choice, index: choiceIndex(call, n, choice.index) });
    if (answer.usage === undefined) allReported = false;
    else usage = addUsage(usage, answer.usage);
  });
  merged.choices.sort((a, b) => a.index - b.index);
  if (allReported && usage !== undefined) merged.usage = usage;
  return merged;
}

/** Each call's stream, already opened (its first chunk in hand). */
export interface SubStream {
  call: SubCall;
  chunks: AsyncIterator<TextCompletionChunk, void>;
}

/**
 * The chunks of all streams as one stream, in arrival order, re-indexed and under one
 * id. Usage chunks are held back: `onUsage` sees each, and the caller sends one total.
 */
export async function* mergeStreams(
  streams: readonly SubStream[],
  n: number,
  onUsage: (usage: CompletionUsage) => void,
  /** Cancels every call: reads still pending would otherwise wait for their upstream's next bytes. */
  cancel: () => void,
): AsyncGenerator<TextCompletionChunk, void> {
  let id: string | undefined;
  const pulls = new Map<number, Promise<{ at: number; result: IteratorResult<TextCompletionChunk, void> }>>();
  const pull = (at: number) => {
    const stream = streams[at] as SubStream;
    pulls.set(
      at,
      stream.chunks.next().then((result) => ({ at, result })),
    );
  };
  for (let at = 0; at < streams.length; at++) pull(at);
  try {
    while (pulls.size > 0) {
      const { at, result } = await Promise.race(pulls.values());
      if (result.done === true) {
        pulls.delete(at);
        continue;
      }
      pull(at);
      const chunk = result.value;
      if (chunk.usage != null) onUsage(chunk.usage);
      if (chunk.choices.length === 0) continue;
      id ??= chunk.id;
      const call = (streams[at] as SubStream).call;
      yield {
        ...chunk,
        id,
        choices: chunk.choices.map((choice) => ({ ...choice, index: choiceIndex(call, n, choice.index) })),
        usage: undefined,
      };
    }
  } finally {
    // Stopping early (or failing) closes every upstream stream still open.
    if (pulls.size > 0) {
      // Reads still pending fail once cancelled; nobody waits for them any more.
      for (const pending of pulls.values()) pending.catch(() => undefined);
      cancel();
    }
    await Promise.all(streams.map((stream) => stream.chunks.return?.().catch(() => undefined)));
  }
}
