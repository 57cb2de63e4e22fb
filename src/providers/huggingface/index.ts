/**
 * Hugging Face (`huggingface/MODEL`): chat through the OpenAI-compatible `/v1/chat/completions`
 * of Inference Providers (router.huggingface.co), a dedicated Inference Endpoint or a TGI
 * server (`api_base`); text completions through TGI's native `/generate` and
 * `/generate_stream` (tgi.ts), which keep logprobs. Keys are bearer tokens (HF_TOKEN).
 */
import type { UpstreamRequest } from "../../http/transport.js";
import type { TextCompletionParams } from "../../wire/completions.js";
import { BadRequestError } from "../../wire/errors.js";
import { apiBase, apiKey, bearerHeaders, type Endpoint, firstSet, postJson, v1Url } from "../connection.js";
import { CHAT_PARAMS, openAIDialectChat, openAIRequestId } from "../openai-dialect.js";
import type { ChatAdapter, Target, TextCompletionAdapter } from "../types.js";
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
