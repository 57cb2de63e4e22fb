/**
 * `chatCompletion()`: one OpenAI chat completion end to end — validate, pick the
 * provider's chat adapter, fit the params, send (with retries), and return OpenAI's
 * chat.completion or its stream of chunks.
 */
import { CHAT_PARAMS } from "../providers/openai-chat.js";
import { resolveModel } from "../providers/registry.js";
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionParams } from "../wire/chat.js";
import { BadRequestError } from "../wire/errors.js";
import { validateChatCompletion } from "../wire/validate-chat.js";
import { attemptOnce, attemptStream, withRetries } from "./attempt.js";
import { mockChat, mockChatStream } from "./mock-response.js";
import { type CallOptions, DEFAULT_TIMEOUT_SECONDS, splitRequest } from "./options.js";
import { fitParams } from "./params.js";
import type { CompletionStream } from "./stream.js";
import type { PreparedCall } from "./upstream.js";

export type ChatCompletionRequest = ChatCompletionParams & CallOptions;

/** A streamed chat completion: `for await (const chunk of stream)`. */
export type ChatCompletionStream = CompletionStream<ChatCompletionChunk>;

export function chatCompletion(request: ChatCompletionRequest & { stream: true }): Promise<ChatCompletionStream>;
export function chatCompletion(request: ChatCompletionRequest & { stream?: false | null }): Promise<ChatCompletion>;
export function chatCompletion(request: ChatCompletionRequest): Promise<ChatCompletion | ChatCompletionStream>;
export async function chatCompletion(request: ChatCompletionRequest): Promise<ChatCompletion | ChatCompletionStream> {
  const { params, options } = splitRequest(request);
  return runChatCompletion(validateChatCompletion(params), options);
}

/** chatCompletion() for params already split from their options and validated (the Router's way in). */
export async function runChatCompletion(params: ChatCompletionParams, options: CallOptions): Promise<ChatCompletion | ChatCompletionStream> {
  if (options.mock_response !== undefined) {
    return params.stream === true ? mockChatStream(params, options.mock_response) : mockChat(params, options.mock_response);
  }
  const resolved = resolveModel(params.model);
  const adapter = resolved.chat;
  if (adapter === undefined) {
    throw new BadRequestError(`Model '${params.model}': ${resolved.provider} has no chat endpoint; send this model text completions (POST /v1/completions).`, {
      param: "model",
      code: "model_not_supported",
    });
  }
  const dropParams = options.drop_params === true;
  const wire = fitParams(
    params,
    CHAT_PARAMS,
    adapter.supportedParams,
    { dropParams, additionalDropParams: options.additional_drop_params },
    adapter.provider,
  );
  const call: PreparedCall = {
    adapter,
    model: params.model,
    request: adapter.buildChatRequest(wire, { model: resolved.model, options, env: process.env, dropParams }),
    timeoutMs: (options.timeout ?? DEFAULT_TIMEOUT_SECONDS) * 1000,
    signal: options.signal,
    observer: options.observer,
  };
  const retries = options.num_retries ?? 0;
  if (params.stream === true) {
    const n = adapter.supportedParams.has("n") ? (wire.n ?? 1) : 1;
    const includeUsage = params.stream_options?.include_usage === true;
    return withRetries(
      () =>
        attemptStream(call, () => {
          const reader = adapter.chatStream();
          return {
            framer: reader.framer,
            // Some providers (Anthropic, Mistral, Ollama) always report usage; OpenAI sends it only when asked.
            parseEvent: (event) => {
              const result = reader.parseEvent(event);
              if (includeUsage || result.type !== "chunk" || result.chunk.usage == null) return result;
              if (result.chunk.choices.length === 0) return { type: "skip" };
              return { type: "chunk", chunk: { ...result.chunk, usage: undefined } };
            },
            expectedChoices: n,
          };
        }),
      retries,
      options.signal,
    );
  }
  return withRetries(() => attemptOnce(call, (body) => adapter.parseChatResponse(body)), retries, options.signal);
}
