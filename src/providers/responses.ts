/**
 * The Responses API where providers serve it natively: OpenAI (`openai/`, bare OpenAI chat
 * names: `{api_base}/responses`) and Azure OpenAI (`azure/`: LiteLLM's form,
 * `{api_base}/openai/responses?api-version=V`, or `/openai/v1/responses` for the v1 API's
 * `preview` and `latest`; `preview` when no version is set, as LiteLLM defaults). The request
 * is OpenAI's already and goes as it came, with the provider's model name.
 */
import type { UpstreamRequest } from "../http/transport.js";
import { azureConnection } from "./azure.js";
import { joinUrl } from "./connection.js";
import { openAIErrorDetail, openAIRequestId } from "./openai-dialect.js";
import { openaiServer } from "./openai.js";
import type { ProviderDialect, Target } from "./types.js";

export interface NativeResponses extends ProviderDialect {
  /** The request at `path` under the provider's responses root (`""`, `/{id}`, `/{id}/input_items`). */
  request(target: Target, method: "POST" | "GET" | "DELETE", path: string, body?: unknown): UpstreamRequest;
}

/** The Azure API version LiteLLM uses for responses when none is configured. */
const AZURE_RESPONSES_API_VERSION = "preview";

function withBody(
  method: UpstreamRequest["method"],
  url: string,
  headers: Record<string, string>,
  body: unknown,
): UpstreamRequest {
  if (body === undefined) {
    const { "content-type": _json, ...rest } = headers;
    return { method, url, headers: rest };
  }
  return { method, url, headers, body: JSON.stringify(body) };
}

const openai: NativeResponses = {
  provider: "openai",
  parseError: openAIErrorDetail,
  requestId: openAIRequestId,
  request(target, method, path, body) {
    const { url, headers } = openaiServer.locate(target, `/responses${path}`, "openai");
    return withBody(method, url, headers, body);
  },
};

const azure: NativeResponses = {
  provider: "azure",
  parseError: openAIErrorDetail,
  requestId: openAIRequestId,
  request(target, method, path, body) {
    const { base, headers, version } = azureConnection(target, "azure");
    const apiVersion = version ?? AZURE_RESPONSES_API_VERSION;
    const root = apiVersion === "preview" || apiVersion === "latest" ? "/openai/v1/responses" : "/openai/responses";
    const url = `${joinUrl(base, root + path)}?api-version=${encodeURIComponent(apiVersion)}`;
    return withBody(method, url, headers, body);
  },
};

/** The native Responses endpoint of a resolved provider, or undefined when it is reached through chat. */
export function nativeResponses(provider: string): NativeResponses | undefined {
  if (provider === "openai") return openai;
  if (provider === "azure") return azure;
  return undefined;
}
