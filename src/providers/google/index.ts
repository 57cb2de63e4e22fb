/**
 * Google's models: the Gemini API (`gemini/M`, a key) and Vertex AI (`vertex_ai/M`, OAuth
 * tokens), which take the same generateContent body (request.ts) and answer alike
 * (response.ts, stream.ts); and Anthropic's Claude on Vertex AI (`vertex_ai/claude-*`), which
 * takes Anthropic's Messages body through `:rawPredict` and reuses the Anthropic adapter.
 */
import type { UpstreamRequest } from "../../http/transport.js";
import type { ChatCompletionParams } from "../../wire/chat.js";
import type { EmbeddingParams } from "../../wire/embeddings.js";
import { requestBody as anthropicBody } from "../anthropic/request.js";
import { anthropic } from "../anthropic/index.js";
import { jsonHeaders, postJson, requireApiKey } from "../connection.js";
import type { ChatAdapter, EmbeddingAdapter, ProviderDialect, Target } from "../types.js";
import { vertexAuthorization } from "./credentials.js";
import {
  geminiEmbedBody,
  isSingleInput,
  parseGeminiEmbeddings,
  parseVertexPredictions,
  vertexPredictBody,
} from "./embed.js";
import { GEMINI, geminiUrl, vertexUrl } from "./endpoints.js";
import { googleErrorDetail } from "./errors.js";
import { GEMINI_CHAT_PARAMS, generateContentBody } from "./request.js";
import { generateContentParser } from "./response.js";
import { geminiStream } from "./stream.js";

export { GEMINI, VERTEX } from "./endpoints.js";

export const GEMINI_PROVIDER = "gemini";
export const VERTEX_PROVIDER = "vertex_ai";

/** Google sends no request id header on these APIs. */
const noRequestId: ProviderDialect["requestId"] = () => undefined;

function streaming(params: ChatCompletionParams): boolean {
  return params.stream === true;
}

export const geminiChat: ChatAdapter = {
  provider: GEMINI_PROVIDER,
  supportedParams: GEMINI_CHAT_PARAMS,
  supportsN: true,

  buildChatRequest(params: ChatCompletionParams, target: Target): UpstreamRequest {
    const key = requireApiKey(target, GEMINI, GEMINI_PROVIDER);
    const stream = streaming(params);
    const url = geminiUrl(target, stream ? "streamGenerateContent" : "generateContent", stream);
    const body = generateContentBody(params, { provider: GEMINI_PROVIDER, model: target.model });
    return postJson(url, jsonHeaders(target, { "x-goog-api-key": key }), body);
  },

  parseChatResponse: generateContentParser(GEMINI_PROVIDER),
  chatStream: geminiStream,
  parseError: (body) => googleErrorDetail(body, "Gemini"),
  requestId: noRequestId,
};

export const vertexGeminiChat: ChatAdapter = {
  provider: VERTEX_PROVIDER,
  supportedParams: GEMINI_CHAT_PARAMS,
  supportsN: true,

  buildChatRequest(params: ChatCompletionParams, target: Target): UpstreamRequest {
    const stream = streaming(params);
    const method = stream ? "streamGenerateContent" : "generateContent";
    const url = vertexUrl(target, "google", method, VERTEX_PROVIDER, stream);
    const body = generateContentBody(params, { provider: VERTEX_PROVIDER, model: target.model });
    return {
      ...postJson(url, jsonHeaders(target, {}), body),
      signedHeaders: vertexAuthorization(target, VERTEX_PROVIDER),
    };
  },

  parseChatResponse: generateContentParser(VERTEX_PROVIDER),
  chatStream: geminiStream,
  parseError: (body) => googleErrorDetail(body, "Vertex AI"),
  requestId: noRequestId,
};

/** The Messages API version Vertex AI serves Claude under, sent in the body instead of a header. */
const VERTEX_ANTHROPIC_VERSION = "vertex-2023-10-16";

