/**
 * GET /spend/logs (master key only): one row per request, filtered by key (`api_key`, the
 * key or its hash), `user_id`, `team_id`, `request_id` (a response's x-litellm-call-id) and a
 * date range (`start_date` inclusive, `end_date` inclusive of its whole day when given as a
 * date), paginated with `page` and `page_size`. The answer is a JSON array, as LiteLLM's.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { keyHashOf } from "../../access/key-token.js";
import type { RequestContext } from "../context.js";
import type { Gateway } from "../gateway.js";
import { sendJson } from "../respond.js";
import { dateRange, pageOf, queryOf } from "./query.js";
import { spendView } from "./views.js";

export async function spendLogs(
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
): Promise<void> {
  const store = await gateway.access.requireKeyManagement(req, ctx);
  const query = queryOf(req, "/spend/logs", [
    "api_key",
    "user_id",
    "team_id",
    "request_id",
    "start_date",
    "end_date",
    "page",
    "page_size",
  ]);
  const { size, offset } = pageOf(query, "page_size", 100);
  const key = query.get("api_key");
  const { from, to } = dateRange(query);
  // Logs this instance holds in its buffer belong in the answer.
  await gateway.access.flushSpend(2_000);
  const logs = await store.spendLogs({
    key_hash: key === null || key === "" ? undefined : keyHashOf(key),
    user_id: query.get("user_id") ?? undefined,
    team_id: query.get("team_id") ?? undefined,
    request_id: query.get("request_id") ?? undefined,
    from,
    to,
    limit: size,
    offset,
  });
  sendJson(res, 200, logs.map(spendView), ctx.headers());
}
