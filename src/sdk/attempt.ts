/**
 * Sending a prepared call: one attempt with its deadline (an answer, or a stream once
 * its first chunk is in), and retries of the failures worth retrying.
 */
import { type AbortLike, sleep } from "../http/cancel.js";
import { backoffMs, isRetryable } from "../http/retry.js";
import { Deadline, send, type UpstreamResponse } from "../http/transport.js";
import { AbortError, APIError, BadGatewayError } from "../wire/errors.js";
import { type ChunkShape, type CompletionStream, openStream, type StreamSpec } from "./stream.js";
import { errorFromResponse, type PreparedCall } from "./upstream.js";

export async function withRetries<T>(attempt: () => Promise<T>, retries: number, signal: AbortLike | undefined): Promise<T> {
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

/** The answer's JSON; a 200 whose body is not JSON is the upstream's fault, not the network's. */
async function readJson(call: PreparedCall, response: UpstreamResponse): Promise<unknown> {
  const text = await response.body.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new BadGatewayError(`${call.adapter.provider} answered ${response.status} with a body that is not JSON: ${text.slice(0, 200)}`, {
      provider: call.adapter.provider,
      model: call.model,
      requestId: call.adapter.requestId(response.headers),
    });
  }
}

/** One non-streamed attempt: the provider's JSON answer, parsed by `parse`. */
export async function attemptOnce<R>(call: PreparedCall, parse: (body: unknown) => R): Promise<R> {
  const deadline = new Deadline(call.timeoutMs, call.signal);
  const started = performance.now();
  try {
    const response = await send(call.request, deadline);
    if (response.status >= 400) throw await errorFromResponse(call, response);
    const answer = parse(await readJson(call, response));
    call.observer?.upstreamTime(performance.now() - started);
    return answer;
  } catch (error) {
    throw typed(error, deadline, call);
  } finally {
    deadline.dispose();
  }
}

/** One streamed attempt, resolved once the first chunk is in. */
export async function attemptStream<C extends ChunkShape>(call: PreparedCall, spec: () => StreamSpec<C>): Promise<CompletionStream<C>> {
  const deadline = new Deadline(call.timeoutMs, call.signal);
  const started = performance.now();
  try {
    const response = await send(call.request, deadline);
    if (response.status >= 400) throw await errorFromResponse(call, response);
    // From here the stream owns the deadline and disposes of it when it ends.
    const stream = await openStream(call, spec(), response, deadline);
    call.observer?.upstreamTime(performance.now() - started);
    return stream;
  } catch (error) {
    deadline.dispose();
    throw typed(error, deadline, call);
  }
}
