/**
 * OpenAI's embeddings wire format (`POST /v1/embeddings`), as in
 * test/fixtures/openai-spec/openai-embeddings.schema.json. Field names are the wire names,
 * so a body can be forwarded without renaming.
 */

/** A string, a list of strings, a list of token ids, or a list of token-id lists: the same forms as a prompt. */
export type EmbeddingInput = string | string[] | number[] | number[][];

export type EncodingFormat = "float" | "base64";

/** The body of `POST /v1/embeddings`. Unknown keys pass through to providers that take them. */
export interface EmbeddingParams {
  model: string;
  input: EmbeddingInput;
  /** `float` (the default) or `base64`: little-endian float32s, base64-encoded. */
  encoding_format?: EncodingFormat | null;
  /** Output dimensions, for models that can shorten their vectors (text-embedding-3-*). */
  dimensions?: number | null;
  user?: string;
  [extra: string]: unknown;
}

/** Every OpenAI embeddings param besides model and input. */
export const EMBEDDING_PARAMS: ReadonlySet<string> = new Set(["dimensions", "encoding_format", "user"]);

export interface Embedding {
  object: "embedding";
  /** The input's position in the request. */
  index: number;
  /** Floats, or base64 of their little-endian float32 bytes when `encoding_format` was `base64`. */
  embedding: number[] | string;
}

export interface EmbeddingUsage {
  prompt_tokens: number;
  total_tokens: number;
}

export interface CreateEmbeddingResponse {
  object: "list";
  data: Embedding[];
  model: string;
  usage: EmbeddingUsage;
  [extra: string]: unknown;
}

/** Bytes of one float32. */
const FLOAT_BYTES = 4;

/**
 * Floats as `encoding_format: base64` gives them: each a little-endian float32 (OpenAI's
 * bytes, which its SDKs decode with a Float32Array on little-endian machines), base64-encoded.
 */
export function encodeFloats(values: readonly number[]): string {
  const bytes = Buffer.allocUnsafe(values.length * FLOAT_BYTES);
  for (let i = 0; i < values.length; i++) bytes.writeFloatLE(values[i] as number, i * FLOAT_BYTES);
  return bytes.toString("base64");
}

/** The floats of a base64 embedding; throws when its bytes are not whole float32s. */
export function decodeFloats(text: string): number[] {
  const bytes = Buffer.from(text, "base64");
  if (bytes.length % FLOAT_BYTES !== 0) {
    throw new Error(`a base64 embedding of ${bytes.length} bytes is not a list of float32s`);
  }
  const values = new Array<number>(bytes.length / FLOAT_BYTES);
  for (let i = 0; i < values.length; i++) values[i] = bytes.readFloatLE(i * FLOAT_BYTES);
  return values;
}
