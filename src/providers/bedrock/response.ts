/** The Converse answer as OpenAI's chat.completion; its stop reasons and usage, which streams share. */
import { randomUUID } from "node:crypto";
import type { ChatCompletion, ChatFinishReason, ToolCall } from "../../wire/chat.js";
import type { CompletionUsage } from "../../wire/completions.js";
import { BadGatewayError } from "../../wire/errors.js";
import { isRecord } from "../../wire/validate.js";
import { openAIUsage, type TokenCounts } from "../anthropic/response.js";
import { argumentsText } from "../openai-dialect.js";
import { PROVIDER } from "./errors.js";

const FINISH_REASONS: Readonly<Record<string, ChatFinishReason>> = {
  end_turn: "stop",
  stop_sequence: "stop",
  tool_use: "tool_calls",
  max_tokens: "length",
  model_context_window_exceeded: "length",
  guardrail_intervened: "content_filter",
  content_filtered: "content_filter",
};

/** OpenAI's finish_reason for Bedrock's stopReason; an unknown reason is a normal stop. */
export function bedrockFinishReason(stopReason: unknown): ChatFinishReason {
  return (typeof stopReason === "string" ? FINISH_REASONS[stopReason] : undefined) ?? "stop";
}

function count(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) ? value : 0;
}

/**
 * Bedrock's inputTokens leaves out the tokens read from or written to the prompt cache
 * (totalTokens adds them back); OpenAI's prompt_tokens counts them and names the cached ones.
 */
export function bedrockUsage(usage: unknown): CompletionUsage {
  const record = isRecord(usage) ? usage : {};
  const tokens: TokenCounts = {
    input: count(record.inputTokens),
    cacheRead: count(record.cacheReadInputTokens),
    cacheCreation: count(record.cacheWriteInputTokens),
    output: count(record.outputTokens),
  };
  return openAIUsage(tokens);
}

/** Converse answers carry no id; OpenAI clients expect one. */
export function chatId(): string {
  return `chatcmpl-${randomUUID().replaceAll("-", "")}`;
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** `model` is the model id the request named: Converse does not repeat it. */
export function parseConverse(body: unknown, model: string): ChatCompletion {
  const message =
    isRecord(body) && isRecord(body.output) && isRecord(body.output.message) ? body.output.message : undefined;
  if (!isRecord(body) || message === undefined) {
    const quoted = JSON.stringify(body).slice(0, 200);
    throw new BadGatewayError(`Bedrock answered with something that is not a Converse response: ${quoted}`, {
      provider: PROVIDER,
    });
  }
  const texts: string[] = [];
  const toolCalls: ToolCall[] = [];
  for (const block of Array.isArray(message.content) ? message.content : []) {
    if (!isRecord(block)) continue;
    if (typeof block.text === "string") texts.push(block.text);
    else if (isRecord(block.toolUse)) {
      const use = block.toolUse;
      toolCalls.push({
        id: String(use.toolUseId),
        type: "function",
        function: { name: String(use.name), arguments: argumentsText(use.input) },
      });
    }
    // reasoningContent, citations and guard content have no place in OpenAI's message.
  }
  return {
    id: chatId(),
    object: "chat.completion",
    created: nowSeconds(),
    model,
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
        finish_reason: bedrockFinishReason(body.stopReason),
      },
    ],
    usage: bedrockUsage(body.usage),
  };
}
