/**
 * Ollama's native API: `/api/generate` for text completions (`ollama/M`) and `/api/chat`
 * for chat (`ollama_chat/M`). Requests (request.ts, messages.ts) carry OpenAI's sampling
 * params in `options`; answers (response.ts) and NDJSON streams (stream.ts) are rebuilt
 * in OpenAI's shape.
 */
import type { SseEvent } from "../../http/sse.js";
import type { UpstreamRequest } from "../../http/transport.js";
import type { ChatCompletionParams } from "../../wire/chat.js";
import type { TextCompletionParams } from "../../wire/completions.js";
import { apiBase, apiKey, bearerHeaders, type Endpoint, joinUrl } from "../connection.js";
import { openAIErrorDetail, openAIRequestId } from "../openai-dialect.js";
import type { ChatAdapter, StreamEvent, Target, TextCompletionAdapter } from "../types.js";
import { chatBody, generateBody } from "./request.js";
import { parseChat, parseGenerate } from "./response.js";
import { ollamaChatStream, ollamaGenerateStream } from "./stream.js";

export const OLLAMA = {
  label: "Ollama",
  keyEnv: "OLLAMA_API_KEY",
  baseEnv: "OLLAMA_API_BASE",
  defaultBase: "http://localhost:11434",
} satisfies Endpoint;

/** The OpenAI completion params /api/generate takes. */
const OLLAMA_GENERATE_PARAMS: ReadonlySet<string> = new Set([
  ...["frequency_penalty", "max_tokens", "presence_penalty", "seed", "stop", "stream", "stream_options"],
  ...["suffix", "temperature", "top_p"],
]);

/** The OpenAI chat params /api/chat takes (`response_format` becomes `format`, `reasoning_effort` becomes `think`). */
const OLLAMA_CHAT_PARAMS: ReadonlySet<string> = new Set([
  ...["frequency_penalty", "max_completion_tokens", "max_tokens", "presence_penalty", "reasoning_effort"],
  ...["response_format", "seed", "stop", "stream", "stream_options", "temperature", "tools", "top_p"],
]);

/** A call to `path`. Local servers take no key; ollama.com and proxies in front of Ollama take a bearer key. */
function call(path: string, body: Record<string, unknown>, target: Target): UpstreamRequest {
  const url = joinUrl(apiBase(target, OLLAMA), path);
  return { method: "POST", url, headers: bearerHeaders(apiKey(target, OLLAMA), target), body: JSON.stringify(body) };
}

export const ollamaGenerate: TextCompletionAdapter = {
  provider: "ollama",
  singlePrompt: true,
  supportedParams: OLLAMA_GENERATE_PARAMS,
  buildRequest: (params: TextCompletionParams, target: Target) =>
    call("/api/generate", generateBody(params, target), target),
  parseResponse: parseGenerate,

  /**
   * Without state the chunks of one stream cannot share an id, so this gives each its
   * own; textStream() is what streams use. Kept for callers of the plain contract.
   */
  parseStreamEvent(event: SseEvent): StreamEvent {
    return ollamaGenerateStream().parseEvent(event);
  },

  textStream: ollamaGenerateStream,
  // Ollama's `{"error": "..."}` (also a bare string, or OpenAI's shape from its /v1 routes).
  parseError: openAIErrorDetail,
  requestId: openAIRequestId,
};

export const ollamaChat: ChatAdapter = {
  provider: "ollama_chat",
  supportedParams: OLLAMA_CHAT_PARAMS,
  supportsN: false,
  buildChatRequest: (params: ChatCompletionParams, target: Target) =>
    call("/api/chat", chatBody(params, target), target),
  parseChatResponse: parseChat,
  chatStream: ollamaChatStream,
  parseError: openAIErrorDetail,
  requestId: openAIRequestId,
};
