/** Cohere's v2 chat answer as OpenAI's chat.completion; finish reasons and usage, which streams share. */
import type { ChatCompletion, ChatFinishReason, ToolCall } from "../../wire/chat.js";
import type { CompletionUsage } from "../../wire/completions.js";
import { BadGatewayError } from "../../wire/errors.js";
import { isRecord } from "../../wire/validate.js";
import { argumentsText } from "../openai-dialect.js";
import { PROVIDER } from "./request.js";

const FINISH_REASONS: Readonly<Record<string, ChatFinishReason>> = {
  COMPLETE: "stop",
  STOP_SEQUENCE: "stop",
  MAX_TOKENS: "length",
  TOOL_CALL: "tool_calls",
};

/** OpenAI's finish_reason for Cohere's; an unknown one is a normal stop. */
export function cohereFinishReason(reason: unknown): ChatFinishReason {
  return (typeof reason === "string" ? FINISH_REASONS[reason] : undefined) ?? "stop";
}

function count(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) ? value : 0;
}

/** `usage.tokens` are the tokens the model saw and made; `billed_units` leave out the prompt template. */
export function cohereUsage(usage: unknown): CompletionUsage {
  const record = isRecord(usage) ? usage : {};
  const tokens = isRecord(record.tokens) ? record.tokens : isRecord(record.billed_units) ? record.billed_units : {};
  const prompt = count(tokens.input_tokens);
  const completion = count(tokens.output_tokens);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

export function cohereToolCalls(value: unknown): ToolCall[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((call): ToolCall[] => {
    if (!isRecord(call) || !isRecord(call.function)) return [];
    return [
      {
        id: String(call.id),
        type: "function",
        function: { name: String(call.function.name), arguments: argumentsText(call.function.arguments) },
      },
    ];
  });
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** `model` is the model the request named: Cohere's answer does not repeat it. */
export function parseCohereChat(body: unknown, model: string): ChatCompletion {
  if (!isRecord(body) || !isRecord(body.message)) {
    const quoted = JSON.stringify(body).slice(0, 200);
    throw new BadGatewayError(`Cohere answered with something that is not a chat response: ${quoted}`, {
      provider: PROVIDER,
    });
  }
  const message = body.message;
  const texts = (Array.isArray(message.content) ? message.content : []).flatMap((part) =>
    isRecord(part) && part.type === "text" && typeof part.text === "string" ? [part.text] : [],
  );
  const toolCalls = cohereToolCalls(message.tool_calls);
  return {
    id: typeof body.id === "string" ? body.id : "",
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
        finish_reason: cohereFinishReason(body.finish_reason),
      },
    ],
    usage: cohereUsage(body.usage),
  };
}
