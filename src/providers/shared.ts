/** Small helpers every adapter needs for reading untyped provider JSON and settings. */
import type { TextCompletionParams } from "../wire/completions.js";
import { BadRequestError } from "../wire/errors.js";

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The first value that is set and not empty (an option, then its environment variables). */
export function firstSet(...values: (string | undefined)[]): string | undefined {
  return values.find((value) => value !== undefined && value !== "");
}

/** How OpenAI-style providers word a prompt that does not fit the context window. */
export const CONTEXT_WINDOW_MESSAGE =
  /maximum context length|context length exceeded|context_length_exceeded|too many tokens|too large for model/i;

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
