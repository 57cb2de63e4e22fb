/**
 * Mistral's chat endpoint (`mistral/M`): OpenAI's chat format with a few renames
 * (`random_seed`, `max_tokens` only) and a strict request validator that refuses any
 * key it does not know (422 `extra_forbidden`), so messages are reduced to the keys
 * Mistral takes. Answers are OpenAI-shaped except for Mistral's own finish reasons
 * (`model_length`, `error`), content that may be a list of chunks (text, thinking),
 * tool-call arguments that may be objects, and choices without `logprobs`.
 * The error dialect and content helpers here are shared with Codestral (FIM).
 */
import { SseParser, type SseEvent } from "../http/sse.js";
import type { UpstreamRequest } from "../http/transport.js";
import type {
  ChatCompletion,
  ChatCompletionChoice,
  ChatCompletionChunk,
  ChatCompletionChunkChoice,
  ChatCompletionMessage,
  ChatCompletionParams,
  ChatDelta,
  ChatFinishReason,
  ChatMessage,
  ToolCall,
} from "../wire/chat.js";
import type { CompletionUsage } from "../wire/completions.js";
import { AuthenticationError, BadGatewayError, type ProviderErrorDetail } from "../wire/errors.js";
import { isRecord } from "../wire/validate.js";
import { bearerHeaders, firstSet, joinUrl } from "./connection.js";
import { CONTEXT_WINDOW_MESSAGE, openAIErrorDetail } from "./openai-dialect.js";
import type { ChatAdapter, ChatStreamReader, StreamEvent, Target } from "./types.js";

const MISTRAL_API_BASE = "https://api.mistral.ai/v1";

/**
 * OpenAI chat params Mistral takes. `stream_options` is accepted but not sent: Mistral
 * refuses it and always puts usage on its last chunk. Not taken: logit_bias, logprobs,
 * top_logprobs, user, store, metadata, audio, modalities, service_tier, reasoning_effort.
 */
export const MISTRAL_CHAT_PARAMS: ReadonlySet<string> = new Set([
  "frequency_penalty",
  "max_completion_tokens",
  "max_tokens",
  "n",
  "parallel_tool_calls",
  "prediction",
  "presence_penalty",
  "response_format",
  "seed",
  "stop",
  "stream",
  "stream_options",
  "temperature",
  "tool_choice",
  "tools",
  "top_p",
]);



// ---------------------------------------------------------------------------------
// Errors


/** FastAPI's validation list `[{loc, msg, type}]` in one line, e.g. `Extra inputs are not permitted (body.user)`. */
function describeValidation(items: unknown[]): { message: string; param: string | null } {
  const parts: string[] = [];
  const params: string[] = [];
  for (const item of items) {
    if (!isRecord(item)) {
      parts.push(typeof item === "string" ? item : JSON.stringify(item));
      continue;
    }
    const msg = typeof item.msg === "string" ? item.msg : JSON.stringify(item);
    const loc = Array.isArray(item.loc) ? item.loc.map(String) : [];
    const where = loc[0] === "body" ? loc.slice(1) : loc;
    if (where.length > 0) params.push(where.join("."));
    parts.push(where.length > 0 ? `${msg} (${where.join(".")})` : msg);
  }
  return { message: parts.join("; "), param: params.length === 1 ? (params[0] as string) : null };
}

/** A message that is text, a list of validation errors, `{detail}`, or JSON text of one of those. */
function describeMessage(value: unknown): { message: string; param: string | null } | undefined {
  if (typeof value === "string") {
    const text = value.trim();
    // Mistral's proxy has sent the validator's `{"detail": [...]}` as a JSON string.
    if (text.startsWith("{") || text.startsWith("[")) {
      try {
        const parsed = describeMessage(JSON.parse(text));
        if (parsed !== undefined) return parsed;
      } catch {
        // Not JSON after all: the text is the message.
      }
    }
    return text === "" ? undefined : { message: text, param: null };
  }
  if (Array.isArray(value)) return value.length === 0 ? undefined : describeValidation(value);
  if (isRecord(value)) {
    if (value.detail !== undefined) return describeMessage(value.detail);
    if (value.message !== undefined) return describeMessage(value.message);
  }
  return undefined;
}

function codeString(value: unknown): string | null {
  if (typeof value === "string" && value !== "") return value;
  if (typeof value === "number") return String(value);
  return null;
}

