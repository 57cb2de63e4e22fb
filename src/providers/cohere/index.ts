/**
 * Cohere's v2 chat API (`cohere/MODEL`): `POST https://api.cohere.com/v2/chat` with a bearer
 * key, and its v2 embed API (`POST https://api.cohere.com/v2/embed`, embed.ts). `api_base` is
 * the whole URL of the endpoint called, as LiteLLM reads it for Cohere.
 */
import type { UpstreamRequest } from "../../http/transport.js";
import type { ChatCompletionParams } from "../../wire/chat.js";
import type { EmbeddingParams } from "../../wire/embeddings.js";
import {
  apiBase,
  bearerHeaders,
  type Endpoint,
  firstSet,
  postJson,
  requestIdHeader,
  requireApiKey,
} from "../connection.js";
import { openAIErrorDetail } from "../openai-dialect.js";
import type { ChatAdapter, EmbeddingAdapter, Target } from "../types.js";
import { COHERE_BATCH_LIMIT, cohereEmbedBody, parseCohereEmbed } from "./embed.js";
import { cohereChatBody, PROVIDER } from "./request.js";
import { parseCohereChat } from "./response.js";
import { cohereChatStream } from "./stream.js";

export const COHERE = {
  label: "Cohere",
  keyEnv: "COHERE_API_KEY",
  baseEnv: "COHERE_API_BASE",
  defaultBase: "https://api.cohere.com/v2/chat",
  // CO_API_KEY is the Cohere SDK's own variable.
  aliases: { key: ["CO_API_KEY"] },
} satisfies Endpoint;

/** The OpenAI chat params Cohere v2 takes (`response_format` json_object / json_schema); n and logprobs it cannot. */
// biome-ignore format: a table, read across
const COHERE_CHAT_PARAMS: ReadonlySet<string> = new Set([
  "frequency_penalty", "max_completion_tokens", "max_tokens", "presence_penalty", "response_format", "seed", "stop",
  "stream", "stream_options", "temperature", "tool_choice", "tools", "top_p",
]);

export const cohere: ChatAdapter = {
  provider: PROVIDER,
  supportedParams: COHERE_CHAT_PARAMS,
  supportsN: false,

  buildChatRequest(params: ChatCompletionParams, target: Target): UpstreamRequest {
    const key = requireApiKey(target, COHERE, PROVIDER);
    return postJson(apiBase(target, COHERE), bearerHeaders(key, target), cohereChatBody(params, target));
  },

  parseChatResponse: (body, model) => parseCohereChat(body, model ?? ""),
  chatStream: (model) => cohereChatStream(model ?? ""),
  // Cohere's `{"message": "..."}`, read like OpenAI's flat form.
  parseError: openAIErrorDetail,
  requestId: requestIdHeader("x-request-id"),
};

/** Where embeddings go without an api_base (LiteLLM's default, on the host chat uses). */
const COHERE_EMBED_URL = "https://api.cohere.com/v2/embed";

/**
 * An embeddings adapter of Cohere's. The URL is api_base as written (LiteLLM's reading), else
 * Cohere's; COHERE_API_BASE is not read, since it names the chat URL.
 */
function cohereEmbeddingOf(supportedParams: ReadonlySet<string>): EmbeddingAdapter {
  return {
    provider: PROVIDER,
    supportedParams,
    maxInputsPerCall: COHERE_BATCH_LIMIT,
    buildEmbeddingRequest(params: EmbeddingParams, target: Target): UpstreamRequest {
      const key = requireApiKey(target, COHERE, PROVIDER);
      const url = firstSet(target.options.api_base) ?? COHERE_EMBED_URL;
      return postJson(url, bearerHeaders(key, target), cohereEmbedBody(params, target));
    },
    parseEmbeddingResponse: parseCohereEmbed,
    parseError: openAIErrorDetail,
    requestId: requestIdHeader("x-request-id"),
  };
}

/** embed-v3.0 and older: a fixed size, no `dimensions`. */
export const cohereEmbedding: EmbeddingAdapter = cohereEmbeddingOf(new Set());

/** embed-v4.0 and later: `dimensions` as output_dimension (256, 512, 1024 or 1536). */
const cohereV4Embedding: EmbeddingAdapter = cohereEmbeddingOf(new Set(["dimensions"]));

export function cohereEmbeddingFor(model: string): EmbeddingAdapter {
  return /^embed-v[4-9]/.test(model) ? cohereV4Embedding : cohereEmbedding;
}
