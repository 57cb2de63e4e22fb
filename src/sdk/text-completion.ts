/**
 * `textCompletion()`: one OpenAI text completion end to end — validate, pick the
 * adapter, build the upstream request, send it (with retries), and return OpenAI's
 * answer or stream.
 */
import { resolveTextCompletionModel } from "../providers/registry.js";
import type { TextCompletion, TextCompletionChunk, TextCompletionParams } from "../wire/completions.js";
import { validateTextCompletion } from "../wire/validate.js";
import { attemptOnce, attemptStream, withRetries } from "./attempt.js";
import { mockCompletion, mockStream } from "./mock-response.js";
import { type CallOptions, DEFAULT_TIMEOUT_SECONDS, splitRequest, type TextCompletionRequest } from "./options.js";
import { fitParams } from "./params.js";
import type { CompletionStream } from "./stream.js";
import { textStreamSpec, type TextStreamRequest } from "./text-stream.js";
import type { PreparedCall } from "./upstream.js";
import { estimateUsage, type UsageRequest } from "./usage.js";
import { markEstimated } from "./usage-marks.js";

/** A streamed text completion: `for await (const chunk of stream)`. */
export type TextCompletionStream = CompletionStream<TextCompletionChunk>;

export function textCompletion(request: TextCompletionRequest & { stream: true }): Promise<TextCompletionStream>;
export function textCompletion(request: TextCompletionRequest & { stream?: false | null }): Promise<TextCompletion>;
export function textCompletion(request: TextCompletionRequest): Promise<TextCompletion | TextCompletionStream>;
export async function textCompletion(request: TextCompletionRequest): Promise<TextCompletion | TextCompletionStream> {
  const { params, options } = splitRequest(request);
  return runTextCompletion(validateTextCompletion(params), options);
}

/** textCompletion() for params already split from their options and validated (the Router's way in). */
export async function runTextCompletion(
  params: TextCompletionParams,
  options: CallOptions,
): Promise<TextCompletion | TextCompletionStream> {
  if (options.mock_response !== undefined) {
    return params.stream === true ? mockStream(params, options.mock_response) : mockCompletion(params, options.mock_response);
  }
  const { adapter, model } = resolveTextCompletionModel(params.model);
  const wire = fitParams(params, adapter, options.drop_params === true, adapter.provider);
  const call: PreparedCall = {
    adapter,
    model: params.model,
    request: adapter.buildRequest(wire, { model, options, env: process.env, dropParams: options.drop_params === true }),
    timeoutMs: (options.timeout ?? DEFAULT_TIMEOUT_SECONDS) * 1000,
    signal: options.signal,
    observer: options.observer,
  };
  const streamRequest: TextStreamRequest = {
    model,
    prompt: params.prompt,
    n: params.n ?? 1,
    echo: params.echo === true,
    includeUsage: params.stream_options?.include_usage === true,
  };
  const retries = options.num_retries ?? 0;
  return params.stream === true
    ? withRetries(() => attemptStream(call, () => textStreamSpec(adapter, streamRequest)), retries, options.signal)
    : withRetries(() => attemptOnce(call, (body) => adapter.parseResponse(body)), retries, options.signal).then((answer) =>
        answer.usage === undefined ? withEstimatedUsage(answer, streamRequest) : answer,
      );
}

/** Fills in the usage a provider left out, counted with the model's tokenizer. */
async function withEstimatedUsage(answer: TextCompletion, request: UsageRequest): Promise<TextCompletion> {
  answer.usage = await estimateUsage(request, answer.choices);
  return markEstimated(answer);
}
