/**
 * LiteLLM's `mock_response`: a fixed answer produced without calling any provider, in
 * OpenAI's exact format, streamed too. It lets a gateway be tried, tested and health-
 * checked with no keys and no network. Its ids start with `cmpl-mock-` so nobody
 * mistakes it for a model's answer.
 */
import { randomUUID } from "node:crypto";
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionParams } from "../wire/chat.js";
import type {
  TextCompletion,
  TextCompletionChoice,
  TextCompletionChunk,
  TextCompletionParams,
} from "../wire/completions.js";
import { type CompletionStream, localStream, type StreamUsage } from "./stream.js";
import { promptList } from "./usage.js";

function choicesFor(params: TextCompletionParams, text: string): TextCompletionChoice[] {
  const n = params.n ?? 1;
  const prompts = promptList(params.prompt);
  const choices: TextCompletionChoice[] = [];
  prompts.forEach((prompt, p) => {
    const echoed = params.echo === true && typeof prompt === "string" ? prompt + text : text;
    for (let j = 0; j < n; j++) choices.push({ text: echoed, index: p * n + j, logprobs: null, finish_reason: "stop" });
  });
  return choices;
}

/** The answer without usage: the call's ledger counts it, as for any provider that reports none. */
export function mockCompletion(params: TextCompletionParams, text: string): TextCompletion {
  return {
    id: `cmpl-mock-${randomUUID()}`,
    object: "text_completion",
    created: Math.floor(Date.now() / 1000),
    model: params.model,
    choices: choicesFor(params, text),
  };
}

/** Splits text into word-sized pieces (each with its leading space), as a model would stream it. */
function pieces(text: string): string[] {
  return text.match(/\s*\S+|\s+$/g) ?? [text];
}

export function mockStream(
  params: TextCompletionParams,
  text: string,
  usage: StreamUsage<TextCompletionChunk>,
): CompletionStream<TextCompletionChunk> {
  const id = `cmpl-mock-${randomUUID()}`;
  const created = Math.floor(Date.now() / 1000);
  const chunk = (choices: TextCompletionChunk["choices"]): TextCompletionChunk => ({
    id,
    object: "text_completion",
    created,
    model: params.model,
    choices,
  });
  async function* generate(): AsyncGenerator<TextCompletionChunk, void> {
    const choices = choicesFor(params, text);
    for (const choice of choices) {
      const parts = pieces(choice.text);
      for (let i = 0; i < parts.length; i++) {
        const last = i === parts.length - 1;
        yield chunk([
          { text: parts[i] as string, index: choice.index, logprobs: null, finish_reason: last ? "stop" : null },
        ]);
      }
    }
  }
  return localStream(generate(), usage);
}

/** mock_response for chat: one assistant message per choice, streamed word by word too. */
export function mockChat(params: ChatCompletionParams, text: string): ChatCompletion {
  const n = params.n ?? 1;
  return {
    id: `chatcmpl-mock-${randomUUID()}`,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: params.model,
    choices: Array.from({ length: n }, (_, index) => ({
      index,
      message: { role: "assistant" as const, content: text, refusal: null },
      logprobs: null,
      finish_reason: "stop" as const,
    })),
  };
}

export function mockChatStream(
  params: ChatCompletionParams,
  text: string,
  usage: StreamUsage<ChatCompletionChunk>,
): CompletionStream<ChatCompletionChunk> {
  const id = `chatcmpl-mock-${randomUUID()}`;
  const created = Math.floor(Date.now() / 1000);
  const chunk = (
    index: number,
    delta: ChatCompletionChunk["choices"][number]["delta"],
    finish: "stop" | null,
  ): ChatCompletionChunk => ({
    id,
    object: "chat.completion.chunk",
    created,
    model: params.model,
    choices: [{ index, delta, logprobs: null, finish_reason: finish }],
  });
  async function* generate(): AsyncGenerator<ChatCompletionChunk, void> {
    for (let index = 0; index < (params.n ?? 1); index++) {
      yield chunk(index, { role: "assistant", content: "" }, null);
      for (const part of pieces(text)) yield chunk(index, { content: part }, null);
      yield chunk(index, {}, "stop");
    }
  }
  return localStream(generate(), usage);
}
