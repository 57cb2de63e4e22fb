/**
 * The bodies of `/api/generate` and `/api/chat`. OpenAI's sampling params go in `options`,
 * with OpenAI's defaults made explicit, because a Modelfile's defaults differ (temperature
 * 0.8, top_p 0.9, unbounded num_predict). Params Ollama has and OpenAI lacks (num_ctx,
 * top_k, keep_alive, format, …) pass through.
 */
import type { ChatCompletionParams } from "../../wire/chat.js";
import type { TextCompletionParams } from "../../wire/completions.js";
import { isRecord } from "../../wire/validate.js";
import { CHAT_PARAMS, COMPLETION_PARAMS } from "../openai-dialect.js";
import { singleTextPrompt } from "../prompt.js";
import type { Target } from "../types.js";
import { toOllamaMessages } from "./messages.js";

/** OpenAI's default for /v1/completions; Ollama's own is unbounded. */
const DEFAULT_NUM_PREDICT = 16;

/** Every key of OpenAI's CreateChatCompletionRequest, legacy ones too: the keys that are not Ollama extras. */
const OPENAI_CHAT_PARAMS: ReadonlySet<string> = new Set([
  ...CHAT_PARAMS,
  "messages",
  "model",
  "function_call",
  "functions",
  "moderation",
  "prompt_cache_options",
  "prompt_cache_retention",
]);

/** Ollama request fields outside `options`; any other extra param is a model option. */
const OLLAMA_TOP_LEVEL = new Set(["format", "keep_alive", "think", "system", "template", "images", "context"]);

/** OpenAI's sampling params as Ollama options; `null` means "default", as in OpenAI. */
function samplingOptions(params: Record<string, unknown>, maxTokens: unknown): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  if (maxTokens != null) options.num_predict = maxTokens;
  if (params.temperature != null) options.temperature = params.temperature;
  if (params.top_p != null) options.top_p = params.top_p;
  if (typeof params.stop === "string") options.stop = [params.stop];
  else if (Array.isArray(params.stop)) options.stop = params.stop;
  if (params.seed != null) options.seed = params.seed;
  if (params.presence_penalty != null) options.presence_penalty = params.presence_penalty;
  if (params.frequency_penalty != null) options.frequency_penalty = params.frequency_penalty;
  return options;
}

/**
 * Sorts the params OpenAI does not have: the endpoint's own request fields (`topLevel`) go in
 * the body, an explicit `options` object and anything else (num_ctx, top_k, …) go in `options`.
 */
export function extras(
  params: Record<string, unknown>,
  isOpenAI: (key: string) => boolean,
  topLevel: ReadonlySet<string> = OLLAMA_TOP_LEVEL,
): { body: Record<string, unknown>; options: Record<string, unknown> } {
  const body: Record<string, unknown> = {};
  let options: Record<string, unknown> = {};
  for (const key of Object.keys(params)) {
    const value = params[key];
    if (isOpenAI(key) || value === undefined) continue;
    if (key === "options" && isRecord(value)) options = { ...options, ...value };
    else if (topLevel.has(key)) body[key] = value;
    else if (key !== "raw" && key !== "suffix") options[key] = value;
  }
  return { body, options };
}

/** `response_format` as Ollama's `format`: "json" or the JSON schema itself. */
function formatOf(responseFormat: ChatCompletionParams["response_format"]): unknown {
  if (responseFormat === undefined || responseFormat === null) return undefined;
  if (responseFormat.type === "json_object") return "json";
  if (responseFormat.type === "json_schema" && isRecord(responseFormat.json_schema)) {
    return responseFormat.json_schema.schema;
  }
  return undefined;
}

/** `reasoning_effort` as Ollama's `think`, as Ollama's own OpenAI routes read it. */
function thinkOf(effort: unknown): unknown {
  if (typeof effort !== "string") return undefined;
  if (effort === "none") return false;
  return effort === "minimal" ? "low" : effort;
}

export function generateBody(params: TextCompletionParams, target: Target): Record<string, unknown> {
  const extra = extras(params, (key) => key === "model" || key === "prompt" || COMPLETION_PARAMS.has(key));
  const body: Record<string, unknown> = {
    model: target.model,
    prompt: singleTextPrompt(params, "ollama", target.model),
    // A completion continues the text as given: no chat template around it.
    raw: true,
    // Ollama streams unless told not to.
    stream: params.stream === true,
  };
  if (params.suffix != null) body.suffix = params.suffix;
  Object.assign(body, extra.body);
  body.options = {
    temperature: 1,
    top_p: 1,
    num_predict: DEFAULT_NUM_PREDICT,
    ...extra.options,
    ...samplingOptions(params, params.max_tokens),
  };
  return body;
}

export function chatBody(params: ChatCompletionParams, target: Target): Record<string, unknown> {
  const extra = extras(params, (key) => OPENAI_CHAT_PARAMS.has(key));
  const body: Record<string, unknown> = {
    model: target.model,
    messages: toOllamaMessages(params.messages, target),
    stream: params.stream === true,
  };
  if (params.tools !== undefined && params.tools.length > 0) body.tools = params.tools;
  const format = formatOf(params.response_format);
  if (format !== undefined) body.format = format;
  const think = thinkOf(params.reasoning_effort);
  if (think !== undefined) body.think = think;
  Object.assign(body, extra.body);
  // OpenAI's chat has no default length limit, so num_predict is sent only when asked for.
  body.options = {
    temperature: 1,
    top_p: 1,
    ...extra.options,
    ...samplingOptions(params, params.max_completion_tokens ?? params.max_tokens),
  };
  return body;
}
