/** Anthropic's message as OpenAI's chat.completion; its finish reasons and usage, which streams share. */
import type { ChatCompletion, ChatFinishReason, ToolCall } from "../../wire/chat.js";
import type { CompletionUsage } from "../../wire/completions.js";
import { BadGatewayError } from "../../wire/errors.js";
import { isRecord } from "../../wire/validate.js";
import { argumentsText } from "../openai-dialect.js";
import { PROVIDER } from "./errors.js";

const FINISH_REASONS: Readonly<Record<string, ChatFinishReason>> = {
  end_turn: "stop",
  stop_sequence: "stop",
  pause_turn: "stop",
  max_tokens: "length",
  model_context_window_exceeded: "length",
  tool_use: "tool_calls",
  refusal: "content_filter",
};

/** OpenAI's finish_reason for Anthropic's stop_reason; an unknown reason is a normal stop. */
export function anthropicFinishReason(stopReason: unknown): ChatFinishReason {
  return (typeof stopReason === "string" ? FINISH_REASONS[stopReason] : undefined) ?? "stop";
}

function count(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) ? value : 0;
}

export interface TokenCounts {
  input: number;
  cacheRead: number;
  cacheCreation: number;
  output: number;
}

/**
 * Anthropic's input_tokens leaves out cached tokens, read or written; OpenAI's
 * prompt_tokens counts every prompt token and reports the cached ones beside it.
 */
export function openAIUsage(tokens: TokenCounts): CompletionUsage {
  const prompt = tokens.input + tokens.cacheRead + tokens.cacheCreation;
  const usage: CompletionUsage = {
    prompt_tokens: prompt,
    completion_tokens: tokens.output,
    total_tokens: prompt + tokens.output,
  };
  if (tokens.cacheRead > 0 || tokens.cacheCreation > 0) {
    usage.prompt_tokens_details = { cached_tokens: tokens.cacheRead, cache_write_tokens: tokens.cacheCreation };
  }
  return usage;
}

/** Reads the token counts Anthropic sent, keeping earlier ones it did not repeat. */
export function readTokens(usage: unknown, into: TokenCounts): void {
  if (!isRecord(usage)) return;
  if (typeof usage.input_tokens === "number") into.input = count(usage.input_tokens);
  if (typeof usage.cache_read_input_tokens === "number") into.cacheRead = count(usage.cache_read_input_tokens);
  if (typeof usage.cache_creation_input_tokens === "number") {
    into.cacheCreation = count(usage.cache_creation_input_tokens);
  }
  if (typeof usage.output_tokens === "number") into.output = count(usage.output_tokens);
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

export function parseMessage(body: unknown): ChatCompletion {
  if (!isRecord(body)) {
    const quoted = JSON.stringify(body).slice(0, 200);
    throw new BadGatewayError(`Anthropic answered with something that is not a message: ${quoted}`, {
      provider: PROVIDER,
    });
  }
  const texts: string[] = [];
  const toolCalls: ToolCall[] = [];
  for (const block of Array.isArray(body.content) ? body.content : []) {
    if (!isRecord(block)) continue;
    if (block.type === "text" && typeof block.text === "string") texts.push(block.text);
    else if (block.type === "tool_use") {
      toolCalls.push({
        id: String(block.id),
        type: "function",
        function: { name: String(block.name), arguments: argumentsText(block.input) },
      });
    }
    // thinking, redacted_thinking and server-tool blocks have no place in OpenAI's message.
  }
  const tokens: TokenCounts = { input: 0, cacheRead: 0, cacheCreation: 0, output: 0 };
  readTokens(body.usage, tokens);
  return {
    id: typeof body.id === "string" ? body.id : "",
    object: "chat.completion",
    created: nowSeconds(),
    model: typeof body.model === "string" ? body.model : "",
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content: texts.length === 0 ? null : texts.join(""),
          refusal: null,
          ...(toolCalls.length === 0 ? {} : { tool_calls: toolCalls }),
        },
        logprobs: null,
        finish_reason: anthropicFinishReason(body.stop_reason),
      },
    ],
    usage: openAIUsage(tokens),
  };
}
