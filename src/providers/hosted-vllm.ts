/**
 * A vLLM OpenAI-compatible server (`hosted_vllm/M`): OpenAI's `/completions` at the
 * server's `api_base`, a bearer key only if the server was started with one. vLLM
 * removed `best_of`, so it is not in the supported params.
 */
import type { UpstreamRequest } from "../http/transport.js";
import type { TextCompletionParams } from "../wire/completions.js";
import { BadRequestError } from "../wire/errors.js";
import { bearerHeaders, COMPLETION_PARAMS, joinUrl, openaiText, withModel } from "./openai-text.js";
import type { Target, TextCompletionAdapter } from "./types.js";

export const hostedVllm: TextCompletionAdapter = {
  provider: "hosted_vllm",
  supportedParams: new Set([...COMPLETION_PARAMS].filter((param) => param !== "best_of")),

  buildRequest(params: TextCompletionParams, target: Target): UpstreamRequest {
    const base = target.options.api_base ?? target.env.HOSTED_VLLM_API_BASE;
    if (base === undefined || base === "") {
      throw new BadRequestError(
        "No vLLM server address: set the HOSTED_VLLM_API_BASE environment variable or pass api_base (http://HOST:8000/v1).",
        { provider: this.provider, model: target.model, param: "api_base", code: "missing_api_base" },
      );
    }
    const apiKey = target.options.api_key ?? target.env.HOSTED_VLLM_API_KEY;
    return {
      method: "POST",
      url: joinUrl(base, "/completions"),
      headers: bearerHeaders(apiKey, target),
      body: withModel(params, target.model),
    };
  },

  parseResponse: openaiText.parseResponse,
  parseStreamEvent: openaiText.parseStreamEvent,
  parseError: openaiText.parseError,
  requestId: openaiText.requestId,
};
