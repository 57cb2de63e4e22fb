/**
 * Cohere's v2 chat API (`cohere/MODEL`): `POST https://api.cohere.com/v2/chat` with a bearer
 * key. `api_base` is the whole chat URL, as LiteLLM reads it for Cohere.
 */
import type { UpstreamRequest } from "../../http/transport.js";
import type { ChatCompletionParams } from "../../wire/chat.js";
import { apiBase, bearerHeaders, type Endpoint, postJson, requestIdHeader, requireApiKey } from "../connection.js";
import { openAIErrorDetail } from "../openai-dialect.js";
import type { ChatAdapter, Target } from "../types.js";
import { cohereChatBody, PROVIDER } from "./request.js";
import { parseCohereChat } from "./response.js";
import { cohereChatStream } from "./stream.js";

export const COHERE = {
  label: "Cohere",
  keyEnv: "COHERE_API_KEY",
  baseEnv: "COHERE_API_BASE",
  defaultBase: "https://api.cohere.com/v2/chat",
  // CO_API_KEY is the Cohere SDK's own variable.
  aliases: { key: ["CO_API_KEY"] },
} satisfies Endpoint;

/** The OpenAI chat params Cohere v2 takes (`response_format` json_object / json_schema); n and logprobs it cannot. */
// biome-ignore format: a table, read across
const COHERE_CHAT_PARAMS: ReadonlySet<string> = new Set([
  "frequency_penalty", "max_completion_tokens", "max_tokens", "presence_penalty", "response_format", "seed", "stop",
  "stream", "stream_options", "temperature", "tool_choice", "tools", "top_p",
]);

export const cohere: ChatAdapter = {
  provider: PROVIDER,
  supportedParams: COHERE_CHAT_PARAMS,
  supportsN: false,

  buildChatRequest(params: ChatCompletionParams, target: Target): UpstreamRequest {
    const key = requireApiKey(target, COHERE, PROVIDER);
    return postJson(apiBase(target, COHERE), bearerHeaders(key, target), cohereChatBody(params, target));
  },

  parseChatResponse: (body, model) => parseCohereChat(body, model ?? ""),
  chatStream: (model) => cohereChatStream(model ?? ""),
  // Cohere's `{"message": "..."}`, read like OpenAI's flat form.
  parseError: openAIErrorDetail,
  requestId: requestIdHeader("x-request-id"),
};
