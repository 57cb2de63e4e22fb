/**
 * Azure OpenAI (`azure_text/DEPLOYMENT` for text completions, `azure/DEPLOYMENT` for chat and
 * embeddings):
 * the classic deployments URL with `api-version`, authenticated by `api-key` or an Entra ID
 * bearer token. Azure speaks OpenAI's dialect plus content-filter fields, which are kept
 * in answers.
 */
import { AuthenticationError, BadRequestError, type ProviderErrorDetail } from "../wire/errors.js";
import { apiBase, apiKey, bearer, type Endpoint, firstSet, joinUrl, jsonHeaders } from "./connection.js";
import type { Target } from "./types.js";
import { EMBEDDING_PARAMS } from "../wire/embeddings.js";
import {
  CHAT_PARAMS,
  COMPLETION_PARAMS,
  openAIDialectChat,
  openAIDialectEmbedding,
  openAIDialectText,
  openAIErrorDetail,
  type OpenAIServer,
} from "./openai-dialect.js";

export const AZURE = {
  label: "Azure",
  keyEnv: "AZURE_API_KEY",
  baseEnv: "AZURE_API_BASE",
  aliases: { key: ["AZURE_OPENAI_API_KEY"], base: ["AZURE_OPENAI_ENDPOINT"] },
} satisfies Endpoint;

/** The newest GA data-plane version of the classic API. */
const AZURE_DEFAULT_API_VERSION = "2024-10-21";

/**
 * The resource's base URL, its credential header and the api-version asked for (options, then
 * AZURE_API_VERSION); throws before any request when the base or the credential is missing.
 */
export function azureConnection(
  target: Target,
  provider: string,
): { base: string; headers: Record<string, string>; version: string | undefined } {
  const { options, env } = target;
  const base = apiBase(target, AZURE);
  if (base === undefined) {
    throw new BadRequestError(
      "No Azure endpoint: set the AZURE_API_BASE environment variable or pass api_base " +
        "(https://RESOURCE.openai.azure.com).",
      { provider, model: target.model, param: "api_base", code: "missing_api_base" },
    );
  }
  const key = apiKey(target, AZURE);
  const adToken = firstSet(options.azure_ad_token, env.AZURE_AD_TOKEN);
  if (key === undefined && adToken === undefined) {
    throw new AuthenticationError(
      "No Azure credential: set the AZURE_API_KEY environment variable, or pass api_key " +
        "(or azure_ad_token for Entra ID).",
      { provider, model: target.model, param: "api_key", code: "missing_api_key" },
    );
  }
  return {
    base,
    headers: jsonHeaders(target, key === undefined ? bearer(adToken) : { "api-key": key }),
    version: firstSet(options.api_version, env.AZURE_API_VERSION),
  };
}

const azureServer: OpenAIServer = {
  locate(target, path, provider) {
    const { base, headers, version } = azureConnection(target, provider);
    const deployment = `/openai/deployments/${encodeURIComponent(target.model)}`;
    return {
      url: joinUrl(
        base,
        `${deployment}${path}?api-version=${encodeURIComponent(version ?? AZURE_DEFAULT_API_VERSION)}`,
      ),
      headers,
    };
  },

  /** Azure's prompt filter answers 400 with code `content_filter` and an `innererror` (or `inner_error`). */
  parseError(body: unknown): ProviderErrorDetail {
    const detail = openAIErrorDetail(body);
    if (detail.code === "content_filter") {
      detail.kind = "content_policy";
      detail.type ??= "invalid_request_error";
    }
    return detail;
  },
};

export const azureText = openAIDialectText("azure_text", COMPLETION_PARAMS, azureServer);
export const azureChat = openAIDialectChat("azure", CHAT_PARAMS, true, azureServer);

/** Azure's embeddings take at most 2048 inputs per request, as OpenAI's do. */
const AZURE_MAX_EMBEDDING_INPUTS = 2048;

export const azureEmbedding = openAIDialectEmbedding(
  "azure",
  EMBEDDING_PARAMS,
  AZURE_MAX_EMBEDDING_INPUTS,
  azureServer,
);
