/**
 * `textCompletion()`: one OpenAI text completion end to end — validate, pick the
 * provider, build the upstream request(s), send them (with retries), and return
 * OpenAI's answer or stream. Three ways to a provider: its native `/completions` in
 * one call; a one-prompt native endpoint (FIM, Ollama) once per prompt and choice; or
 * its chat endpoint through src/translate.
 */
import { Cancellation } from "../http/cancel.js";
import { COMPLETION_PARAMS } from "../providers/openai-dialect.js";
import { resolveModel } from "../providers/registry.js";
import type { ChatAdapter, Target, TextCompletionAdapter } from "../providers/types.js";
import { ChatToTextStream, textFromChat } from "../translate/chat-to-text.js";
import {
  addUsage,
  FAN_OUT_CONCURRENCY,
  mapBounded,
  mergeAnswers,
  mergeStreams,
  planCalls,
  type SubCall,
  type SubStream,
} from "../translate/fan-out.js";
import { chatParamsFor, stringPrompts, textParamsVia } from "../translate/text-to-chat.js";
import type { ChatCompletionChunk } from "../wire/chat.js";
import type {
  CompletionUsage,
  TextCompletion,
  TextCompletionChunk,
  TextCompletionParams,
} from "../wire/completions.js";
import { BadRequestError, UnsupportedParamsError } from "../wire/errors.js";
import { validateTextCompletion } from "../wire/validate.js";
import { attemptOnce, attemptStream, withRetries } from "./attempt.js";
import { cachedCall } from "./cached-call.js";
import { mockCompletion, mockStream } from "./mock-response.js";
import { type CallOptions, DEFAULT_TIMEOUT_SECONDS, splitRequest, type TextCompletionRequest } from "./options.js";
import { fitParams } from "./params.js";
import { CHAT_COMPLETION, CHAT_COMPLETION_CHUNK, type Shape, TEXT_COMPLETION, TEXT_COMPLETION_CHUNK } from "./shape.js";
import { type CompletionStream, localStream, type StreamSpec } from "./stream.js";
import type { PreparedCall } from "./upstream.js";
import { promptList, textBasis } from "./usage.js";
import { SseParser } from "../http/sse.js";
import {
  answerWithUsage,
  beginUsage,
  type CallUsage,
  callUsage,
  streamUsage,
  withProviderUsage,
} from "./call-usage.js";

/** A streamed text completion: `for await (const chunk of stream)`. */
export type TextCompletionStream = CompletionStream<TextCompletionChunk>;

export function textCompletion(request: TextCompletionRequest & { stream: true }): Promise<TextCompletionStream>;
export function textCompletion(request: TextCompletionRequest & { stream?: false | null }): Promise<TextCompletion>;
export function textCompletion(request: TextCompletionRequest): Promise<TextCompletion | TextCompletionStream>;
export async function textCompletion(request: TextCompletionRequest): Promise<TextCompletion | TextCompletionStream> {
  const { params, options, litellm } = splitRequest(request);
  const valid = validateTextCompletion(params);
  return cachedCall("text_completion", valid, options, litellm, (call) => runTextCompletion(valid, call));
}

/** What every path needs besides the params. */
interface Run {
  options: CallOptions;
  target: Target;
  /** The upstream model name. */
  model: string;
  usage: CallUsage;
}

/** textCompletion() for params already split from their options and validated (the Router's way in). */
export async function runTextCompletion(
  request: TextCompletionParams,
  options: CallOptions,
): Promise<TextCompletion | TextCompletionStream> {
  const usage = callUsage(request, options);
  const basis = (model: string) =>
    textBasis({ model, prompt: request.prompt, n: request.n ?? 1, echo: request.echo === true });
  if (options.mock_response !== undefined) {
    beginUsage(usage, basis(request.model));
    if (request.stream === true)
      return mockStream(request, options.mock_response, streamUsage(usage, "text_completion", request.model));
    return answerWithUsage(mockCompletion(request, options.mock_response), usage.ledger);
  }
  const resolved = resolveModel(request.model);
  const dropParams = options.drop_params === true;
  const run: Run = {
    options,
    model: resolved.model,
    target: { model: resolved.model, options, env: process.env, dropParams },
    usage,
  };
  beginUsage(usage, basis(resolved.model));
  const params = withProviderUsage(request, usage);
  if (resolved.text !== undefined && resolved.text.singlePrompt !== true) return native(resolved.text, params, run);
  if (resolved.text !== undefined) return onePromptAtATime(resolved.text, params, run);
  if (resolved.chat !== undefined) return viaChat(resolved.chat, params, run);
  throw new BadRequestError(`Model '${request.model}': ${resolved.provider} serves no text or chat completions.`, {
    param: "model",
  });
}

