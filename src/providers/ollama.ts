/**
 * Ollama's native API: `/api/generate` for text completions (`ollama/M`) and `/api/chat`
 * for chat (`ollama_chat/M`). Requests carry OpenAI's sampling params in `options`,
 * with OpenAI's defaults made explicit, because a Modelfile's defaults differ
 * (temperature 0.8, top_p 0.9, unbounded num_predict). Streams are NDJSON, one JSON
 * object per line with no ids and no end marker besides `done: true`, so each stream
 * is read by a stateful reader that gives every chunk of it the same id and `created`.
 * Params Ollama has and OpenAI lacks (num_ctx, top_k, keep_alive, format, …) pass through.
 */
import { randomUUID } from "node:crypto";
import { NdjsonParser } from "../http/ndjson.js";
import type { SseEvent } from "../http/sse.js";
import type { UpstreamRequest } from "../http/transport.js";
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionMessage,
  ChatCompletionParams,
  ChatDelta,
  ChatFinishReason,
  ChatMessage,
  ContentPart,
  ToolCall,
} from "../wire/chat.js";
import type { CompletionUsage, FinishReason, TextCompletion, TextCompletionChunk, TextCompletionParams } from "../wire/completions.js";
import { BadRequestError, type ProviderErrorDetail } from "../wire/errors.js";
import { isRecord } from "../wire/validate.js";
import { bearerHeaders, firstSet, joinUrl } from "./connection.js";
import { CHAT_PARAMS, COMPLETION_PARAMS, openAIErrorDetail, openAIRequestId } from "./openai-dialect.js";
import { singleTextPrompt } from "./prompt.js";
import type { ChatAdapter, StreamEvent, Target, TextCompletionAdapter } from "./types.js";

const OLLAMA_API_BASE = "http://localhost:11434";

/** OpenAI's default for /v1/completions; Ollama's own is unbounded. */
const DEFAULT_NUM_PREDICT = 16;

/** The OpenAI completion params /api/generate takes. */
export const OLLAMA_GENERATE_PARAMS: ReadonlySet<string> = new Set([
  "frequency_penalty",
  "max_tokens",
  "presence_penalty",
  "seed",
  "stop",
  "stream",
  "stream_options",
  "suffix",
  "temperature",
  "top_p",
]);

/** The OpenAI chat params /api/chat takes (`response_format` becomes `format`, `reasoning_effort` becomes `think`). */
export const OLLAMA_CHAT_PARAMS: ReadonlySet<string> = new Set([
  "frequency_penalty",
  "max_completion_tokens",
  "max_tokens",
  "presence_penalty",
  "reasoning_effort",
  "response_format",
  "seed",
  "stop",
  "stream",
  "stream_options",
  "temperature",
  "tools",
  "top_p",
]);

/** Every key of OpenAI's CreateChatCompletionRequest (legacy and newer ones too): the keys that are not Ollama extras. */
const OPENAI_CHAT_PARAMS: ReadonlySet<string> = new Set([
  ...CHAT_PARAMS,
  "messages",
  "model",
  "function_call",
  "functions",
  "moderation",
  "prompt_cache_options",
  "prompt_cache_retention",
]);

/** Ollama request fields outside `options`; any other extra param is a model option. */
const OLLAMA_TOP_LEVEL = new Set(["format", "keep_alive", "think", "system", "template", "images", "context"]);

function randomId(): string {
  return randomUUID().replaceAll("-", "");
}

/** Ollama's `created_at` (RFC 3339 with nanoseconds) in Unix seconds. */
function createdAt(value: unknown): number {
  const ms = typeof value === "string" ? Date.parse(value) : Number.NaN;
  return Math.floor((Number.isNaN(ms) ? Date.now() : ms) / 1000);
}

function textFinish(reason: unknown): FinishReason {
  return reason === "length" ? "length" : "stop";
}

