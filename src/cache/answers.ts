/**
 * A cached answer's two forms: a streamed answer gathered into the answer a non-streamed
 * request gets (what is stored), and a stored answer played back as the chunks of a stream.
 * One stored form serves both, since `stream` is not in the key.
 */
import type { ChatCompletion, ChatCompletionChoice, ChatCompletionChunk, ChatDelta, ToolCall } from "../wire/chat.js";
import type {
  CompletionUsage,
  Logprobs,
  TextCompletion,
  TextCompletionChoice,
  TextCompletionChunk,
} from "../wire/completions.js";
import type { CacheKind } from "./key.js";

export type CachedAnswer = TextCompletion | ChatCompletion;
export type CachedChunk = TextCompletionChunk | ChatCompletionChunk;

/** Gathers a stream's chunks, as they pass to the caller, into the whole answer. */
export class AnswerGatherer {
  private head: { id: string; created: number; model: string; system_fingerprint?: string } | undefined;
  private readonly text = new Map<number, TextCompletionChoice>();
  private readonly chat = new Map<number, ChatCompletionChoice>();
  /** Tool calls by choice, then by their index in the deltas. */
  private readonly tools = new Map<number, Map<number, ToolCall>>();

  constructor(private readonly kind: CacheKind) {}

  add(chunk: CachedChunk): void {
    if (this.head === undefined && chunk.id !== "") {
      this.head = { id: chunk.id, created: chunk.created, model: chunk.model };
      if (typeof chunk.system_fingerprint === "string") this.head.system_fingerprint = chunk.system_fingerprint;
    }
    if (this.kind === "text_completion")
      for (const choice of (chunk as TextCompletionChunk).choices) this.addText(choice);
    else for (const choice of (chunk as ChatCompletionChunk).choices) this.addChat(choice);
  }

  private addText(choice: TextCompletionChunk["choices"][number]): void {
    const { index, text, logprobs, finish_reason, ...extra } = choice;
    let gathered = this.text.get(index);
    if (gathered === undefined) {
      gathered = { ...extra, text: "", index, logprobs: null, finish_reason: "stop" };
      this.text.set(index, gathered);
    }
    gathered.text += text;
    if (logprobs != null) gathered.logprobs = joinLogprobs(gathered.logprobs, logprobs);
    if (finish_reason != null) gathered.finish_reason = finish_reason;
  }

  private addChat(choice: ChatCompletionChunk["choices"][number]): void {
    const { index, delta, logprobs, finish_reason } = choice;
    let gathered = this.chat.get(index);
    if (gathered === undefined) {
      gathered = {
        index,
        message: { role: "assistant", content: null, refusal: null },
        logprobs: null,
        finish_reason: "stop",
      };
      this.chat.set(index, gathered);
    }
    const message = gathered.message;
    if (typeof delta.content === "string") message.content = (message.content ?? "") + delta.content;
    if (typeof delta.refusal === "string") message.refusal = (message.refusal ?? "") + delta.refusal;
    for (const call of delta.tool_calls ?? []) {
      let calls = this.tools.get(index);
      if (calls === undefined) {
        calls = new Map();
        this.tools.set(index, calls);
      }
      let gatheredCall = calls.get(call.index);
      if (gatheredCall === undefined) {
        gatheredCall = { id: "", type: "function", function: { name: "", arguments: "" } };
        calls.set(call.index, gatheredCall);
      }
      if (call.id !== undefined) gatheredCall.id = call.id;
      if (call.function?.name !== undefined) gatheredCall.function.name += call.function.name;
      if (call.function?.arguments !== undefined) gatheredCall.function.arguments += call.function.arguments;
    }
    if (logprobs?.content != null) {
      gathered.logprobs = { content: [...(gathered.logprobs?.content ?? []), ...logprobs.content] };
    }
    if (finish_reason != null) gathered.finish_reason = finish_reason;
  }

  /** The whole answer, with the usage the stream ended with. */
  answer(usage: CompletionUsage | undefined): CachedAnswer {
    const { id, created, model, ...rest } = this.head ?? { id: "", created: Math.floor(Date.now() / 1000), model: "" };
    const byIndex = <T extends { index: number }>(choices: Iterable<T>) =>
      [...choices].sort((a, b) => a.index - b.index);
    if (this.kind === "text_completion") {
      const choices = byIndex(this.text.values());
      return { id, object: "text_completion", created, model, ...rest, choices, ...(usage ? { usage } : {}) };
    }
    for (const [index, calls] of this.tools) {
      const choice = this.chat.get(index);
      if (choice !== undefined)
        choice.message.tool_calls = [...calls.entries()].sort(([a], [b]) => a - b).map(([, c]) => c);
    }
    const choices = byIndex(this.chat.values());
    return { id, object: "chat.completion", created, model, ...rest, choices, ...(usage ? { usage } : {}) };
  }
}

function joinLogprobs(before: Logprobs | null, next: Logprobs): Logprobs {
  if (before === null) return { ...next };
  return {
    tokens: [...before.tokens, ...next.tokens],
    token_logprobs: [...before.token_logprobs, ...next.token_logprobs],
    top_logprobs: [...before.top_logprobs, ...next.top_logprobs],
    text_offset: [...before.text_offset, ...next.text_offset],
  };
}

/**
 * A stored answer as a stream's chunks: per choice, one chunk with all its output and its
 * finish reason (a replay has nothing to wait for), then the usage chunk when `includeUsage`.
 */
export function replayChunks(answer: CachedAnswer, includeUsage: boolean): CachedChunk[] {
  const { id, created, model, choices: _choices, usage, object: _object, ...rest } = answer;
  const object = answer.object === "text_completion" ? "text_completion" : "chat.completion.chunk";
  // OpenAI's field order, so a replayed chunk reads like a streamed one.
  const chunk = (choices: unknown[], extra: object = {}) =>
    ({ id, object, created, model, ...rest, choices, ...extra }) as CachedChunk;
  const chunks: CachedChunk[] = [];
  if (answer.object === "text_completion") {
    for (const choice of answer.choices) chunks.push(chunk([{ ...choice }]));
  } else {
    for (const choice of answer.choices) {
      const { message, index, logprobs, finish_reason } = choice;
      const delta: ChatDelta = { role: "assistant", content: message.content };
      if (message.refusal != null) delta.refusal = message.refusal;
      if (message.tool_calls !== undefined && message.tool_calls.length > 0) {
        delta.tool_calls = message.tool_calls.map((call, i) => ({ index: i, ...call }));
      }
      chunks.push(chunk([{ index, delta, logprobs: logprobs ?? null, finish_reason }]));
    }
  }
  if (includeUsage && usage !== undefined) chunks.push(chunk([], { usage }));
  return chunks;
}
