/**
 * The spend aggregates the admin UI's Dashboard and Logs pages read, under LiteLLM's route
 * names: /global/spend/report (totals per day or hour and per team, key or model),
 * /global/spend/keys, /global/spend/models and /global/spend/teams (who spent most), and
 * /spend/logs/ui (the logs, filtered and paged, newest first). Every total is summed by the
 * database (Store.spendSummary); no route reads the logs into memory to add them up.
 *
 * The /global routes are the master key's; on /spend/logs/ui a virtual key sees its own logs.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { keyHashOf } from "../../access/key-token.js";
import {
  SPEND_BUCKET_MS,
  type SpendBucket,
  type SpendGroup,
  type SpendQuery,
  type SpendSummaryRow,
  type Store,
} from "../../store/types.js";
import { BadRequestError, PermissionDeniedError } from "../../wire/errors.js";
import type { RequestContext } from "../context.js";
import type { Gateway } from "../gateway.js";
import { sendJson } from "../respond.js";
import { choiceParam, dateRange, limitParam, pageOf, queryOf } from "./query.js";
import { spendLogUiView } from "./views.js";

const DAY_MS = 86_400_000;

/** How long spend still in this instance's buffer may delay an answer: it belongs in it. */
const FLUSH_MS = 2_000;

/** LiteLLM's top lists cover the last 30 days (from midnight UTC 30 days ago) unless given a range. */
const TOP_DAYS = 30;

/** Rows of a /spend/logs/ui page at most (LiteLLM allows 100; the UI's tables take more). */
const MAX_PAGE_SIZE = 500;

/**
 * Buckets of a report at most (a week of minutes, 13 months of hours): one question cannot
 * make the database and the answer hold a row per minute of a year.
 */
const MAX_BUCKETS = 10_080;

/** Groups of a top list at most. */
const MAX_TOP = 1000;

/** LiteLLM's names for the report's groups, and litegate's: api_key and key are the same. */
const REPORT_GROUPS = ["team", "key", "api_key", "model"] as const;
const GROUP_OF: Record<(typeof REPORT_GROUPS)[number], SpendGroup> = {
  team: "team",
  key: "key",
  api_key: "key",
  model: "model",
};
/** The list each report bucket holds its groups in. */
const LIST_OF: Record<SpendGroup, "teams" | "keys" | "models"> = { team: "teams", key: "keys", model: "models" };

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** The totals every group shows. */
function totals(row: SpendSummaryRow) {
  return {
    total_spend: row.total_spend,
    total_requests: row.total_requests,
    total_tokens: row.prompt_tokens + row.completion_tokens,
    prompt_tokens: row.prompt_tokens,
    completion_tokens: row.completion_tokens,
    failed_requests: row.failed_requests,
  };
}

/**
 * A team's name as LiteLLM's reports show it: its alias (else its id); spend of no team is
 * "Unassigned Team" in /global/spend/report and "Unassigned" in /global/spend/teams.
 */
function teamName(row: SpendSummaryRow, unassigned = "Unassigned Team"): string {
  return row.alias ?? row.id ?? unassigned;
}

/** One group of a report bucket: `name` to show (alias when set), its ids, its totals. */
function reportEntry(group: SpendGroup, row: SpendSummaryRow) {
  switch (group) {
    case "team":
      return { name: teamName(row), team_id: row.id, team_name: teamName(row), ...totals(row) };
    case "key":
      return {
        name: row.alias ?? row.key_name ?? row.id,
        api_key: row.id,
        key_alias: row.alias,
        key_name: row.key_name,
        team_id: row.team_id,
        ...totals(row),
      };
    case "model":
      return { name: row.id, model: row.id, ...totals(row) };
  }
}

/** The filters the /global routes share with LiteLLM's /global/spend/report. */
function reportFilters(query: URLSearchParams): SpendQuery {
  const text = (name: string): string | undefined => {
    const value = query.get(name);
    return value === null || value === "" ? undefined : value;
  };
  const key = text("api_key");
  return {
    key_hash: key === undefined ? undefined : keyHashOf(key),
    team_id: text("team_id"),
    user_id: text("internal_user_id"),
    end_user: text("customer_id"),
    model_group: text("model"),
  };
}