function usageOf(line: Record<string, unknown>): CompletionUsage {
  const prompt = typeof line.prompt_eval_count === "number" ? line.prompt_eval_count : 0;
  const completion = typeof line.eval_count === "number" ? line.eval_count : 0;
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

function connection(target: Target): { base: string; headers: Record<string, string> } {
  const base = firstSet(target.options.api_base, target.env.OLLAMA_API_BASE) ?? OLLAMA_API_BASE;
  // Local servers take no key; ollama.com and proxies in front of Ollama take a bearer key.
  const apiKey = firstSet(target.options.api_key, target.env.OLLAMA_API_KEY);
  return { base, headers: bearerHeaders(apiKey, target) };
}

/** OpenAI's sampling params as Ollama options; `null` means "default", as in OpenAI. */
function samplingOptions(params: Record<string, unknown>, maxTokens: unknown): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  if (maxTokens != null) options.num_predict = maxTokens;
  if (params.temperature != null) options.temperature = params.temperature;
  if (params.top_p != null) options.top_p = params.top_p;
  if (typeof params.stop === "string") options.stop = [params.stop];
  else if (Array.isArray(params.stop)) options.stop = params.stop;
  if (params.seed != null) options.seed = params.seed;
  if (params.presence_penalty != null) options.presence_penalty = params.presence_penalty;
  if (params.frequency_penalty != null) options.frequency_penalty = params.frequency_penalty;
  return options;
}

/**
 * Sorts the params OpenAI does not have: Ollama's request fields go in the body, an
 * explicit `options` object and anything else (num_ctx, top_k, …) go in `options`.
 */
function extras(params: Record<string, unknown>, isOpenAI: (key: string) => boolean): { body: Record<string, unknown>; options: Record<string, unknown> } {
  const body: Record<string, unknown> = {};
  let options: Record<string, unknown> = {};
  for (const key of Object.keys(params)) {
    const value = params[key];
    if (isOpenAI(key) || value === undefined) continue;
    if (key === "options" && isRecord(value)) options = { ...options, ...value };
    else if (OLLAMA_TOP_LEVEL.has(key)) body[key] = value;
    else if (key !== "raw" && key !== "suffix") options[key] = value;
  }
  return { body, options };
}

/** Ollama's `{"error": "..."}` (also a bare string, or OpenAI's shape from its /v1 routes). */
export function ollamaErrorDetail(body: unknown): ProviderErrorDetail {
  return openAIErrorDetail(body);
}

/** Parses one NDJSON line; a line that is not a JSON object, or that reports an error, ends the stream. */
function ollamaLine(event: SseEvent): { line: Record<string, unknown> } | { failure: StreamEvent<never> } {
  let line: unknown;
  try {
    line = JSON.parse(event.data);
  } catch {
    return { failure: { type: "error", status: 502, detail: { message: `Ollama sent a stream line that is not JSON: ${event.data.slice(0, 200)}` } } };
  }
  if (!isRecord(line)) {
    return { failure: { type: "error", status: 502, detail: { message: `Ollama sent a stream line that is not an object: ${event.data.slice(0, 200)}` } } };
  }
  // A failure after the 200 headers (the runner crashed, out of memory) comes as one line.
  if (line.error !== undefined && line.error !== null) return { failure: { type: "error", status: 500, detail: ollamaErrorDetail(line) } };
  return { line };
}

// ---------------------------------------------------------------------------------
// /api/generate

/** A stream reader with state: one id and `created` for all chunks of one stream. */
export interface OllamaStreamReader<C> {
  framer: NdjsonParser;
  parseEvent(event: SseEvent): StreamEvent<C>;
}

/** A fresh reader for one `/api/generate` NDJSON stream. */
export function ollamaGenerateStream(): OllamaStreamReader<TextCompletionChunk> {
  const id = `cmpl-${randomId()}`;
  let created: number | undefined;
  return {
    framer: new NdjsonParser(),
    parseEvent(event: SseEvent): StreamEvent<TextCompletionChunk> {
      const parsed = ollamaLine(event);
      if ("failure" in parsed) return parsed.failure;
      const line = parsed.line;
      created ??= createdAt(line.created_at);
      const text = typeof line.response === "string" ? line.response : "";
      const done = line.done === true;
      // Thinking models send lines with `thinking` and no text; a text completion has nothing to show for them.
      if (!done && text === "") return { type: "skip" };
      const chunk: TextCompletionChunk = {
        id,
        object: "text_completion",
        created,
        model: typeof line.model === "string" ? line.model : "",
        choices: [{ text, index: 0, logprobs: null, finish_reason: done ? textFinish(line.done_reason) : null }],
      };
      if (done) chunk.usage = usageOf(line);
      return { type: "chunk", chunk };
    },
  };
}

