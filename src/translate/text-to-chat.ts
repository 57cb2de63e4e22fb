/**
 * A text completion request as chat requests, for providers that only chat: each
 * prompt string becomes one user message of its own conversation (never one
 * conversation of all prompts, as LiteLLM does), and the sampling params keep their
 * meaning under their chat names.
 */
import type { ChatAdapter } from "../providers/types.js";
import type { ChatCompletionParams } from "../wire/chat.js";
import type { TextCompletionParams } from "../wire/completions.js";
import { BadRequestError } from "../wire/errors.js";

/** Params that keep their name and meaning between text and chat, either way. */
export const SAME_IN_CHAT = [
  "frequency_penalty",
  "logit_bias",
  "max_tokens",
  "presence_penalty",
  "seed",
  "stop",
  "stream",
  "stream_options",
  "temperature",
  "top_p",
  "user",
] as const;

/** Text params with no chat counterpart at all. */
const TEXT_ONLY = new Set(["prompt", "echo", "suffix", "best_of", "logprobs", "n"]);

const supportCache = new WeakMap<ChatAdapter, ReadonlySet<string>>();

/**
 * The text completion params a chat provider can honour: those whose chat counterpart
 * it takes, plus what litegate emulates (`n` by fan-out, `echo` by prefixing).
 */
export function textParamsVia(adapter: ChatAdapter): ReadonlySet<string> {
  let supported = supportCache.get(adapter);
  if (supported === undefined) {
    const set = new Set<string>(["n", "echo", "stream", "stream_options"]);
    for (const param of SAME_IN_CHAT) if (adapter.supportedParams.has(param)) set.add(param);
    if (adapter.supportedParams.has("logprobs") && adapter.supportedParams.has("top_logprobs")) set.add("logprobs");
    supported = set;
    supportCache.set(adapter, supported);
  }
  return supported;
}

/** The prompts as strings; token ids cannot be sent to a chat model. */
export function stringPrompts(prompt: TextCompletionParams["prompt"], provider: string): string[] {
  if (typeof prompt === "string") return [prompt];
  if (prompt.every((item): item is string => typeof item === "string")) return prompt;
  throw new BadRequestError(
    `Token-id prompts cannot be sent to ${provider}: its models take text, and litegate will not guess their tokenizer. Send the prompt as a string, or use a provider with native text completions (text-completion-openai, azure_text, hosted_vllm).`,
    { param: "prompt", code: "unsupported_prompt", provider },
  );
}

/** The chat request for one prompt; `n` is the choices this one call asks for (omitted when 1). */
export function chatParamsFor(
  params: TextCompletionParams,
  prompt: string,
  n: number,
  model: string,
): ChatCompletionParams {
  const chat: ChatCompletionParams = { model, messages: [{ role: "user", content: prompt }] };
  for (const key in params) {
    if (TEXT_ONLY.has(key) || key === "model") continue;
    const value = params[key];
    if (value !== undefined) chat[key] = value;
  }
  if (n > 1) chat.n = n;
  if (params.logprobs != null) {
    chat.logprobs = true;
    chat.top_logprobs = params.logprobs;
  }
  return chat;
}
