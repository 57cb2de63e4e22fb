/** Azure OpenAI chat (`azure/DEPLOYMENT`): the deployments URL with `api-version`, OpenAI's dialect. */
import type { UpstreamRequest } from "../http/transport.js";
import type { ChatCompletionParams } from "../wire/chat.js";
import { azureConnection, azureErrorDetail } from "./azure-text.js";
import { asChatCompletion, CHAT_PARAMS, openAIChatStream } from "./openai-chat.js";
import { joinUrl, openAIRequestId, withModel } from "./openai-text.js";
import type { ChatAdapter, Target } from "./types.js";

export const azureChat: ChatAdapter = {
  provider: "azure",
  supportedParams: CHAT_PARAMS,
  supportsN: true,

  buildChatRequest(params: ChatCompletionParams, target: Target): UpstreamRequest {
    const { base, apiVersion, headers } = azureConnection(target, this.provider);
    const path = `/openai/deployments/${encodeURIComponent(target.model)}/chat/completions?api-version=${encodeURIComponent(apiVersion)}`;
    return { method: "POST", url: joinUrl(base, path), headers, body: withModel(params, target.model) };
  },

  parseChatResponse: asChatCompletion,
  chatStream: openAIChatStream,
  parseError: azureErrorDetail,
  requestId: openAIRequestId,
};
