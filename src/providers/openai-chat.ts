/**
 * OpenAI's `/v1/chat/completions` (`openai/M`, bare chat names such as `gpt-4o`), and
 * the building blocks every OpenAI-compatible chat endpoint shares: the body is
 * OpenAI's already, so it is forwarded as it is and answers come back unchanged.
 */
import type { UpstreamRequest } from "../http/transport.js";
import { SseParser } from "../http/sse.js";
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionParams } from "../wire/chat.js";
import { AuthenticationError } from "../wire/errors.js";
import {
  bearerHeaders,
  joinUrl,
  openAIErrorDetail,
  openAIRequestId,
  parseOpenAIStreamEvent,
  withModel,
} from "./openai-text.js";
import type { ChatAdapter, ChatStreamReader, Target } from "./types.js";

/** OpenAI's chat params besides model and messages. */
export const CHAT_PARAMS: ReadonlySet<string> = new Set([
  "audio",
  "frequency_penalty",
  "logit_bias",
  "logprobs",
  "max_completion_tokens",
  "max_tokens",
  "metadata",
  "modalities",
  "n",
  "parallel_tool_calls",
  "prediction",
  "presence_penalty",
  "prompt_cache_key",
  "reasoning_effort",
  "response_format",
  "safety_identifier",
  "seed",
  "service_tier",
  "stop",
  "store",
  "stream",
  "stream_options",
  "temperature",
  "tool_choice",
  "tools",
  "top_logprobs",
  "top_p",
  "user",
  "verbosity",
  "web_search_options",
]);

export function openAIChatStream(): ChatStreamReader {
  return { framer: new SseParser(), parseEvent: (event) => parseOpenAIStreamEvent<ChatCompletionChunk>(event) };
}

/** Answers of OpenAI-compatible servers are already OpenAI's. */
export function asChatCompletion(body: unknown): ChatCompletion {
  return body as ChatCompletion;
}

const OPENAI_API_BASE = "https://api.openai.com/v1";

export const openaiChat: ChatAdapter = {
  provider: "openai",
  supportedParams: CHAT_PARAMS,
  supportsN: true,

  buildChatRequest(params: ChatCompletionParams, target: Target): UpstreamRequest {
    const base = target.options.api_base ?? target.env.OPENAI_BASE_URL ?? target.env.OPENAI_API_BASE ?? OPENAI_API_BASE;
    const apiKey = target.options.api_key ?? target.env.OPENAI_API_KEY;
    if ((apiKey === undefined || apiKey === "") && new URL(base).hostname === "api.openai.com") {
      throw new AuthenticationError("No OpenAI API key: set the OPENAI_API_KEY environment variable or pass api_key.", {
        provider: this.provider,
        model: target.model,
        param: "api_key",
        code: "missing_api_key",
      });
    }
    return {
      method: "POST",
      url: joinUrl(base, "/chat/completions"),
      headers: bearerHeaders(apiKey, target, target.options.organization ?? target.env.OPENAI_ORGANIZATION),
      body: withModel(params, target.model),
    };
  },

  parseChatResponse: asChatCompletion,
  chatStream: openAIChatStream,
  parseError: openAIErrorDetail,
  requestId: openAIRequestId,
};
