/**
 * `chatCompletion()`: one OpenAI chat completion end to end — validate, pick the
 * provider's chat adapter, fit the params, send (with retries), and return OpenAI's
 * chat.completion or its stream of chunks.
 */
import { CHAT_PARAMS } from "../providers/openai-dialect.js";
import { resolveModel } from "../providers/registry.js";
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionParams } from "../wire/chat.js";
import { BadRequestError } from "../wire/errors.js";
import { validateChatCompletion } from "../wire/validate-chat.js";
import { attemptOnce, attemptStream, withRetries } from "./attempt.js";
import { answerWithUsage, beginUsage, callUsage, streamUsage, withProviderUsage } from "./call-usage.js";
import { mockChat, mockChatStream } from "./mock-response.js";
import { type CallOptions, DEFAULT_TIMEOUT_SECONDS, splitRequest } from "./options.js";
import { fitParams } from "./params.js";
import { CHAT_COMPLETION, CHAT_COMPLETION_CHUNK } from "./shape.js";
import type { CompletionStream } from "./stream.js";
import type { PreparedCall } from "./upstream.js";
import { chatBasis } from "./usage.js";

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
export async function runChatCompletion(
  params: ChatCompletionParams,
  options: CallOptions,
): Promise<ChatCompletion | ChatCompletionStream> {
  const usage = callUsage(params, options);
  if (options.mock_response !== undefined) {
    beginUsage(usage, chatBasis(params.model, params.messages));
    if (params.stream === true)
      return mockChatStream(params, options.mock_response, streamUsage(usage, "chat.completion.chunk", params.model));
    return answerWithUsage(mockChat(params, options.mock_response), usage.ledger);
  }
  const resolved = resolveModel(params.model);
  const adapter = resolved.chat;
  if (adapter === undefined) {
    throw new BadRequestError(
      `Model '${params.model}': ${resolved.provider} has no chat endpoint; send this model text completions (POST /v1/completions).`,
      {
        param: "model",
        code: "model_not_supported",
      },
    );
  }
  const dropParams = options.drop_params === true;
  const wire = fitParams(
    withProviderUsage(params, usage),
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
  };
  const retries = options.num_retries ?? 0;
  beginUsage(usage, chatBasis(resolved.model, params.messages));
  if (params.stream === true) {
    const n = adapter.supportedParams.has("n") ? (wire.n ?? 1) : 1;
    return withRetries(
      () =>
        attemptStream(call, () => {
          const reader = adapter.chatStream();
          return {
            framer: reader.framer,
            parseEvent: (event) => reader.parseEvent(event),
            shape: CHAT_COMPLETION_CHUNK,
            expectedChoices: n,
            usage: streamUsage<ChatCompletionChunk>(usage, "chat.completion.chunk", resolved.model),
          };
        }),
      retries,
      options.signal,
    );
  }
  const answer = await withRetries(
    () => attemptOnce(call, (body) => adapter.parseChatResponse(body), CHAT_COMPLETION),
    retries,
    options.signal,
  );
  return answerWithUsage(answer, usage.ledger);
}
