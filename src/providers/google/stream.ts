/**
 * Gemini's `streamGenerateContent?alt=sse` as OpenAI's chat.completion.chunk events. Each
 * event is a whole GenerateContentResponse holding the candidates' next parts; usage is
 * cumulative, and there is no end marker, so the usage chunk is sent when the body ends.
 */
import { type Framer, SseParser, type SseEvent } from "../../http/sse.js";
import type { ChatCompletionChunk, ChatCompletionChunkChoice, ChatDelta } from "../../wire/chat.js";
import type { CompletionUsage } from "../../wire/completions.js";
import { isRecord } from "../../wire/validate.js";
import { eventObject } from "../stream-json.js";
import type { ChatStreamReader, StreamEvent } from "../types.js";
import { googleErrorDetail, streamErrorStatus } from "./errors.js";
import {
  blockedPrompt,
  candidateParts,
  chatId,
  geminiFinishReason,
  geminiLogprobs,
  geminiUsage,
  nowSeconds,
} from "./response.js";

/** Stands for the end of the body, which Gemini marks with nothing but closing it. */
const END: SseEvent = { event: undefined, data: "", id: undefined };

/** SSE framing that tells the reader where the body ended. */
class EndMarkingFramer implements Framer {
  private readonly inner = new SseParser();
  push(bytes: Uint8Array): SseEvent[] {
    return this.inner.push(bytes);
  }
  end(): SseEvent[] {
    return [...this.inner.end(), END];
  }
}

/** One stream's reader; ids, tool call counts and the last usage carry across events. */
export function geminiStream(): ChatStreamReader {
  let id: string | undefined;
  let model = "";
  const created = nowSeconds();
  let usage: CompletionUsage | undefined;
  /** Tool calls seen so far per choice: a choice's calls are numbered from 0 across events. */
  const toolCounts = new Map<number, number>();

  function head(): Pick<ChatCompletionChunk, "id" | "object" | "created" | "model"> {
    return { id: id ?? "", object: "chat.completion.chunk", created, model };
  }

  function choiceOf(candidate: Record<string, unknown>, position: number): ChatCompletionChunkChoice {
    const index = typeof candidate.index === "number" ? candidate.index : position;
    const { text, reasoning, calls } = candidateParts(candidate);
    const first = !toolCounts.has(index);
    const before = toolCounts.get(index) ?? 0;
    toolCounts.set(index, before + calls.length);
    const delta: ChatDelta = first ? { role: "assistant" } : {};
    if (text !== undefined) delta.content = text;
    else if (first) delta.content = "";
    if (reasoning !== undefined) delta.reasoning_content = reasoning;
    if (calls.length > 0) {
      delta.tool_calls = calls.map((call, j) => ({
        index: before + j,
        id: call.id,
        type: "function",
        function: { name: call.name, arguments: call.arguments },
      }));
    }
    const finished = candidate.finishReason !== undefined && candidate.finishReason !== null;
    return {
      index,
      delta,
      logprobs: geminiLogprobs(candidate.logprobsResult),
      finish_reason: finished ? geminiFinishReason(candidate.finishReason, before + calls.length > 0) : null,
    };
  }

  function parseEvent(event: SseEvent): StreamEvent<ChatCompletionChunk> {
    if (event === END) {
      // Always sent, as with include_usage: the stream is the only place the counts are.
      return usage === undefined ? { type: "skip" } : { type: "chunk", chunk: { ...head(), choices: [], usage } };
    }
    const parsed = eventObject(event.data, "Gemini");
    if (!("json" in parsed)) return parsed;
    const body = parsed.json;
    if (isRecord(body.error)) {
      return { type: "error", status: streamErrorStatus(body), detail: googleErrorDetail(body, "Gemini") };
    }
    id ??= chatId(body);
    if (typeof body.modelVersion === "string") model = body.modelVersion;
    usage = geminiUsage(body.usageMetadata) ?? usage;
    const candidates = Array.isArray(body.candidates) ? body.candidates.filter(isRecord) : [];
    const blocked = blockedPrompt(body);
    if (blocked !== undefined && candidates.length === 0) return { type: "error", status: 400, detail: blocked };
    if (candidates.length === 0) return { type: "skip" };
    return { type: "chunk", chunk: { ...head(), choices: candidates.map(choiceOf) } };
  }

  return { framer: new EndMarkingFramer(), parseEvent };
}
