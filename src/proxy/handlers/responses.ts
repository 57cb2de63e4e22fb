/**
 * The Responses API: POST /v1/responses (and /responses) through the Router like any
 * completion (keys, limits, budgets, routing, retries, fallbacks and spend apply), and
 * GET /v1/responses/{id}, DELETE /v1/responses/{id}, GET /v1/responses/{id}/input_items.
 *
 * Responses made with `store` (the default, as OpenAI's) are kept in the gateway's database
 * (in memory without one), owned by the key that made them: another key gets a 404, and
 * `previous_response_id` continues a kept conversation on any provider. An id the gateway
 * never kept is passed to a native (OpenAI/Azure) deployment for the master key only, since
 * ownership cannot be checked there.
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Principal } from "../../access/grant.js";
import type { Deployment } from "../../config/index.js";
import { resolveModel } from "../../providers/registry.js";
import { nativeResponses } from "../../providers/responses.js";
import { attemptOnce } from "../../sdk/attempt.js";
import { responsesOperation } from "../../sdk/operations.js";
import { responseIdOfItem, type ResponseStream, type ResponsesContext } from "../../sdk/responses.js";
import type { Shape } from "../../sdk/shape.js";
import { rawBodyOf } from "../../sdk/usage-marks.js";
import type { Json, JsonObject, ResponseRecord } from "../../store/types.js";
import { inputItems } from "../../translate/responses/request.js";
import { type APIError, BadRequestError, NotFoundError, ServiceUnavailableError } from "../../wire/errors.js";
import type {
  DeletedResponse,
  ResponseItem,
  ResponseObject,
  ResponsesParams,
  ResponseStreamEvent,
} from "../../wire/responses.js";
import { isRecord } from "../../wire/validate.js";
import { admitModelRequest, readModelRequest, streamFailed } from "./model-request.js";
import type { RequestContext } from "../context.js";
import type { Gateway } from "../gateway.js";
import { queryOf } from "../management/query.js";
import { asAPIError, sendJson, sendJsonText } from "../respond.js";
import { streamStarted, writeEvent } from "../sse-writer.js";

/** Who owns a response: the key's hash, or what spend logs name the master key and an open gateway by. */
function ownerOf(principal: Principal): string {
  if (principal.kind === "key") return principal.grant.hash;
  return principal.kind === "master" ? "master_key" : "no_key";
}

function notFound(id: string): NotFoundError {
  // OpenAI's own 404 for a response says invalid_request_error.
  return new NotFoundError(`Response with id '${id.slice(0, 200)}' not found.`, {
    type: "invalid_request_error",
    code: "response_not_found",
  });
}

/** An OpenAI or Azure deployment answers natively, unless it or the request (mock_response) mocks the answer. */
function servesNatively(deployment: Deployment, mocked: boolean): boolean {
  if (mocked || deployment.options.mock_response !== undefined) return false;
  try {
    return nativeResponses(resolveModel(deployment.model).provider) !== undefined;
  } catch {
    return false;
  }
}

/**
 * Input items as OpenAI lists them: each an item with an id and a type, a message's text as
 * content parts (the client may have sent a bare string).
 */
function keptItems(items: readonly ResponseItem[]): Json[] {
  return items.map((item) => {
    const kept: Record<string, unknown> = { ...item };
    kept.type ??= "message";
    kept.id ??= `${kept.type === "message" ? "msg" : "item"}_${randomBytes(24).toString("hex")}`;
    if (kept.type === "message" && typeof kept.content === "string") {
      kept.content = [{ type: kept.role === "assistant" ? "output_text" : "input_text", text: kept.content }];
    }
    return kept as Json;
  });
}

/** The record of `response`, answering `input` (the conversation so far, then this request's items). */
function recordOf(
  response: ResponseObject,
  input: readonly ResponseItem[],
  owner: string,
  ctx: RequestContext,
  native: boolean,
): ResponseRecord {
  const { output, ...rest } = response;
  return {
    id: response.id,
    key_hash: owner,
    model: ctx.model ?? "",
    deployment_id: native ? (ctx.trace?.deployment?.id ?? null) : null,
    input: keptItems(input),
    output: output as Json[],
    response: rest as JsonObject,
    created_at: Date.now(),
  };
}

