/**
 * Chat answers and chunks as text completions: `cmpl-` ids, `text_completion`
 * objects, finish reasons in the text API's three values, chat logprobs rebuilt into
 * the four-array text shape, the prompt prepended when `echo` asked for it, and
 * system_fingerprint and usage carried over.
 */
import type { ChatCompletion, ChatCompletionChunk, ChatFinishReason, ChatLogprobs } from "../wire/chat.js";
import type {
  FinishReason,
  Logprobs,
  TextCompletion,
  TextCompletionChunk,
  TextCompletionChunkChoice,
} from "../wire/completions.js";

export function textFinishReason(reason: ChatFinishReason | string): FinishReason {
  if (reason === "length") return "length";
  if (reason === "content_filter") return "content_filter";
  // tool_calls, function_call and provider-specific endings all mean the model stopped.
  return "stop";
}

/** `chatcmpl-abc` → `cmpl-abc`; other ids (Anthropic's `msg_…`) get the prefix. */
export function textId(id: string): string {
  if (id.startsWith("cmpl-")) return id;
  return `cmpl-${id.startsWith("chatcmpl-") ? id.slice(9) : id}`;
}

/**
 * Chat logprobs in the text API's shape. `offset` is where the generated text starts in
 * the choice's text (the echoed prompt's length).
 */
export function textLogprobs(chat: ChatLogprobs | null | undefined, offset: number): Logprobs | null {
  const content = chat?.content;
  if (content == null) return null;
  const logprobs: Logprobs = { tokens: [], token_logprobs: [], top_logprobs: [], text_offset: [] };
  let at = offset;
  for (const token of content) {
    logprobs.tokens.push(token.token);
    logprobs.token_logprobs.push(token.logprob);
    const top: Record<string, number> = {};
    for (const alternative of token.top_logprobs) top[alternative.token] = alternative.logprob;
    logprobs.top_logprobs.push(top);
    logprobs.text_offset.push(at);
    at += token.token.length;
  }
  return logprobs;
}

/** A chat answer as a text completion whose choices keep the chat answer's own indexes. */
export function textFromChat(answer: ChatCompletion, echo: string): TextCompletion {
  const text: TextCompletion = {
    id: textId(answer.id),
    object: "text_completion",
    created: answer.created,
    model: answer.model,
    choices: answer.choices.map((choice) => ({
      text: echo + (choice.message.content ?? ""),
      index: choice.index,
      logprobs: textLogprobs(choice.logprobs, echo.length),
      finish_reason: textFinishReason(choice.finish_reason),
    })),
  };
  if (answer.system_fingerprint != null) text.system_fingerprint = answer.system_fingerprint;
  if (answer.usage !== undefined) text.usage = answer.usage;
  return text;
}

/**
 * Converts one chat stream's chunks to text chunks. It keeps, per choice, whether the
 * echoed prompt went out yet and where the next token starts (for text_offset).
 */
export class ChatToTextStream {
  private readonly offsets = new Map<number, number>();

  constructor(private readonly echo: string) {}

  /** The text chunk for a chat chunk, or undefined when it carries nothing a text client sees (a role-only delta). */
  convert(chunk: ChatCompletionChunk): TextCompletionChunk | undefined {
    const choices: TextCompletionChunkChoice[] = [];
    for (const choice of chunk.choices) {
      const content = choice.delta.content ?? "";
      if (content === "" && choice.finish_reason == null) continue;
      let offset = this.offsets.get(choice.index);
      let text = content;
      if (offset === undefined) {
        text = this.echo + content;
        offset = this.echo.length;
      }
      this.offsets.set(choice.index, offset + content.length);
      choices.push({
        text,
        index: choice.index,
        logprobs: textLogprobs(choice.logprobs, offset),
        finish_reason: choice.finish_reason == null ? null : textFinishReason(choice.finish_reason),
      });
    }
    if (choices.length === 0 && chunk.usage == null) return undefined;
    const text: TextCompletionChunk = {
      id: textId(chunk.id),
      object: "text_completion",
      created: chunk.created,
      model: chunk.model,
      choices,
    };
    if (chunk.system_fingerprint != null) text.system_fingerprint = chunk.system_fingerprint;
    if (chunk.usage != null) text.usage = chunk.usage;
    return text;
  }
}
