/**
 * Anthropic's Messages API (`anthropic/M`): OpenAI chat requests become `/v1/messages`
 * requests (request.ts), and Anthropic's messages and named-event streams become OpenAI's
 * chat.completion (response.ts) and chat.completion.chunk objects (stream.ts).
 */
import type { UpstreamRequest } from "../../http/transport.js";
import type { ChatCompletionParams } from "../../wire/chat.js";
import { apiBase, type Endpoint, jsonHeaders, postJson, requestIdHeader, requireApiKey, v1Url } from "../connection.js";
import type { ChatAdapter, Target } from "../types.js";
import { anthropicErrorDetail, PROVIDER } from "./errors.js";
import { requestBody } from "./request.js";
import { parseMessage } from "./response.js";
import { anthropicStream } from "./stream.js";

export const ANTHROPIC = {
  label: "Anthropic",
  keyEnv: "ANTHROPIC_API_KEY",
  baseEnv: "ANTHROPIC_API_BASE",
  defaultBase: "https://api.anthropic.com",
} satisfies Endpoint;

const ANTHROPIC_VERSION = "2023-06-01";

/** The OpenAI chat params Anthropic can express; n, logprobs, penalties, seed and the like it cannot. */
// biome-ignore format: a table, read across
const ANTHROPIC_CHAT_PARAMS: ReadonlySet<string> = new Set([
  "max_completion_tokens", "max_tokens", "parallel_tool_calls", "stop", "stream", "stream_options",
  "temperature", "tool_choice", "tools", "top_p", "user",
]);

export const anthropic: ChatAdapter = {
  provider: PROVIDER,
  supportedParams: ANTHROPIC_CHAT_PARAMS,
  supportsN: false,

  buildChatRequest(params: ChatCompletionParams, target: Target): UpstreamRequest {
    const key = requireApiKey(target, ANTHROPIC, PROVIDER);
    const headers = jsonHeaders(target, { "x-api-key": key, "anthropic-version": ANTHROPIC_VERSION });
    return postJson(v1Url(apiBase(target, ANTHROPIC), "/messages"), headers, requestBody(params, target));
  },

  parseChatResponse: parseMessage,
  chatStream: anthropicStream,
  parseError: anthropicErrorDetail,
  requestId: requestIdHeader("request-id"),
};
