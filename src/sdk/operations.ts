/**
 * The endpoints as data (text, chat, responses, embeddings): which params an operation has, what it validates and how it runs one call. The Router
 * and the proxy take any operation along one path, so an endpoint is an entry here, its
 * runner and its adapter methods — not an overload through every layer.
 */
import type { CacheKind } from "../cache/key.js";
import { CHAT_PARAMS, COMPLETION_PARAMS } from "../providers/openai-dialect.js";
import type { ChatCompletion, ChatCompletionParams } from "../wire/chat.js";
import type { TextCompletion, TextCompletionParams } from "../wire/completions.js";
import { type CreateEmbeddingResponse, EMBEDDING_PARAMS, type EmbeddingParams } from "../wire/embeddings.js";
import { validateEmbedding } from "../wire/validate-embeddings.js";
import { RESPONSES_PARAMS, type ResponseObject, type ResponsesParams } from "../wire/responses.js";
import { validateChatCompletion } from "../wire/validate-chat.js";
import { validateResponses } from "../wire/validate-responses.js";
import { validateTextCompletion } from "../wire/validate.js";
import { type ChatCompletionStream, runChatCompletion } from "./chat-completion.js";
import { runEmbedding } from "./embedding.js";
import type { CallOptions } from "./options.js";
import { type ResponseStream, type ResponsesContext, runResponses } from "./responses.js";
import { runTextCompletion, type TextCompletionStream } from "./text-completion.js";

export interface Operation<P extends { model: string; stream?: boolean | null }, R> {
  /** OpenAI's params of this endpoint (a deployment's default for another endpoint's param is not applied). */
  readonly params: ReadonlySet<string>;
  /** The params, checked against OpenAI's wire format (throws BadRequestError naming the field). */
  validate(params: Record<string, unknown>): P;
  /** One call with validated params; its retries are the caller's (`options.num_retries`). */
  run(params: P, options: CallOptions): Promise<R>;
  /** Fields LiteLLM consumes elsewhere that are this endpoint's own params (the Responses API's `metadata`). */
  readonly keeps?: ReadonlySet<string>;
  /** What the response cache stores its answers as; uncached when absent. */
  readonly cacheKind?: CacheKind;
}

/** Every OpenAI param of any endpoint: a deployment default named here applies only to its own. */
export const ENDPOINT_PARAMS: ReadonlySet<string> = new Set([
  ...COMPLETION_PARAMS,
  ...CHAT_PARAMS,
  ...RESPONSES_PARAMS,
  ...EMBEDDING_PARAMS,
]);

export const textCompletions: Operation<TextCompletionParams, TextCompletion | TextCompletionStream> = {
  params: COMPLETION_PARAMS,
  validate: validateTextCompletion,
  run: runTextCompletion,
  cacheKind: "text_completion",
};

export const chatCompletions: Operation<ChatCompletionParams, ChatCompletion | ChatCompletionStream> = {
  params: CHAT_PARAMS,
  validate: validateChatCompletion,
  run: runChatCompletion,
  cacheKind: "chat",
};

export const embeddings: Operation<EmbeddingParams, CreateEmbeddingResponse> = {
  params: EMBEDDING_PARAMS,
  validate: validateEmbedding,
  run: runEmbedding,
};

/** The Responses API's `metadata` is stored with the response, not LiteLLM's logging metadata. */
const RESPONSES_KEEPS: ReadonlySet<string> = new Set(["metadata"]);

/**
 * The Responses API continuing `context` (an earlier response's items, resolved by whoever
 * keeps them: the proxy's response store); `responses` continues nothing.
 */
export function responsesOperation(
  context: ResponsesContext = {},
): Operation<ResponsesParams, ResponseObject | ResponseStream> {
  return {
    params: RESPONSES_PARAMS,
    validate: validateResponses,
    run: (params, options) => runResponses(params, options, context),
    keeps: RESPONSES_KEEPS,
  };
}

export const responses = responsesOperation();