export const vertexClaudeChat: ChatAdapter = {
  ...anthropic,
  provider: VERTEX_PROVIDER,

  buildChatRequest(params: ChatCompletionParams, target: Target): UpstreamRequest {
    const stream = streaming(params);
    const url = vertexUrl(target, "anthropic", stream ? "streamRawPredict" : "rawPredict", VERTEX_PROVIDER, stream);
    // The model is in the URL; Vertex refuses it in the body.
    const { model: _model, ...body } = anthropicBody(params, target);
    const request = postJson(url, jsonHeaders(target, {}), { anthropic_version: VERTEX_ANTHROPIC_VERSION, ...body });
    return { ...request, signedHeaders: vertexAuthorization(target, VERTEX_PROVIDER) };
  },
};

/** Vertex AI's adapter for a model: Claude through Anthropic's body, every other model as Gemini. */
export function vertexChatFor(model: string): ChatAdapter {
  return model.startsWith("claude") ? vertexClaudeChat : vertexGeminiChat;
}

/** The OpenAI embeddings params Google's embedding endpoints take (`dimensions` as outputDimensionality); base64 is litegate's to make. */
const GOOGLE_EMBEDDING_PARAMS: ReadonlySet<string> = new Set(["dimensions"]);

/** `batchEmbedContents` takes at most 100 requests in one call. */
const GEMINI_BATCH_LIMIT = 100;

export const geminiEmbedding: EmbeddingAdapter = {
  provider: GEMINI_PROVIDER,
  supportedParams: GOOGLE_EMBEDDING_PARAMS,
  maxInputsPerCall: GEMINI_BATCH_LIMIT,

  buildEmbeddingRequest(params: EmbeddingParams, target: Target): UpstreamRequest {
    const key = requireApiKey(target, GEMINI, GEMINI_PROVIDER);
    const url = geminiUrl(target, isSingleInput(params) ? "embedContent" : "batchEmbedContents");
    return postJson(
      url,
      jsonHeaders(target, { "x-goog-api-key": key }),
      geminiEmbedBody(params, target, GEMINI_PROVIDER),
    );
  },

  parseEmbeddingResponse: parseGeminiEmbeddings,
  parseError: (body) => googleErrorDetail(body, "Gemini"),
  requestId: noRequestId,
};

/** A Vertex AI embeddings adapter taking at most `maxInputsPerCall` instances per `:predict`. */
function vertexEmbeddingOf(maxInputsPerCall: number): EmbeddingAdapter {
  return {
    provider: VERTEX_PROVIDER,
    supportedParams: GOOGLE_EMBEDDING_PARAMS,
    maxInputsPerCall,

    buildEmbeddingRequest(params: EmbeddingParams, target: Target): UpstreamRequest {
      const url = vertexUrl(target, "google", "predict", VERTEX_PROVIDER);
      const body = vertexPredictBody(params, target, VERTEX_PROVIDER);
      return {
        ...postJson(url, jsonHeaders(target, {}), body),
        signedHeaders: vertexAuthorization(target, VERTEX_PROVIDER),
      };
    },

    parseEmbeddingResponse: parseVertexPredictions,
    parseError: (body) => googleErrorDetail(body, "Vertex AI"),
    requestId: noRequestId,
  };
}

/** Vertex AI's text embedding models (text-embedding-005, text-multilingual-embedding-002) take 250 texts a call. */
export const vertexEmbedding: EmbeddingAdapter = vertexEmbeddingOf(250);

/** gemini-embedding-001 on Vertex AI takes one text a call (Google's documented limit). */
const vertexGeminiEmbedding: EmbeddingAdapter = vertexEmbeddingOf(1);

/** Vertex AI's embeddings adapter for a model: one text a call for the Gemini embedding models, else 250. */
export function vertexEmbeddingFor(model: string): EmbeddingAdapter {
  return model.startsWith("gemini-embedding") ? vertexGeminiEmbedding : vertexEmbedding;
}