function prepare(
  adapter: PreparedCall["adapter"],
  request: PreparedCall["request"],
  params: TextCompletionParams,
  options: CallOptions,
): PreparedCall {
  return {
    adapter,
    model: params.model,
    request,
    timeoutMs: (options.timeout ?? DEFAULT_TIMEOUT_SECONDS) * 1000,
    signal: options.signal,
    remaining: options.remaining,
  };
}

function retried<T>(run: Run, attempt: () => Promise<T>): Promise<T> {
  return withRetries(attempt, run.options.num_retries ?? 0, run.options.signal);
}

function fit(
  params: TextCompletionParams,
  supported: ReadonlySet<string>,
  run: Run,
  provider: string,
): TextCompletionParams {
  return fitParams(
    params,
    COMPLETION_PARAMS,
    supported,
    { dropParams: run.target.dropParams, additionalDropParams: run.options.additional_drop_params },
    provider,
  );
}

/** How a text stream is read from a provider's own completions endpoint. */
function textStreamSpec(
  adapter: TextCompletionAdapter,
  expectedChoices: number,
  usage: CallUsage | undefined,
  model: string,
): StreamSpec<TextCompletionChunk> {
  const reader = adapter.textStream?.(model) ?? {
    framer: new SseParser(),
    parseEvent: (event) => adapter.parseStreamEvent(event),
  };
  return {
    framer: reader.framer,
    parseEvent: (event) => reader.parseEvent(event),
    shape: TEXT_COMPLETION_CHUNK,
    expectedChoices,
    usage: usage === undefined ? undefined : streamUsage(usage, "text_completion", model),
  };
}

/** The provider's own `/completions`: one call, answered in OpenAI's format already. */
function native(
  adapter: TextCompletionAdapter,
  params: TextCompletionParams,
  run: Run,
): Promise<TextCompletion | TextCompletionStream> {
  const wire = fit(params, adapter.supportedParams, run, adapter.provider);
  const call = prepare(adapter, adapter.buildRequest(wire, run.target), params, run.options);
  if (params.stream === true) {
    const expected = promptList(params.prompt).length * (params.n ?? 1);
    return retried(run, () => attemptStream(call, () => textStreamSpec(adapter, expected, run.usage, run.model)));
  }
  return retried(run, () => attemptOnce(call, (body) => adapter.parseResponse(body, run.model), TEXT_COMPLETION)).then(
    (answer) => answerWithUsage(answer, run.usage.ledger),
  );
}

/**
 * How one fanned-out call is sent: its request, how the adapter reads its answer (`A`, of
 * `shape`) and how that reads as text; its stream likewise, from the adapter's chunks (`K`).
 */
interface FanOut<A, K> {
  calls: SubCall[];
  n: number;
  prepare(call: SubCall): PreparedCall;
  parse(body: unknown): A;
  shape: Shape;
  toText(call: SubCall, answer: A): TextCompletion;
  stream(call: SubCall): StreamSpec<TextCompletionChunk, K>;
}

/**
 * Sends every call of a fan-out and merges the answers or streams. The calls share one
 * cancellation, fired by the caller's signal or by the first failure, so no sibling
 * call is left running (and billed) after the request has failed.
 */