export const ollamaGenerate: TextCompletionAdapter = {
  provider: "ollama",
  singlePrompt: true,
  supportedParams: OLLAMA_GENERATE_PARAMS,

  buildRequest(params: TextCompletionParams, target: Target): UpstreamRequest {
    const { base, headers } = connection(target);
    const extra = extras(params, (key) => key === "model" || key === "prompt" || COMPLETION_PARAMS.has(key));
    const body: Record<string, unknown> = {
      model: target.model,
      prompt: singleTextPrompt(params, this.provider, target.model),
      // A completion continues the text as given: no chat template around it.
      raw: true,
      // Ollama streams unless told not to.
      stream: params.stream === true,
    };
    if (params.suffix != null) body.suffix = params.suffix;
    Object.assign(body, extra.body);
    body.options = {
      temperature: 1,
      top_p: 1,
      num_predict: DEFAULT_NUM_PREDICT,
      ...extra.options,
      ...samplingOptions(params, params.max_tokens),
    };
    return { method: "POST", url: joinUrl(base, "/api/generate"), headers, body: JSON.stringify(body) };
  },

  parseResponse(body: unknown): TextCompletion {
    const record = isRecord(body) ? body : {};
    return {
      id: `cmpl-${randomId()}`,
      object: "text_completion",
      created: createdAt(record.created_at),
      model: typeof record.model === "string" ? record.model : "",
      choices: [
        {
          text: typeof record.response === "string" ? record.response : "",
          index: 0,
          logprobs: null,
          finish_reason: textFinish(record.done_reason),
        },
      ],
      usage: usageOf(record),
    };
  },

  /**
   * Without state the chunks of one stream cannot share an id, so this gives each its
   * own; textStream() is what streams use. Kept for callers of the plain contract.
   */
  parseStreamEvent(event: SseEvent): StreamEvent {
    return ollamaGenerateStream().parseEvent(event);
  },

  textStream: ollamaGenerateStream,
  parseError: ollamaErrorDetail,
  requestId: openAIRequestId,
};

// ---------------------------------------------------------------------------------
// /api/chat

interface OllamaMessage {
  role: string;
  content: string;
  images?: string[];
  tool_calls?: { id?: string; function: { name: string; arguments: Record<string, unknown> } }[];
  tool_name?: string;
}

const DATA_URL = /^data:[^,]*?;base64,/i;

function chatError(message: string, param: string, target: Target): BadRequestError {
  return new BadRequestError(message, { provider: "ollama_chat", model: target.model, param, code: "unsupported_content" });
}

/** A message's text and images; Ollama takes images only as base64, never as URLs it would fetch. */
function contentOf(content: string | ContentPart[] | null | undefined, where: string, target: Target): { text: string; images: string[] } {
  if (content === null || content === undefined) return { text: "", images: [] };
  if (typeof content === "string") return { text: content, images: [] };
  const texts: string[] = [];
  const images: string[] = [];
  for (const part of content) {
    if (part.type === "text" && typeof part.text === "string") {
      texts.push(part.text);
    } else if (part.type === "image_url") {
      const image = part.image_url;
      const url = typeof image === "string" ? image : isRecord(image) && typeof image.url === "string" ? image.url : "";
      const match = DATA_URL.exec(url);
      if (match === null) {
        throw chatError(
          `Ollama takes images as base64 data: URLs (data:image/png;base64,...); ${where} has an image URL that is not one.`,
          where,
          target,
        );
      }
      images.push(url.slice(match[0].length));
    } else {
      throw chatError(`Ollama does not take '${part.type}' content parts (${where}).`, where, target);
    }
  }
  // OpenAI reads text parts as one text; a line break keeps their words apart.
  return { text: texts.join("\n"), images };
}

