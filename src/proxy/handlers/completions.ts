/**
 * POST /v1/completions and /v1/chat/completions (and their /engines/{model}/… and
 * /openai/deployments/{model}/… forms): the body goes to the Router as it is, with the
 * model from the path when the route has one; the answer or stream comes back in
 * OpenAI's format.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { AnswerGatherer, type CachedChunk } from "../../cache/answers.js";
import * as operations from "../../sdk/operations.js";
import type { Operation } from "../../sdk/operations.js";
import type { CompletionStream } from "../../sdk/stream.js";
import { rawBodyOf } from "../../sdk/usage-marks.js";
import type { CompletionUsage } from "../../wire/completions.js";
import type { LoggedExchange, RequestContext } from "../context.js";
import type { Gateway } from "../gateway.js";
import { costFor } from "../outcome.js";
import { asAPIError, sendJson, sendJsonText } from "../respond.js";
import { endEventStream, endWithError, streamStarted, writeEvent } from "../sse-writer.js";
import { admitModelRequest, readModelRequest, streamFailed } from "./model-request.js";

/** What the handler reads of any completion's answer or chunk. */
interface Answer {
  usage?: CompletionUsage | null;
  choices: unknown[];
}

type CompletionOperation = Operation<
  { model: string; stream?: boolean | null; messages?: unknown; prompt?: unknown },
  Answer | CompletionStream<Answer>
>;

export const completions = completionRoute(operations.textCompletions as CompletionOperation);
export const chatCompletions = completionRoute(operations.chatCompletions as CompletionOperation);

function completionRoute(operation: CompletionOperation) {
  return (
    gateway: Gateway,
    req: IncomingMessage,
    res: ServerResponse,
    ctx: RequestContext,
    pathModel: string | undefined,
  ) => serve(operation, gateway, req, res, ctx, pathModel);
}

async function serve(
  operation: CompletionOperation,
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
  pathModel: string | undefined,
): Promise<void> {
  const request = await readModelRequest(gateway, req, ctx, pathModel ?? gateway.userModel);
  const { body } = request;
  if (gateway.requestOverrides !== undefined) Object.assign(body, gateway.requestOverrides);
  const route = await admitModelRequest(gateway, res, ctx, request);
  if (route === undefined) return;
  // Kept for the generic_api logger only when it sends prompts and answers.
  const logged: LoggedExchange | undefined = gateway.logMessages
    ? { input: body.messages ?? body.prompt, output: null }
    : undefined;
  ctx.logged = logged;

  if (body.stream !== true) {
    const answer = (await gateway.router.run(operation, body, route)) as Answer;
    if (logged !== undefined) logged.output = answer;
    if (gateway.detailedDebug) gateway.debugLogger.debug({ request_id: ctx.id, response: answer }, "response body");
    // The provider's own bytes when the answer is theirs unchanged: no second serialisation.
    const raw = rawBodyOf(answer);
    if (raw !== undefined) sendJsonText(res, 200, raw, ctx.headers());
    else sendJson(res, 200, answer, ctx.headers());
    return;
  }

  ctx.stream = true;
  const pending = gateway.router.run(operation, body, route) as Promise<CompletionStream<Answer>>;
  const stream = await streamStarted(
    res,
    pending,
    () => ctx.headers(),
    gateway.keepAliveMs,
    (error) => {
      const failure = asAPIError(error);
      streamFailed(ctx, failure);
      endWithError(res, failure);
    },
  );
  if (stream === undefined) return;
  ctx.streamOpened = true;
  const withCost = gateway.includeCostInStreamingUsage;
  // The answer the logger gets of a stream: its chunks gathered as the cache gathers them.
  const gatherer =
    logged === undefined || operation.cacheKind === undefined ? undefined : new AnswerGatherer(operation.cacheKind);
  if (logged !== undefined) logged.gathered = gatherer;
  try {
    for await (const { chunk, raw } of stream.items()) {
      gatherer?.add(chunk as unknown as CachedChunk);
      // Chunks go out as they came; only a usage chunk that carries its cost is re-serialised.
      const text =
        withCost && chunk.usage != null
          ? JSON.stringify({ ...chunk, usage: { ...chunk.usage, cost: costFor(ctx, chunk.usage) } })
          : raw;
      const full = writeEvent(res, text ?? JSON.stringify(chunk));
      if (full !== undefined) await full;
      if (res.destroyed) break;
    }
    endEventStream(res);
  } catch (error) {
    const failure = asAPIError(error);
    streamFailed(ctx, failure);
    endWithError(res, failure);
  }
}
