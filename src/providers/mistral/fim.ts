/**
 * Codestral fill-in-the-middle (`text-completion-codestral/M`, `codestral/M`): Mistral's
 * `POST /v1/fim/completions`, which takes one string prompt and a suffix and answers in
 * chat-completion shape (`choices[].message.content`, streamed as `delta.content`).
 * Answers are rebuilt as OpenAI text completions, so nothing is forwarded raw.
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
import type { StreamEvent, Target, TextCompletionAdapter } from "../types.js";
import { failedAnswer, finishedWithError, mistralErrorDetail, mistralRequestId } from "./errors.js";
import { CODESTRAL, mistralRequest } from "./index.js";
import { choicesOf, envelope, mistralContent, mistralFinishReason } from "./response.js";
import { mistralStreamPayload } from "./stream.js";

const PROVIDER = "text-completion-codestral";

/** OpenAI's default, sent because Codestral's own is "until the context is full". */
const DEFAULT_MAX_TOKENS = 16;

/** The OpenAI completion params FIM takes (`seed` is sent as `random_seed`). */
// biome-ignore format: a table, read across
const CODESTRAL_PARAMS: ReadonlySet<string> = new Set([
  "max_tokens", "seed", "stop", "stream", "stream_options", "suffix", "temperature", "top_p",
]);

function fimBody(params: TextCompletionParams, target: Target): Record<string, unknown> {
  const body: Record<string, unknown> = {
    model: target.model,
    prompt: singleTextPrompt(params, PROVIDER, target.model),
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

export const codestralFim: TextCompletionAdapter = {
  provider: PROVIDER,
  singlePrompt: true,
  supportedParams: CODESTRAL_PARAMS,

  buildRequest: (params: TextCompletionParams, target: Target) =>
    mistralRequest(CODESTRAL, PROVIDER, "/fim/completions", fimBody(params, target), target),

  parseResponse(body: unknown): TextCompletion {
    const record = isRecord(body) ? body : {};
    const choices = choicesOf(record).map(({ choice, index }) => {
      const finish = textFinish(choice.finish_reason);
      if (finish === "error") throw failedAnswer("Codestral", PROVIDER, record);
      const message = isRecord(choice.message) ? choice.message : {};
      return {
        text: mistralContent(message.content).text ?? "",
        index,
        logprobs: null,
        finish_reason: finish ?? "stop",
      };
    });
    return textCompletion(record, choices);
  },

  parseStreamEvent(event: SseEvent): StreamEvent {
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
  },

  parseError: mistralErrorDetail,
  requestId: mistralRequestId,
};
