/**
 * Chat on a text completion model (`text-completion-openai/`, `azure_text/`,
 * `text-completion-codestral/`), as LiteLLM serves it: the messages become one prompt, the
 * chat params their text namesakes, and the text answer (or each chunk) a chat completion.
 * The reverse of text-to-chat.ts and chat-to-text.ts.
 */
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionChunkChoice,
  ChatCompletionParams,
  ChatLogprobs,
  ChatMessage,
} from "../wire/chat.js";
import type { Logprobs, TextCompletion, TextCompletionChunk, TextCompletionParams } from "../wire/completions.js";
import { BadRequestError, UnsupportedParamsError } from "../wire/errors.js";
import type { TextCompletionAdapter } from "../providers/types.js";
import { SAME_IN_CHAT } from "./text-to-chat.js";

/**
 * Chat params that keep their name and meaning on the text endpoint: the shared ones, and `n`
 * (one text completion makes n choices; the other way round, text-to-chat fans it out).
 */
const SAME_IN_TEXT: ReadonlySet<string> = new Set([...SAME_IN_CHAT, "n"]);

/** Chat params translated below rather than copied, and those with no text counterpart at all. */
// biome-ignore format: a table, read across
const NOT_COPIED = new Set([
  "model", "messages", "logprobs", "top_logprobs", "max_completion_tokens", "tools", "tool_choice",
  "parallel_tool_calls", "audio", "metadata", "modalities", "prediction", "prompt_cache_key", "reasoning_effort",
  "response_format", "safety_identifier", "service_tier", "store", "verbosity", "web_search_options",
]);

const supportCache = new WeakMap<TextCompletionAdapter, ReadonlySet<string>>();

/**
 * The chat params a text endpoint can honour: those whose text namesake it takes, `n` also
 * where litegate makes one call per choice, and the chat forms of `max_tokens` and `logprobs`.
 */
export function chatParamsVia(adapter: TextCompletionAdapter): ReadonlySet<string> {
  let supported = supportCache.get(adapter);
  if (supported === undefined) {
    const set = new Set<string>(["stream", "stream_options"]);
    for (const param of SAME_IN_TEXT) if (adapter.supportedParams.has(param)) set.add(param);
    if (adapter.singlePrompt === true) set.add("n");
    if (adapter.supportedParams.has("max_tokens")) set.add("max_completion_tokens");
    if (adapter.supportedParams.has("logprobs")) {
      set.add("logprobs");
      set.add("top_logprobs");
    }
    supported = set;
    supportCache.set(adapter, supported);
  }
  return supported;
}

/** The text of one message's content: its text parts, concatenated (as LiteLLM reads a content list). */
function contentText(message: ChatMessage, at: number): string {
  const content: unknown = message.content;
  if (content == null) return "";
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  let text = "";
  content.forEach((part: { type?: unknown; text?: unknown }, j) => {
    if (part.type === "text" && typeof part.text === "string") text += part.text;
    else {
      // LiteLLM drops an image silently; a text model cannot see it, so the caller is told.
      throw new BadRequestError(
        `Invalid 'messages' (at messages.${at}.content.${j}): a text completion model takes text only, got a '${String(part.type).slice(0, 40)}' part. Send text parts only, or use a chat deployment.`,
        { param: `messages.${at}.content.${j}`, code: "unsupported_content" },
      );
    }
  });
  return text;
}

/**
 * The one prompt LiteLLM builds from the messages for this provider: `azure_text`
 * concatenates the contents (its `azure_text_pt`); the others use LiteLLM's default template,
 * the contents joined by a space (`default_pt`), which for one message is its content as is.
 * (LiteLLM's text-completion-openai sends several messages as a batch of prompts, one answer
 * each; litegate sends one prompt, so a chat gets one answer per choice.)
 */
export function promptFromMessages(messages: readonly ChatMessage[], provider: string): string {
  const texts = messages.map((message, at) => contentText(message, at));
  return texts.join(provider === "azure_text" ? "" : " ");
}

/**
 * Refuses tools clearly (a text model cannot call them; OpenAI's /completions would refuse
 * the field), or drops them with drop_params.
 */
