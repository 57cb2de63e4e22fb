/** Anthropic's named-event stream as OpenAI's chat.completion.chunk events. */
import { SseParser, type SseEvent } from "../../http/sse.js";
import type { ChatCompletionChunk, ChatDelta, ChatFinishReason } from "../../wire/chat.js";
import { isRecord } from "../../wire/validate.js";
import { eventJson } from "../stream-json.js";
import type { ChatStreamReader, StreamEvent } from "../types.js";
import { anthropicErrorDetail, STATUS_BY_ERROR_TYPE } from "./errors.js";
import { anthropicFinishReason, nowSeconds, openAIUsage, readTokens, type TokenCounts } from "./response.js";

/** One stream's reader: Anthropic's named events carry state (ids, tool indexes, usage) across events. */
export function anthropicStream(): ChatStreamReader {
  let id = "";
  let model = "";
  let created = nowSeconds();
  const tokens: TokenCounts = { input: 0, cacheRead: 0, cacheCreation: 0, output: 0 };
  /** Anthropic's content block index → the OpenAI tool call index (tool calls count from 0). */
  const toolIndexes = new Map<number, number>();
  /** Tool blocks that have received argument text, so an argument-less call can still end as "{}". */
  const toolsWithArguments = new Set<number>();
  let stopped = false;

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
    if (stopped) return { type: "done" };
    const parsed = eventJson(event.data, "Anthropic");
    if (!("json" in parsed)) return parsed;
    const payload = parsed.json;
    if (!isRecord(payload)) return { type: "skip" };
    const name = event.event ?? (typeof payload.type === "string" ? payload.type : undefined);
    const index = typeof payload.index === "number" ? payload.index : -1;
    switch (name) {
      case "message_start": {
        const message = isRecord(payload.message) ? payload.message : {};
        if (typeof message.id === "string") id = message.id;
        if (typeof message.model === "string") model = message.model;
        created = nowSeconds();
        readTokens(message.usage, tokens);
        return chunk({ role: "assistant", content: "" });
      }
      case "content_block_start": {
        const block = isRecord(payload.content_block) ? payload.content_block : {};
        if (block.type === "text") {
          const text = typeof block.text === "string" ? block.text : "";
          return text === "" ? { type: "skip" } : chunk({ content: text });
        }
        if (block.type === "tool_use") {
          const toolIndex = toolIndexes.size;
          toolIndexes.set(index, toolIndex);
          return chunk({
            tool_calls: [
              {
                index: toolIndex,
                id: String(block.id),
                type: "function",
                function: { name: String(block.name), arguments: "" },
              },
            ],
          });
        }
        return { type: "skip" };
      }
      case "content_block_delta": {
        const delta = isRecord(payload.delta) ? payload.delta : {};
        if (delta.type === "text_delta" && typeof delta.text === "string") return chunk({ content: delta.text });
        if (delta.type === "input_json_delta" && typeof delta.partial_json === "string" && delta.partial_json !== "") {
          toolsWithArguments.add(index);
          return toolArguments(index, delta.partial_json);
        }
        // thinking, signature and citation deltas have no place in OpenAI's chunk.
        return { type: "skip" };
      }
      case "content_block_stop":
        // A call without parameters streams no JSON at all; OpenAI clients parse the arguments.
        return toolIndexes.has(index) && !toolsWithArguments.has(index) ? toolArguments(index, "{}") : { type: "skip" };
      case "message_delta": {
        readTokens(payload.usage, tokens);
        const delta = isRecord(payload.delta) ? payload.delta : {};
        const finished = chunk({}, anthropicFinishReason(delta.stop_reason));
        if (finished.type === "chunk") finished.chunk.usage = null;
        return finished;
      }
      case "message_stop": {
        stopped = true;
        // Always sent, as with include_usage: Anthropic's stream is the only place the counts are.
        return {
          type: "chunk",
          chunk: { id, object: "chat.completion.chunk", created, model, choices: [], usage: openAIUsage(tokens) },
        };
      }
      case "error": {
        const detail = anthropicErrorDetail(payload);
        const status = detail.type === undefined ? undefined : STATUS_BY_ERROR_TYPE[detail.type];
        return { type: "error", status, detail };
      }
      default:
        // ping, and event kinds added after this was written.
        return { type: "skip" };
    }
  }

  return { framer: new SseParser(), parseEvent };
}
