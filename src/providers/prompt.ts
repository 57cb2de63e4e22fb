/** The prompt of an endpoint that takes one string per call (Codestral FIM, Ollama's generate). */
import type { TextCompletionParams } from "../wire/completions.js";
import { BadRequestError } from "../wire/errors.js";

/** The one text prompt of a call to a one-prompt endpoint (the SDK fans out one call per prompt string). */
export function singleTextPrompt(params: TextCompletionParams, provider: string, model: string): string {
  const prompt = params.prompt;
  if (typeof prompt === "string") return prompt;
  if (Array.isArray(prompt) && prompt.length === 1 && typeof prompt[0] === "string") return prompt[0];
  throw new BadRequestError(`${provider} takes one text prompt per request; token-id prompts are not supported.`, {
    provider,
    model,
    param: "prompt",
    code: "unsupported_prompt",
  });
}
