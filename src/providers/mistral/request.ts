/**
 * The chat body Mistral takes: OpenAI's with a few renames (`random_seed`, `max_tokens`
 * only). Mistral's validator refuses any key it does not know (422 `extra_forbidden`),
 * so messages are reduced to the keys Mistral takes.
 */
import type { ChatCompletionParams, ChatMessage } from "../../wire/chat.js";

/** Each message with only the keys Mistral's validator accepts for its role. */
function toMistralMessage(message: ChatMessage): Record<string, unknown> {
  const source = message as Record<string, unknown>;
  switch (message.role) {
    case "system":
    case "developer":
      return { role: "system", content: message.content };
    case "user":
      return { role: "user", content: message.content };
    case "assistant": {
      const out: Record<string, unknown> = { role: "assistant", content: message.content ?? null };
      if (message.tool_calls !== undefined && message.tool_calls.length > 0) out.tool_calls = message.tool_calls;
      // Mistral's own extension: continue this assistant message.
      if (typeof source.prefix === "boolean") out.prefix = source.prefix;
      return out;
    }
    case "tool": {
      const out: Record<string, unknown> = {
        role: "tool",
        content: message.content,
        tool_call_id: message.tool_call_id,
      };
      if (typeof source.name === "string") out.name = source.name;
      return out;
    }
    default:
      return source;
  }
}

/** The chat body Mistral takes: OpenAI's, renamed, with nulls (OpenAI's "default") left out. */
export function mistralChatBody(params: ChatCompletionParams, model: string): Record<string, unknown> {
  const body: Record<string, unknown> = { model, messages: params.messages.map(toMistralMessage) };
  for (const key of Object.keys(params)) {
    const value = params[key];
    if (value === null || value === undefined) continue;
    switch (key) {
      case "model":
      case "messages":
      case "stream_options":
      case "max_completion_tokens":
      case "max_tokens":
        break;
      case "seed":
        body.random_seed = value;
        break;
      default:
        body[key] = value;
    }
  }
  // OpenAI deprecated max_tokens for max_completion_tokens; Mistral knows only max_tokens.
  const maxTokens = params.max_completion_tokens ?? params.max_tokens;
  if (maxTokens !== null && maxTokens !== undefined) body.max_tokens = maxTokens;
  return body;
}
