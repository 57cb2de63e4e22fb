/**
 * Cohere's v2 embed API (`cohere/embed-english-v3.0`, `cohere/embed-v4.0`): `POST
 * https://api.cohere.com/v2/embed` with `{model, texts, input_type, embedding_types: ["float"]}`,
 * up to 96 texts a call; the answer's `embeddings.float` in input order and
 * `meta.billed_units.input_tokens` as the usage. `input_type` defaults to `search_document`
 * (LiteLLM's default) and Cohere's own `input_type` / `truncate` pass through; `dimensions` is
 * `output_dimension`, which only embed-v4 takes. Floats are always asked for: litegate makes
 * base64 (Cohere's byte types are quantised vectors, not OpenAI's float32 bytes).
 */
import type { EmbeddingParams } from "../../wire/embeddings.js";
import { isRecord } from "../../wire/validate.js";
import { textInputs } from "../embedding-input.js";
import type { ProviderEmbeddings, Target } from "../types.js";
import { PROVIDER } from "./request.js";

/** Cohere's default input type, on its own API and on Bedrock (LiteLLM's COHERE_DEFAULT_EMBEDDING_INPUT_TYPE). */
export const COHERE_DEFAULT_INPUT_TYPE = "search_document";

/** The most texts Cohere embeds in one call, on its own API and on Bedrock. */
export const COHERE_BATCH_LIMIT = 96;

/** Cohere's `embeddings`: a list of float vectors, or by type (`{float: [...]}`), as Cohere answers on Bedrock and on its own API. */
export function parseCohereEmbeddings(embeddings: unknown): number[][] {
  const vectors = isRecord(embeddings) ? embeddings.float : embeddings;
  if (!Array.isArray(vectors) || !vectors.every((vector) => Array.isArray(vector))) {
    throw new Error("`embeddings` holds no list of float vectors");
  }
  return vectors as number[][];
}

/**
 * The fields Cohere Embed takes on its own API and on Bedrock alike: the texts, the input type
 * (the caller's or LiteLLM's default), and Cohere's truncate and output_dimension.
 */
export function cohereTextsBody(params: EmbeddingParams, target: Target, provider: string): Record<string, unknown> {
  const body: Record<string, unknown> = {
    texts: textInputs(params, target, "Cohere", provider),
    input_type: params.input_type ?? COHERE_DEFAULT_INPUT_TYPE,
  };
  if (params.truncate != null) body.truncate = params.truncate;
  if (params.dimensions != null) body.output_dimension = params.dimensions;
  return body;
}

/** Cohere's own API also names the model and is asked for floats alone. */
export function cohereEmbedBody(params: EmbeddingParams, target: Target): Record<string, unknown> {
  return { model: target.model, ...cohereTextsBody(params, target, PROVIDER), embedding_types: ["float"] };
}

export function parseCohereEmbed(body: unknown): ProviderEmbeddings {
  if (!isRecord(body)) throw new Error("the answer is not a JSON object");
  const vectors = parseCohereEmbeddings(body.embeddings);
  const billed = isRecord(body.meta) && isRecord(body.meta.billed_units) ? body.meta.billed_units : undefined;
  const tokens = billed?.input_tokens;
  return {
    data: vectors.map((embedding, index) => ({ index, embedding })),
    usage: typeof tokens === "number" ? { prompt_tokens: tokens, total_tokens: tokens } : undefined,
  };
}