function toolArguments(call: ToolCall, where: string, target: Target): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(call.function.arguments === "" ? "{}" : call.function.arguments);
  } catch {
    parsed = undefined;
  }
  if (!isRecord(parsed)) {
    throw new BadRequestError(`Ollama takes tool call arguments as a JSON object; ${where}.function.arguments is not one.`, {
      provider: "ollama_chat",
      model: target.model,
      param: where,
      code: "invalid_tool_arguments",
    });
  }
  return parsed;
}

function toOllamaMessages(messages: ChatMessage[], target: Target): OllamaMessage[] {
  // Ollama names the tool a result is for; OpenAI gives the id of the call, so names are looked up.
  const toolNames = new Map<string, string>();
  return messages.map((message, i) => {
    const where = `messages[${i}]`;
    switch (message.role) {
      case "assistant": {
        const { text, images } = contentOf(message.content, `${where}.content`, target);
        const out: OllamaMessage = { role: "assistant", content: text };
        if (images.length > 0) out.images = images;
        if (message.tool_calls !== undefined && message.tool_calls.length > 0) {
          out.tool_calls = message.tool_calls.map((call, j) => {
            toolNames.set(call.id, call.function.name);
            const converted: NonNullable<OllamaMessage["tool_calls"]>[number] = {
              function: { name: call.function.name, arguments: toolArguments(call, `${where}.tool_calls[${j}]`, target) },
            };
            if (call.id !== "") converted.id = call.id;
            return converted;
          });
        }
        return out;
      }
      case "tool": {
        const { text } = contentOf(message.content, `${where}.content`, target);
        const out: OllamaMessage = { role: "tool", content: text };
        const name = toolNames.get(message.tool_call_id);
        if (name !== undefined) out.tool_name = name;
        return out;
      }
      default: {
        const role = message.role === "developer" ? "system" : message.role;
        const { text, images } = contentOf(message.content, `${where}.content`, target);
        const out: OllamaMessage = { role, content: text };
        if (images.length > 0) out.images = images;
        return out;
      }
    }
  });
}

/** `response_format` as Ollama's `format`: "json" or the JSON schema itself. */
function formatOf(responseFormat: ChatCompletionParams["response_format"]): unknown {
  if (responseFormat === undefined || responseFormat === null) return undefined;
  if (responseFormat.type === "json_object") return "json";
  if (responseFormat.type === "json_schema" && isRecord(responseFormat.json_schema)) return responseFormat.json_schema.schema;
  return undefined;
}

/** `reasoning_effort` as Ollama's `think`, as Ollama's own OpenAI routes read it. */
function thinkOf(effort: unknown): unknown {
  if (typeof effort !== "string") return undefined;
  if (effort === "none") return false;
  return effort === "minimal" ? "low" : effort;
}

function chatToolCalls(value: unknown): ToolCall[] {
  if (!Array.isArray(value)) return [];
  return value.filter(isRecord).map((call) => {
    const fn = isRecord(call.function) ? call.function : {};
    return {
      id: typeof call.id === "string" && call.id !== "" ? call.id : `call_${randomId().slice(0, 24)}`,
      type: "function",
      function: {
        name: typeof fn.name === "string" ? fn.name : "",
        // Ollama gives arguments as a JSON object; OpenAI as JSON text.
        arguments: typeof fn.arguments === "string" ? fn.arguments : JSON.stringify(fn.arguments ?? {}),
      },
    };
  });
}

function chatFinish(reason: unknown, toolCalls: boolean): ChatFinishReason {
  if (toolCalls) return "tool_calls";
  return reason === "length" ? "length" : "stop";
}

