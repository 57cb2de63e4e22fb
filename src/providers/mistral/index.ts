/**
 * Mistral's chat endpoint (`mistral/M`), and the same endpoint on Codestral's own host
 * (`codestral/M`): OpenAI's chat format with a few renames (request.ts), answers that
 * are OpenAI's but for Mistral's own content, finish reasons and tool arguments
 * (response.ts, stream.ts); Codestral's fill-in-the-middle endpoint (fim.ts); and Mistral's
 * embeddings (`mistral/mistral-embed`), OpenAI's format both ways.
 */
import type { UpstreamRequest } from "../../http/transport.js";
import type { ChatCompletionParams } from "../../wire/chat.js";
import type { TextCompletionParams } from "../../wire/completions.js";
import { apiBase, bearerHeaders, type Endpoint, postJson, requireApiKey, v1Url } from "../connection.js";
import type { ChatAdapter, EmbeddingAdapter, ProviderEmbeddings, Target, TextCompletionAdapter } from "../types.js";
import { mistralErrorDetail, mistralRequestId } from "./errors.js";
import { FIM_PROVIDER, fimBody, parseFim, parseFimEvent } from "./fim.js";
import { mistralChatBody } from "./request.js";
import { parseMistralChat } from "./response.js";
import { mistralChatStream } from "./stream.js";

export const MISTRAL = {
  label: "Mistral",
  keyEnv: "MISTRAL_API_KEY",
  baseEnv: "MISTRAL_API_BASE",
  defaultBase: "https://api.mistral.ai/v1",
} satisfies Endpoint;

export const CODESTRAL = {
  label: "Codestral",
  keyEnv: "CODESTRAL_API_KEY",
  baseEnv: "CODESTRAL_API_BASE",
  defaultBase: "https://codestral.mistral.ai",
} satisfies Endpoint;

/**
 * OpenAI chat params Mistral takes. `stream_options` is accepted but not sent: Mistral
 * refuses it and always puts usage on its last chunk. Not taken: logit_bias, logprobs,
 * top_logprobs, user, store, metadata, audio, modalities, service_tier, reasoning_effort.
 */
// biome-ignore format: a table, read across
const MISTRAL_CHAT_PARAMS: ReadonlySet<string> = new Set([
  "frequency_penalty", "max_completion_tokens", "max_tokens", "n", "parallel_tool_calls", "prediction",
  "presence_penalty", "response_format", "seed", "stop", "stream", "stream_options", "temperature",
  "tool_choice", "tools", "top_p",
]);

/** The OpenAI completion params FIM takes (`seed` is sent as `random_seed`). */
// biome-ignore format: a table, read across
const CODESTRAL_PARAMS: ReadonlySet<string> = new Set([
  "max_tokens", "seed", "stop", "stream", "stream_options", "suffix", "temperature", "top_p",
]);

/** A call to `path` under a Mistral API's `/v1`, with the bearer key it requires. */
function mistralRequest(
  endpoint: Endpoint & { defaultBase: string },
  provider: string,
  path: string,
  body: Record<string, unknown>,
  target: Target,
): UpstreamRequest {
  const key = requireApiKey(target, endpoint, provider);
  return postJson(v1Url(apiBase(target, endpoint), path), bearerHeaders(key, target), body);
}

function mistralChatAt(provider: string, endpoint: Endpoint & { defaultBase: string }): ChatAdapter {
  return {
    provider,
    supportedParams: MISTRAL_CHAT_PARAMS,
    supportsN: true,

    buildChatRequest: (params: ChatCompletionParams, target: Target) =>
      mistralRequest(endpoint, provider, "/chat/completions", mistralChatBody(params, target.model), target),

    parseChatResponse: parseMistralChat,
    chatStream: mistralChatStream,
    parseError: mistralErrorDetail,
    requestId: mistralRequestId,
  };
}

export const mistralChat = mistralChatAt("mistral", MISTRAL);

/** Codestral models chat too, on Codestral's own host with its own key. */
export const codestralChat = mistralChatAt("codestral", CODESTRAL);

/**
 * Codestral fill-in-the-middle (`text-completion-codestral/M`, `codestral/M`): one string
 * prompt and a suffix per call (fim.ts).
 */
export const codestralFim: TextCompletionAdapter = {
  provider: FIM_PROVIDER,
  singlePrompt: true,
  supportedParams: CODESTRAL_PARAMS,
  buildRequest: (params: TextCompletionParams, target: Target) =>
    mistralRequest(CODESTRAL, FIM_PROVIDER, "/fim/completions", fimBody(params, target), target),
  parseResponse: parseFim,
  parseStreamEvent: parseFimEvent,
  parseError: mistralErrorDetail,
  requestId: mistralRequestId,
};

/** The OpenAI embeddings params Mistral takes (LiteLLM's table for Mistral lists only this one). */
const MISTRAL_EMBEDDING_PARAMS: ReadonlySet<string> = new Set(["encoding_format"]);

/** Mistral refuses more than 512 inputs in one request ("Too many inputs in request, split into more batches"). */
const MISTRAL_MAX_EMBEDDING_INPUTS = 512;

export const mistralEmbedding: EmbeddingAdapter = {
  provider: "mistral",
  supportedParams: MISTRAL_EMBEDDING_PARAMS,
  maxInputsPerCall: MISTRAL_MAX_EMBEDDING_INPUTS,
  buildEmbeddingRequest: (params, target) =>
    mistralRequest(MISTRAL, "mistral", "/embeddings", { ...params, model: target.model }, target),
  // Mistral answers in OpenAI's shape (plus an id and completion_tokens: 0).
  parseEmbeddingResponse: (body) => body as ProviderEmbeddings,
  parseError: mistralErrorDetail,
  requestId: mistralRequestId,
};