const REPORT_FILTERS = ["api_key", "team_id", "internal_user_id", "customer_id", "model"];

/**
 * GET /global/spend/report?start_date&end_date&group_by=team|api_key|key|model&bucket=day|hour|minute:
 * per time bucket (UTC), per group, the spend, requests, tokens and failed requests, as
 * `[{group_by_day, teams|keys|models: [...]}]`, buckets in order, groups by spend.
 */
export async function globalSpendReport(
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
): Promise<void> {
  const store = await gateway.access.requireKeyManagement(req, ctx);
  const query = queryOf(req, "/global/spend/report", [
    "start_date",
    "end_date",
    "group_by",
    "bucket",
    ...REPORT_FILTERS,
  ]);
  const range = dateRange(query, true);
  const group = GROUP_OF[choiceParam(query, "group_by", REPORT_GROUPS, "team")];
  const bucket: SpendBucket = choiceParam(query, "bucket", ["day", "hour", "minute"], "day");
  const buckets = ((range.to ?? 0) - (range.from ?? 0)) / SPEND_BUCKET_MS[bucket];
  if (buckets > MAX_BUCKETS) {
    throw new BadRequestError(
      `'bucket' ${bucket} splits this range into ${Math.ceil(buckets)} buckets; at most ${MAX_BUCKETS} are answered: give a shorter range or a longer bucket (minute, hour, day).`,
      { param: "bucket", code: "invalid_value" },
    );
  }
  await gateway.access.flushSpend(FLUSH_MS);
  const rows = await store.spendSummary({ ...reportFilters(query), ...range, group_by: group, bucket });
  const answer: Record<string, unknown>[] = [];
  let current: { start: number | null; entries: unknown[] } | undefined;
  for (const row of rows) {
    if (current === undefined || current.start !== row.bucket) {
      current = { start: row.bucket, entries: [] };
      answer.push({ group_by_day: iso(row.bucket ?? 0), [LIST_OF[group]]: current.entries });
    }
    current.entries.push(reportEntry(group, row));
  }
  sendJson(res, 200, answer, ctx.headers());
}

/** The range of a top list: the one asked for, else LiteLLM's last 30 days. */
function topRange(query: URLSearchParams): { from: number | undefined; to: number | undefined } {
  const range = dateRange(query);
  if (range.from !== undefined) return range;
  const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;
  return { from: today - TOP_DAYS * DAY_MS, to: range.to };
}

async function topOf(
  gateway: Gateway,
  req: IncomingMessage,
  ctx: RequestContext,
  route: string,
  group: SpendGroup,
): Promise<{ store: Store; range: SpendQuery; rows: SpendSummaryRow[] }> {
  const store = await gateway.access.requireKeyManagement(req, ctx);
  const query = queryOf(req, route, ["limit", "start_date", "end_date"]);
  const range = topRange(query);
  const limit = limitParam(query, "limit", 10, MAX_TOP);
  await gateway.access.flushSpend(FLUSH_MS);
  return { store, range, rows: await store.spendSummary({ ...range, group_by: group, limit }) };
}

/**
 * GET /global/spend/keys?limit=N: the keys that spent most, as LiteLLM's Last30dKeysBySpend
 * rows (`key_alias` and `team_id` "" when unset, `key_name` the hash when the key is gone).
 */
export async function globalSpendKeys(
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
): Promise<void> {
  const { rows } = await topOf(gateway, req, ctx, "/global/spend/keys", "key");
  const keys = rows.map((row) => ({
    api_key: row.id,
    key_alias: row.alias ?? "",
    key_name: row.key_name ?? row.id,
    team_id: row.team_id ?? "",
    total_spend: row.total_spend,
    total_requests: row.total_requests,
    total_tokens: row.prompt_tokens + row.completion_tokens,
  }));
  sendJson(res, 200, keys, ctx.headers());
}

