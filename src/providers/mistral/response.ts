/**
 * Mistral's answers in OpenAI's words: content that may be a list of chunks (text,
 * thinking), its own finish reasons (`model_length`, `error`), tool-call arguments that
 * may be objects, choices without `logprobs`. The pieces here serve chat, chat streams
 * and Codestral's FIM alike.
 */
import type { ChatCompletion, ChatCompletionMessage, ChatFinishReason, ToolCall } from "../../wire/chat.js";
import type { CompletionUsage } from "../../wire/completions.js";
import { isRecord } from "../../wire/validate.js";
import { argumentsText } from "../openai-dialect.js";
import { failedAnswer } from "./errors.js";

/**
 * Mistral's content, which is text or a list of chunks: the text chunks joined, and the
 * text of `thinking` chunks (reasoning models) apart. Other chunks (references) carry no text.
 */
export function mistralContent(content: unknown): { text: string | null; thinking: string | undefined } {
  if (typeof content === "string") return { text: content, thinking: undefined };
  if (!Array.isArray(content)) return { text: null, thinking: undefined };
  let text = "";
  let thinking: string | undefined;
  for (const chunk of content) {
    if (!isRecord(chunk)) continue;
    if (chunk.type === "text" && typeof chunk.text === "string") text += chunk.text;
    else if (chunk.type === "thinking") thinking = (thinking ?? "") + mistralContent(chunk.thinking).text;
  }
  return { text, thinking };
}

/** Mistral's finish reasons in OpenAI's words; "error" is returned as is for the caller to raise. */
export function mistralFinishReason(reason: unknown): ChatFinishReason | "error" | null {
  switch (reason) {
    case null:
    case undefined:
      return null;
    case "length":
    case "model_length":
      return "length";
    case "tool_calls":
    case "content_filter":
    case "function_call":
    case "error":
      return reason;
    default:
      return "stop";
  }
}

function mistralUsage(usage: unknown): CompletionUsage | undefined {
  if (!isRecord(usage)) return undefined;
  const number = (value: unknown): number => (typeof value === "number" ? value : 0);
  const prompt = number(usage.prompt_tokens);
  const completion = number(usage.completion_tokens);
  const result: CompletionUsage = {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: typeof usage.total_tokens === "number" ? usage.total_tokens : prompt + completion,
  };
  if (isRecord(usage.prompt_tokens_details)) {
    result.prompt_tokens_details = usage.prompt_tokens_details as Record<string, number>;
  }
  if (isRecord(usage.completion_tokens_details)) {
    result.completion_tokens_details = usage.completion_tokens_details as Record<string, number>;
  }
  return result;
}

/** An answer's or chunk's choices, each with its index (its position where Mistral leaves the index out). */
export function choicesOf(record: Record<string, unknown>): { choice: Record<string, unknown>; index: number }[] {
  const choices = (Array.isArray(record.choices) ? record.choices : []).filter(isRecord);
  return choices.map((choice, position) => ({
    choice,
    index: typeof choice.index === "number" ? choice.index : position,
  }));
}

// A type, not an interface: OpenAI's answer types take extra keys, which an interface would not allow.
type Envelope<O extends string, C> = {
  id: string;
  object: O;
  created: number;
  model: string;
  choices: C[];
  usage?: CompletionUsage;
};

/** An OpenAI answer or chunk around `choices`: the id, created, model and usage of Mistral's `record`. */
export function envelope<O extends string, C>(
  record: Record<string, unknown>,
  object: O,
  choices: C[],
): Envelope<O, C> {
  const result: Envelope<O, C> = {
    id: typeof record.id === "string" ? record.id : "",
    object,
    created: typeof record.created === "number" ? record.created : Math.floor(Date.now() / 1000),
    model: typeof record.model === "string" ? record.model : "",
    choices,
  };
  const usage = mistralUsage(record.usage);
  if (usage !== undefined) result.usage = usage;
  return result;
}

function mistralToolCalls(value: unknown): ToolCall[] | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  return value.filter(isRecord).map((call) => {
    const fn = isRecord(call.function) ? call.function : {};
    return {
      id: typeof call.id === "string" ? call.id : "",
      type: "function",
      function: { name: typeof fn.name === "string" ? fn.name : "", arguments: argumentsText(fn.arguments) },
    };
  });
}

function mistralMessage(value: unknown): ChatCompletionMessage {
  const message = isRecord(value) ? value : {};
  const { text, thinking } = mistralContent(message.content);
  const result: ChatCompletionMessage = { role: "assistant", content: text, refusal: null };
  const toolCalls = mistralToolCalls(message.tool_calls);
  if (toolCalls !== undefined) result.tool_calls = toolCalls;
  if (thinking !== undefined) result.reasoning_content = thinking;
  return result;
}

export function parseMistralChat(body: unknown): ChatCompletion {
  const record = isRecord(body) ? body : {};
  const choices = choicesOf(record).map(({ choice, index }) => {
    const finish = mistralFinishReason(choice.finish_reason);
    if (finish === "error") throw failedAnswer("mistral", "mistral", record);
    return { index, message: mistralMessage(choice.message), logprobs: null, finish_reason: finish ?? "stop" };
  });
  return envelope(record, "chat.completion", choices);
}
