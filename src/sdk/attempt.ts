/**
 * Sending a prepared call: one attempt with its deadline (an answer, or a stream once
 * its first chunk is in), and retries of the failures worth retrying.
 */
import { declaredLength, MAX_ANSWER_BYTES, readBounded } from "../http/body.js";
import { type AbortLike, sleep } from "../http/cancel.js";
import { backoffMs, isRetryable } from "../http/retry.js";
import { Deadline, send, type UpstreamResponse } from "../http/transport.js";
import { AbortError, APIError } from "../wire/errors.js";
import type { RemainingLimits } from "./options.js";
import type { Shape } from "./shape.js";
import { markRaw } from "./usage-marks.js";
import { type ChunkShape, type CompletionStream, openStream, type StreamSpec } from "./stream.js";
import { errorFromResponse, malformed, malformedMessage, parseWith, type PreparedCall } from "./upstream.js";

export async function withRetries<T>(
  attempt: () => Promise<T>,
  retries: number,
  signal: AbortLike | undefined,
): Promise<T> {
  for (let tried = 0; ; tried++) {
    try {
      return await attempt();
    } catch (error) {
      if (tried >= retries || !isRetryable(error)) throw error;
      const retryAfter =
        error instanceof APIError && error.retryAfter !== undefined ? error.retryAfter * 1000 : undefined;
      try {
        await sleep(backoffMs(tried, retryAfter), signal);
      } catch {
        throw new AbortError("The request was aborted by the caller.");
      }
    }
  }
}

function typed(error: unknown, deadline: Deadline, call: PreparedCall): unknown {
  return error instanceof APIError
    ? error
    : deadline.errorFor(error, { provider: call.adapter.provider, model: call.model });
}

/**
 * The provider's x-ratelimit-remaining-requests / -tokens (OpenAI's names, which Azure,
 * Groq and others share), read here for every provider: only the two numbers are kept.
 */
function readRemaining(response: UpstreamResponse, into: RemainingLimits): void {
  into.remainingRequests = headerNumber(response.headers["x-ratelimit-remaining-requests"]);
  into.remainingTokens = headerNumber(response.headers["x-ratelimit-remaining-tokens"]);
}

function headerNumber(value: string | string[] | undefined): number | undefined {
  if (typeof value !== "string" || value === "") return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

/** How much of a body that is not JSON is quoted: enough to recognise an HTML error page. */
const QUOTED_CHARS = 200;

/**
 * The answer's JSON, read within MAX_ANSWER_BYTES; a 200 whose body is not JSON (a
 * proxy's HTML page) is the upstream's fault, not the network's.
 */
async function readJson(
  call: PreparedCall,
  response: UpstreamResponse,
  requestId: string | undefined,
): Promise<{ json: unknown; text: string }> {
  const provider = call.adapter.provider;
  const tooLarge = () =>
    malformed(
      call,
      `${provider} answered with more than ${MAX_ANSWER_BYTES} bytes, the most litegate reads for one answer.`,
      requestId,
    );
  if ((declaredLength(response) ?? 0) > MAX_ANSWER_BYTES) {
    response.body.destroy();
    throw tooLarge();
  }
  const { text, complete } = await readBounded(response, MAX_ANSWER_BYTES);
  if (!complete) throw tooLarge();
  try {
    return { json: JSON.parse(text) as unknown, text };
  } catch {
    const quoted = text.length > QUOTED_CHARS ? `${text.slice(0, QUOTED_CHARS)}…` : text;
    throw malformed(call, `${provider} answered ${response.status} with a body that is not JSON: ${quoted}`, requestId);
  }
}

/**
 * One non-streamed attempt: the provider's JSON answer as the adapter's `parse` reads it,
 * checked to be `shape` before anything else reads it, then given to `convert` (a chat
 * answer made a text completion). Whatever the adapter or the conversion cannot read is a
 * 502 naming the provider.
 */
export function attemptOnce<A>(call: PreparedCall, parse: (body: unknown) => A, shape: Shape): Promise<A>;
export function attemptOnce<A, R>(
  call: PreparedCall,
  parse: (body: unknown) => A,
  shape: Shape,
  convert: (answer: A) => R,
): Promise<R>;
export async function attemptOnce<A, R>(
  call: PreparedCall,
  parse: (body: unknown) => A,
  shape: Shape,
  convert?: (answer: A) => R,
): Promise<A | R> {
  const deadline = new Deadline(call.timeoutMs, call.signal);
  try {
    const response = await send(call.request, deadline);
    if (call.remaining !== undefined) readRemaining(response, call.remaining);
    if (response.status >= 400) throw await errorFromResponse(call, response);
    const requestId = call.adapter.requestId(response.headers);
    const body = await readJson(call, response, requestId);
    const answer = parseWith(call, shape.what, () => parse(body.json), requestId);
    const problem = shape.problem(answer);
    if (problem !== undefined) throw malformed(call, malformedMessage(call, shape.what, problem), requestId);
    if (convert !== undefined) return parseWith(call, shape.what, () => convert(answer), requestId);
    // The provider's answer is already OpenAI's: its bytes can be forwarded as they came.
    if ((answer as unknown) === body.json && typeof answer === "object" && answer !== null) markRaw(answer, body.text);
    return answer;
  } catch (error) {
    throw typed(error, deadline, call);
  } finally {
    deadline.dispose();
  }
}

/** One streamed attempt, resolved once the first chunk is in. */
export async function attemptStream<C extends ChunkShape, A>(
  call: PreparedCall,
  spec: () => StreamSpec<C, A>,
): Promise<CompletionStream<C>> {
  const deadline = new Deadline(call.timeoutMs, call.signal);
  try {
    const response = await send(call.request, deadline);
    if (call.remaining !== undefined) readRemaining(response, call.remaining);
    if (response.status >= 400) throw await errorFromResponse(call, response);
    // From here the stream owns the deadline and disposes of it when it ends.
    return await openStream(call, spec(), response, deadline);
  } catch (error) {
    deadline.dispose();
    throw typed(error, deadline, call);
  }
}
