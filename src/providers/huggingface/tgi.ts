/**
 * Text Generation Inference's native `/generate` and `/generate_stream` for text completions:
 * OpenAI's params in TGI's `parameters` (request), `generated_text` and `details` back as a
 * text_completion with logprobs rebuilt from the token details (response, stream). TGI
 * samples only with `do_sample`, so OpenAI's default (sampling at temperature 1) is made explicit.
 */
import { randomUUID } from "node:crypto";
import { SseParser, type SseEvent } from "../../http/sse.js";
import type {
  FinishReason,
  Logprobs,
  TextCompletion,
  TextCompletionChunk,
  TextCompletionParams,
} from "../../wire/completions.js";
import { BadGatewayError, BadRequestError, type ProviderErrorDetail } from "../../wire/errors.js";
import { isRecord } from "../../wire/validate.js";
import { openAIErrorDetail } from "../openai-dialect.js";
import { eventJson } from "../stream-json.js";
import type { StreamEvent, Target, TextStreamReader } from "../types.js";

export const PROVIDER = "huggingface";

/** OpenAI's default max_tokens for completions (TGI's own is larger). */
const OPENAI_DEFAULT_MAX_TOKENS = 16;
/** TGI refuses more stop sequences than this (its default --max-stop-sequences). */
const TGI_MAX_STOP = 4;

function invalidValue(message: string, param: string, target: Target): BadRequestError {
  return new BadRequestError(message, { provider: PROVIDER, model: target.model, param, code: "invalid_value" });
}

function present<T>(value: T | null | undefined): value is T {
  return value !== null && value !== undefined;
}

/** The `{inputs, parameters}` body of one call (one prompt, one choice: the caller fans out). */
export function generateBody(params: TextCompletionParams, target: Target): Record<string, unknown> {
  if (typeof params.prompt !== "string") {
    throw invalidValue("TGI takes one text prompt per call.", "prompt", target);
  }
  const parameters: Record<string, unknown> = {
    // Always asked for: the finish reason and token counts are only in the details.
    details: true,
    max_new_tokens: params.max_tokens ?? OPENAI_DEFAULT_MAX_TOKENS,
  };
  const greedy = params.temperature === 0 || params.top_p === 0;
  parameters.do_sample = !greedy;
  // TGI takes temperature > 0 and top_p strictly inside (0, 1); 0 means greedy, 1 means no cut.
  if (present(params.temperature) && params.temperature > 0) parameters.temperature = params.temperature;
  if (present(params.top_p) && params.top_p > 0 && params.top_p < 1) parameters.top_p = params.top_p;
  if (present(params.stop)) {
    const stops = typeof params.stop === "string" ? [params.stop] : params.stop;
    if (stops.length > TGI_MAX_STOP) {
      throw invalidValue(`TGI takes at most ${TGI_MAX_STOP} stop sequences (got ${stops.length}).`, "stop", target);
    }
    if (stops.length > 0) parameters.stop = stops;
  }
  if (present(params.seed)) parameters.seed = params.seed;
  if (present(params.frequency_penalty)) parameters.frequency_penalty = params.frequency_penalty;
  if (present(params.logprobs) && params.logprobs > 0) parameters.top_n_tokens = params.logprobs;
  if (params.echo === true) {
    if (params.stream === true) {
      // /generate_stream sends generated tokens only; it has no return_full_text.
      if (!target.dropParams) {
        throw invalidValue(
          "TGI cannot echo the prompt in a stream. Drop echo, stream without it, or set drop_params: true.",
          "echo",
          target,
        );
      }
    } else {
      parameters.return_full_text = true;
      // The prompt's own log-probabilities, which echo with logprobs shows.
      if (present(params.logprobs)) parameters.decoder_input_details = true;
    }
  }
  return { inputs: params.prompt, parameters };
}

/** OpenAI's finish_reason for TGI's: length, eos_token, stop_sequence. */
function finishReason(reason: unknown): FinishReason {
  return reason === "length" ? "length" : "stop";
}

interface TgiToken {
  text: string;
  logprob: number | null;
  special: boolean;
}

function tokenOf(value: unknown): TgiToken | undefined {
  if (!isRecord(value) || typeof value.text !== "string") return undefined;
  return {
    text: value.text,
    // The first prompt token has no log-probability (null, or NaN serialised as null).
    logprob: typeof value.logprob === "number" && Number.isFinite(value.logprob) ? value.logprob : null,
    special: value.special === true,
  };
}

function topOf(value: unknown): Record<string, number> | null {
  if (!Array.isArray(value)) return null;
  const top: Record<string, number> = {};
  for (const item of value) {
    const token = tokenOf(item);
    if (token !== undefined && token.logprob !== null) top[token.text] = token.logprob;
  }
  return top;
}

/**
 * OpenAI's four logprob arrays for tokens as TGI reports them; special tokens (the end of
 * sequence) are left out, as they are from the text. Offsets count from `offset`.
 */
function logprobsOf(tokens: readonly unknown[], tops: readonly unknown[] | undefined, offset: number): Logprobs {
  const logprobs: Logprobs = { tokens: [], token_logprobs: [], top_logprobs: [], text_offset: [] };
  let at = offset;
  tokens.forEach((value, i) => {
    const token = tokenOf(value);
    if (token === undefined || token.special) return;
    logprobs.tokens.push(token.text);
    logprobs.token_logprobs.push(token.logprob);
    logprobs.top_logprobs.push(tops === undefined ? null : topOf(tops[i]));
    logprobs.text_offset.push(at);
    at += token.text.length;
  });
  return logprobs;
}

