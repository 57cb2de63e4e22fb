/**
 * Ollama's answers in OpenAI's shape. Ollama gives no ids, so each answer gets a fresh
 * one; the helpers here serve streams too.
 */
import { randomUUID } from "node:crypto";
import type { ChatCompletion, ChatCompletionMessage, ChatFinishReason, ToolCall } from "../../wire/chat.js";
import type { CompletionUsage, FinishReason, TextCompletion } from "../../wire/completions.js";
import { isRecord } from "../../wire/validate.js";
import { argumentsText } from "../openai-dialect.js";

export function randomId(): string {
  return randomUUID().replaceAll("-", "");
}

/** Ollama's `created_at` (RFC 3339 with nanoseconds) in Unix seconds. */
export function createdAt(value: unknown): number {
  const ms = typeof value === "string" ? Date.parse(value) : Number.NaN;
  return Math.floor((Number.isNaN(ms) ? Date.now() : ms) / 1000);
}

export function textFinish(reason: unknown): FinishReason {
  return reason === "length" ? "length" : "stop";
}

export function usageOf(line: Record<string, unknown>): CompletionUsage {
  const prompt = typeof line.prompt_eval_count === "number" ? line.prompt_eval_count : 0;
  const completion = typeof line.eval_count === "number" ? line.eval_count : 0;
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

export function chatToolCalls(value: unknown): ToolCall[] {
  if (!Array.isArray(value)) return [];
  return value.filter(isRecord).map((call) => {
    const fn = isRecord(call.function) ? call.function : {};
    return {
      id: typeof call.id === "string" && call.id !== "" ? call.id : `call_${randomId().slice(0, 24)}`,
      type: "function",
      function: {
        name: typeof fn.name === "string" ? fn.name : "",
        arguments: argumentsText(fn.arguments),
      },
    };
  });
}

export function chatFinish(reason: unknown, toolCalls: boolean): ChatFinishReason {
  if (toolCalls) return "tool_calls";
  return reason === "length" ? "length" : "stop";
}

export function parseGenerate(body: unknown): TextCompletion {
  const record = isRecord(body) ? body : {};
  return {
    id: `cmpl-${randomId()}`,
    object: "text_completion",
    created: createdAt(record.created_at),
    model: typeof record.model === "string" ? record.model : "",
    choices: [
      {
        text: typeof record.response === "string" ? record.response : "",
        index: 0,
        logprobs: null,
        finish_reason: textFinish(record.done_reason),
      },
    ],
    usage: usageOf(record),
  };
}

export function parseChat(body: unknown): ChatCompletion {
  const record = isRecord(body) ? body : {};
  const message = isRecord(record.message) ? record.message : {};
  const toolCalls = chatToolCalls(message.tool_calls);
  const content = typeof message.content === "string" ? message.content : "";
  const result: ChatCompletionMessage = {
    role: "assistant",
    // OpenAI gives null content, not "", beside tool calls.
    content: content === "" && toolCalls.length > 0 ? null : content,
    refusal: null,
  };
  if (toolCalls.length > 0) result.tool_calls = toolCalls;
  if (typeof message.thinking === "string" && message.thinking !== "") result.reasoning_content = message.thinking;
  return {
    id: `chatcmpl-${randomId()}`,
    object: "chat.completion",
    created: createdAt(record.created_at),
    model: typeof record.model === "string" ? record.model : "",
    choices: [
      {
        index: 0,
        message: result,
        logprobs: null,
        finish_reason: chatFinish(record.done_reason, toolCalls.length > 0),
      },
    ],
    usage: usageOf(record),
  };
}
