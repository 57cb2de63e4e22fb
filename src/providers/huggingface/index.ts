/**
 * Hugging Face (`huggingface/MODEL`): chat through the OpenAI-compatible `/v1/chat/completions`
 * of Inference Providers (router.huggingface.co), a dedicated Inference Endpoint or a TGI
 * server (`api_base`); text completions through TGI's native `/generate` and
 * `/generate_stream` (tgi.ts), which keep logprobs; embeddings through the feature-extraction
 * task (Text Embeddings Inference, or the router's hf-inference). Keys are bearer tokens (HF_TOKEN).
 */
import type { UpstreamRequest } from "../../http/transport.js";
import type { TextCompletionParams } from "../../wire/completions.js";
import type { EmbeddingParams } from "../../wire/embeddings.js";
import { BadRequestError } from "../../wire/errors.js";
import { apiBase, apiKey, bearerHeaders, type Endpoint, firstSet, postJson, v1Url } from "../connection.js";
import { CHAT_PARAMS, openAIDialectChat, openAIRequestId } from "../openai-dialect.js";
import { textInputs } from "../embedding-input.js";
import type { ChatAdapter, EmbeddingAdapter, ProviderEmbeddings, Target, TextCompletionAdapter } from "../types.js";
import { generateBody, generateStream, PROVIDER, parseGenerate, tgiErrorDetail } from "./tgi.js";

export const HUGGINGFACE = {
  label: "Hugging Face",
  keyEnv: "HF_TOKEN",
  baseEnv: "HF_API_BASE",
  defaultBase: "https://router.huggingface.co",
  aliases: { key: ["HUGGINGFACE_API_KEY"], base: ["HUGGINGFACE_API_BASE"] },
} satisfies Endpoint;

/** The OpenAI completion params TGI's /generate takes (`n` is made by one call per choice). */
// biome-ignore format: a table, read across
const TGI_PARAMS: ReadonlySet<string> = new Set([
  "echo", "frequency_penalty", "logprobs", "max_tokens", "seed", "stop", "stream", "stream_options", "temperature",
  "top_p",
]);

/** Chat params TGI's and the router's /v1/chat/completions refuse or ignore. */
const UNSUPPORTED_CHAT = new Set([
  "n",
  "logit_bias",
  "audio",
  "modalities",
  "prediction",
  "store",
  "metadata",
  "service_tier",
  "web_search_options",
  "verbosity",
  "reasoning_effort",
  "prompt_cache_key",
  "safety_identifier",
]);

/** A TGI server's root, however api_base was written (the host, `/v1`, or a trailing slash). */
function tgiRoot(target: Target): string {
  const base = firstSet(target.options.api_base, target.env.HF_API_BASE, target.env.HUGGINGFACE_API_BASE);
  if (base === undefined) {
    throw new BadRequestError(
      "Text completions on huggingface/ go to a TGI server's /generate: set api_base (or HF_API_BASE) to your Inference Endpoint or TGI server, or send chat completions.",
      { provider: PROVIDER, param: "api_base", code: "missing_api_base" },
    );
  }
  return base.replace(/\/+$/, "").replace(/\/v1$/, "");
}

export const huggingfaceText: TextCompletionAdapter = {
  provider: PROVIDER,
  singlePrompt: true,
  supportedParams: TGI_PARAMS,

  buildRequest(params: TextCompletionParams, target: Target): UpstreamRequest {
    const path = params.stream === true ? "/generate_stream" : "/generate";
    return postJson(
      tgiRoot(target) + path,
      bearerHeaders(apiKey(target, HUGGINGFACE), target),
      generateBody(params, target),
    );
  },

  parseResponse: (body, model) => parseGenerate(body, model ?? ""),
  /** Without state the chunks of one stream cannot share an id; textStream() is what streams use. */
  parseStreamEvent: (event) => generateStream("").parseEvent(event),
  textStream: (model) => generateStream(model ?? ""),
  parseError: tgiErrorDetail,
  requestId: openAIRequestId,
};

const openAIChat: ChatAdapter = openAIDialectChat(
  PROVIDER,
  new Set([...CHAT_PARAMS].filter((param) => !UNSUPPORTED_CHAT.has(param))),
  false,
  {
    locate(target, path) {
      // A key is optional: a TGI server of one's own may run without one. A base is the host,
      // its /v1 or the full URL, as LiteLLM's _build_chat_completion_url reads it.
      return {
        url: v1Url(apiBase(target, HUGGINGFACE), path),
        headers: bearerHeaders(apiKey(target, HUGGINGFACE), target),
      };
    },
    parseError: tgiErrorDetail,
  },
);

/**
 * On the router, `huggingface/PROVIDER/ORG/MODEL` (LiteLLM's way to pick an inference provider)
 * is the router's own `ORG/MODEL:PROVIDER`; an endpoint of one's own takes the name as written.
 */
function routerModel(target: Target): string {
  const ownServer = firstSet(target.options.api_base, target.env.HF_API_BASE, target.env.HUGGINGFACE_API_BASE);
  const parts = target.model.split("/");
  if (ownServer !== undefined || parts.length < 3) return target.model;
  return `${parts.slice(1).join("/")}:${parts[0]}`;
}

export const huggingfaceChat: ChatAdapter = {
  ...openAIChat,
  buildChatRequest: (params, target) => openAIChat.buildChatRequest(params, { ...target, model: routerModel(target) }),
};

/** Where the router runs a model's feature-extraction task (Hugging Face's own hf-inference provider). */
function featureExtractionUrl(model: string): string {
  return `${HUGGINGFACE.defaultBase}/hf-inference/models/${model}/pipeline/feature-extraction`;
}

/** One vector per input, as feature-extraction answers a list of texts. */
function parseFeatureExtraction(body: unknown): ProviderEmbeddings {
  if (!Array.isArray(body) || !body.every((vector) => Array.isArray(vector) && typeof vector[0] === "number")) {
    throw new Error("it is not a list of float vectors (a model that is not a sentence embedder answers per token)");
  }
  return { data: (body as number[][]).map((embedding, index) => ({ index, embedding })) };
}

/**
 * Embeddings by the feature-extraction task: `{inputs: [texts]}` posted to api_base as written
 * (LiteLLM's reading: a TEI server's root or `/embed`, an Inference Endpoint), else to the
 * router's hf-inference pipeline for the model. The answer has no usage: litegate counts it.
 * 32 texts a call, TEI's default max_client_batch_size.
 */
export const huggingfaceEmbedding: EmbeddingAdapter = {
  provider: PROVIDER,
  supportedParams: new Set(),
  maxInputsPerCall: 32,

  buildEmbeddingRequest(params: EmbeddingParams, target: Target): UpstreamRequest {
    const base = firstSet(target.options.api_base, target.env.HF_API_BASE, target.env.HUGGINGFACE_API_BASE);
    return postJson(base ?? featureExtractionUrl(target.model), bearerHeaders(apiKey(target, HUGGINGFACE), target), {
      inputs: textInputs(params, target, "Hugging Face", PROVIDER),
    });
  },

  parseEmbeddingResponse: parseFeatureExtraction,
  parseError: tgiErrorDetail,
  requestId: openAIRequestId,
};