export function withoutTools(
  params: ChatCompletionParams,
  provider: string,
  dropParams: boolean,
): ChatCompletionParams {
  const toolParams = (["tools", "tool_choice", "parallel_tool_calls"] as const).filter((key) => params[key] != null);
  if (toolParams.length === 0) return params;
  const asked = toolParams.find(
    (key) => key !== "parallel_tool_calls" && !(key === "tool_choice" && params[key] === "none"),
  );
  if (asked !== undefined && !dropParams) {
    throw new UnsupportedParamsError(
      `${provider} serves text completion models, which cannot call tools. Remove '${asked}', use a chat deployment for tool calls, or set drop_params: true to drop it.`,
      { param: asked, code: "unsupported_param", provider, model: params.model },
    );
  }
  const rest = { ...params };
  for (const key of toolParams) delete rest[key];
  return rest;
}

/** The text completion request for a chat request (its params already fitted to `chatParamsVia`). */
export function textParamsFromChat(params: ChatCompletionParams, provider: string): TextCompletionParams {
  const text: TextCompletionParams = { model: params.model, prompt: promptFromMessages(params.messages, provider) };
  for (const key in params) {
    const value = params[key];
    if (value === undefined) continue;
    // Provider extras (vLLM's top_k, …) pass through as they do on a text request.
    if (!NOT_COPIED.has(key)) text[key] = value;
  }
  if (text.max_tokens == null && params.max_completion_tokens != null) text.max_tokens = params.max_completion_tokens;
  // Chat asks for log-probabilities with a flag and a count; text with the count alone.
  if (params.logprobs === true) text.logprobs = params.top_logprobs ?? 0;
  return text;
}

/** `cmpl-abc` → `chatcmpl-abc`, as chat-to-text.ts maps the other way. */
export function chatId(id: string): string {
  if (id.startsWith("chatcmpl-")) return id;
  return `chatcmpl-${id.startsWith("cmpl-") ? id.slice(5) : id}`;
}

/** A token's UTF-8 bytes, as chat logprobs give them. */
function bytes(token: string): number[] {
  return [...Buffer.from(token, "utf8")];
}

/** OpenAI's floor for a log-probability it does not give (a prompt token's first entry is null). */
const UNKNOWN_LOGPROB = -9999;

/** Text logprobs (four parallel arrays) in the chat shape (one entry per token). */
export function chatLogprobs(text: Logprobs | null | undefined): ChatLogprobs | null {
  if (text == null) return null;
  return {
    content: text.tokens.map((token, i) => ({
      token,
      logprob: text.token_logprobs[i] ?? UNKNOWN_LOGPROB,
      bytes: bytes(token),
      top_logprobs: Object.entries(text.top_logprobs[i] ?? {}).map(([alternative, logprob]) => ({
        token: alternative,
        logprob,
        bytes: bytes(alternative),
      })),
    })),
    refusal: null,
  };
}

/** A text answer as a chat completion: each choice's text the assistant's message. */
export function chatFromText(answer: TextCompletion): ChatCompletion {
  const chat: ChatCompletion = {
    id: chatId(answer.id),
    object: "chat.completion",
    created: answer.created,
    model: answer.model,
    choices: answer.choices.map((choice) => ({
      index: choice.index,
      message: { role: "assistant", content: choice.text, refusal: null },
      logprobs: chatLogprobs(choice.logprobs),
      finish_reason: choice.finish_reason ?? "stop",
    })),
  };
  if (answer.system_fingerprint != null) chat.system_fingerprint = answer.system_fingerprint;
  if (answer.usage !== undefined) chat.usage = answer.usage;
  return chat;
}

/**
 * Converts one text stream's chunks to chat chunks. A choice's first delta carries the
 * assistant role, as OpenAI's chat streams begin.
 */
export class TextToChatStream {
  private readonly started = new Set<number>();

  convert(chunk: TextCompletionChunk): ChatCompletionChunk {
    const choices: ChatCompletionChunkChoice[] = chunk.choices.map((choice) => {
      const first = !this.started.has(choice.index);
      this.started.add(choice.index);
      const converted: ChatCompletionChunkChoice = {
        index: choice.index,
        delta: first ? { role: "assistant", content: choice.text } : { content: choice.text },
        logprobs: chatLogprobs(choice.logprobs),
        finish_reason: choice.finish_reason ?? null,
      };
      return converted;
    });
    const chat: ChatCompletionChunk = {
      id: chatId(chunk.id),
      object: "chat.completion.chunk",
      created: chunk.created,
      model: chunk.model,
      choices,
    };
    if (chunk.system_fingerprint != null) chat.system_fingerprint = chunk.system_fingerprint;
    if (chunk.usage !== undefined) chat.usage = chunk.usage;
    return chat;
  }
}