/** The kept response of `id`; a database that cannot answer is a 503, never a 500. */
async function lookup(gateway: Gateway, id: string): Promise<ResponseRecord | undefined> {
  try {
    return await gateway.responses.getResponse(id);
  } catch (error) {
    throw new ServiceUnavailableError(
      "The gateway's database is unreachable, so stored responses cannot be read. Try again shortly.",
      { code: "database_unavailable", cause: error },
    );
  }
}

/** Keeps a response; a database failing here loses the conversation, never the answer already made. */
async function keep(gateway: Gateway, record: ResponseRecord, ctx: RequestContext): Promise<void> {
  try {
    await gateway.responses.saveResponse(record);
  } catch (error) {
    gateway.logger.warn(
      { request_id: ctx.id, err: error instanceof Error ? error.message : String(error) },
      "a response could not be stored: previous_response_id will not find it",
    );
  }
}

const TERMINAL = new Set(["response.completed", "response.incomplete"]);

/** A failure after the stream began: OpenAI's `error` event, and the stream ends. */
function endWithErrorEvent(res: ServerResponse, error: APIError, sequence: number): void {
  const body = error.toBody().error;
  const event = { type: "error", code: body.code, message: body.message, param: body.param, sequence_number: sequence };
  res.end(`event: error\ndata: ${JSON.stringify(event)}\n\n`);
}

/** The most earlier responses one request's item references are looked up in. */
const MAX_REFERENCED_RESPONSES = 100;

/**
 * Replaces each `item_reference` to an item of a kept bridged response of `owner` by the item
 * itself: chat providers cannot look items up, and native ones do not know the gateway's ids.
 * References the gateway cannot resolve stay (a native provider may know them).
 */
async function resolveReferences(gateway: Gateway, owner: string, input: unknown): Promise<void> {
  if (!Array.isArray(input)) return;
  const records = new Map<string, ResponseRecord | undefined>();
  for (let index = 0; index < input.length; index++) {
    const item: unknown = input[index];
    if (!isRecord(item) || item.type !== "item_reference" || typeof item.id !== "string") continue;
    const responseId = responseIdOfItem(item.id);
    if (responseId === undefined) continue;
    if (!records.has(responseId)) {
      if (records.size >= MAX_REFERENCED_RESPONSES) continue;
      const record = await lookup(gateway, responseId);
      records.set(responseId, record?.key_hash === owner ? record : undefined);
    }
    const record = records.get(responseId);
    const found = record?.output.find((kept) => isRecord(kept) && kept.id === item.id);
    if (found !== undefined) input[index] = found;
  }
}

