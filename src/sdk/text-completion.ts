/**
 * `textCompletion()`: one OpenAI text completion end to end — validate, pick the
 * adapter, build the upstream request, send it (with retries), and return OpenAI's
 * answer or stream.
 */
import { type AbortLike, sleep } from "../http/cancel.js";
import { backoffMs, isRetryable } from "../http/retry.js";
import { Deadline, send } from "../http/transport.js";
import { resolveTextCompletionModel } from "../providers/registry.js";
import type { TextCompletion, TextCompletionParams } from "../wire/completions.js";
import { AbortError, APIError } from "../wire/errors.js";
import { validateTextCompletion } from "../wire/validate.js";
import { type CallOptions, DEFAULT_TIMEOUT_SECONDS, splitRequest, type TextCompletionRequest } from "./options.js";
import { fitParams } from "./params.js";
import { errorFromResponse, type PreparedCall } from "./upstream.js";
import { openStream, type StreamRequest, TextCompletionStream } from "./stream.js";
import { mockCompletion, mockStream } from "./mock-response.js";
import { estimateUsage } from "./usage.js";
import { markEstimated } from "./usage-marks.js";

export { TextCompletionStream };

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
    request: adapter.buildRequest(wire, { model, options, env: process.env }),
    timeoutMs: (options.timeout ?? DEFAULT_TIMEOUT_SECONDS) * 1000,
    signal: options.signal,
    observer: options.observer,
  };
  const streamRequest: StreamRequest = {
    model,
    prompt: params.prompt,
    n: params.n ?? 1,
    echo: params.echo === true,
    includeUsage: params.stream_options?.include_usage === true,
  };
  const retries = options.num_retries ?? 0;
  return params.stream === true
    ? withRetries(() => attemptStream(call, streamRequest), retries, options.signal)
    : withRetries(() => attemptOnce(call, streamRequest), retries, options.signal);
}

async function withRetries<T>(attempt: () => Promise<T>, retries: number, signal: AbortLike | undefined): Promise<T> {
  for (let tried = 0; ; tried++) {
    try {
      return await attempt();
    } catch (error) {
      if (tried >= retries || !isRetryable(error)) throw error;
      const retryAfter = error instanceof APIError && error.retryAfter !== undefined ? error.retryAfter * 1000 : undefined;
      try {
        await sleep(backoffMs(tried, retryAfter), signal);
      } catch {
        throw new AbortError("The request was aborted by the caller.");
      }
    }
  }
}

function typed(error: unknown, deadline: Deadline, call: PreparedCall): unknown {
  return error instanceof APIError ? error : deadline.errorFor(error, { provider: call.adapter.provider, model: call.model });
}

async function attemptOnce(call: PreparedCall, request: StreamRequest): Promise<TextCompletion> {
  const deadline = new Deadline(call.timeoutMs, call.signal);
  const started = performance.now();
  try {
    const response = await send(call.request, deadline);
    if (response.status >= 400) throw await errorFromResponse(call, response);
    const answer = call.adapter.parseResponse(await response.body.json());
    call.observer?.upstreamTime(performance.now() - started);
    return answer.usage === undefined ? await withEstimatedUsage(answer, request) : answer;
  } catch (error) {
    throw typed(error, deadline, call);
  } finally {
    deadline.dispose();
  }
}

async function attemptStream(call: PreparedCall, request: StreamRequest): Promise<TextCompletionStream> {
  const deadline = new Deadline(call.timeoutMs, call.signal);
  const started = performance.now();
  try {
    const response = await send(call.request, deadline);
    if (response.status >= 400) throw await errorFromResponse(call, response);
    // From here the stream owns the deadline and disposes of it when it ends.
    const stream = await openStream(call, request, response, deadline);
    call.observer?.upstreamTime(performance.now() - started);
    return stream;
  } catch (error) {
    deadline.dispose();
    throw typed(error, deadline, call);
  }
}

/** Fills in the usage a provider left out, counted with the model's tokenizer. */
async function withEstimatedUsage(answer: TextCompletion, request: StreamRequest): Promise<TextCompletion> {
  answer.usage = await estimateUsage(request, answer.choices);
  return markEstimated(answer);
}
