/**
 * What a request's usage is counted from when its provider reports none (see UsageLedger):
 * its prompt tokens, counted with the model's encoding off the main thread, and its echoes.
 */
import type { UsageBasis } from "../usage/ledger.js";
import { countTokens } from "../usage/tokens.js";
import type { Prompt } from "../wire/completions.js";

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
async function promptTokens(request: UsageRequest): Promise<number> {
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
function echoedLength(request: UsageRequest, index: number): number {
  if (!request.echo) return 0;
  const prompt = promptList(request.prompt)[Math.floor(index / request.n)];
  return typeof prompt === "string" ? prompt.length : 0;
}

/** The text of a chat message's content, whatever its form. */
export function messageText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  let text = "";
  for (const part of content as { type?: unknown; text?: unknown }[])
    if (part.type === "text" && typeof part.text === "string") text += part.text;
  return text;
}

/**
 * Tokens of a chat request's messages: the text of each (message framing and images are
 * not counted, so this is a floor).
 */
function messageTokens(model: string, messages: readonly { content?: unknown }[]): Promise<number> {
  return countTokens(
    model,
    messages.map((message) => messageText(message.content)),
  );
}

/** What a text completion's usage is counted from: its prompts, each once, and its echoes skipped. */
export function textBasis(request: UsageRequest): UsageBasis {
  return {
    model: request.model,
    promptTokens: () => promptTokens(request),
    echoed: request.echo ? (index) => echoedLength(request, index) : undefined,
  };
}

/** What an embeddings request's usage is counted from: its inputs, as a text completion's prompts are. */
export function embeddingBasis(model: string, input: Prompt): UsageBasis {
  return { model, promptTokens: () => promptTokens({ model, prompt: input, n: 1, echo: false }) };
}

/** What a chat completion's usage is counted from: its messages. */
export function chatBasis(model: string, messages: readonly { content?: unknown }[]): UsageBasis {
  return { model, promptTokens: () => messageTokens(model, messages) };
}
