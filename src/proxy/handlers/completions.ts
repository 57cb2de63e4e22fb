/**
 * POST /v1/completions and /v1/chat/completions (and their /engines/{model}/… and
 * /openai/deployments/{model}/… forms): the body goes to the Router as it is, with the
 * model from the path when the route has one; the answer or stream comes back in
 * OpenAI's format.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { Cancellation } from "../../http/cancel.js";
import type { Router, RouteOptions } from "../../router/router.js";
import type { CompletionStream } from "../../sdk/stream.js";
import type { ChatCompletionParams } from "../../wire/chat.js";
import type { CompletionUsage, TextCompletionParams } from "../../wire/completions.js";
import { assertObject, isRecord, MAX_MODEL_LENGTH } from "../../wire/validate.js";
import { readJsonBody } from "../body.js";
import type { RequestContext } from "../context.js";
import { type CompletionKind, StreamOutputs } from "../stream-outputs.js";
import type { Gateway } from "../gateway.js";
import { asAPIError, sendJson } from "../respond.js";
import { endEventStream, endWithError, startEventStream, writeEvent, writeKeepAlive } from "../sse-writer.js";

interface Answer {
  usage?: CompletionUsage | null;
  choices: { index: number }[];
}

/** The Router call a route makes: one answer, or a stream when `request.stream` is true. */
type Complete = (router: Router, request: Record<string, unknown>, route: RouteOptions) => Promise<Answer | CompletionStream<Answer>>;

export const completions = completionRoute("text", (router, request, route) => router.textCompletion(request as TextCompletionParams, route));
export const chatCompletions = completionRoute("chat", (router, request, route) => router.chatCompletion(request as ChatCompletionParams, route));

function completionRoute(kind: CompletionKind, complete: Complete) {
  return (gateway: Gateway, req: IncomingMessage, res: ServerResponse, ctx: RequestContext, pathModel: string | undefined) =>
    serve(kind, complete, gateway, req, res, ctx, pathModel);
}