export async function createResponse(
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
): Promise<void> {
  const request = await readModelRequest(gateway, req, ctx, gateway.userModel);
  const { principal, body } = request;
  if (ctx.ended) return;
  const owner = ownerOf(principal);
  // A conversation this gateway keeps continues here; another key's is as good as unknown.
  const context: ResponsesContext = {};
  let prefer: string | undefined;
  const previousId = body.previous_response_id;
  if (typeof previousId === "string" && previousId !== "") {
    const previous = await lookup(gateway, previousId);
    if (previous !== undefined && previous.key_hash !== owner) {
      throw new BadRequestError(`Previous response with id '${previousId.slice(0, 200)}' not found.`, {
        param: "previous_response_id",
        code: "previous_response_not_found",
      });
    }
    if (previous !== undefined) {
      context.history = [...previous.input, ...previous.output] as ResponseItem[];
      context.previousIsNative = previous.deployment_id !== null;
      prefer = previous.deployment_id ?? undefined;
    }
  }
  await resolveReferences(gateway, owner, body.input);
  // Only the deployment that made a native response knows it: tried first while available.
  const route = await admitModelRequest(gateway, res, ctx, request, prefer);
  if (route === undefined) return;
  const operation = responsesOperation(context);
  const stored = body.store !== false;
  const mocked = typeof body.mock_response === "string";
  // Read once the Router has validated the body.
  const input = (): ResponseItem[] => [
    ...(context.history ?? []),
    ...inputItems(body.input as ResponsesParams["input"]),
  ];
  const native = (): boolean => ctx.trace?.deployment !== undefined && servesNatively(ctx.trace.deployment, mocked);

  if (body.stream !== true) {
    const answer = (await gateway.router.run(operation, body, route)) as ResponseObject;
    if (gateway.detailedDebug) gateway.debugLogger.debug({ request_id: ctx.id, response: answer }, "response body");
    if (stored) await keep(gateway, recordOf(answer, input(), owner, ctx, native()), ctx);
    const raw = rawBodyOf(answer);
    if (raw !== undefined) sendJsonText(res, 200, raw, ctx.headers());
    else sendJson(res, 200, answer, ctx.headers());
    return;
  }

  ctx.stream = true;
  const pending = gateway.router.run(operation, body, route) as Promise<ResponseStream>;
  const stream = await streamStarted(
    res,
    pending,
    () => ctx.headers(),
    gateway.keepAliveMs,
    (error) => {
      const failure = asAPIError(error);
      streamFailed(ctx, failure);
      endWithErrorEvent(res, failure, 0);
    },
  );
  if (stream === undefined) return;
  ctx.streamOpened = true;
  let sequence = 0;
  try {
    for await (const { chunk, raw } of stream.items()) {
      const event: ResponseStreamEvent = chunk;
      if (typeof event.sequence_number === "number") sequence = event.sequence_number + 1;
      // Kept before the client hears it is complete: its next request may continue it at once.
      if (stored && TERMINAL.has(event.type) && isRecord(event.response)) {
        await keep(gateway, recordOf(event.response, input(), owner, ctx, native()), ctx);
      }
      const full = writeEvent(res, raw ?? JSON.stringify(event), event.type);
      if (full !== undefined) await full;
      if (res.destroyed) break;
    }
    res.end();
  } catch (error) {
    const failure = asAPIError(error);
    streamFailed(ctx, failure);
    endWithErrorEvent(res, failure, sequence);
  }
}

/** Anything an upstream answers to a GET or DELETE: an object (the provider's own shape is kept). */
const ANY_OBJECT: Shape = {
  what: "answer",
  problem: (value) => (isRecord(value) ? undefined : "it is not an object"),
};

/**
 * An id this gateway never kept, asked of the first native deployment (config order): only the
 * master key (or an open gateway) may, since the provider cannot say which key made it.
 */
async function passThrough(
  gateway: Gateway,
  principal: Principal,
  method: "GET" | "DELETE",
  id: string,
  suffix: string,
  search: string,
  res: ServerResponse,
  ctx: RequestContext,
): Promise<void> {
  const deployment = gateway.router.deployments.find((d) => servesNatively(d, false));
  if (principal.kind === "key" || deployment === undefined) throw notFound(id);
  await forward(deployment, method, `/${encodeURIComponent(id)}${suffix}`, search, res, ctx);
}

async function forward(
  deployment: Deployment,
  method: "GET" | "DELETE",
  path: string,
  search: string,
  res: ServerResponse | undefined,
  ctx: RequestContext,
): Promise<void> {
  const resolved = resolveModel(deployment.model);
  const native = nativeResponses(resolved.provider);
  // The config changed since the response was made: its deployment no longer speaks the API.
  if (native === undefined) throw notFound(path.slice(1));
  const target = { model: resolved.model, options: deployment.options, env: process.env, dropParams: false };
  const request = native.request(target, method, path);
  // The client's query string goes after the one the provider's URL may have (Azure's api-version).
  if (search !== "") request.url += (request.url.includes("?") ? "&" : "?") + search.slice(1);
  const answer = await attemptOnce(
    {
      adapter: native,
      model: deployment.modelName,
      request,
      timeoutMs: (deployment.limits.timeout ?? 600) * 1000,
      signal: undefined,
    },
    (json) => json as object,
    ANY_OBJECT,
  );
  if (res === undefined) return;
  const raw = rawBodyOf(answer);
  if (raw !== undefined) sendJsonText(res, 200, raw, ctx.headers());
  else sendJson(res, 200, answer, ctx.headers());
}

function searchOf(req: IncomingMessage): string {
  const url = req.url ?? "";
  const mark = url.indexOf("?");
  return mark === -1 ? "" : url.slice(mark);
}

