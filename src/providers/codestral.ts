/**
 * Codestral fill-in-the-middle (`text-completion-codestral/M`, `codestral/M`): Mistral's
 * `POST /v1/fim/completions`, which takes one string prompt and a suffix and answers in
 * chat-completion shape (`choices[].message.content`, streamed as `delta.content`).
 * Answers are rebuilt as OpenAI text completions, so nothing is forwarded raw.
 */
import type { SseEvent } from "../http/sse.js";
import type { UpstreamRequest } from "../http/transport.js";
import type { FinishReason, TextCompletion, TextCompletionChoice, TextCompletionChunk, TextCompletionChunkChoice, TextCompletionParams } from "../wire/completions.js";
import { AuthenticationError, BadGatewayError } from "../wire/errors.js";
import {
  finishedWithError,
  mistralContent,
  mistralErrorDetail,
  mistralFinishReason,
  mistralRequestId,
  mistralStreamPayload,
  mistralUsage,
} from "./mistral.js";
import { isRecord } from "../wire/validate.js";
import { bearerHeaders, firstSet } from "./connection.js";
import { COMPLETION_PARAMS } from "./openai-dialect.js";
import { singleTextPrompt } from "./prompt.js";
import type { StreamEvent, Target, TextCompletionAdapter } from "./types.js";

const CODESTRAL_API_BASE = "https://codestral.mistral.ai";
const PROVIDER = "text-completion-codestral";

/** OpenAI's default, sent because Codestral's own is "until the context is full". */
const DEFAULT_MAX_TOKENS = 16;

/** The OpenAI completion params FIM takes (`seed` is sent as `random_seed`). */
export const CODESTRAL_PARAMS: ReadonlySet<string> = new Set([
  "max_tokens",
  "seed",
  "stop",
  "stream",
  "stream_options",
  "suffix",
  "temperature",
  "top_p",
]);

/**
 * The FIM endpoint under a base URL. Accepts the bare host (`https://codestral.mistral.ai`),
 * a `/v1` base like Mistral's own `https://api.mistral.ai/v1`, or the full endpoint URL.
 */
export function fimUrl(base: string): string {
  const trimmed = base.replace(/\/+$/, "");
  if (trimmed.endsWith("/fim/completions")) return trimmed;
  if (trimmed.endsWith("/v1")) return `${trimmed}/fim/completions`;
  return `${trimmed}/v1/fim/completions`;
}


function textFinish(reason: unknown): FinishReason | "error" | null {
  const finish = mistralFinishReason(reason);
  // A FIM answer that ends in a tool call is still text that stopped.
  if (finish === "tool_calls" || finish === "function_call") return "stop";
  return finish;
}

function completionId(id: unknown): string {
  const text = typeof id === "string" ? id : "";
  return text.startsWith("cmpl-") ? text : `cmpl-${text}`;
}

function created(value: unknown): number {
  return typeof value === "number" ? value : Math.floor(Date.now() / 1000);
}

export const codestralFim: TextCompletionAdapter = {
  provider: PROVIDER,
  singlePrompt: true,
  supportedParams: CODESTRAL_PARAMS,

  buildRequest(params: TextCompletionParams, target: Target): UpstreamRequest {
    const apiKey = firstSet(target.options.api_key, target.env.CODESTRAL_API_KEY);
    if (apiKey === undefined) {
      throw new AuthenticationError("No Codestral API key: set the CODESTRAL_API_KEY environment variable or pass api_key.", {
        provider: this.provider,
        model: target.model,
        param: "api_key",
        code: "missing_api_key",
      });
    }
    const base = firstSet(target.options.api_base, target.env.CODESTRAL_API_BASE) ?? CODESTRAL_API_BASE;
    const body: Record<string, unknown> = { model: target.model, prompt: singleTextPrompt(params, this.provider, target.model) };
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
    return { method: "POST", url: fimUrl(base), headers: bearerHeaders(apiKey, target), body: JSON.stringify(body) };
  },

  parseResponse(body: unknown): TextCompletion {
    const record = isRecord(body) ? body : {};
    const choices: TextCompletionChoice[] = (Array.isArray(record.choices) ? record.choices : []).filter(isRecord).map((choice, position) => {
      const finish = textFinish(choice.finish_reason);
      if (finish === "error") {
        throw new BadGatewayError(finishedWithError("Codestral").message, { provider: PROVIDER, model: String(record.model ?? "") });
      }
      const message = isRecord(choice.message) ? choice.message : {};
      return {
        text: mistralContent(message.content).text ?? "",
        index: typeof choice.index === "number" ? choice.index : position,
        logprobs: null,
        finish_reason: finish ?? "stop",
      };
    });
    const completion: TextCompletion = {
      id: completionId(record.id),
      object: "text_completion",
      created: created(record.created),
      model: typeof record.model === "string" ? record.model : "",
      choices,
    };
    const usage = mistralUsage(record.usage);
    if (usage !== undefined) completion.usage = usage;
    return completion;
  },

  parseStreamEvent(event: SseEvent): StreamEvent {
    const parsed = mistralStreamPayload(event);
    if ("end" in parsed) return parsed.end;
    const payload = parsed.payload;
    const choices: TextCompletionChunkChoice[] = [];
    for (const [position, choice] of (Array.isArray(payload.choices) ? payload.choices : []).filter(isRecord).entries()) {
      const finish = textFinish(choice.finish_reason);
      if (finish === "error") return { type: "error", status: 502, detail: finishedWithError("Codestral") };
      const delta = isRecord(choice.delta) ? choice.delta : {};
      choices.push({
        text: mistralContent(delta.content).text ?? "",
        index: typeof choice.index === "number" ? choice.index : position,
        logprobs: null,
        finish_reason: finish,
      });
    }
    const usage = mistralUsage(payload.usage);
    // The first event only announces the assistant role: a text completion has nothing to show for it.
    if (usage === undefined && choices.every((choice) => choice.text === "" && choice.finish_reason === null)) return { type: "skip" };
    const chunk: TextCompletionChunk = {
      id: completionId(payload.id),
      object: "text_completion",
      created: created(payload.created),
      model: typeof payload.model === "string" ? payload.model : "",
      choices,
    };
    if (usage !== undefined) chunk.usage = usage;
    return { type: "chunk", chunk };
  },

  parseError: mistralErrorDetail,
  requestId: mistralRequestId,
};
