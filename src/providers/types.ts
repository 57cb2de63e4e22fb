/**
 * The contract every provider adapter fulfils: pure functions from OpenAI's wire format
 * to the provider's and back. Adapters do no I/O; transport, SSE framing, retries and
 * error classes are shared (src/http, src/wire).
 */
import type { Framer, SseEvent } from "../http/sse.js";
import type { UpstreamRequest } from "../http/transport.js";
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionParams } from "../wire/chat.js";
import type { TextCompletion, TextCompletionChunk, TextCompletionParams } from "../wire/completions.js";
import type { EmbeddingParams, EmbeddingUsage } from "../wire/embeddings.js";
import type { ProviderErrorDetail } from "../wire/errors.js";

/** Where and how to call a provider, beside the OpenAI params. Names follow LiteLLM's. */
export interface ConnectionOptions {
  api_key?: string | undefined;
  api_base?: string | undefined;
  api_version?: string | undefined;
  organization?: string | undefined;
  /** Azure: an Entra ID token, sent as `Authorization: Bearer` instead of `api-key`. */
  azure_ad_token?: string | undefined;
  extra_headers?: Record<string, string> | undefined;
  /** Vertex AI: the Google Cloud project; else VERTEXAI_PROJECT, else the credentials' project_id. */
  vertex_project?: string | undefined;
  /** Vertex AI: the region (`us-central1`, the default; `global`); else VERTEXAI_LOCATION. */
  vertex_location?: string | undefined;
  /**
   * Vertex AI: a service-account JSON file's path or the JSON itself; else VERTEXAI_CREDENTIALS,
   * else Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, gcloud, the metadata server).
   */
  vertex_credentials?: string | undefined;
  /** AWS (Bedrock), under LiteLLM's names; else the AWS_* environment variables (src/providers/aws). */
  aws_access_key_id?: string | undefined;
  aws_secret_access_key?: string | undefined;
  aws_session_token?: string | undefined;
  aws_region_name?: string | undefined;
  /** Replaces `https://bedrock-runtime.{region}.amazonaws.com` (a VPC endpoint, a proxy); api_base wins over it. */
  aws_bedrock_runtime_endpoint?: string | undefined;
  /** W3C trace context sent upstream as `traceparent` (the proxy sets it when tracing is on). */
  traceparent?: string | undefined;
  /** The caller's `tracestate`, sent upstream beside `traceparent`. */
  tracestate?: string | undefined;
}

/** Everything an adapter may read: the upstream model, the caller's options, the environment. */
export interface Target {
  /** The model name after the provider prefix (`gpt-3.5-turbo-instruct`, an Azure deployment). */
  model: string;
  options: ConnectionOptions;
  /** The caller allows dropping or clamping what the provider cannot take (drop_params). */
  dropParams: boolean;
  env: Readonly<Record<string, string | undefined>>;
}

/**
 * An adapter's answer for one event of a stream. `raw` is the event's data when the
 * chunk is exactly what the provider sent, so it can be forwarded without re-serialising.
 */
export type StreamEvent<C = TextCompletionChunk> =
  | { type: "chunk"; chunk: C; raw?: string | undefined }
  | { type: "done" }
  | { type: "error"; detail: ProviderErrorDetail; status: number | undefined }
  | { type: "skip" };

/** What every adapter tells about its provider's errors and request ids. */
export interface ProviderDialect {
  /** The provider prefix, as users write it (`text-completion-openai`). */
  readonly provider: string;
  /**
   * What the provider said in an error body (parsed JSON, or the raw text when not JSON);
   * `headers` are the error response's, for providers that name the error there (AWS).
   */
  parseError(body: unknown, headers?: Record<string, string | string[] | undefined>): ProviderErrorDetail;
  /** The upstream request id header, if the provider sends one. */
  requestId(headers: Record<string, string | string[] | undefined>): string | undefined;
}