export async function getResponse(
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
  id: string | undefined,
): Promise<void> {
  const principal = await gateway.access.authenticate(req);
  ctx.principal = principal;
  const responseId = id ?? "";
  queryOf(req, ctx.route, ["include", "include_obfuscation", "starting_after", "stream"]);
  const record = await lookup(gateway, responseId);
  if (record === undefined) {
    await passThrough(gateway, principal, "GET", responseId, "", searchOf(req), res, ctx);
    return;
  }
  if (record.key_hash !== ownerOf(principal)) throw notFound(responseId);
  sendJson(res, 200, { ...record.response, output: record.output }, ctx.headers());
}

export async function deleteResponse(
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
  id: string | undefined,
): Promise<void> {
  const principal = await gateway.access.authenticate(req);
  ctx.principal = principal;
  const responseId = id ?? "";
  const known = await lookup(gateway, responseId);
  if (known === undefined) {
    await passThrough(gateway, principal, "DELETE", responseId, "", "", res, ctx);
    return;
  }
  const record = known;
  if (record.key_hash !== ownerOf(principal)) throw notFound(responseId);
  await gateway.responses.deleteResponse(responseId).catch((error: unknown) => {
    throw new ServiceUnavailableError(
      "The gateway's database is unreachable, so the response cannot be deleted. Try again shortly.",
      { code: "database_unavailable", cause: error },
    );
  });
  // The provider that made it natively keeps a copy too: it goes as well (already gone is fine).
  const deployment = gateway.router.deployments.find((d) => d.id === record.deployment_id);
  if (deployment !== undefined) {
    await forward(deployment, "DELETE", `/${encodeURIComponent(responseId)}`, "", undefined, ctx).catch(
      (error: unknown) =>
        gateway.logger.warn(
          { request_id: ctx.id, err: asAPIError(error).message },
          "the provider's copy of a deleted response could not be deleted",
        ),
    );
  }
  const deleted: DeletedResponse = { id: responseId, object: "response", deleted: true };
  sendJson(res, 200, deleted, ctx.headers());
}

const INPUT_ITEMS_QUERY = ["after", "before", "include", "limit", "order"];

export async function listInputItems(
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
  id: string | undefined,
): Promise<void> {
  const principal = await gateway.access.authenticate(req);
  ctx.principal = principal;
  const responseId = id ?? "";
  const query = queryOf(req, ctx.route, INPUT_ITEMS_QUERY);
  const known = await lookup(gateway, responseId);
  if (known === undefined) {
    await passThrough(gateway, principal, "GET", responseId, "/input_items", searchOf(req), res, ctx);
    return;
  }
  const record = known;
  if (record.key_hash !== ownerOf(principal)) throw notFound(responseId);
  const order = query.get("order") ?? "desc";
  if (order !== "asc" && order !== "desc") {
    throw new BadRequestError(`Invalid 'order': got '${order.slice(0, 80)}'. It must be "asc" or "desc".`, {
      param: "order",
      code: "invalid_value",
    });
  }
  const limitText = query.get("limit") ?? "20";
  const limit = Number(limitText);
  if (!/^\d+$/.test(limitText) || limit < 1 || limit > 100) {
    throw new BadRequestError(
      `Invalid 'limit': got '${limitText.slice(0, 80)}'. It must be a whole number from 1 to 100.`,
      {
        param: "limit",
        code: "invalid_value",
      },
    );
  }
  // OpenAI lists the newest item first unless asked otherwise.
  let items = order === "desc" ? [...record.input].reverse() : [...record.input];
  const idOf = (item: Json): unknown => (isRecord(item) ? item.id : undefined);
  for (const [name, skip] of [
    ["after", 1],
    ["before", 0],
  ] as const) {
    const cursor = query.get(name);
    if (cursor === null) continue;
    const at = items.findIndex((item) => idOf(item) === cursor);
    if (at !== -1) items = name === "after" ? items.slice(at + skip) : items.slice(0, at);
  }
  const page = items.slice(0, limit);
  sendJson(
    res,
    200,
    {
      object: "list",
      data: page,
      first_id: idOf(page[0] ?? null) ?? null,
      last_id: idOf(page[page.length - 1] ?? null) ?? null,
      has_more: items.length > page.length,
    },
    ctx.headers(),
  );
}
