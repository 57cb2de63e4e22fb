/**
 * Bedrock's embedding models through `POST /model/{id}/invoke`, each in its own body (as
 * LiteLLM's bedrock/embed transformations send them):
 * - Amazon Titan Text Embeddings (`amazon.titan-embed-text-v2:0`, `amazon.titan-embed-text-v1`):
 *   one text a call, `{inputText, dimensions?, normalize?}` → `{embedding, inputTextTokenCount}`;
 *   only v2 takes `dimensions` (256, 512 or 1024).
 * - Cohere Embed on Bedrock (`cohere.embed-english-v3`, `cohere.embed-multilingual-v3`,
 *   `cohere.embed-v4:0`): up to 96 texts a call, `{texts, input_type}` → `{embeddings}` (a list
 *   of vectors, or `{float: [...]}` when embedding_types was sent); `input_type` defaults to
 *   `search_document` as in LiteLLM, and only v4 takes `dimensions` (output_dimension).
 *   Cohere reports no tokens in the body: litegate counts them.
 * All embed text only: token ids are a 400. Model ids may carry a cross-region prefix
 * (`us.cohere.embed-v4:0`) or be an ARN; the family is read from the name.
 */
import type { EmbeddingParams } from "../../wire/embeddings.js";
import { isRecord } from "../../wire/validate.js";
import { cohereTextsBody, parseCohereEmbeddings } from "../cohere/embed.js";
import { textInputs } from "../embedding-input.js";
import type { ProviderEmbeddings, Target } from "../types.js";
import { PROVIDER } from "./errors.js";

/** The embedding model families Bedrock serves through litegate. */
export type BedrockEmbeddingFamily = "titan-v2" | "titan-v1" | "cohere-v3" | "cohere-v4";

/** The family of a Bedrock model id, or undefined for a model that makes no embeddings here. */
export function embeddingFamily(model: string): BedrockEmbeddingFamily | undefined {
  if (model.includes("titan-embed-text-v2")) return "titan-v2";
  if (model.includes("titan-embed-text-v1") || model.includes("titan-embed-g1-text")) return "titan-v1";
  if (model.includes("cohere.embed-v4")) return "cohere-v4";
  if (model.includes("cohere.embed-")) return "cohere-v3";
  return undefined;
}

/** Titan's body for its one text (the batching gives each call one input). */
export function titanBody(params: EmbeddingParams, target: Target): Record<string, unknown> {
  const [inputText] = textInputs(params, target, "Amazon Titan", PROVIDER);
  const body: Record<string, unknown> = { inputText };
  if (params.dimensions != null) body.dimensions = params.dimensions;
  if (params.normalize != null) body.normalize = params.normalize;
  return body;
}

export function parseTitan(body: unknown): ProviderEmbeddings {
  if (!isRecord(body) || !Array.isArray(body.embedding)) throw new Error("`embedding` is missing or not a list");
  const tokens = body.inputTextTokenCount;
  return {
    data: [{ index: 0, embedding: body.embedding as number[] }],
    usage: typeof tokens === "number" ? { prompt_tokens: tokens, total_tokens: tokens } : undefined,
  };
}

/** Cohere Embed's body on Bedrock: no model (it is in the path), floats by default. */
export function bedrockCohereBody(params: EmbeddingParams, target: Target): Record<string, unknown> {
  return cohereTextsBody(params, target, PROVIDER);
}

export function parseBedrockCohere(body: unknown): ProviderEmbeddings {
  if (!isRecord(body)) throw new Error("the answer is not a JSON object");
  return { data: parseCohereEmbeddings(body.embeddings).map((embedding, index) => ({ index, embedding })) };
}