async function fanOut<A, K>(
  plan: FanOut<A, K>,
  params: TextCompletionParams,
  outer: Run,
): Promise<TextCompletion | TextCompletionStream> {
  const cancellation = new Cancellation();
  const onAbort = () => cancellation.abort();
  outer.options.signal?.addEventListener("abort", onAbort, { once: true });
  const release = () => outer.options.signal?.removeEventListener("abort", onAbort);
  const run: Run = { ...outer, options: { ...outer.options, signal: cancellation } };
  const prepare = (call: SubCall): PreparedCall => ({ ...plan.prepare(call), signal: cancellation });
  let streams: SubStream[];
  try {
    if (params.stream !== true) {
      const answers = await mapBounded(plan.calls, FAN_OUT_CONCURRENCY, (call) => {
        const prepared = prepare(call);
        return retried(run, () =>
          attemptOnce(
            prepared,
            (body) => plan.parse(body),
            plan.shape,
            (answer) => plan.toText(call, answer),
          ),
        );
      });
      release();
      return await answerWithUsage(mergeAnswers(plan.calls, answers, plan.n), run.usage.ledger);
    }
    streams = await mapBounded(plan.calls, FAN_OUT_CONCURRENCY, async (call) => {
      const prepared = prepare(call);
      const stream = await retried(run, () => attemptStream(prepared, () => plan.stream(call)));
      return { call, chunks: stream[Symbol.asyncIterator]() };
    });
  } catch (error) {
    cancellation.abort();
    release();
    throw error;
  }
  const reported: CompletionUsage[] = [];
  const merged = mergeStreams(
    streams,
    plan.n,
    (usage) => reported.push(usage),
    () => {
      cancellation.abort();
      release();
    },
  );
  const { ledger } = run.usage;
  async function* withReportedUsage(): AsyncGenerator<TextCompletionChunk, void> {
    yield* merged;
    // Every call's usage summed when each reported it; otherwise the ledger counts.
    if (reported.length === plan.calls.length)
      ledger.report(reported.reduce<CompletionUsage | undefined>(addUsage, undefined) as CompletionUsage);
    release();
  }
  const stream = localStream(withReportedUsage(), streamUsage(run.usage, "text_completion", run.model));
  // However the merged stream ends (even closed before its first read), no call stays open.
  stream.onEnd(() => {
    cancellation.abort();
    release();
  });
  return stream;
}

/** A native endpoint that takes one prompt and makes one choice per call. */
function onePromptAtATime(
  adapter: TextCompletionAdapter,
  params: TextCompletionParams,
  run: Run,
): Promise<TextCompletion | TextCompletionStream> {
  const prompts = stringPrompts(params.prompt, adapter.provider);
  // `n` is made here, one call per choice, whatever the endpoint takes.
  const wire = fit(params, new Set([...adapter.supportedParams, "n"]), run, adapter.provider);
  const n = wire.n ?? 1;
  const single = { ...wire };
  delete single.n;
  return fanOut(
    {
      calls: planCalls(prompts, n, false),
      n,
      prepare: (call) =>
        prepare(adapter, adapter.buildRequest({ ...single, prompt: call.prompt }, run.target), params, run.options),
      parse: (body) => adapter.parseResponse(body, run.model),
      shape: TEXT_COMPLETION,
      toText: (_call, answer) => answer,
      stream: () => textStreamSpec(adapter, 1, undefined, run.model),
    },
    params,
    run,
  );
}

/** A chat-only provider: each prompt a conversation of its own, answers turned back into text. */
function viaChat(
  adapter: ChatAdapter,
  params: TextCompletionParams,
  run: Run,
): Promise<TextCompletion | TextCompletionStream> {
  const prompts = stringPrompts(params.prompt, adapter.provider);
  let wire = fit(params, textParamsVia(adapter), run, adapter.provider);
  if (wire.echo === true && wire.logprobs != null) {
    // Chat models give no log-probabilities for the prompt, which echo + logprobs asks for.
    if (!run.target.dropParams) {
      throw new UnsupportedParamsError(
        `${adapter.provider} cannot return logprobs with echo (chat models give no log-probabilities for the prompt). Remove one, or set drop_params: true to drop logprobs.`,
        { param: "logprobs", code: "unsupported_param", provider: adapter.provider, model: params.model },
      );
    }
    wire = { ...wire, logprobs: null };
  }
  const n = wire.n ?? 1;
  const echo = (call: SubCall) => (wire.echo === true ? call.prompt : "");
  return fanOut(
    {
      calls: planCalls(prompts, n, adapter.supportsN),
      n,
      prepare: (call) =>
        prepare(
          adapter,
          adapter.buildChatRequest(chatParamsFor(wire, call.prompt, call.n, run.model), run.target),
          params,
          run.options,
        ),
      parse: (body) => adapter.parseChatResponse(body, run.model),
      shape: CHAT_COMPLETION,
      toText: (call, answer) => textFromChat(answer, echo(call)),
      stream: (call): StreamSpec<TextCompletionChunk, ChatCompletionChunk> => {
        const reader = adapter.chatStream(run.model);
        const converter = new ChatToTextStream(echo(call));
        return {
          framer: reader.framer,
          parseEvent: (event) => reader.parseEvent(event),
          shape: CHAT_COMPLETION_CHUNK,
          convert: (chunk) => converter.convert(chunk),
          expectedChoices: call.n,
        };
      },
    },
    params,
    run,
  );
}
