/**
 * Token usage when a provider does not report it: the request's prompt and every choice's
 * output counted with the model's encoding (src/usage), off the main thread.
 */
import type { UsageBasis } from "../usage/ledger.js";
import { countTokens } from "../usage/tokens.js";
import type { CompletionUsage, Prompt } from "../wire/completions.js";

/** The prompts of a request, one entry per prompt: its text, or its token ids. */
export function promptList(prompt: Prompt): (string | number[])[] {
  if (typeof prompt === "string") return [prompt];
  if (prompt.length === 0) return [];
  const head = prompt[0];
  if (typeof head === "number") return [prompt as number[]];
  return prompt as (string | number[])[];
}

/** What usage counting needs to know of the request. */
export interface UsageRequest {
  /** The upstream model name, which picks the encoding. */
  model: string;
  prompt: Prompt;
  n: number;
  echo: boolean;
}

/** Tokens of a text completion's prompts, each counted once (as OpenAI bills it, whatever `n`). */
export async function promptTokens(request: UsageRequest): Promise<number> {
  const prompts = promptList(request.prompt);
  let ids = 0;
  const texts: string[] = [];
  for (const prompt of prompts) {
    if (typeof prompt === "string") texts.push(prompt);
    else ids += prompt.length;
  }
  return ids + (await countTokens(request.model, texts));
}

/** Characters at the start of choice `index` that echo its prompt (not generated, not billed as output). */
export function echoedLength(request: UsageRequest, index: number): number {
  if (!request.echo) return 0;
  const prompt = promptList(request.prompt)[Math.floor(index / request.n)];
  return typeof prompt === "string" ? prompt.length : 0;
}

function usageOf(prompt_tokens: number, completion_tokens: number): CompletionUsage {
  return { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens };
}

/** Usage of a whole text completion whose choices are all known, an echoed prompt excluded from the output. */
export async function estimateUsage(request: UsageRequest, choices: Iterable<{ index: number; text: string }>): Promise<CompletionUsage> {
  const prompts = promptList(request.prompt);
  const outputs: string[] = [];
  for (const { index, text } of choices) {
    const prompt = prompts[Math.floor(index / request.n)];
    const echoed = request.echo && typeof prompt === "string" && text.startsWith(prompt);
    outputs.push(echoed ? text.slice(prompt.length) : text);
  }
  const [prompt, completion] = await Promise.all([promptTokens(request), countTokens(request.model, outputs)]);
  return usageOf(prompt, completion);
}

/** The text of a chat message's content, whatever its form. */
function messageText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  let text = "";
  for (const part of content as { type?: unknown; text?: unknown }[]) if (part.type === "text" && typeof part.text === "string") text += part.text;
  return text;
}

/**
 * Tokens of a chat request's messages: the text of each (message framing and images are
 * not counted, so this is a floor).
 */
export function messageTokens(model: string, messages: readonly { content?: unknown }[]): Promise<number> {
  return countTokens(
    model,
    messages.map((message) => messageText(message.content)),
  );
}

/** Usage of a chat request a provider did not report: its messages as the prompt, every choice's text as the completion. */
export async function estimateChatUsage(model: string, messages: readonly { content?: unknown }[], outputs: readonly string[]): Promise<CompletionUsage> {
  const [prompt, completion] = await Promise.all([messageTokens(model, messages), countTokens(model, outputs)]);
  return usageOf(prompt, completion);
}

/** What a text completion's usage is counted from: its prompts, each once, and its echoes skipped. */
export function textBasis(request: UsageRequest): UsageBasis {
  return {
    model: request.model,
    promptTokens: () => promptTokens(request),
    echoed: request.echo ? (index) => echoedLength(request, index) : undefined,
  };
}

/** What a chat completion's usage is counted from: its messages. */
export function chatBasis(model: string, messages: readonly { content?: unknown }[]): UsageBasis {
  return { model, promptTokens: () => messageTokens(model, messages) };
}
