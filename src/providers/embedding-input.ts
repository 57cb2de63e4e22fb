/**
 * The texts of an embeddings input, for providers that embed text only (every one but OpenAI's
 * dialect): token ids are refused before any call, with one 400 naming `input` for all of them.
 */
import type { EmbeddingParams } from "../wire/embeddings.js";
import { BadRequestError } from "../wire/errors.js";
import type { Target } from "./types.js";

/** The input as a list of texts; `label` names the service in the refusal (`Ollama`, `Gemini`). */
export function textInputs(params: EmbeddingParams, target: Target, label: string, provider: string): string[] {
  const { input } = params;
  if (typeof input === "string") return [input];
  if (input.every((item): item is string => typeof item === "string")) return input;
  throw new BadRequestError(
    `${label} embeds text only: send 'input' as a string or an array of strings, not token ids.`,
    { param: "input", code: "unsupported_value", provider, model: target.model },
  );
}