/** GET /global/spend/models?limit=N: the model groups that spent most, as LiteLLM's Last30dModelsBySpend rows. */
export async function globalSpendModels(
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
): Promise<void> {
  const { rows } = await topOf(gateway, req, ctx, "/global/spend/models", "model");
  const models = rows.map((row) => ({
    model: row.id,
    total_spend: row.total_spend,
    total_requests: row.total_requests,
    total_tokens: row.prompt_tokens + row.completion_tokens,
  }));
  sendJson(res, 200, models, ctx.headers());
}

/**
 * GET /global/spend/teams: LiteLLM's shape: `daily_spend` (one row per day, each team's spend
 * under its name), `teams` (the names) and `total_spend_per_team` (the top `limit`, default 10).
 */
export async function globalSpendTeams(
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
): Promise<void> {
  const { store, range, rows } = await topOf(gateway, req, ctx, "/global/spend/teams", "team");
  const daily = await store.spendSummary({ ...range, group_by: "team", bucket: "day" });
  const days = new Map<number, Record<string, number | string>>();
  const names = new Set<string>();
  for (const row of daily) {
    const day = row.bucket ?? 0;
    let entry = days.get(day);
    if (entry === undefined) {
      entry = { date: iso(day).slice(0, 10) };
      days.set(day, entry);
    }
    entry[teamName(row, "Unassigned")] = row.total_spend;
    names.add(teamName(row, "Unassigned"));
  }
  sendJson(
    res,
    200,
    {
      daily_spend: [...days.values()],
      teams: [...names],
      total_spend_per_team: rows.map((row) => ({ team_id: teamName(row, "Unassigned"), total_spend: row.total_spend })),
    },
    ctx.headers(),
  );
}

/**
 * GET /spend/logs/ui: the logs matching the filters, newest first, a page at a time, with how
 * many match: `{data, total, page, page_size, total_pages}` as LiteLLM's. Filters take
 * LiteLLM's names (`api_key`, `key_alias`, `status_filter`) and the short ones (`key_hash`,
 * `status`). A plaintext key given as `api_key` or `key_hash` is hashed and never echoed.
 */
export async function spendLogsUi(
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
): Promise<void> {
  const { store, principal } = await gateway.access.requireStoreAccess(req, ctx);
  const query = queryOf(req, "/spend/logs/ui", [
    "page",
    "page_size",
    "api_key",
    "key_hash",
    "key_alias",
    "team_id",
    "user_id",
    "request_id",
    "model",
    "end_user",
    "status",
    "status_filter",
    "start_date",
    "end_date",
  ]);
  const { page, size, offset } = pageOf(query, "page_size", 50, MAX_PAGE_SIZE);
  const text = (...names: string[]): string | undefined => {
    for (const name of names) {
      const value = query.get(name);
      if (value !== null && value !== "") return value;
    }
    return undefined;
  };
  const asked = text("api_key", "key_hash");
  let keyHash = asked === undefined ? undefined : keyHashOf(asked);
  if (principal.kind === "key") {
    // A virtual key reads its own logs only (read-only, for the UI's signed-in key).
    if (keyHash !== undefined && keyHash !== principal.grant.hash) {
      throw new PermissionDeniedError(
        "A virtual key may only read its own logs on /spend/logs/ui; leave out 'api_key', or use the master key.",
        { param: "api_key", code: "not_own_key" },
      );
    }
    keyHash = principal.grant.hash;
  }
  const statusName = text("status_filter") === undefined ? "status" : "status_filter";
  const status = choiceParam(query, statusName, ["success", "failure"], undefined);
  const range = dateRange(query);
  await gateway.access.flushSpend(FLUSH_MS);
  const { data, total } = await store.spendLogPage({
    ...range,
    key_hash: keyHash,
    key_alias: text("key_alias"),
    team_id: text("team_id"),
    user_id: text("user_id"),
    request_id: text("request_id"),
    model_group: text("model"),
    end_user: text("end_user"),
    status,
    limit: size,
    offset,
  });
  sendJson(
    res,
    200,
    { data: data.map(spendLogUiView), total, page, page_size: size, total_pages: Math.ceil(total / size) },
    ctx.headers(),
  );
}
