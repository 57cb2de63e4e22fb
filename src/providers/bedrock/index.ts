/**
 * AWS Bedrock's Converse API (`bedrock/MODEL_ID`, `bedrock/converse/MODEL_ID`): one body
 * for every model Bedrock serves (request.ts), answers and AWS event streams back in
 * OpenAI's shape (response.ts, stream.ts). Requests are signed with SigV4 at send time
 * (src/providers/aws), or carry a Bedrock API key as a bearer token. Embedding models answer
 * on `/invoke` in their own bodies (embed.ts).
 */
import type { UpstreamRequest } from "../../http/transport.js";
import type { ChatCompletionParams } from "../../wire/chat.js";
import type { EmbeddingParams } from "../../wire/embeddings.js";
import { bedrockPost } from "../aws/request.js";
import { type Endpoint, requestIdHeader } from "../connection.js";
import { COHERE_BATCH_LIMIT } from "../cohere/embed.js";
import type { ChatAdapter, EmbeddingAdapter, ProviderEmbeddings, Target } from "../types.js";
import {
  type BedrockEmbeddingFamily,
  bedrockCohereBody,
  embeddingFamily,
  parseBedrockCohere,
  parseTitan,
  titanBody,
} from "./embed.js";
import { bedrockErrorDetail, PROVIDER } from "./errors.js";
import { converseBody } from "./request.js";
import { parseConverse } from "./response.js";
import { converseStream } from "./stream.js";

/** What the README shows: where keys and the host come from (see aws/credentials.ts for the whole order). */
export const BEDROCK = {
  label: "AWS Bedrock",
  keyEnv: "AWS_ACCESS_KEY_ID",
  baseEnv: "AWS_BEDROCK_RUNTIME_ENDPOINT",
  defaultBase: "https://bedrock-runtime.{aws_region_name}.amazonaws.com",
} satisfies Endpoint;

/** The OpenAI chat params Converse can express; n, penalties, seed, logprobs and response_format it cannot. */
// biome-ignore format: a table, read across
const BEDROCK_CHAT_PARAMS: ReadonlySet<string> = new Set([
  "max_completion_tokens", "max_tokens", "stop", "stream", "stream_options", "temperature", "tool_choice", "tools",
  "top_p",
]);

/** `converse/` only names the route (LiteLLM's `bedrock/converse/...`); Converse is the only one litegate uses. */
function modelId(model: string): string {
  return model.startsWith("converse/") ? model.slice("converse/".length) : model;
}

export const bedrock: ChatAdapter = {
  provider: PROVIDER,
  supportedParams: BEDROCK_CHAT_PARAMS,
  supportsN: false,

  buildChatRequest(params: ChatCompletionParams, target: Target): UpstreamRequest {
    const action = params.stream === true ? "converse-stream" : "converse";
    // Model ids hold ':' and ARNs '/': one path segment, encoded (SigV4 signs it encoded once more).
    const path = `/model/${encodeURIComponent(modelId(target.model))}/${action}`;
    return bedrockPost(target, path, converseBody(params, target), PROVIDER);
  },

  parseChatResponse: (body, model) => parseConverse(body, modelId(model ?? "")),
  chatStream: (model) => converseStream(modelId(model ?? "")),
  parseError: bedrockErrorDetail,
  requestId: requestIdHeader("x-amzn-requestid"),
};

/** An embeddings adapter posting `body` to the model's `/invoke`. */
function invokeEmbedding(
  supportedParams: ReadonlySet<string>,
  maxInputsPerCall: number,
  body: (params: EmbeddingParams, target: Target) => Record<string, unknown>,
  parse: (body: unknown) => ProviderEmbeddings,
): EmbeddingAdapter {
  return {
    provider: PROVIDER,
    supportedParams,
    maxInputsPerCall,
    buildEmbeddingRequest(params: EmbeddingParams, target: Target): UpstreamRequest {
      const path = `/model/${encodeURIComponent(target.model)}/invoke`;
      return bedrockPost(target, path, body(params, target), PROVIDER);
    },
    parseEmbeddingResponse: parse,
    parseError: bedrockErrorDetail,
    requestId: requestIdHeader("x-amzn-requestid"),
  };
}

const DIMENSIONS: ReadonlySet<string> = new Set(["dimensions"]);
const NONE: ReadonlySet<string> = new Set();

/**
 * Each family's adapter: Titan embeds one text a call (v2 with `dimensions`), Cohere 96 (v4
 * with `dimensions`). base64 is litegate's to make: Titan's `binary` and Cohere's byte types
 * are quantised vectors, not OpenAI's float32 bytes.
 */
const BEDROCK_EMBEDDINGS: Readonly<Record<BedrockEmbeddingFamily, EmbeddingAdapter>> = {
  "titan-v2": invokeEmbedding(DIMENSIONS, 1, titanBody, parseTitan),
  "titan-v1": invokeEmbedding(NONE, 1, titanBody, parseTitan),
  "cohere-v3": invokeEmbedding(NONE, COHERE_BATCH_LIMIT, bedrockCohereBody, parseBedrockCohere),
  "cohere-v4": invokeEmbedding(DIMENSIONS, COHERE_BATCH_LIMIT, bedrockCohereBody, parseBedrockCohere),
};

/** The README's representative: Titan Text Embeddings v2, Bedrock's default embedding model. */
export const bedrockEmbedding: EmbeddingAdapter = BEDROCK_EMBEDDINGS["titan-v2"];

/** The embeddings adapter for a Bedrock model id; undefined for a model that makes no embeddings here. */
export function bedrockEmbeddingFor(model: string): EmbeddingAdapter | undefined {
  const family = embeddingFamily(model);
  return family === undefined ? undefined : BEDROCK_EMBEDDINGS[family];
}
