/**
 * Codestral fill-in-the-middle, both ways: `POST /v1/fim/completions` takes one string
 * prompt and a suffix and answers in chat-completion shape (`choices[].message.content`,
 * streamed as `delta.content`). Answers are rebuilt as OpenAI text completions, so
 * nothing is forwarded raw.
 */
import type { SseEvent } from "../../http/sse.js";
import type {
  FinishReason,
  TextCompletion,
  TextCompletionChunk,
  TextCompletionChunkChoice,
  TextCompletionParams,
} from "../../wire/completions.js";
import { isRecord } from "../../wire/validate.js";
import { COMPLETION_PARAMS } from "../openai-dialect.js";
import { singleTextPrompt } from "../prompt.js";
import type { StreamEvent, Target } from "../types.js";
import { failedAnswer, finishedWithError } from "./errors.js";
import { choicesOf, envelope, mistralContent, mistralFinishReason } from "./response.js";
import { mistralStreamPayload } from "./stream.js";

export const FIM_PROVIDER = "text-completion-codestral";

/** OpenAI's default, sent because Codestral's own is "until the context is full". */
const DEFAULT_MAX_TOKENS = 16;

/** The FIM body: OpenAI's completion params renamed, Codestral's own passed through. */
export function fimBody(params: TextCompletionParams, target: Target): Record<string, unknown> {
  const body: Record<string, unknown> = {
    model: target.model,
    prompt: singleTextPrompt(params, FIM_PROVIDER, target.model),
  };
  if (params.suffix != null) body.suffix = params.suffix;
  body.max_tokens = params.max_tokens ?? DEFAULT_MAX_TOKENS;
  if (params.temperature != null) body.temperature = params.temperature;
  if (params.top_p != null) body.top_p = params.top_p;
  if (params.stop != null) body.stop = params.stop;
  if (params.stream != null) body.stream = params.stream;
  if (params.seed != null) body.random_seed = params.seed;
  // Codestral's own params (min_tokens, metadata, …) pass through; OpenAI params it
  // lacks were refused or dropped before this point and are never sent.
  for (const key of Object.keys(params)) {
    if (key === "model" || key === "prompt" || COMPLETION_PARAMS.has(key) || params[key] == null) continue;
    body[key] = params[key];
  }
  return body;
}

function textFinish(reason: unknown): FinishReason | "error" | null {
  const finish = mistralFinishReason(reason);
  // A FIM answer that ends in a tool call is still text that stopped.
  if (finish === "tool_calls" || finish === "function_call") return "stop";
  return finish;
}

/** Mistral's answer id, with the prefix OpenAI's text completion ids have. */
function completionId(id: string): string {
  return id.startsWith("cmpl-") ? id : `cmpl-${id}`;
}

function textCompletion<C>(record: Record<string, unknown>, choices: C[]) {
  const result = envelope(record, "text_completion", choices);
  return { ...result, id: completionId(result.id) };
}

export function parseFim(body: unknown): TextCompletion {
  const record = isRecord(body) ? body : {};
  const choices = choicesOf(record).map(({ choice, index }) => {
    const finish = textFinish(choice.finish_reason);
    if (finish === "error") throw failedAnswer("Codestral", FIM_PROVIDER, record);
    const message = isRecord(choice.message) ? choice.message : {};
    return {
      text: mistralContent(message.content).text ?? "",
      index,
      logprobs: null,
      finish_reason: finish ?? "stop",
    };
  });
  return textCompletion(record, choices);
}

/** One SSE event of a FIM stream, as a text completion chunk. */
export function parseFimEvent(event: SseEvent): StreamEvent {
  const parsed = mistralStreamPayload(event);
  if (!("json" in parsed)) return parsed;
  const choices: TextCompletionChunkChoice[] = [];
  for (const { choice, index } of choicesOf(parsed.json)) {
    const finish = textFinish(choice.finish_reason);
    if (finish === "error") return { type: "error", status: 502, detail: finishedWithError("Codestral") };
    const delta = isRecord(choice.delta) ? choice.delta : {};
    choices.push({ text: mistralContent(delta.content).text ?? "", index, logprobs: null, finish_reason: finish });
  }
  const chunk: TextCompletionChunk = textCompletion(parsed.json, choices);
  // The first event only announces the assistant role: a text completion has nothing to show for it.
  const empty = choices.every((choice) => choice.text === "" && choice.finish_reason === null);
  if (chunk.usage === undefined && empty) return { type: "skip" };
  return { type: "chunk", chunk };
}
