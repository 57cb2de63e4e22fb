/**
 * Mistral's SSE chat stream. Chunks that are valid OpenAI already are forwarded as
 * they came; the others (list content, object arguments, Mistral's finish reasons) are
 * rebuilt. A stream is read event by event, with no state between them.
 */
import { SseParser, type SseEvent } from "../../http/sse.js";
import type { ChatCompletionChunk, ChatCompletionChunkChoice, ChatDelta, ChatFinishReason } from "../../wire/chat.js";
import { isRecord } from "../../wire/validate.js";
import { argumentsText } from "../openai-dialect.js";
import { eventObject } from "../stream-json.js";
import type { ChatStreamReader, StreamEvent } from "../types.js";
import { finishedWithError, mistralErrorDetail } from "./errors.js";
import { choicesOf, envelope, mistralContent, mistralFinishReason } from "./response.js";

const OPENAI_FINISH = new Set([null, "stop", "length", "tool_calls", "content_filter", "function_call"]);

function argumentsAreText(call: unknown): boolean {
  if (!isRecord(call)) return false;
  const args = isRecord(call.function) ? call.function.arguments : undefined;
  return args === undefined || typeof args === "string";
}

/** True when a chunk's choice is already valid OpenAI and can be forwarded byte for byte. */
function choiceIsOpenAI(choice: unknown): boolean {
  if (!isRecord(choice) || !isRecord(choice.delta)) return false;
  if (!OPENAI_FINISH.has(choice.finish_reason as string | null)) return false;
  const { content, tool_calls: toolCalls } = choice.delta;
  if (content !== undefined && content !== null && typeof content !== "string") return false;
  return toolCalls === undefined || (Array.isArray(toolCalls) && toolCalls.every(argumentsAreText));
}

function mistralDelta(value: unknown): ChatDelta {
  const delta = isRecord(value) ? value : {};
  const result: ChatDelta = {};
  if (delta.role === "assistant") result.role = "assistant";
  if (delta.content !== undefined) {
    const { text, thinking } = mistralContent(delta.content);
    if (text !== null) result.content = text;
    if (thinking !== undefined) result.reasoning_content = thinking;
  }
  if (Array.isArray(delta.tool_calls)) {
    result.tool_calls = delta.tool_calls.filter(isRecord).map((call, position) => {
      const fn = isRecord(call.function) ? call.function : {};
      const out: NonNullable<ChatDelta["tool_calls"]>[number] = {
        index: typeof call.index === "number" ? call.index : position,
      };
      if (typeof call.id === "string") out.id = call.id;
      out.type = "function";
      out.function = {};
      if (typeof fn.name === "string") out.function.name = fn.name;
      if (fn.arguments !== undefined) out.function.arguments = argumentsText(fn.arguments);
      return out;
    });
  }
  return result;
}

function rebuildChunk(record: Record<string, unknown>): ChatCompletionChunk {
  const choices = choicesOf(record).map(
    ({ choice, index }): ChatCompletionChunkChoice => ({
      index,
      delta: mistralDelta(choice.delta),
      finish_reason: mistralFinishReason(choice.finish_reason) as ChatFinishReason | null,
    }),
  );
  return envelope(record, "chat.completion.chunk", choices);
}

/** The end of a stream, or a failure reported in it. */
type StreamEnd = Extract<StreamEvent<never>, { type: "done" } | { type: "error" }>;

/**
 * One `data:` payload of a Mistral stream, or the error it reports: OpenAI's
 * `{error}`, Mistral's `{object: "error"}`, or text that is not a JSON object.
 */
export function mistralStreamPayload(event: SseEvent): { json: Record<string, unknown> } | StreamEnd {
  if (event.data === "[DONE]") return { type: "done" };
  const parsed = eventObject(event.data, "The upstream");
  if (!("json" in parsed)) return parsed;
  const payload = parsed.json;
  const isError =
    event.event === "error" ||
    (payload.error !== undefined && payload.error !== null) ||
    (typeof payload.object === "string" && payload.object.toLowerCase() === "error");
  if (!isError) return parsed;
  const status = isRecord(payload.error) ? payload.error.status : undefined;
  return {
    type: "error",
    status: typeof status === "number" ? status : undefined,
    detail: mistralErrorDetail(payload),
  };
}

/** One SSE event of a Mistral chat stream; chunks that are valid OpenAI already keep their raw text. */
function parseMistralChatEvent(event: SseEvent): StreamEvent<ChatCompletionChunk> {
  const parsed = mistralStreamPayload(event);
  if (!("json" in parsed)) return parsed;
  const payload = parsed.json;
  const choices = Array.isArray(payload.choices) ? payload.choices : [];
  if (choices.some((choice) => isRecord(choice) && choice.finish_reason === "error")) {
    return { type: "error", status: 502, detail: finishedWithError("mistral") };
  }
  if (payload.object === "chat.completion.chunk" && choices.every(choiceIsOpenAI)) {
    return { type: "chunk", chunk: payload as unknown as ChatCompletionChunk, raw: event.data };
  }
  return { type: "chunk", chunk: rebuildChunk(payload) };
}

export function mistralChatStream(): ChatStreamReader {
  return { framer: new SseParser(), parseEvent: parseMistralChatEvent };
}