/** A fresh reader for one `/api/chat` NDJSON stream. */
export function ollamaChatStream(): OllamaStreamReader<ChatCompletionChunk> {
  const id = `chatcmpl-${randomId()}`;
  let created: number | undefined;
  let sentRole = false;
  let toolCallCount = 0;
  return {
    framer: new NdjsonParser(),
    parseEvent(event: SseEvent): StreamEvent<ChatCompletionChunk> {
      const parsed = ollamaLine(event);
      if ("failure" in parsed) return parsed.failure;
      const line = parsed.line;
      created ??= createdAt(line.created_at);
      const message = isRecord(line.message) ? line.message : {};
      const done = line.done === true;
      const delta: ChatDelta = {};
      if (!sentRole) delta.role = "assistant";
      const content = typeof message.content === "string" ? message.content : "";
      if (content !== "" || !sentRole) delta.content = content;
      if (typeof message.thinking === "string" && message.thinking !== "") delta.reasoning_content = message.thinking;
      const calls = chatToolCalls(message.tool_calls);
      if (calls.length > 0) {
        // Ollama sends each call whole, in one line: one delta carries all of it.
        delta.tool_calls = calls.map((call, i) => ({ index: toolCallCount + i, ...call }));
        toolCallCount += calls.length;
      }
      if (!done && sentRole && Object.keys(delta).length === 0) return { type: "skip" };
      sentRole = true;
      const chunk: ChatCompletionChunk = {
        id,
        object: "chat.completion.chunk",
        created,
        model: typeof line.model === "string" ? line.model : "",
        choices: [{ index: 0, delta, logprobs: null, finish_reason: done ? chatFinish(line.done_reason, toolCallCount > 0) : null }],
      };
      if (done) chunk.usage = usageOf(line);
      return { type: "chunk", chunk };
    },
  };
}

export const ollamaChat: ChatAdapter = {
  provider: "ollama_chat",
  supportedParams: OLLAMA_CHAT_PARAMS,
  supportsN: false,

  buildChatRequest(params: ChatCompletionParams, target: Target): UpstreamRequest {
    const { base, headers } = connection(target);
    const extra = extras(params, (key) => OPENAI_CHAT_PARAMS.has(key));
    const body: Record<string, unknown> = {
      model: target.model,
      messages: toOllamaMessages(params.messages, target),
      stream: params.stream === true,
    };
    if (params.tools !== undefined && params.tools.length > 0) body.tools = params.tools;
    const format = formatOf(params.response_format);
    if (format !== undefined) body.format = format;
    const think = thinkOf(params.reasoning_effort);
    if (think !== undefined) body.think = think;
    Object.assign(body, extra.body);
    // OpenAI's chat has no default length limit, so num_predict is sent only when asked for.
    body.options = {
      temperature: 1,
      top_p: 1,
      ...extra.options,
      ...samplingOptions(params, params.max_completion_tokens ?? params.max_tokens),
    };
    return { method: "POST", url: joinUrl(base, "/api/chat"), headers, body: JSON.stringify(body) };
  },

  parseChatResponse(body: unknown): ChatCompletion {
    const record = isRecord(body) ? body : {};
    const message = isRecord(record.message) ? record.message : {};
    const toolCalls = chatToolCalls(message.tool_calls);
    const content = typeof message.content === "string" ? message.content : "";
    const result: ChatCompletionMessage = {
      role: "assistant",
      // OpenAI gives null content, not "", beside tool calls.
      content: content === "" && toolCalls.length > 0 ? null : content,
      refusal: null,
    };
    if (toolCalls.length > 0) result.tool_calls = toolCalls;
    if (typeof message.thinking === "string" && message.thinking !== "") result.reasoning_content = message.thinking;
    return {
      id: `chatcmpl-${randomId()}`,
      object: "chat.completion",
      created: createdAt(record.created_at),
      model: typeof record.model === "string" ? record.model : "",
      choices: [{ index: 0, message: result, logprobs: null, finish_reason: chatFinish(record.done_reason, toolCalls.length > 0) }],
      usage: usageOf(record),
    };
  },

  chatStream: ollamaChatStream,
  parseError: ollamaErrorDetail,
  requestId: openAIRequestId,
};
