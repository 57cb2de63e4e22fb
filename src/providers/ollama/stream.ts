/**
 * Ollama's NDJSON streams: one JSON object per line, with no ids and no end marker
 * besides `done: true`, so each stream is read by a stateful reader that gives every
 * chunk of it the same id and `created`.
 */
import { NdjsonParser } from "../../http/ndjson.js";
import type { SseEvent } from "../../http/sse.js";
import type { ChatCompletionChunk, ChatDelta } from "../../wire/chat.js";
import type { TextCompletionChunk } from "../../wire/completions.js";
import { isRecord } from "../../wire/validate.js";
import { openAIErrorDetail } from "../openai-dialect.js";
import { eventObject, type StreamFailure } from "../stream-json.js";
import type { ChatStreamReader, StreamEvent, TextStreamReader } from "../types.js";
import { chatFinish, chatToolCalls, createdAt, randomId, textFinish, usageOf } from "./response.js";

/** One NDJSON line; a line that is not a JSON object, or that reports an error, ends the stream. */
function ollamaLine(event: SseEvent): { json: Record<string, unknown> } | StreamFailure {
  const parsed = eventObject(event.data, "Ollama", "stream line");
  if (!("json" in parsed)) return parsed;
  const line = parsed.json;
  // A failure after the 200 headers (the runner crashed, out of memory) comes as one line.
  if (line.error !== undefined && line.error !== null) {
    return { type: "error", status: 500, detail: openAIErrorDetail(line) };
  }
  return parsed;
}

/** A fresh reader for one `/api/generate` NDJSON stream. */
export function ollamaGenerateStream(): TextStreamReader {
  const id = `cmpl-${randomId()}`;
  let created: number | undefined;
  return {
    framer: new NdjsonParser(),
    parseEvent(event: SseEvent): StreamEvent<TextCompletionChunk> {
      const parsed = ollamaLine(event);
      if (!("json" in parsed)) return parsed;
      const line = parsed.json;
      created ??= createdAt(line.created_at);
      const text = typeof line.response === "string" ? line.response : "";
      const done = line.done === true;
      // Thinking models send lines with `thinking` and no text; a text completion has nothing to show for them.
      if (!done && text === "") return { type: "skip" };
      const chunk: TextCompletionChunk = {
        id,
        object: "text_completion",
        created,
        model: typeof line.model === "string" ? line.model : "",
        choices: [{ text, index: 0, logprobs: null, finish_reason: done ? textFinish(line.done_reason) : null }],
      };
      if (done) chunk.usage = usageOf(line);
      return { type: "chunk", chunk };
    },
  };
}

/** A fresh reader for one `/api/chat` NDJSON stream. */
export function ollamaChatStream(): ChatStreamReader {
  const id = `chatcmpl-${randomId()}`;
  let created: number | undefined;
  let sentRole = false;
  let toolCallCount = 0;
  return {
    framer: new NdjsonParser(),
    parseEvent(event: SseEvent): StreamEvent<ChatCompletionChunk> {
      const parsed = ollamaLine(event);
      if (!("json" in parsed)) return parsed;
      const line = parsed.json;
      created ??= createdAt(line.created_at);
      const message = isRecord(line.message) ? line.message : {};
      const done = line.done === true;
      const delta: ChatDelta = {};
      if (!sentRole) delta.role = "assistant";
      const content = typeof message.content === "string" ? message.content : "";
      if (content !== "" || !sentRole) delta.content = content;
      if (typeof message.thinking === "string" && message.thinking !== "") delta.reasoning_content = message.thinking;
      const calls = chatToolCalls(message.tool_calls);
      if (calls.length > 0) {
        // Ollama sends each call whole, in one line: one delta carries all of it.
        delta.tool_calls = calls.map((call, i) => ({ index: toolCallCount + i, ...call }));
        toolCallCount += calls.length;
      }
      if (!done && sentRole && Object.keys(delta).length === 0) return { type: "skip" };
      sentRole = true;
      const chunk: ChatCompletionChunk = {
        id,
        object: "chat.completion.chunk",
        created,
        model: typeof line.model === "string" ? line.model : "",
        choices: [
          {
            index: 0,
            delta,
            logprobs: null,
            finish_reason: done ? chatFinish(line.done_reason, toolCallCount > 0) : null,
          },
        ],
      };
      if (done) chunk.usage = usageOf(line);
      return { type: "chunk", chunk };
    },
  };
}