/**
 * Mistral's error bodies: `{object: "error", message, type, param, code}` where
 * `message` may be text, `{detail: [...]}`, a list, or JSON text of those; FastAPI's
 * `{detail: "..." | [{loc, msg, type}]}`; the API gateway's `{message: "Unauthorized"}`;
 * or OpenAI's `{error: {...}}`.
 */
export function mistralErrorDetail(body: unknown): ProviderErrorDetail {
  if (isRecord(body) && body.error !== undefined && body.error !== null) return openAIErrorDetail(body);
  if (!isRecord(body)) {
    const described = describeMessage(body);
    return described === undefined ? openAIErrorDetail(body) : { message: described.message };
  }
  const described = describeMessage(body.message) ?? describeMessage(body.detail);
  const message = described?.message ?? `The upstream returned an error: ${JSON.stringify(body).slice(0, 200)}`;
  const detail: ProviderErrorDetail = {
    message,
    param: typeof body.param === "string" ? body.param : (described?.param ?? null),
    code: codeString(body.code),
  };
  if (typeof body.type === "string" && body.type !== "") detail.type = body.type;
  if (CONTEXT_WINDOW_MESSAGE.test(message)) detail.kind = "context_window";
  return detail;
}

export function mistralRequestId(headers: Record<string, string | string[] | undefined>): string | undefined {
  const id = headers["x-request-id"] ?? headers["mistral-correlation-id"];
  return typeof id === "string" ? id : undefined;
}

// ---------------------------------------------------------------------------------
// Answers

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

export function mistralUsage(usage: unknown): CompletionUsage | undefined {
  if (!isRecord(usage)) return undefined;
  const number = (value: unknown): number => (typeof value === "number" ? value : 0);
  const prompt = number(usage.prompt_tokens);
  const completion = number(usage.completion_tokens);
  const result: CompletionUsage = {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: typeof usage.total_tokens === "number" ? usage.total_tokens : prompt + completion,
  };
  if (isRecord(usage.prompt_tokens_details)) result.prompt_tokens_details = usage.prompt_tokens_details as Record<string, number>;
  if (isRecord(usage.completion_tokens_details)) result.completion_tokens_details = usage.completion_tokens_details as Record<string, number>;
  return result;
}

/** The error a finish reason of "error" means: Mistral gave up mid-answer. */
export function finishedWithError(provider: string): ProviderErrorDetail {
  return { message: `${provider} stopped generating with finish_reason "error".`, type: "api_error" };
}

function toolArguments(value: unknown): string {
  if (typeof value === "string") return value;
  return JSON.stringify(value ?? {});
}

