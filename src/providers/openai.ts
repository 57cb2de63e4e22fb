/**
 * OpenAI itself: `/v1/completions` (`text-completion-openai/M`, bare instruct names such
 * as `gpt-3.5-turbo-instruct`), `/v1/chat/completions` (`openai/M`, bare chat names) and
 * `/v1/embeddings` (`openai/text-embedding-3-small`, bare `text-embedding-*` names).
 * Requests are OpenAI's already and are forwarded unchanged (openai-dialect.ts).
 */
import { apiBase, apiKey, bearer, type Endpoint, firstSet, joinUrl, jsonHeaders, missingApiKey } from "./connection.js";
import { EMBEDDING_PARAMS } from "../wire/embeddings.js";
import {
  CHAT_PARAMS,
  COMPLETION_PARAMS,
  openAIDialectChat,
  openAIDialectEmbedding,
  openAIDialectText,
  type OpenAIServer,
} from "./openai-dialect.js";

export const OPENAI = {
  label: "OpenAI",
  keyEnv: "OPENAI_API_KEY",
  baseEnv: "OPENAI_BASE_URL",
  defaultBase: "https://api.openai.com/v1",
  aliases: { base: ["OPENAI_API_BASE"] },
} satisfies Endpoint;

/** Where OpenAI (or a server at `api_base` speaking its API) answers a path, with its key. */
export const openaiServer: OpenAIServer = {
  locate(target, path, provider) {
    const base = apiBase(target, OPENAI);
    const key = apiKey(target, OPENAI);
    // OpenAI itself always wants a key; a self-hosted OpenAI-compatible server may not.
    if (key === undefined && new URL(base).hostname === "api.openai.com") throw missingApiKey(target, OPENAI, provider);
    const organization = firstSet(target.options.organization, target.env.OPENAI_ORGANIZATION);
    const own = organization === undefined ? bearer(key) : { ...bearer(key), "openai-organization": organization };
    return { url: joinUrl(base, path), headers: jsonHeaders(target, own) };
  },
};

export const openaiText = openAIDialectText("text-completion-openai", COMPLETION_PARAMS, openaiServer);
export const openaiChat = openAIDialectChat("openai", CHAT_PARAMS, true, openaiServer);

/** OpenAI takes at most 2048 inputs in one embeddings request. */
export const OPENAI_MAX_EMBEDDING_INPUTS = 2048;

// OpenAI encodes base64 itself (what its own SDKs ask for by default), so `encoding_format` goes upstream.
export const openaiEmbedding = openAIDialectEmbedding(
  "openai",
  EMBEDDING_PARAMS,
  OPENAI_MAX_EMBEDDING_INPUTS,
  openaiServer,
);
