/**
 * The Cohere v2 `/v2/chat` body for an OpenAI chat request. v2 messages are close to
 * OpenAI's (system / user / assistant with tool_calls / tool), so messages keep their
 * shape; sampling params take Cohere's names (`p`, `k`, `stop_sequences`).
 */
import type { ChatCompletionParams, ChatMessage } from "../../wire/chat.js";
import { BadRequestError } from "../../wire/errors.js";
import { isRecord } from "../../wire/validate.js";
import type { Target } from "../types.js";

export const PROVIDER = "cohere";

function invalidValue(message: string, param: string, target: Target): BadRequestError {
  return new BadRequestError(message, { provider: PROVIDER, model: target.model, param, code: "invalid_value" });
}

function present<T>(value: T | null | undefined): value is T {
  return value !== null && value !== undefined;
}

function cohereMessage(message: ChatMessage, index: number, target: Target): Record<string, unknown> | undefined {
  switch (message.role) {
    case "system":
    case "developer":
      // Cohere has no developer role; OpenAI defines it as the newer name for system.
      return { role: "system", content: message.content };
    case "user":
      return { role: "user", content: message.content };
    case "assistant": {
      const out: Record<string, unknown> = { role: "assistant" };
      // Cohere refuses empty content beside tool calls, which OpenAI clients send as "" or null.
      if (present(message.content) && message.content !== "" && message.content.length > 0)
        out.content = message.content;
      if (message.tool_calls !== undefined && message.tool_calls.length > 0) out.tool_calls = message.tool_calls;
      return out.content === undefined && out.tool_calls === undefined ? undefined : out;
    }
    case "tool":
      return { role: "tool", tool_call_id: message.tool_call_id, content: message.content };
    default: {
      const unknown: { role?: unknown } = message;
      throw invalidValue(
        `Cohere does not take messages with role '${String(unknown.role)}'.`,
        `messages[${index}].role`,
        target,
      );
    }
  }
}

function toolChoice(params: ChatCompletionParams, target: Target): string | undefined {
  const choice = params.tool_choice;
  if (choice === undefined || choice === null || choice === "auto") return undefined;
  if (choice === "required") return "REQUIRED";
  if (choice === "none") return "NONE";
  if (target.dropParams) return "REQUIRED";
  throw invalidValue(
    "Cohere cannot force one named tool; it takes tool_choice 'auto', 'required' or 'none'. Use 'required' with only that tool, or set drop_params: true to send 'required'.",
    "tool_choice",
    target,
  );
}

function responseFormat(
  format: NonNullable<ChatCompletionParams["response_format"]>,
): Record<string, unknown> | undefined {
  if (format.type === "json_object") return { type: "json_object" };
  if (format.type === "json_schema" && isRecord(format.json_schema)) {
    const schema = format.json_schema.schema;
    return isRecord(schema) ? { type: "json_object", json_schema: schema } : { type: "json_object" };
  }
  return undefined;
}

export function cohereChatBody(params: ChatCompletionParams, target: Target): Record<string, unknown> {
  const messages = params.messages.flatMap((message, index) => cohereMessage(message, index, target) ?? []);
  const body: Record<string, unknown> = { model: target.model, messages };
  const maxTokens = params.max_completion_tokens ?? params.max_tokens;
  if (present(maxTokens)) body.max_tokens = maxTokens;
  if (present(params.temperature)) body.temperature = params.temperature;
  if (present(params.top_p)) body.p = params.top_p;
  if (typeof params.top_k === "number") body.k = params.top_k;
  if (present(params.stop)) {
    const stops = typeof params.stop === "string" ? [params.stop] : params.stop;
    if (stops.length > 0) body.stop_sequences = stops;
  }
  if (present(params.seed)) body.seed = params.seed;
  if (present(params.frequency_penalty)) body.frequency_penalty = params.frequency_penalty;
  if (present(params.presence_penalty)) body.presence_penalty = params.presence_penalty;
  if (params.tools !== undefined && params.tools !== null && params.tools.length > 0) {
    body.tools = params.tools;
    const choice = toolChoice(params, target);
    if (choice !== undefined) body.tool_choice = choice;
  }
  if (present(params.response_format)) {
    const format = responseFormat(params.response_format);
    if (format !== undefined) body.response_format = format;
  }
  if (params.stream === true) body.stream = true;
  return body;
}