function completionId(): string {
  return `cmpl-${randomUUID().replaceAll("-", "")}`;
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/**
 * `/generate`'s answer (an object; some deployments wrap it in a list). Logprobs are there
 * when top_n_tokens was asked (logprobs) or the prompt's were (prefill). TGI reports no
 * prompt token count outside streams unless the prefill is returned; without it usage is
 * left to litegate's count.
 */
export function parseGenerate(body: unknown, model: string): TextCompletion {
  const answer = Array.isArray(body) ? body[0] : body;
  if (!isRecord(answer) || typeof answer.generated_text !== "string") {
    const quoted = JSON.stringify(body).slice(0, 200);
    throw new BadGatewayError(`TGI answered with something that is not a generation: ${quoted}`, {
      provider: PROVIDER,
    });
  }
  const details = isRecord(answer.details) ? answer.details : {};
  const prefill = Array.isArray(details.prefill) ? details.prefill : [];
  const tokens = Array.isArray(details.tokens) ? details.tokens : [];
  const tops = Array.isArray(details.top_tokens) ? details.top_tokens : undefined;
  let logprobs: Logprobs | null = null;
  if (tops !== undefined || prefill.length > 0) {
    const prompt = logprobsOf(prefill, undefined, 0);
    const generated = logprobsOf(
      tokens,
      tops,
      prompt.tokens.reduce((sum, token) => sum + token.length, 0),
    );
    logprobs = {
      tokens: [...prompt.tokens, ...generated.tokens],
      token_logprobs: [...prompt.token_logprobs, ...generated.token_logprobs],
      top_logprobs: [...prompt.top_logprobs, ...generated.top_logprobs],
      text_offset: [...prompt.text_offset, ...generated.text_offset],
    };
  }
  const completion: TextCompletion = {
    id: completionId(),
    object: "text_completion",
    created: nowSeconds(),
    model,
    choices: [{ text: answer.generated_text, index: 0, logprobs, finish_reason: finishReason(details.finish_reason) }],
  };
  const generatedTokens = details.generated_tokens;
  if (prefill.length > 0 && typeof generatedTokens === "number") {
    completion.usage = {
      prompt_tokens: prefill.length,
      completion_tokens: generatedTokens,
      total_tokens: prefill.length + generatedTokens,
    };
  }
  return completion;
}

/**
 * `/generate_stream`: one SSE event per token, the last with `details` (finish reason, token
 * counts) and no `[DONE]`. Logprobs are sent per token when top_n_tokens was asked.
 */
export function generateStream(model: string): TextStreamReader {
  const id = completionId();
  const created = nowSeconds();
  let offset = 0;
  return {
    framer: new SseParser(),
    parseEvent(event: SseEvent): StreamEvent<TextCompletionChunk> {
      const parsed = eventJson(event.data, "TGI");
      if (!("json" in parsed)) return parsed;
      const payload = isRecord(parsed.json) ? parsed.json : {};
      if (payload.error !== undefined && payload.error !== null) {
        const detail = tgiErrorDetail(payload);
        return { type: "error", status: detail.status ?? 500, detail };
      }
      const token = tokenOf(payload.token);
      const details = isRecord(payload.details) ? payload.details : undefined;
      if (token === undefined && details === undefined) return { type: "skip" };
      const shown = token === undefined || token.special ? "" : token.text;
      if (shown === "" && details === undefined) return { type: "skip" };
      let logprobs: Logprobs | null = null;
      if (Array.isArray(payload.top_tokens) && shown !== "") {
        logprobs = logprobsOf([payload.token], [payload.top_tokens], offset);
      }
      offset += shown.length;
      const chunk: TextCompletionChunk = {
        id,
        object: "text_completion",
        created,
        model,
        choices: [
          {
            text: shown,
            index: 0,
            logprobs,
            finish_reason: details === undefined ? null : finishReason(details.finish_reason),
          },
        ],
      };
      if (
        details !== undefined &&
        typeof details.input_length === "number" &&
        typeof details.generated_tokens === "number"
      ) {
        const prompt = details.input_length;
        chunk.usage = {
          prompt_tokens: prompt,
          completion_tokens: details.generated_tokens,
          total_tokens: prompt + details.generated_tokens,
        };
      }
      return { type: "chunk", chunk };
    },
  };
}

/** TGI's error types and what they mean: a refused request, a failed or cut generation, an overloaded server. */
const STATUS_BY_ERROR_TYPE: Readonly<Record<string, number>> = {
  validation: 400,
  generation: 500,
  incomplete_generation: 500,
  overloaded: 429,
};

/** TGI's `{"error": "...", "error_type": "validation"}`; its 422 for bad input reads as OpenAI's 400. */
export function tgiErrorDetail(body: unknown): ProviderErrorDetail {
  const detail = openAIErrorDetail(body);
  const type = isRecord(body) && typeof body.error_type === "string" ? body.error_type : undefined;
  if (type !== undefined) {
    detail.type = type;
    const status = STATUS_BY_ERROR_TYPE[type];
    if (status !== undefined) detail.status = status;
  }
  return detail;
}
