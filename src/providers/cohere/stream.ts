/**
 * Cohere's v2 chat stream (SSE whose events name their `type`): message-start,
 * content-delta, tool-call-start / -delta, message-end with the finish reason and usage,
 * as OpenAI's chat.completion.chunk events.
 */
import { SseParser, type SseEvent } from "../../http/sse.js";
import type { ChatCompletionChunk, ChatDelta, ChatFinishReason } from "../../wire/chat.js";
import { isRecord } from "../../wire/validate.js";
import { openAIErrorDetail } from "../openai-dialect.js";
import { eventJson } from "../stream-json.js";
import type { ChatStreamReader, StreamEvent } from "../types.js";
import { cohereFinishReason, cohereUsage, nowSeconds } from "./response.js";

/** The `delta.message` of an event, where Cohere puts what changed. */
function deltaMessage(payload: Record<string, unknown>): Record<string, unknown> {
  return isRecord(payload.delta) && isRecord(payload.delta.message) ? payload.delta.message : {};
}

export function cohereChatStream(model: string): ChatStreamReader {
  let id = "";
  const created = nowSeconds();
  /** Cohere's tool call index → OpenAI's (both count tool calls from 0, but only calls, not text). */
  const toolIndexes = new Map<number, number>();

  function chunk(delta: ChatDelta, finishReason: ChatFinishReason | null = null): StreamEvent<ChatCompletionChunk> {
    return {
      type: "chunk",
      chunk: {
        id,
        object: "chat.completion.chunk",
        created,
        model,
        choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
      },
    };
  }

  function parseEvent(event: SseEvent): StreamEvent<ChatCompletionChunk> {
    const parsed = eventJson(event.data, "Cohere");
    if (!("json" in parsed)) return parsed;
    const payload = isRecord(parsed.json) ? parsed.json : {};
    const type = typeof payload.type === "string" ? payload.type : event.event;
    const index = typeof payload.index === "number" ? payload.index : 0;
    switch (type) {
      case "message-start":
        if (typeof payload.id === "string") id = payload.id;
        return chunk({ role: "assistant", content: "" });
      case "content-delta": {
        const content = deltaMessage(payload).content;
        const text = isRecord(content) && typeof content.text === "string" ? content.text : "";
        return text === "" ? { type: "skip" } : chunk({ content: text });
      }
      case "tool-call-start": {
        const call = deltaMessage(payload).tool_calls;
        if (!isRecord(call) || !isRecord(call.function)) return { type: "skip" };
        const toolIndex = toolIndexes.size;
        toolIndexes.set(index, toolIndex);
        const args = typeof call.function.arguments === "string" ? call.function.arguments : "";
        return chunk({
          tool_calls: [
            {
              index: toolIndex,
              id: String(call.id),
              type: "function",
              function: { name: String(call.function.name), arguments: args },
            },
          ],
        });
      }
      case "tool-call-delta": {
        const call = deltaMessage(payload).tool_calls;
        const toolIndex = toolIndexes.get(index);
        const args = isRecord(call) && isRecord(call.function) ? call.function.arguments : undefined;
        if (toolIndex === undefined || typeof args !== "string" || args === "") return { type: "skip" };
        return chunk({ tool_calls: [{ index: toolIndex, function: { arguments: args } }] });
      }
      case "message-end": {
        const delta = isRecord(payload.delta) ? payload.delta : {};
        const finished = chunk({}, cohereFinishReason(delta.finish_reason));
        if (finished.type !== "chunk") return finished;
        // Always read, as with include_usage: the last event is the only place the counts are (the
        // shared stream puts them in a usage chunk of their own when the caller asked).
        finished.chunk.usage = cohereUsage(delta.usage);
        return finished;
      }
      case "error":
        return { type: "error", status: undefined, detail: openAIErrorDetail(payload) };
      default:
        // content-start / -end, tool-plan-delta, tool-call-end, citations: nothing for OpenAI's chunk.
        return { type: "skip" };
    }
  }

  return { framer: new SseParser(), parseEvent };
}
