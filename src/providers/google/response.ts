/**
 * Gemini's GenerateContentResponse as OpenAI's chat.completion, and the pieces streams share:
 * finish reasons, usage, log probabilities, a blocked prompt.
 */
import { randomUUID } from "node:crypto";
import type {
  ChatCompletion,
  ChatCompletionChoice,
  ChatFinishReason,
  ChatLogprobs,
  ToolCall,
} from "../../wire/chat.js";
import type { CompletionUsage } from "../../wire/completions.js";
import { BadGatewayError, ContentPolicyViolationError, type ProviderErrorDetail } from "../../wire/errors.js";
import { isRecord } from "../../wire/validate.js";
import { argumentsText } from "../openai-dialect.js";

const FINISH_REASONS: Readonly<Record<string, ChatFinishReason>> = {
  STOP: "stop",
  MAX_TOKENS: "length",
  SAFETY: "content_filter",
  RECITATION: "content_filter",
  BLOCKLIST: "content_filter",
  PROHIBITED_CONTENT: "content_filter",
  SPII: "content_filter",
  IMAGE_SAFETY: "content_filter",
};

/** OpenAI's finish_reason for a candidate's; a call made ends as tool_calls, as OpenAI's would. */
export function geminiFinishReason(reason: unknown, calledTools: boolean): ChatFinishReason {
  const mapped = (typeof reason === "string" ? FINISH_REASONS[reason] : undefined) ?? "stop";
  return mapped === "stop" && calledTools ? "tool_calls" : mapped;
}

function count(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) ? value : 0;
}

/**
 * usageMetadata as OpenAI's usage, counted as LiteLLM counts it: thought tokens are output
 * (completion_tokens = candidates + thoughts, unless the candidates count already includes
 * them), cached tokens are part of the prompt and reported beside it.
 */
export function geminiUsage(metadata: unknown): CompletionUsage | undefined {
  if (!isRecord(metadata)) return undefined;
  const prompt = count(metadata.promptTokenCount);
  const candidates = count(metadata.candidatesTokenCount);
  const thoughts = count(metadata.thoughtsTokenCount);
  const total = typeof metadata.totalTokenCount === "number" ? metadata.totalTokenCount : undefined;
  const inclusive = total !== undefined && prompt + candidates === total;
  const completion = inclusive ? candidates : candidates + thoughts;
  const usage: CompletionUsage = {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: total ?? prompt + completion,
  };
  if (typeof metadata.cachedContentTokenCount === "number") {
    usage.prompt_tokens_details = { cached_tokens: metadata.cachedContentTokenCount };
  }
  if (typeof metadata.thoughtsTokenCount === "number") {
    usage.completion_tokens_details = { reasoning_tokens: metadata.thoughtsTokenCount };
  }
  return usage;
}

function tokenBytes(token: string): number[] {
  return [...Buffer.from(token, "utf8")];
}

/** A candidate's logprobsResult as OpenAI's logprobs: each chosen token with the top candidates at its step. */
export function geminiLogprobs(result: unknown): ChatLogprobs | null {
  if (!isRecord(result) || !Array.isArray(result.chosenCandidates)) return null;
  const tops = Array.isArray(result.topCandidates) ? result.topCandidates : [];
  return {
    content: result.chosenCandidates.filter(isRecord).map((chosen, step) => {
      const token = typeof chosen.token === "string" ? chosen.token : "";
      const top = tops[step];
      const alternatives = isRecord(top) && Array.isArray(top.candidates) ? top.candidates.filter(isRecord) : [];
      return {
        token,
        logprob: count(chosen.logProbability),
        bytes: tokenBytes(token),
        top_logprobs: alternatives.map((alternative) => {
          const text = typeof alternative.token === "string" ? alternative.token : "";
          return { token: text, logprob: count(alternative.logProbability), bytes: tokenBytes(text) };
        }),
      };
    }),
    refusal: null,
  };
}

