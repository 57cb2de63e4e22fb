/**
 * `chatCompletion()`: one OpenAI chat completion end to end — validate, pick the
 * provider's chat adapter, fit the params, send (with retries), and return OpenAI's
 * chat.completion or its stream of chunks.
 */
import { CHAT_PARAMS } from "../providers/openai-dialect.js";
import { resolveModel } from "../providers/registry.js";
import type { TextCompletionAdapter } from "../providers/types.js";
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionParams } from "../wire/chat.js";
import { BadRequestError } from "../wire/errors.js";
import { validateChatCompletion } from "../wire/validate-chat.js";
import {
  chatParamsVia,
  chatFromText,
  TextToChatStream,
  textParamsFromChat,
  withoutTools,
} from "../translate/chat-via-text.js";
import { attemptOnce, attemptStream, withRetries } from "./attempt.js";
import { cachedCall } from "./cached-call.js";
import { answerWithUsage, beginUsage, callUsage, streamUsage, withProviderUsage } from "./call-usage.js";
import { mockChat, mockChatStream } from "./mock-response.js";
import { type CallOptions, DEFAULT_TIMEOUT_SECONDS, splitRequest } from "./options.js";
import { fitParams } from "./params.js";
import { CHAT_COMPLETION, CHAT_COMPLETION_CHUNK } from "./shape.js";
import { CompletionStream, StreamEnd, type StreamItem } from "./stream.js";
import { runTextCompletion } from "./text-completion.js";
import { isUsageEstimated, markEstimated } from "./usage-marks.js";
import type { PreparedCall } from "./upstream.js";
import { chatBasis } from "./usage.js";

export type ChatCompletionRequest = ChatCompletionParams & CallOptions;

/** A streamed chat completion: `for await (const chunk of stream)`. */
export type ChatCompletionStream = CompletionStream<ChatCompletionChunk>;

export function chatCompletion(request: ChatCompletionRequest & { stream: true }): Promise<ChatCompletionStream>;
export function chatCompletion(request: ChatCompletionRequest & { stream?: false | null }): Promise<ChatCompletion>;
export function chatCompletion(request: ChatCompletionRequest): Promise<ChatCompletion | ChatCompletionStream>;
export async function chatCompletion(request: ChatCompletionRequest): Promise<ChatCompletion | ChatCompletionStream> {
  const { params, options, litellm } = splitRequest(request);
  const valid = validateChatCompletion(params);
  return cachedCall("chat", valid, options, litellm, (call) => runChatCompletion(valid, call));
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
  const dropParams = options.drop_params === true;
  if (adapter === undefined) {
    if (resolved.text !== undefined) return viaText(resolved.text, params, options);
    throw new BadRequestError(
      `Model '${params.model}': ${resolved.provider} has no chat endpoint; send this model text completions (POST /v1/completions).`,
      {
        param: "model",
        code: "model_not_supported",
      },
    );
  }
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
    remaining: options.remaining,
  };
  const retries = options.num_retries ?? 0;
  beginUsage(usage, chatBasis(resolved.model, params.messages));
  if (params.stream === true) {
    const n = adapter.supportedParams.has("n") ? (wire.n ?? 1) : 1;
    return withRetries(
      () =>
        attemptStream(call, () => {
          const reader = adapter.chatStream(resolved.model);
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
    () => attemptOnce(call, (body) => adapter.parseChatResponse(body, resolved.model), CHAT_COMPLETION),
    retries,
    options.signal,
  );
  return answerWithUsage(answer, usage.ledger);
}

/**
 * A text completion model (`text-completion-openai/`, `azure_text/`, `text-completion-codestral/`)
 * serves chat as LiteLLM does: the request made a text completion, which runs the text path
 * (its params table, fan-out, retries and the request's usage ledger, which sees the text
 * answer once), and its answer or chunks made chat.
 */
async function viaText(
  adapter: TextCompletionAdapter,
  params: ChatCompletionParams,
  options: CallOptions,
): Promise<ChatCompletion | ChatCompletionStream> {
  const dropParams = options.drop_params === true;
  const provider = adapter.provider;
  const fitted = fitParams(
    withoutTools(params, provider, dropParams),
    CHAT_PARAMS,
    chatParamsVia(adapter),
    { dropParams, additionalDropParams: options.additional_drop_params },
    provider,
  );
  const text = await runTextCompletion(textParamsFromChat(fitted, provider), options);
  if (!(text instanceof CompletionStream)) {
    const chat = chatFromText(text);
    return isUsageEstimated(text) ? markEstimated(chat) : chat;
  }
  const converter = new TextToChatStream();
  const end = new StreamEnd();
  text.onEnd((error) => end.fire(error));
  const items = text.items()[Symbol.asyncIterator]();
  const source: AsyncIterator<StreamItem<ChatCompletionChunk>, void> = {
    next: async () => {
      const next = await items.next();
      if (next.done === true) return next;
      const chunk = converter.convert(next.value.chunk);
      return {
        done: false,
        value: { chunk: isUsageEstimated(next.value.chunk) ? markEstimated(chunk) : chunk, raw: undefined },
      };
    },
    return: async () => {
      await items.return?.();
      return { done: true, value: undefined };
    },
  };
  return new CompletionStream(source, text.requestId, end);
}
