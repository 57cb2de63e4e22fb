/**
 * OpenAI's own `/v1/completions` (`text-completion-openai/M`, bare instruct names such
 * as `gpt-3.5-turbo-instruct`). The request is OpenAI's already, so it is forwarded
 * unchanged; the answer is returned as OpenAI sent it. The helpers exported here are
 * the OpenAI wire dialect that Azure and OpenAI-compatible servers share.
 */
import type { SseEvent } from "../http/sse.js";
import type { UpstreamRequest } from "../http/transport.js";
import type { TextCompletion, TextCompletionChunk, TextCompletionParams } from "../wire/completions.js";
import { AuthenticationError, type ProviderErrorDetail } from "../wire/errors.js";
import type { StreamEvent, Target, TextCompletionAdapter } from "./types.js";
import { CONTEXT_WINDOW_MESSAGE, isRecord } from "./shared.js";

/** Every param of OpenAI's CreateCompletionRequest besides model and prompt. */
export const COMPLETION_PARAMS: ReadonlySet<string> = new Set([
  "best_of",
  "echo",
  "frequency_penalty",
  "logit_bias",
  "logprobs",
  "max_tokens",
  "n",
  "presence_penalty",
  "seed",
  "stop",
  "stream",
  "stream_options",
  "suffix",
  "temperature",
  "top_p",
  "user",
]);

const OPENAI_API_BASE = "https://api.openai.com/v1";

export function joinUrl(base: string, path: string): string {
  return base.endsWith("/") ? base.slice(0, -1) + path : base + path;
}

/** The body sent upstream: the caller's params (text or chat) with the provider's model name. */
export function withModel(params: { model: string }, model: string): string {
  return JSON.stringify(params.model === model ? params : { ...params, model });
}

function stringOrNull(value: unknown): string | null {
  if (typeof value === "string") return value;
  if (typeof value === "number") return String(value);
  return null;
}

/**
 * OpenAI's `{"error": {message, type, param, code}}`, also in the dialects of servers
 * that imitate it: vLLM's integer `code`, the flat `{"object": "error", message, ...}`,
 * Azure's `type: null`, or a bare string.
 */
export function openAIErrorDetail(body: unknown): ProviderErrorDetail {
  if (typeof body === "string") return { message: body || "The upstream returned an error without a message." };
  const record = isRecord(body) ? body : {};
  const error = isRecord(record.error)
    ? record.error
    : typeof record.error === "string"
      ? { message: record.error }
      : record;
  const message =
    typeof error.message === "string" && error.message !== ""
      ? error.message
      : `The upstream returned an error: ${JSON.stringify(body).slice(0, 200)}`;
  const code = stringOrNull(error.code);
  const detail: ProviderErrorDetail = {
    message,
    param: stringOrNull(error.param),
    code,
  };
  if (typeof error.type === "string" && error.type !== "") detail.type = error.type;
  if (code === "context_length_exceeded" || CONTEXT_WINDOW_MESSAGE.test(message)) detail.kind = "context_window";
  return detail;
}

/** OpenAI's SSE framing: `data: <chunk>` events, `data: [DONE]` last, `{"error": ...}` on failure. */
export function parseOpenAIStreamEvent<C = TextCompletionChunk>(event: SseEvent): StreamEvent<C> {
  const data = event.data;
  if (data === "[DONE]") return { type: "done" };
  let payload: unknown;
  try {
    payload = JSON.parse(data);
  } catch {
    return {
      type: "error",
      status: 502,
      detail: { message: `The upstream sent a stream event that is not JSON: ${data.slice(0, 200)}` },
    };
  }
  if (event.event === "error" || (isRecord(payload) && payload.error !== undefined && payload.error !== null)) {
    const status = isRecord(payload) && isRecord(payload.error) ? payload.error.status : undefined;
    return {
      type: "error",
      status: typeof status === "number" ? status : undefined,
      detail: openAIErrorDetail(payload),
    };
  }
  // Several `data:` lines were joined with "\n": forwarding that text as one line would break the framing.
  return { type: "chunk", chunk: payload as C, raw: data.includes("\n") ? undefined : data };
}

export function openAIRequestId(headers: Record<string, string | string[] | undefined>): string | undefined {
  const id = headers["x-request-id"] ?? headers["apim-request-id"];
  return typeof id === "string" ? id : undefined;
}

/** Headers for an OpenAI-style server: the bearer key when there is one, then the caller's extra headers. */
export function bearerHeaders(
  apiKey: string | undefined,
  target: Target,
  organization?: string,
): Record<string, string> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (apiKey !== undefined && apiKey !== "") headers.authorization = `Bearer ${apiKey}`;
  if (organization !== undefined && organization !== "") headers["openai-organization"] = organization;
  return target.options.extra_headers === undefined ? headers : { ...headers, ...target.options.extra_headers };
}

export const openaiText: TextCompletionAdapter = {
  provider: "text-completion-openai",
  supportedParams: COMPLETION_PARAMS,

  buildRequest(params: TextCompletionParams, target: Target): UpstreamRequest {
    const base = target.options.api_base ?? target.env.OPENAI_BASE_URL ?? target.env.OPENAI_API_BASE ?? OPENAI_API_BASE;
    const apiKey = target.options.api_key ?? target.env.OPENAI_API_KEY;
    // OpenAI itself always wants a key; a self-hosted OpenAI-compatible server may not.
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
      url: joinUrl(base, "/completions"),
      headers: bearerHeaders(apiKey, target, target.options.organization ?? target.env.OPENAI_ORGANIZATION),
      body: withModel(params, target.model),
    };
  },

  parseResponse(body: unknown): TextCompletion {
    return body as TextCompletion;
  },

  parseStreamEvent: parseOpenAIStreamEvent,
  parseError: openAIErrorDetail,
  requestId: openAIRequestId,
};
