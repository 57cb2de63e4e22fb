/**
 * Token usage when a provider does not report it, counted with the model's tiktoken
 * encoding (js-tiktoken). OpenAI's 4o/4.1/5/o-series use o200k_base; the instruct and
 * -002 models, and everything else as an approximation, cl100k_base. Encodings load on
 * first use, so a gateway whose providers report usage never pays for them.
 */
import type { Tiktoken } from "js-tiktoken/lite";
import type { CompletionUsage, Prompt } from "../wire/completions.js";

type EncodingName = "cl100k_base" | "o200k_base";

const O200K_MODEL = /^(gpt-4o|chatgpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|o1|o3|o4)/;

export function encodingFor(model: string): EncodingName {
  const name = model.slice(model.lastIndexOf("/") + 1);
  return O200K_MODEL.test(name) ? "o200k_base" : "cl100k_base";
}

const encoders = new Map<EncodingName, Promise<Tiktoken>>();

async function load(name: EncodingName): Promise<Tiktoken> {
  const [{ Tiktoken }, ranks] = await Promise.all([
    import("js-tiktoken/lite"),
    name === "o200k_base" ? import("js-tiktoken/ranks/o200k_base") : import("js-tiktoken/ranks/cl100k_base"),
  ]);
  return new Tiktoken(ranks.default);
}

function encoder(name: EncodingName): Promise<Tiktoken> {
  let pending = encoders.get(name);
  if (pending === undefined) {
    pending = load(name);
    encoders.set(name, pending);
  }
  return pending;
}

/** Loads `model`'s encoding in the background, so the first count does not pay for it. */
export function preloadEncoding(model: string): void {
  void encoder(encodingFor(model));
}

/** Tokens in `text` for `model` ("<|endoftext|>" and other special tokens count as one). */
export async function countTokens(model: string, text: string): Promise<number> {
  if (text === "") return 0;
  return (await encoder(encodingFor(model))).encode(text, "all").length;
}

/** The prompts of a request, one entry per prompt: its text, or its token ids. */
export function promptList(prompt: Prompt): (string | number[])[] {
  if (typeof prompt === "string") return [prompt];
  if (prompt.length === 0) return [];
  const head = prompt[0];
  if (typeof head === "number") return [prompt as number[]];
  return prompt as (string | number[])[];
}

async function promptTokens(model: string, prompt: string | number[]): Promise<number> {
  return typeof prompt === "string" ? countTokens(model, prompt) : prompt.length;
}

/** What usage counting needs to know of the request. */
export interface UsageRequest {
  /** The upstream model name, which picks the encoding. */
  model: string;
  prompt: Prompt;
  n: number;
  echo: boolean;
}

/**
 * Usage of a whole request: each prompt counted once (as OpenAI bills it, whatever `n`),
 * plus every choice's generated text, an echoed prompt excluded.
 */
export async function estimateUsage(
  request: UsageRequest,
  choices: Iterable<{ index: number; text: string }>,
): Promise<CompletionUsage> {
  const prompts = promptList(request.prompt);
  const generated: Promise<number>[] = [];
  for (const { index, text } of choices) {
    const prompt = prompts[Math.floor(index / request.n)];
    const echoed = request.echo && typeof prompt === "string" && text.startsWith(prompt);
    generated.push(countTokens(request.model, echoed ? text.slice(prompt.length) : text));
  }
  const [prompt, completion] = await Promise.all([
    Promise.all(prompts.map((p) => promptTokens(request.model, p))),
    Promise.all(generated),
  ]);
  const prompt_tokens = prompt.reduce((sum, count) => sum + count, 0);
  const completion_tokens = completion.reduce((sum, count) => sum + count, 0);
  return { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens };
}

/** The text of a chat message's content, whatever its form. */
function messageText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.map((part: { type?: unknown; text?: unknown }) => (part.type === "text" && typeof part.text === "string" ? part.text : "")).join("");
}

/**
 * Usage of a chat request a provider did not report: the text of every message as the
 * prompt (message framing and images are not counted, so this is a floor), and every
 * choice's text as the completion.
 */
export async function estimateChatUsage(model: string, messages: readonly { content?: unknown }[], outputs: Iterable<string>): Promise<CompletionUsage> {
  const [prompt, completion] = await Promise.all([
    Promise.all(messages.map((message) => countTokens(model, messageText(message.content)))),
    Promise.all([...outputs].map((text) => countTokens(model, text))),
  ]);
  const prompt_tokens = prompt.reduce((sum, count) => sum + count, 0);
  const completion_tokens = completion.reduce((sum, count) => sum + count, 0);
  return { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens };
}
