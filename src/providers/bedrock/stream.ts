/**
 * ConverseStream's events (AWS event-stream framing, src/http/eventstream.ts) as OpenAI's
 * chat.completion.chunk: messageStart, contentBlockStart / Delta / Stop for text and
 * toolUse, messageStop with the stop reason, metadata with the usage; exception messages
 * (throttlingException, validationException, modelStreamErrorException, ...) are error events.
 */
import { EventStreamFramer } from "../../http/eventstream.js";
import type { SseEvent } from "../../http/sse.js";
import type { ChatCompletionChunk, ChatDelta, ChatFinishReason } from "../../wire/chat.js";
import { isRecord } from "../../wire/validate.js";
import { eventJson } from "../stream-json.js";
import type { ChatStreamReader, StreamEvent } from "../types.js";
import { awsErrorDetail } from "./errors.js";
import { bedrockFinishReason, bedrockUsage, chatId, nowSeconds } from "./response.js";

/** One stream's reader; `model` is the model id the request named. */
export function converseStream(model: string): ChatStreamReader {
  const id = chatId();
  const created = nowSeconds();
  /** Bedrock's content block index → the OpenAI tool call index (tool calls count from 0). */
  const toolIndexes = new Map<number, number>();
  const toolsWithArguments = new Set<number>();

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

  function toolArguments(block: number, text: string): StreamEvent<ChatCompletionChunk> {
    const index = toolIndexes.get(block);
    if (index === undefined) return { type: "skip" };
    return chunk({ tool_calls: [{ index, function: { arguments: text } }] });
  }

  function parseEvent(event: SseEvent): StreamEvent<ChatCompletionChunk> {
    const parsed = eventJson(event.data, "Bedrock");
    if (!("json" in parsed)) return parsed;
    const payload = isRecord(parsed.json) ? parsed.json : {};
    if (event.exception === true) {
      const type = event.event ?? "exception";
      const message =
        typeof payload.message === "string" && payload.message !== ""
          ? payload.message
          : `Bedrock sent ${type} without a message.`;
      const detail = awsErrorDetail(type, message);
      return { type: "error", status: detail.status ?? 500, detail };
    }
    const block = typeof payload.contentBlockIndex === "number" ? payload.contentBlockIndex : -1;
    switch (event.event) {
      case "messageStart":
        return chunk({ role: "assistant", content: "" });
      case "contentBlockStart": {
        const start = isRecord(payload.start) ? payload.start : {};
        if (!isRecord(start.toolUse)) return { type: "skip" };
        const toolIndex = toolIndexes.size;
        toolIndexes.set(block, toolIndex);
        const use = start.toolUse;
        return chunk({
          tool_calls: [
            {
              index: toolIndex,
              id: String(use.toolUseId),
              type: "function",
              function: { name: String(use.name), arguments: "" },
            },
          ],
        });
      }
      case "contentBlockDelta": {
        const delta = isRecord(payload.delta) ? payload.delta : {};
        if (typeof delta.text === "string")
          return delta.text === "" ? { type: "skip" } : chunk({ content: delta.text });
        if (isRecord(delta.toolUse) && typeof delta.toolUse.input === "string" && delta.toolUse.input !== "") {
          toolsWithArguments.add(block);
          return toolArguments(block, delta.toolUse.input);
        }
        // reasoningContent and citations deltas have no place in OpenAI's chunk.
        return { type: "skip" };
      }
      case "contentBlockStop":
        // A call without parameters streams no input at all; OpenAI clients parse the arguments.
        return toolIndexes.has(block) && !toolsWithArguments.has(block) ? toolArguments(block, "{}") : { type: "skip" };
      case "messageStop":
        return chunk({}, bedrockFinishReason(payload.stopReason));
      case "metadata":
        // Always sent, as with include_usage: the stream's last event is the only place the counts are.
        return {
          type: "chunk",
          chunk: {
            id,
            object: "chat.completion.chunk",
            created,
            model,
            choices: [],
            usage: bedrockUsage(payload.usage),
          },
        };
      default:
        return { type: "skip" };
    }
  }

  return { framer: new EventStreamFramer(), parseEvent };
}
