/**
 * Azure OpenAI text completions (`azure_text/DEPLOYMENT`): the classic deployments URL
 * with `api-version`, authenticated by `api-key` or an Entra ID bearer token. Azure
 * speaks OpenAI's dialect plus content-filter fields, which are kept in answers.
 */
import type { UpstreamRequest } from "../http/transport.js";
import type { TextCompletionParams } from "../wire/completions.js";
import { AuthenticationError, BadRequestError, type ProviderErrorDetail } from "../wire/errors.js";
import {
  COMPLETION_PARAMS,
  joinUrl,
  openAIErrorDetail,
  openaiText,
  parseOpenAIStreamEvent,
  withModel,
} from "./openai-text.js";
import type { Target, TextCompletionAdapter } from "./types.js";
import { firstSet } from "./shared.js";

/** The newest GA data-plane version of the classic API. */
export const AZURE_DEFAULT_API_VERSION = "2024-10-21";

/** The headers and base URL every Azure OpenAI deployment call needs. */
export function azureConnection(
  target: Target,
  provider: string,
): { base: string; apiVersion: string; headers: Record<string, string> } {
  const { options, env } = target;
  const base = firstSet(options.api_base, env.AZURE_API_BASE, env.AZURE_OPENAI_ENDPOINT);
  if (base === undefined) {
    throw new BadRequestError(
      "No Azure endpoint: set the AZURE_API_BASE environment variable or pass api_base (https://RESOURCE.openai.azure.com).",
      { provider, model: target.model, param: "api_base", code: "missing_api_base" },
    );
  }
  const headers: Record<string, string> = { "content-type": "application/json" };
  const apiKey = firstSet(options.api_key, env.AZURE_API_KEY, env.AZURE_OPENAI_API_KEY);
  const adToken = firstSet(options.azure_ad_token, env.AZURE_AD_TOKEN);
  if (apiKey !== undefined) headers["api-key"] = apiKey;
  else if (adToken !== undefined) headers.authorization = `Bearer ${adToken}`;
  else {
    throw new AuthenticationError(
      "No Azure credential: set the AZURE_API_KEY environment variable, or pass api_key (or azure_ad_token for Entra ID).",
      { provider, model: target.model, param: "api_key", code: "missing_api_key" },
    );
  }
  const apiVersion = firstSet(options.api_version, env.AZURE_API_VERSION) ?? AZURE_DEFAULT_API_VERSION;
  return {
    base,
    apiVersion,
    headers: options.extra_headers === undefined ? headers : { ...headers, ...options.extra_headers },
  };
}

/** Azure's prompt filter answers 400 with code `content_filter` and an `innererror` (or `inner_error`). */
export function azureErrorDetail(body: unknown): ProviderErrorDetail {
  const detail = openAIErrorDetail(body);
  if (detail.code === "content_filter") {
    detail.kind = "content_policy";
    detail.type ??= "invalid_request_error";
  }
  return detail;
}

export const azureText: TextCompletionAdapter = {
  provider: "azure_text",
  supportedParams: COMPLETION_PARAMS,

  buildRequest(params: TextCompletionParams, target: Target): UpstreamRequest {
    const { base, apiVersion, headers } = azureConnection(target, this.provider);
    const path = `/openai/deployments/${encodeURIComponent(target.model)}/completions?api-version=${encodeURIComponent(apiVersion)}`;
    return { method: "POST", url: joinUrl(base, path), headers, body: withModel(params, target.model) };
  },

  parseResponse: openaiText.parseResponse,
  parseStreamEvent: parseOpenAIStreamEvent,
  parseError: azureErrorDetail,
  requestId: openaiText.requestId,
};