export interface TextCompletionAdapter extends ProviderDialect {
  /**
   * The endpoint takes one string prompt and makes one choice per call (FIM, Ollama's
   * generate): litegate sends each prompt and each of `n` as its own call.
   */
  readonly singlePrompt?: boolean;
  /** OpenAI completion params this provider takes; others are refused or dropped. */
  readonly supportedParams: ReadonlySet<string>;
  /**
   * The upstream request. `params` holds only wire params (no connection options) and
   * is never mutated. Throws AuthenticationError / BadRequestError for missing config.
   */
  buildRequest(params: TextCompletionParams, target: Target): UpstreamRequest;
  /**
   * The provider's successful JSON answer, in OpenAI's shape. `model` is the upstream model
   * the request named, for providers whose answers do not repeat it (TGI).
   */
  parseResponse(body: unknown, model?: string): TextCompletion;
  parseStreamEvent(event: SseEvent): StreamEvent;
  /**
   * For providers whose stream needs state across events or another framing (Ollama's
   * NDJSON): a fresh reader per stream, used instead of SSE + parseStreamEvent.
   */
  textStream?(model?: string): TextStreamReader;
}

export interface TextStreamReader {
  framer: Framer;
  parseEvent(event: SseEvent): StreamEvent<TextCompletionChunk>;
}

/** How one chat stream is read: its framing and a parser (parsers may keep state across events). */
export interface ChatStreamReader {
  framer: Framer;
  parseEvent(event: SseEvent): StreamEvent<ChatCompletionChunk>;
}

/** A provider's chat endpoint, in OpenAI's chat format both ways. */
export interface ChatAdapter extends ProviderDialect {
  /** OpenAI chat params this provider takes; others are refused or dropped. */
  readonly supportedParams: ReadonlySet<string>;
  /** True when one call can return `n` choices; otherwise litegate makes n calls. */
  readonly supportsN: boolean;
  /**
   * The upstream request. `params` holds only wire params and is never mutated.
   * Throws AuthenticationError / BadRequestError for missing config or values the
   * provider cannot take.
   */
  buildChatRequest(params: ChatCompletionParams, target: Target): UpstreamRequest;
  /**
   * The provider's successful answer, as OpenAI's chat.completion. `model` is the upstream
   * model the request named, for providers whose answers do not repeat it (Bedrock).
   */
  parseChatResponse(body: unknown, model?: string): ChatCompletion;
  /** A fresh reader for one stream; `model` as for parseChatResponse. */
  chatStream(model?: string): ChatStreamReader;
}

/** One vector of a provider's embeddings answer, at its position in the call's input. */
export interface ProviderEmbedding {
  index: number;
  /** Floats, or base64 of little-endian float32s when the provider was sent `encoding_format: base64`. */
  embedding: number[] | string;
}

/**
 * A provider's embeddings answer for one call, as its adapter read it. litegate makes OpenAI's
 * answer from the calls' answers: indexes shifted to the whole input, the encoding the caller
 * asked for, usage summed (or counted when a call reports none).
 */
export interface ProviderEmbeddings {
  data: ProviderEmbedding[];
  /** The model the provider says answered, when it says. */
  model?: string | undefined;
  usage?: EmbeddingUsage | undefined;
}

/**
 * A provider's embeddings endpoint. Batching, encodings and usage are litegate's (src/sdk/
 * embedding.ts): an adapter builds one call's request for the input it is given and reads
 * that call's answer.
 */
export interface EmbeddingAdapter extends ProviderDialect {
  /**
   * OpenAI embeddings params this provider takes (`dimensions`, `user`, `encoding_format`);
   * others are refused or dropped. Without `encoding_format` here the provider is sent none
   * and asked for floats, and litegate encodes base64 itself.
   */
  readonly supportedParams: ReadonlySet<string>;
  /** The most inputs one call may carry; a longer input list is split into calls of at most this many. Undefined: no limit. */
  readonly maxInputsPerCall?: number | undefined;
  /**
   * The upstream request for `params.input` (the whole input, or one batch of it as a list).
   * `params` holds only wire params and is never mutated. Throws AuthenticationError /
   * BadRequestError for missing config or values the provider cannot take.
   */
  buildEmbeddingRequest(params: EmbeddingParams, target: Target): UpstreamRequest;
  /** The provider's successful answer to that request. */
  parseEmbeddingResponse(body: unknown): ProviderEmbeddings;
}
