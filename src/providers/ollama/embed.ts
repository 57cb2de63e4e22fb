/**
 * Ollama's `/api/embed` (`ollama/M`, `ollama_chat/M`): `{model, input, dimensions}` in, one
 * vector per input out, with `prompt_eval_count` as the prompt's tokens (counted by litegate
 * when an older server leaves it out). Ollama embeds text only: token-id input is refused.
 */
import type { EmbeddingParams } from "../../wire/embeddings.js";
import { BadRequestError } from "../../wire/errors.js";
import { isRecord } from "../../wire/validate.js";
import type { ProviderEmbeddings, Target } from "../types.js";

export function embedBody(params: EmbeddingParams, target: Target): Record<string, unknown> {
  const { input, dimensions } = params;
  if (typeof input !== "string" && input.some((item) => typeof item !== "string")) {
    throw new BadRequestError(
      "Ollama embeds text only: send 'input' as a string or an array of strings, not token ids.",
      { param: "input", code: "unsupported_value", provider: "ollama", model: target.model },
    );
  }
  const body: Record<string, unknown> = { model: target.model, input };
  if (dimensions != null) body.dimensions = dimensions;
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
