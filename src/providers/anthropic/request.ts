/** The `/v1/messages` body for an OpenAI chat request. */
import type { ChatCompletionParams } from "../../wire/chat.js";
import type { Target } from "../types.js";
import { invalidValue } from "./errors.js";
import { anthropicMessages, systemPrompt } from "./messages.js";
import { toolChoice, tools } from "./tools.js";

/** Anthropic requires max_tokens; this is used for models not in the table below. */
const ANTHROPIC_DEFAULT_MAX_TOKENS = 4096;

/**
 * Documented output limits, most specific prefix first. A newer model of a family
 * matches its family's entry, which is never above what the newer model allows.
 */
const MAX_OUTPUT_TOKENS: readonly (readonly [prefix: string, max: number])[] = [
  ["claude-3-haiku", 4096],
  ["claude-3-sonnet", 4096],
  ["claude-3-opus", 4096],
  ["claude-3-5-haiku", 8192],
  ["claude-3-5-sonnet", 8192],
  ["claude-3-7-sonnet", 64000],
  ["claude-haiku-4-5", 64000],
  ["claude-sonnet-4", 64000],
  ["claude-opus-4-5", 64000],
  ["claude-opus-4", 32000],
];

/** The output limit of a well-known Claude model, or undefined. */
export function anthropicMaxOutputTokens(model: string): number | undefined {
  return MAX_OUTPUT_TOKENS.find(([prefix]) => model.startsWith(prefix))?.[1];
}

function defaultMaxTokens(model: string): number {
  return anthropicMaxOutputTokens(model) ?? ANTHROPIC_DEFAULT_MAX_TOKENS;
}

function temperature(value: number, target: Target): number {
  if (value <= 1) return value;
  if (target.dropParams) return 1;
  const message =
    `Anthropic takes temperature between 0 and 1 (got ${value}; OpenAI allows up to 2). ` +
    "Lower it, or set drop_params: true to clamp it to 1.";
  throw invalidValue(message, "temperature", target);
}

function present<T>(value: T | null | undefined): value is T {
  return value !== null && value !== undefined;
}

export function requestBody(params: ChatCompletionParams, target: Target): Record<string, unknown> {
  const messages = anthropicMessages(params.messages, target);
  if (messages.length === 0) {
    const message = "Anthropic needs at least one user or assistant message besides the system prompt.";
    throw invalidValue(message, "messages", target);
  }
  const body: Record<string, unknown> = {
    model: target.model,
    max_tokens: params.max_completion_tokens ?? params.max_tokens ?? defaultMaxTokens(target.model),
    messages,
  };
  const system = systemPrompt(params.messages);
  if (system !== undefined) body.system = system;
  if (present(params.stop)) {
    const stops = typeof params.stop === "string" ? [params.stop] : params.stop;
    if (stops.length > 0) body.stop_sequences = stops;
  }
  if (present(params.temperature)) body.temperature = temperature(params.temperature, target);
  if (present(params.top_p)) body.top_p = params.top_p;
  if (typeof params.top_k === "number") body.top_k = params.top_k;
  if (params.stream === true) body.stream = true;
  if (typeof params.user === "string" && params.user !== "") body.metadata = { user_id: params.user };
  const toolList = tools(params, target);
  // tool_choice without tools is refused upstream; OpenAI treats it as meaningless too.
  if (toolList.length > 0) {
    body.tools = toolList;
    const choice = toolChoice(params, target);
    if (choice !== undefined) body.tool_choice = choice;
  }
  return body;
}
