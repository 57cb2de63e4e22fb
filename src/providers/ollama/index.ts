/**
 * Ollama's native API: `/api/generate` for text completions (`ollama/M`), `/api/chat`
 * for chat (`ollama_chat/M`) and `/api/embed` for embeddings (either prefix, embed.ts). Requests (request.ts, messages.ts) carry OpenAI's sampling
 * params in `options`; answers (response.ts) and NDJSON streams (stream.ts) are rebuilt
 * in OpenAI's shape.
 */
import type { SseEvent } from "../../http/sse.js";
import type { UpstreamRequest } from "../../http/transport.js";
import { apiBase, apiKey, bearerHeaders, type Endpoint, joinUrl, postJson } from "../connection.js";
import { openAIErrorDetail, openAIRequestId } from "../openai-dialect.js";
import type { ChatAdapter, EmbeddingAdapter, StreamEvent, Target, TextCompletionAdapter } from "../types.js";
import { embedBody, parseEmbed } from "./embed.js";
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
// biome-ignore format: a table, read across
const OLLAMA_GENERATE_PARAMS: ReadonlySet<string> = new Set([
  "frequency_penalty", "max_tokens", "presence_penalty", "seed", "stop", "stream", "stream_options", "suffix",
  "temperature", "top_p",
]);

/** The OpenAI chat params /api/chat takes (`response_format` becomes `format`, `reasoning_effort` becomes `think`). */
// biome-ignore format: a table, read across
const OLLAMA_CHAT_PARAMS: ReadonlySet<string> = new Set([
  "frequency_penalty", "max_completion_tokens", "max_tokens", "presence_penalty", "reasoning_effort",
  "response_format", "seed", "stop", "stream", "stream_options", "temperature", "tools", "top_p",
]);

/**
 * A request builder posting `body` to `path`. Local servers take no key; ollama.com and
 * proxies in front of Ollama take a bearer key.
 */
function post<P>(path: string, body: (params: P, target: Target) => Record<string, unknown>) {
  return (params: P, target: Target): UpstreamRequest => {
    const headers = bearerHeaders(apiKey(target, OLLAMA), target);
    return postJson(joinUrl(apiBase(target, OLLAMA), path), headers, body(params, target));
  };
}

export const ollamaGenerate: TextCompletionAdapter = {
  provider: "ollama",
  singlePrompt: true,
  supportedParams: OLLAMA_GENERATE_PARAMS,
  buildRequest: post("/api/generate", generateBody),
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
  buildChatRequest: post("/api/chat", chatBody),
  parseChatResponse: parseChat,
  chatStream: ollamaChatStream,
  parseError: openAIErrorDetail,
  requestId: openAIRequestId,
};

/** The OpenAI embeddings params /api/embed takes; base64 is litegate's to make. */
const OLLAMA_EMBEDDING_PARAMS: ReadonlySet<string> = new Set(["dimensions"]);

/** One call takes any number of inputs: Ollama sets no limit, and a local server has no request quota. */
export const ollamaEmbedding: EmbeddingAdapter = {
  provider: "ollama",
  supportedParams: OLLAMA_EMBEDDING_PARAMS,
  buildEmbeddingRequest: post("/api/embed", embedBody),
  parseEmbeddingResponse: parseEmbed,
  parseError: openAIErrorDetail,
  requestId: openAIRequestId,
};