function mistralToolCalls(value: unknown): ToolCall[] | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  return value.filter(isRecord).map((call) => {
    const fn = isRecord(call.function) ? call.function : {};
    return {
      id: typeof call.id === "string" ? call.id : "",
      type: "function",
      function: { name: typeof fn.name === "string" ? fn.name : "", arguments: toolArguments(fn.arguments) },
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

function parseMistralChat(body: unknown): ChatCompletion {
  const record = isRecord(body) ? body : {};
  const choices: ChatCompletionChoice[] = (Array.isArray(record.choices) ? record.choices : []).filter(isRecord).map((choice, position) => {
    const finish = mistralFinishReason(choice.finish_reason);
    if (finish === "error") {
      throw new BadGatewayError(finishedWithError("mistral").message, { provider: "mistral", model: String(record.model ?? "") });
    }
    return {
      index: typeof choice.index === "number" ? choice.index : position,
      message: mistralMessage(choice.message),
      logprobs: null,
      finish_reason: finish ?? "stop",
    };
  });
  const completion: ChatCompletion = {
    id: typeof record.id === "string" ? record.id : "",
    object: "chat.completion",
    created: typeof record.created === "number" ? record.created : Math.floor(Date.now() / 1000),
    model: typeof record.model === "string" ? record.model : "",
    choices,
  };
  const usage = mistralUsage(record.usage);
  if (usage !== undefined) completion.usage = usage;
  return completion;
}

const OPENAI_FINISH = new Set([null, "stop", "length", "tool_calls", "content_filter", "function_call"]);

/** True when a chunk's choice is already valid OpenAI and can be forwarded byte for byte. */
function choiceIsOpenAI(choice: unknown): boolean {
  if (!isRecord(choice) || !OPENAI_FINISH.has(choice.finish_reason as string | null) || !isRecord(choice.delta)) return false;
  const { content, tool_calls: toolCalls } = choice.delta;
  if (content !== undefined && content !== null && typeof content !== "string") return false;
  if (toolCalls === undefined) return true;
  return Array.isArray(toolCalls) && toolCalls.every((call) => isRecord(call) && (!isRecord(call.function) || call.function.arguments === undefined || typeof call.function.arguments === "string"));
}

function mistralDelta(value: unknown): ChatDelta {
  const delta = isRecord(value) ? value : {};
  const result: ChatDelta = {};
  if (delta.role === "assistant") result.role = "assistant";
  if (delta.content !== undefined) {
    const { text, thinking } = mistralContent(delta.content);
    if (text !== null) result.content = text;
    if (thinking !== undefined) result.reasoning_content = thinking;
  }
  if (Array.isArray(delta.tool_calls)) {
    result.tool_calls = delta.tool_calls.filter(isRecord).map((call, position) => {
      const fn = isRecord(call.function) ? call.function : {};
      const out: NonNullable<ChatDelta["tool_calls"]>[number] = { index: typeof call.index === "number" ? call.index : position };
      if (typeof call.id === "string") out.id = call.id;
      out.type = "function";
      out.function = {};
      if (typeof fn.name === "string") out.function.name = fn.name;
      if (fn.arguments !== undefined) out.function.arguments = toolArguments(fn.arguments);
      return out;
    });
  }
  return result;
}

function rebuildChunk(record: Record<string, unknown>): ChatCompletionChunk {
  const choices: ChatCompletionChunkChoice[] = (Array.isArray(record.choices) ? record.choices : []).filter(isRecord).map((choice, position) => ({
    index: typeof choice.index === "number" ? choice.index : position,
    delta: mistralDelta(choice.delta),
    finish_reason: mistralFinishReason(choice.finish_reason) as ChatFinishReason | null,
  }));
  const chunk: ChatCompletionChunk = {
    id: typeof record.id === "string" ? record.id : "",
    object: "chat.completion.chunk",
    created: typeof record.created === "number" ? record.created : Math.floor(Date.now() / 1000),
    model: typeof record.model === "string" ? record.model : "",
    choices,
  };
  const usage = mistralUsage(record.usage);
  if (usage !== undefined) chunk.usage = usage;
  return chunk;
}

/** The end of a stream, or a failure reported in it. */
export type DoneOrError = Extract<StreamEvent<never>, { type: "done" } | { type: "error" }>;

/**
 * One `data:` payload of a Mistral stream, or the error it reports: OpenAI's
 * `{error}`, Mistral's `{object: "error"}`, or text that is not JSON.
 */
export function mistralStreamPayload(event: SseEvent): { payload: Record<string, unknown> } | { end: DoneOrError } {
  if (event.data === "[DONE]") return { end: { type: "done" } };
  let payload: unknown;
  try {
    payload = JSON.parse(event.data);
  } catch {
    return { end: { type: "error", status: 502, detail: { message: `The upstream sent a stream event that is not JSON: ${event.data.slice(0, 200)}` } } };
  }
  if (!isRecord(payload)) {
    return { end: { type: "error", status: 502, detail: { message: `The upstream sent a stream event that is not an object: ${event.data.slice(0, 200)}` } } };
  }
  const isError =
    event.event === "error" ||
    (payload.error !== undefined && payload.error !== null) ||
    (typeof payload.object === "string" && payload.object.toLowerCase() === "error");
  if (isError) {
    const status = isRecord(payload.error) ? payload.error.status : undefined;
    return { end: { type: "error", status: typeof status === "number" ? status : undefined, detail: mistralErrorDetail(payload) } };
  }
  return { payload };
}

/** One SSE event of a Mistral chat stream; chunks that are valid OpenAI already keep their raw text. */
export function parseMistralChatEvent(event: SseEvent): StreamEvent<ChatCompletionChunk> {
  const parsed = mistralStreamPayload(event);
  if ("end" in parsed) return parsed.end;
  const payload = parsed.payload;
  const choices = Array.isArray(payload.choices) ? payload.choices : [];
  for (const choice of choices) {
    if (isRecord(choice) && choice.finish_reason === "error") return { type: "error", status: 502, detail: finishedWithError("mistral") };
  }
  if (payload.object === "chat.completion.chunk" && choices.every(choiceIsOpenAI)) {
    return { type: "chunk", chunk: payload as unknown as ChatCompletionChunk, raw: event.data };
  }
  return { type: "chunk", chunk: rebuildChunk(payload) };
}

// ---------------------------------------------------------------------------------
// Requests

/** Each message with only the keys Mistral's validator accepts for its role. */
function toMistralMessage(message: ChatMessage): Record<string, unknown> {
  const source = message as Record<string, unknown>;
  switch (message.role) {
    case "system":
    case "developer":
      return { role: "system", content: message.content };
    case "user":
      return { role: "user", content: message.content };
    case "assistant": {
      const out: Record<string, unknown> = { role: "assistant", content: message.content ?? null };
      if (message.tool_calls !== undefined && message.tool_calls.length > 0) out.tool_calls = message.tool_calls;
      // Mistral's own extension: continue this assistant message.
      if (typeof source.prefix === "boolean") out.prefix = source.prefix;
      return out;
    }
    case "tool": {
      const out: Record<string, unknown> = { role: "tool", content: message.content, tool_call_id: message.tool_call_id };
      if (typeof source.name === "string") out.name = source.name;
      return out;
    }
    default:
      return source;
  }
}

/** The chat body Mistral takes: OpenAI's, renamed, with nulls (OpenAI's "default") left out. */
export function mistralChatBody(params: ChatCompletionParams, model: string): Record<string, unknown> {
  const body: Record<string, unknown> = { model, messages: params.messages.map(toMistralMessage) };
  for (const key of Object.keys(params)) {
    const value = params[key];
    if (value === null || value === undefined) continue;
    switch (key) {
      case "model":
      case "messages":
      case "stream_options":
      case "max_completion_tokens":
      case "max_tokens":
        break;
      case "seed":
        body.random_seed = value;
        break;
      default:
        body[key] = value;
    }
  }
  // OpenAI deprecated max_tokens for max_completion_tokens; Mistral knows only max_tokens.
  const maxTokens = params.max_completion_tokens ?? params.max_tokens;
  if (maxTokens !== null && maxTokens !== undefined) body.max_tokens = maxTokens;
  return body;
}

/** Where one Mistral chat endpoint lives: Mistral's API, or Codestral's own host and key. */
interface MistralEndpoint {
  provider: string;
  label: string;
  baseEnv: string;
  keyEnv: string;
  defaultBase: string;
}

/** A base given as the host, as `…/v1` or as the full endpoint all reach `…/v1/chat/completions`. */
function chatUrl(base: string): string {
  const trimmed = base.replace(/\/+$/, "");
  if (trimmed.endsWith("/chat/completions")) return trimmed;
  return trimmed.endsWith("/v1") ? `${trimmed}/chat/completions` : joinUrl(trimmed, "/v1/chat/completions");
}

function mistralChatAt(endpoint: MistralEndpoint): ChatAdapter {
  return {
    provider: endpoint.provider,
    supportedParams: MISTRAL_CHAT_PARAMS,
    supportsN: true,

    buildChatRequest(params: ChatCompletionParams, target: Target): UpstreamRequest {
      const base = firstSet(target.options.api_base, target.env[endpoint.baseEnv]) ?? endpoint.defaultBase;
      const apiKey = firstSet(target.options.api_key, target.env[endpoint.keyEnv]);
      if (apiKey === undefined) {
        throw new AuthenticationError(`No ${endpoint.label} API key: set the ${endpoint.keyEnv} environment variable or pass api_key.`, {
          provider: endpoint.provider,
          model: target.model,
          param: "api_key",
          code: "missing_api_key",
        });
      }
      return {
        method: "POST",
        url: chatUrl(base),
        headers: bearerHeaders(apiKey, target),
        body: JSON.stringify(mistralChatBody(params, target.model)),
      };
    },

    parseChatResponse: parseMistralChat,

    chatStream(): ChatStreamReader {
      return { framer: new SseParser(), parseEvent: parseMistralChatEvent };
    },

    parseError: mistralErrorDetail,
    requestId: mistralRequestId,
  };
}

export const mistralChat = mistralChatAt({
  provider: "mistral",
  label: "Mistral",
  baseEnv: "MISTRAL_API_BASE",
  keyEnv: "MISTRAL_API_KEY",
  defaultBase: MISTRAL_API_BASE,
});

/** Codestral models chat too, on Codestral's own host with its own key. */
export const codestralChat = mistralChatAt({
  provider: "codestral",
  label: "Codestral",
  baseEnv: "CODESTRAL_API_BASE",
  keyEnv: "CODESTRAL_API_KEY",
  defaultBase: "https://codestral.mistral.ai/v1",
});
