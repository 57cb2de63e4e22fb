/**
 * litegate's SDK: OpenAI's text completions, chat completions, Responses and embeddings against any supported provider, with
 * OpenAI's exact wire format and typed errors.
 */
export { textCompletion, type TextCompletionStream } from "./sdk/text-completion.js";
export { chatCompletion, type ChatCompletionRequest, type ChatCompletionStream } from "./sdk/chat-completion.js";
export { embedding, type EmbeddingRequest } from "./sdk/embedding.js";
export { Router, type RouterOptions, type RouteOptions } from "./router/router.js";
export { RouteTrace } from "./router/trace.js";
export { type CacheOutcome, ResponseCache } from "./cache/response-cache.js";
export type { CacheParamsInput, CacheSettings } from "./cache/settings.js";
export { UsageLedger, type SettledUsage } from "./usage/ledger.js";
export { chatCompletions, embeddings, responses, textCompletions, type Operation } from "./sdk/operations.js";
export type { ResponseStream } from "./sdk/responses.js";
export type * from "./wire/responses.js";
export type { Deployment, LitellmParams, ModelEntry, ModelInfo } from "./config/index.js";
// What Router.replaceDeployments takes, from model_list entries as config.yaml writes them.
export { deploymentsFromLiteLLM } from "./config/index.js";
export type { AbortLike } from "./http/cancel.js";
export type * from "./wire/chat.js";
export { CompletionStream, type StreamItem } from "./sdk/stream.js";
export type { CallOptions, TextCompletionRequest } from "./sdk/options.js";
export { isUsageEstimated } from "./sdk/usage-marks.js";
export type { ConnectionOptions } from "./providers/types.js";
export type {
  CompletionUsage,
  ErrorBody,
  FinishReason,
  Logprobs,
  Prompt,
  StreamOptions,
  TextCompletion,
  TextCompletionChoice,
  TextCompletionChunk,
  TextCompletionChunkChoice,
  TextCompletionParams,
} from "./wire/completions.js";
export {
  AbortError,
  APIConnectionError,
  APIError,
  AuthenticationError,
  BadGatewayError,
  BadRequestError,
  ContentPolicyViolationError,
  ContextWindowExceededError,
  InternalServerError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  ServiceUnavailableError,
  Timeout,
  UnprocessableEntityError,
  UnsupportedParamsError,
} from "./wire/errors.js";
export { validateTextCompletion } from "./wire/validate.js";
export { validateChatCompletion } from "./wire/validate-chat.js";
export { validateEmbedding } from "./wire/validate-embeddings.js";
export type {
  CreateEmbeddingResponse,
  Embedding,
  EmbeddingInput,
  EmbeddingParams,
  EmbeddingUsage,
  EncodingFormat,
} from "./wire/embeddings.js";
