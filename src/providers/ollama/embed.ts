/**
 * Ollama's `/api/embed` (`ollama/M`, `ollama_chat/M`): `{model, input, dimensions}` in, one
 * vector per input out, with `prompt_eval_count` as the prompt's tokens (counted by litegate
 * when an older server leaves it out). Ollama embeds text only: token-id input is refused.
 * Ollama's own fields pass through as LiteLLM sends them: `truncate` and `keep_alive` in the
 * body, `options` and any other extra param (num_ctx, …) in `options`.
 */
import { EMBEDDING_PARAMS, type EmbeddingParams } from "../../wire/embeddings.js";
import { isRecord } from "../../wire/validate.js";
import { textInputs } from "../embedding-input.js";
import type { ProviderEmbeddings, Target } from "../types.js";
import { extras } from "./request.js";

/** /api/embed's request fields beside model, input and dimensions. */
const EMBED_TOP_LEVEL: ReadonlySet<string> = new Set(["truncate", "keep_alive"]);

const isOpenAI = (key: string): boolean => key === "model" || key === "input" || EMBEDDING_PARAMS.has(key);

export function embedBody(params: EmbeddingParams, target: Target): Record<string, unknown> {
  const { input, dimensions } = params;
  // Token ids are refused; texts go as the caller wrote them (a string stays a string).
  textInputs(params, target, "Ollama", "ollama");
  const extra = extras(params, isOpenAI, EMBED_TOP_LEVEL);
  const body: Record<string, unknown> = { model: target.model, input, ...extra.body };
  if (dimensions != null) body.dimensions = dimensions;
  if (Object.keys(extra.options).length > 0) body.options = extra.options;
  return body;
}

export function parseEmbed(body: unknown): ProviderEmbeddings {
  if (!isRecord(body) || !Array.isArray(body.embeddings)) throw new Error("`embeddings` is missing or not a list");
  const count = body.prompt_eval_count;
  return {
    data: body.embeddings.map((embedding: unknown, index) => {
      if (!Array.isArray(embedding)) throw new Error(`embeddings[${index}] is not a list of numbers`);
      return { index, embedding: embedding as number[] };
    }),
    model: typeof body.model === "string" ? body.model : undefined,
    usage: typeof count === "number" ? { prompt_tokens: count, total_tokens: count } : undefined,
  };
}
