/**
 * OpenAI's wire dialect, which OpenAI, Azure OpenAI and the OpenAI-compatible servers
 * speak: its params, its error bodies, its SSE stream. A request in it is OpenAI's
 * already, so it is forwarded with only the model renamed, and answers come back as
 * they are. A server of the dialect only says where it is (`OpenAIServer`).
 */
import { SseParser, type SseEvent } from "../http/sse.js";
import type { UpstreamRequest } from "../http/transport.js";
import type { ChatCompletion, ChatCompletionChunk } from "../wire/chat.js";
import type { TextCompletion, TextCompletionChunk } from "../wire/completions.js";
import type { ProviderErrorDetail } from "../wire/errors.js";
import { isRecord } from "../wire/validate.js";
import { postJson, requestIdHeader } from "./connection.js";
import { eventJson } from "./stream-json.js";
import type {
  ChatAdapter,
  EmbeddingAdapter,
  ProviderEmbeddings,
  StreamEvent,
  Target,
  TextCompletionAdapter,
} from "./types.js";

/** Every param of OpenAI's CreateCompletionRequest besides model and prompt. */
// biome-ignore format: a table, read across
export const COMPLETION_PARAMS: ReadonlySet<string> = new Set([
  "best_of", "echo", "frequency_penalty", "logit_bias", "logprobs", "max_tokens", "n", "presence_penalty",
  "seed", "stop", "stream", "stream_options", "suffix", "temperature", "top_p", "user",
]);

/** OpenAI's chat params besides model and messages. */
// biome-ignore format: a table, read across
export const CHAT_PARAMS: ReadonlySet<string> = new Set([
  "audio", "frequency_penalty", "logit_bias", "logprobs", "max_completion_tokens", "max_tokens", "metadata",
  "modalities", "n", "parallel_tool_calls", "prediction", "presence_penalty", "prompt_cache_key",
  "reasoning_effort", "response_format", "safety_identifier", "seed", "service_tier", "stop", "store", "stream",
  "stream_options", "temperature", "tool_choice", "tools", "top_logprobs", "top_p", "user", "verbosity",
  "web_search_options",
]);

/** How OpenAI-style providers word a prompt that does not fit the context window. */
export const CONTEXT_WINDOW_MESSAGE =
  /maximum context length|context length exceeded|context_length_exceeded|too many tokens|too large for model/i;

function stringOrNull(value: unknown): string | null {
  if (typeof value === "string") return value;
  if (typeof value === "number") return String(value);
  return null;
}

/**
 * OpenAI's `{"error": {message, type, param, code}}`, also in the dialects of servers
 * that imitate it: vLLM's integer `code`, the flat `{"object": "error", message, ...}`,
 * Azure's `type: null`, or a bare string.
 */
export function openAIErrorDetail(body: unknown): ProviderErrorDetail {
  if (typeof body === "string") return { message: body || "The upstream returned an error without a message." };
  const record = isRecord(body) ? body : {};
  const error = isRecord(record.error)
    ? record.error
    : typeof record.error === "string"
      ? { message: record.error }
      : record;
  const message =
    typeof error.message === "string" && error.message !== ""
      ? error.message
      : `The upstream returned an error: ${JSON.stringify(body).slice(0, 200)}`;
  const code = stringOrNull(error.code);
  const detail: ProviderErrorDetail = { message, param: stringOrNull(error.param), code };
  if (typeof error.type === "string" && error.type !== "") detail.type = error.type;
  if (code === "context_length_exceeded" || CONTEXT_WINDOW_MESSAGE.test(message)) detail.kind = "context_window";
  return detail;
}

/** Tool-call arguments as OpenAI gives them, JSON text, from providers that give an object. */
export function argumentsText(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value ?? {});
}

/** OpenAI's own id header, and the one Azure's API management adds. */
export const openAIRequestId = requestIdHeader("x-request-id", "apim-request-id");

/** OpenAI's SSE framing: `data: <chunk>` events, `data: [DONE]` last, `{"error": ...}` on failure. */
function parseOpenAIStreamEvent<C = TextCompletionChunk>(event: SseEvent): StreamEvent<C> {
  const data = event.data;
  if (data === "[DONE]") return { type: "done" };
  const parsed = eventJson(data, "The upstream");
  if (!("json" in parsed)) return parsed;
  const payload = parsed.json;
  if (event.event === "error" || (isRecord(payload) && payload.error !== undefined && payload.error !== null)) {
    const status = isRecord(payload) && isRecord(payload.error) ? payload.error.status : undefined;
    return {
      type: "error",
      status: typeof status === "number" ? status : undefined,
      detail: openAIErrorDetail(payload),
    };
  }
  // Several `data:` lines were joined with "\n": forwarding that text as one line would break the framing.
  return { type: "chunk", chunk: payload as C, raw: data.includes("\n") ? undefined : data };
}

/** Where one server of the dialect answers a path (`/completions`, `/chat/completions`), with which headers. */
export interface OpenAIServer {
  /** Throws AuthenticationError / BadRequestError for missing config, before any request. */
  locate(target: Target, path: string, provider: string): { url: string; headers: Record<string, string> };
  /** Read when the server adds to OpenAI's error body (Azure's content filter); OpenAI's reading otherwise. */
  parseError?(body: unknown): ProviderErrorDetail;
}

/** The caller's params (text or chat) as they are, with the provider's model name. */
function forward(
  server: OpenAIServer,
  path: string,
  provider: string,
  params: { model: string },
  target: Target,
): UpstreamRequest {
  const { url, headers } = server.locate(target, path, provider);
  return postJson(url, headers, params.model === target.model ? params : { ...params, model: target.model });
}

export function openAIDialectText(
  provider: string,
  supportedParams: ReadonlySet<string>,
  server: OpenAIServer,
): TextCompletionAdapter {
  return {
    provider,
    supportedParams,
    buildRequest: (params, target) => forward(server, "/completions", provider, params, target),
    parseResponse: (body) => body as TextCompletion,
    parseStreamEvent: parseOpenAIStreamEvent,
    parseError: server.parseError ?? openAIErrorDetail,
    requestId: openAIRequestId,
  };
}

export function openAIDialectChat(
  provider: string,
  supportedParams: ReadonlySet<string>,
  supportsN: boolean,
  server: OpenAIServer,
): ChatAdapter {
  return {
    provider,
    supportedParams,
    supportsN,
    buildChatRequest: (params, target) => forward(server, "/chat/completions", provider, params, target),
    parseChatResponse: (body) => body as ChatCompletion,
    chatStream: () => ({ framer: new SseParser(), parseEvent: parseOpenAIStreamEvent<ChatCompletionChunk> }),
    parseError: server.parseError ?? openAIErrorDetail,
    requestId: openAIRequestId,
  };
}

/**
 * The embeddings endpoint of a server of the dialect. Its answer is OpenAI's already (the
 * shape is checked before anything reads it), so it is passed on as it came.
 */
export function openAIDialectEmbedding(
  provider: string,
  supportedParams: ReadonlySet<string>,
  maxInputsPerCall: number | undefined,
  server: OpenAIServer,
): EmbeddingAdapter {
  return {
    provider,
    supportedParams,
    maxInputsPerCall,
    buildEmbeddingRequest: (params, target) => forward(server, "/embeddings", provider, params, target),
    parseEmbeddingResponse: (body) => body as ProviderEmbeddings,
    parseError: server.parseError ?? openAIErrorDetail,
    requestId: openAIRequestId,
  };
}