async function serve(
  kind: CompletionKind,
  complete: Complete,
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
  pathModel: string | undefined,
): Promise<void> {
  const principal = await gateway.access.authenticate(req);
  const body = await readJsonBody(req, gateway.maxBodyBytes);
  assertObject(body);
  const forcedModel = pathModel ?? gateway.userModel;
  if (forcedModel !== undefined) body.model = forcedModel;
  const request = body;
  // Validation refuses a longer name later; until then it must not carry a client's megabytes
  // into the admission's errors, the log line or the spend record.
  ctx.model = typeof request.model === "string" ? request.model.slice(0, MAX_MODEL_LENGTH) : undefined;
  if (gateway.detailedDebug) gateway.debugLogger.debug({ request_id: ctx.id, request }, "request body");
  // A client already gone takes nothing: no hold on its key, no upstream call.
  if (ctx.ended) return;
  const admission = gateway.access.admit(principal, { model: ctx.model, fallbacks: requestFallbacks(request) }, Date.now(), ctx);
  if (admission instanceof Promise) ctx.admitting = admission;
  ctx.ticket = await admission;
  // The client left while the key was admitted: nothing to call upstream for (the close settled the ticket).
  if (ctx.ended) return;
  const counts = gateway.access.countsUsage();
  if (counts) ctx.outputs = new StreamOutputs(kind, request);

  // A client that goes away cancels the upstream call with it.
  const cancellation = new Cancellation();
  res.once("close", () => {
    if (!res.writableFinished) cancellation.abort();
  });
  // Configured fallbacks lead only where the key may go (its allowlists bind every model it reaches).
  const route: RouteOptions = { signal: cancellation, observer: ctx, allows: gateway.access.allowsFallback(principal) };

  if (request.stream !== true) {
    const answer = (await complete(gateway.router, request, route)) as Answer;
    ctx.usage = answer.usage ?? undefined;
    if (gateway.detailedDebug) gateway.debugLogger.debug({ request_id: ctx.id, response: answer }, "response body");
    sendJson(res, 200, answer, ctx.headers());
    return;
  }

  ctx.stream = true;
  // Spend and tpm need the stream's tokens: the usage chunk is asked for on the client's
  // behalf (the provider's own count, no tokenizer run) and kept from a client that did not
  // ask for it. The text is kept too: a client that leaves before the usage chunk still spent.
  const hideUsage = counts && askUsage(request);
  // A usage chunk the provider did not send is counted in-stream only for a client that asked
  // for one; otherwise the stream ends at once and its tokens are counted after it (outputs).
  if (hideUsage) route.estimateStreamUsage = false;
  const { outputs } = ctx;
  const pending = complete(gateway.router, request, route) as Promise<CompletionStream<Answer>>;
  // Until the first chunk is in, a failure can still get its own HTTP status. If the
  // first token is slow, start the stream anyway and send comments, so that proxies
  // with idle timeouts between us and the client keep the connection.
  let started = false;
  let keepAlive: NodeJS.Timeout | undefined;
  if (gateway.keepAliveMs > 0) {
    keepAlive = setTimeout(function tick() {
      if (!started) {
        started = true;
        startEventStream(res, ctx.headers(), true);
      }
      writeKeepAlive(res);
      keepAlive = setTimeout(tick, gateway.keepAliveMs);
    }, gateway.keepAliveMs);
  }
  let stream: CompletionStream<Answer>;
  try {
    stream = await pending;
  } catch (error) {
    if (!started) throw error;
    const failure = asAPIError(error);
    ctx.streamError = failure.status;
    endWithError(res, failure);
    return;
  } finally {
    clearTimeout(keepAlive);
  }
  ctx.streamOpened = true;
  if (ctx.chosen !== undefined) outputs?.start(ctx.chosen.model);
  if (!started) startEventStream(res, ctx.headers());
  try {
    for await (const { chunk, raw } of stream.items()) {
      outputs?.add(chunk);
      let text = raw;
      // Only a chunk with usage is re-serialised; every other chunk goes out as it came.
      if (chunk.usage != null) {
        ctx.usage = chunk.usage;
        if (hideUsage) {
          if (chunk.choices.length === 0) continue;
          text = JSON.stringify({ ...chunk, usage: undefined });
        } else if (gateway.includeCostInStreamingUsage) {
          text = JSON.stringify({ ...chunk, usage: { ...chunk.usage, cost: ctx.costOf(chunk.usage) } });
        }
      }
      await writeEvent(res, text ?? JSON.stringify(chunk));
      if (res.destroyed) break;
    }
    endEventStream(res);
  } catch (error) {
    const failure = asAPIError(error);
    ctx.streamError = failure.status;
    endWithError(res, failure);
  }
}

/**
 * Sets `stream_options.include_usage` unless the client already did; true when it was set
 * here (the usage chunk is then not the client's to see). Only a valid value is replaced (absent,
 * or false): a malformed `stream_options` or `include_usage` is left for validation to refuse,
 * never overwritten into a valid request.
 */
function askUsage(request: Record<string, unknown>): boolean {
  const options = request.stream_options;
  if (options === undefined || options === null) {
    request.stream_options = { include_usage: true };
    return true;
  }
  if (!isRecord(options)) return false;
  const { include_usage: given } = options;
  if (given !== undefined && given !== false) return false;
  request.stream_options = { ...options, include_usage: true };
  return true;
}

/**
 * The models of the body's `fallbacks` (LiteLLM's per-request fallbacks; the Router ignores anything
 * but a list of names). A name over MAX_MODEL_LENGTH names no model, and admission must not quote it back.
 */
function requestFallbacks(request: Record<string, unknown>): string[] {
  const { fallbacks } = request;
  return Array.isArray(fallbacks) ? fallbacks.filter((name): name is string => typeof name === "string" && name.length <= MAX_MODEL_LENGTH) : [];
}