/** What a candidate's parts say: its text, its thoughts (Gemini's thinking summaries) and its calls. */
export interface CandidateParts {
  text: string | undefined;
  reasoning: string | undefined;
  calls: { id: string; name: string; arguments: string }[];
}

export function candidateParts(candidate: Record<string, unknown>): CandidateParts {
  const content = isRecord(candidate.content) ? candidate.content : {};
  let text: string | undefined;
  let reasoning: string | undefined;
  const calls: CandidateParts["calls"] = [];
  for (const part of Array.isArray(content.parts) ? content.parts : []) {
    if (!isRecord(part)) continue;
    if (typeof part.text === "string") {
      if (part.thought === true) reasoning = (reasoning ?? "") + part.text;
      else text = (text ?? "") + part.text;
    } else if (isRecord(part.functionCall)) {
      const call = part.functionCall;
      calls.push({
        // Gemini names calls only on some models; OpenAI clients match results by id.
        id: typeof call.id === "string" && call.id !== "" ? call.id : `call_${randomUUID().replaceAll("-", "")}`,
        name: String(call.name),
        arguments: argumentsText(call.args),
      });
    }
  }
  return { text, reasoning, calls };
}

/** The prompt was refused before any candidate was made: Gemini's promptFeedback.blockReason. */
export function blockedPrompt(body: Record<string, unknown>): ProviderErrorDetail | undefined {
  const feedback = isRecord(body.promptFeedback) ? body.promptFeedback : undefined;
  const reason = feedback?.blockReason;
  if (typeof reason !== "string" || reason === "") return undefined;
  const said = typeof feedback?.blockReasonMessage === "string" ? ` ${feedback.blockReasonMessage}` : "";
  return {
    message: `Gemini blocked the prompt (blockReason: ${reason}).${said}`,
    param: "messages",
    code: "content_filter",
    kind: "content_policy",
  };
}

export function chatId(body: Record<string, unknown>): string {
  return `chatcmpl-${typeof body.responseId === "string" && body.responseId !== "" ? body.responseId : randomUUID()}`;
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function choiceOf(candidate: Record<string, unknown>, position: number): ChatCompletionChoice {
  const { text, reasoning, calls } = candidateParts(candidate);
  const toolCalls: ToolCall[] = calls.map((call) => ({
    id: call.id,
    type: "function",
    function: { name: call.name, arguments: call.arguments },
  }));
  return {
    index: typeof candidate.index === "number" ? candidate.index : position,
    message: {
      role: "assistant",
      content: text ?? null,
      refusal: null,
      ...(reasoning === undefined ? {} : { reasoning_content: reasoning }),
      ...(toolCalls.length === 0 ? {} : { tool_calls: toolCalls }),
    },
    logprobs: geminiLogprobs(candidate.logprobsResult),
    finish_reason: geminiFinishReason(candidate.finishReason, toolCalls.length > 0),
  };
}

/** A parser of Gemini's answer for the adapter named `provider` (gemini, vertex_ai). */
export function generateContentParser(provider: string): (body: unknown) => ChatCompletion {
  return (body) => {
    if (!isRecord(body)) {
      const quoted = JSON.stringify(body).slice(0, 200);
      throw new BadGatewayError(`Gemini answered with something that is not a GenerateContentResponse: ${quoted}`, {
        provider,
      });
    }
    const candidates = Array.isArray(body.candidates) ? body.candidates.filter(isRecord) : [];
    const blocked = blockedPrompt(body);
    if (blocked !== undefined && candidates.length === 0) {
      throw new ContentPolicyViolationError(blocked.message, { provider, param: blocked.param, code: blocked.code });
    }
    const usage = geminiUsage(body.usageMetadata);
    return {
      id: chatId(body),
      object: "chat.completion",
      created: nowSeconds(),
      model: typeof body.modelVersion === "string" ? body.modelVersion : "",
      choices: candidates.map(choiceOf).sort((a, b) => a.index - b.index),
      ...(usage === undefined ? {} : { usage }),
    };
  };
}
