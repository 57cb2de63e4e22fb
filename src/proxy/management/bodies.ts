/**
 * The bodies and query strings of the key, user, team and spend routes, validated with
 * zod. Field names and meanings are LiteLLM's. A field litegate does not support is a 400
 * naming it, never silently ignored: a client that sets `soft_budget` or `model_max_budget`
 * must not believe a limit holds that does not.
 */
import type { IncomingMessage } from "node:http";
import { z } from "zod";
import { isDuration } from "../../access/duration.js";
import { BadRequestError } from "../../wire/errors.js";
import { clip, describe, listOf } from "../../wire/validate.js";
import { readJsonBody } from "../body.js";
import type { Gateway } from "../gateway.js";

/** What each field must be, as the 400 says it. */
const RULES = {
  key: "a key (sk-...) or a key hash, as a string",
  keys: "a non-empty list of keys (sk-...) or key hashes",
  models: "a list of model names (an empty list allows every model)",
  max_budget: "a number of USD >= 0, or null for no budget",
  budget_duration: 'a duration such as "30s", "30m", "24h", "30d", "1w" or "1mo" (at most 100 years), or null',
  duration:
    'a duration such as "30s", "30m", "24h", "30d", "1w" or "1mo" (at most 100 years) after which the key expires, or null',
  expires: "an ISO 8601 date-time (2027-01-31T00:00:00Z) when the key expires, or null",
  rpm_limit: "a whole number of requests per minute >= 0, or null",
  tpm_limit: "a whole number of tokens per minute >= 0, or null",
  max_parallel_requests: "a whole number >= 0, or null",
  key_alias: "a string, or null",
  user_id: "a non-empty string",
  team_id: "a non-empty string",
  team_alias: "a string, or null",
  metadata: "a JSON object",
  blocked: "true or false",
  auto_create_key: "true or false",
  user_email: "an email address, as a string, or null",
  user_alias: "a string, or null",
  user_role: '"proxy_admin", "proxy_admin_viewer", "internal_user" or "internal_user_viewer", or null',
  teams: 'a list of team ids, or of {"team_id": "...", "user_role": "user" or "admin"}',
  members_with_roles: 'a list of members, each {"role": "admin" or "user", "user_id": "..."} or with "user_email"',
  member: 'a member {"role": "admin" or "user", "user_id": "..."} (or "user_email"), or a list of them',
  max_budget_in_team: "a number of USD >= 0, or null",
  team_ids: "a non-empty list of team ids",
  user_ids: "a non-empty list of ids",
  budget_id: "a non-empty string, or null",
  budgets: "a non-empty list of budget ids",
  id: "a budget id, as a non-empty string",
  alias: "a string, or null",
  soft_budget: "a number of USD >= 0, or null",
  model_max_budget: "a JSON object, or null",
  allowed_model_region: '"eu" or "us", or null',
  default_model: "a model name, or null",
} as const;

type Field = keyof typeof RULES;

const id = z.string().min(1).max(256);
const limit = z.number().int().min(0).nullable();
const duration = z.string().refine(isDuration).nullable();
const metadata = z.record(z.string(), z.json());

const budget = {
  models: listOf(z.string().min(1)),
  max_budget: z.number().min(0).nullable(),
  budget_duration: duration,
  metadata,
};

const keySettings = {
  ...budget,
  rpm_limit: limit,
  tpm_limit: limit,
  max_parallel_requests: limit,
  duration,
  expires: z.iso.datetime({ offset: true }).nullable(),
  key_alias: z.string().max(256).nullable(),
  user_id: id.nullable(),
  team_id: id.nullable(),
  blocked: z.boolean(),
};

export const generateKeyBody = z.strictObject(keySettings).partial();
export const updateKeyBody = z
  .strictObject({ ...keySettings, key: id })
  .partial()
  .required({ key: true });
export const keyBody = z.strictObject({ key: id });
export const deleteKeysBody = z.strictObject({ keys: listOf(id, 1) });

export type GenerateKeyBody = z.infer<typeof generateKeyBody>;

// LiteLLM's organisation routes: users, teams and their members, end users (customers), budgets.

/**
 * Fields LiteLLM's request models declare that litegate accepts and does not act on (they
 * configure features it does not have: invitations, SSO, organisations, guardrails, per-model
 * budgets, MCP, ...). Accepted so LiteLLM's clients work unchanged; the README lists them.
 */
function ignored(names: readonly string[]): Record<string, z.ZodType> {
  return Object.fromEntries(names.map((name) => [name, z.unknown()]));
}

const KEY_BASE_IGNORED = [
  "spend",
  "agent_id",
  "budget_limits",
  "allowed_cache_controls",
  "config",
  "permissions",
  "model_max_budget",
  "budget_fallbacks",
  "model_rpm_limit",
  "model_tpm_limit",
  "mcp_rpm_limit",
  "tag_rpm_limit",
  "guardrails",
  "policies",
  "prompts",
  "aliases",
  "object_permission",
] as const;

const USER_ROLE = z.enum(["proxy_admin", "proxy_admin_viewer", "internal_user", "internal_user_viewer"]).nullable();
const email = z.string().min(1).max(320).nullable();
const alias = z.string().max(256).nullable();
const money = z.number().min(0).nullable();
const userLimits = { tpm_limit: limit, rpm_limit: limit, max_parallel_requests: limit };

const memberOf = z
  .strictObject({ role: z.enum(["admin", "user"]), user_id: id.nullable(), user_email: email })
  .partial({ user_id: true, user_email: true })
  .refine((member) => member.user_id != null || member.user_email != null);
export type MemberInput = z.infer<typeof memberOf>;

const userTeam = z.union([
  id,
  z
    .strictObject({ team_id: id, max_budget_in_team: money, user_role: z.enum(["user", "admin"]) })
    .partial({ max_budget_in_team: true, user_role: true }),
]);

const userFields = {
  ...budget,
  ...userLimits,
  user_id: id,
  user_email: email,
  user_alias: alias,
  user_role: USER_ROLE,
};

export const newUserBody = z
  .strictObject({
    ...userFields,
    auto_create_key: z.boolean(),
    // The key /user/new makes: its expiry, alias, team and block.
    duration,
    key_alias: alias,
    team_id: id.nullable(),
    blocked: z.boolean(),
    teams: listOf(userTeam),
    ...ignored([...KEY_BASE_IGNORED, "send_invite_email", "sso_user_id", "organizations"]),
  })
  .partial();
export const updateUserBody = z
  .strictObject({
    ...userFields,
    ...ignored([...KEY_BASE_IGNORED, "password", "duration", "key_alias", "team_id", "blocked"]),
  })
  .partial()
  .required({ user_id: true });

const TEAM_IGNORED = [
  "organization_id",
  "admins",
  "members",
  "team_member_permissions",
  "soft_budget",
  "budget_limits",
  "router_settings",
  "access_group_ids",
  "default_team_member_models",
  "model_aliases",
  "tags",
  "guardrails",
  "policies",
  "prompts",
  "object_permission",
  "allowed_passthrough_routes",
  "disable_global_guardrails",
  "secret_manager_settings",
  "model_rpm_limit",
  "model_tpm_limit",
  "rpm_limit_type",
  "tpm_limit_type",
  "default_estimated_output_tokens",
  "default_estimated_output_tokens_per_model",
  "mcp_rpm_limit",
  "team_member_budget",
  "team_member_rpm_limit",
  "team_member_tpm_limit",
  "team_member_key_duration",
  "team_member_budget_duration",
  "allowed_vector_store_indexes",
  "enforced_batch_output_expires_after",
  "enforced_file_expires_after",
] as const;

const teamFields = {
  ...budget,
  ...userLimits,
  team_id: id,
  team_alias: alias,
  blocked: z.boolean(),
  ...ignored(TEAM_IGNORED),
};

export const newTeamBody = z.strictObject({ ...teamFields, members_with_roles: listOf(memberOf) }).partial();
export const updateTeamBody = z.strictObject(teamFields).partial().required({ team_id: true });

export const teamMemberAddBody = z
  .strictObject({ team_id: id, member: z.union([memberOf, listOf(memberOf, 1)]), max_budget_in_team: money })
  .partial({ max_budget_in_team: true });
export const teamMemberDeleteBody = z
  .strictObject({ team_id: id, user_id: id.nullable(), user_email: email })
  .partial({ user_id: true, user_email: true });
export const teamIdBody = z.strictObject({ team_id: id });
export const deleteTeamsBody = z.strictObject({ team_ids: listOf(id, 1) });
export const userIdsBody = z.strictObject({ user_ids: listOf(id, 1) });

const budgetSettings = {
  max_budget: money,
  soft_budget: money,
  max_parallel_requests: limit,
  tpm_limit: limit,
  rpm_limit: limit,
  budget_duration: duration,
  model_max_budget: metadata.nullable(),
  // LiteLLM lets the first reset time be set; here a window starts when its budget is first used.
  ...ignored(["budget_reset_at"]),
};
export interface BudgetSettings {
  max_budget?: number | null | undefined;
  soft_budget?: number | null | undefined;
  max_parallel_requests?: number | null | undefined;
  tpm_limit?: number | null | undefined;
  rpm_limit?: number | null | undefined;
  budget_duration?: string | null | undefined;
  model_max_budget?: Record<string, unknown> | null | undefined;
}

export const newBudgetBody = z.strictObject({ ...budgetSettings, budget_id: id }).partial();
export const updateBudgetBody = newBudgetBody.required({ budget_id: true });
export const budgetInfoBody = z.strictObject({ budgets: listOf(id, 1) });
export const budgetDeleteBody = z.strictObject({ id });

const customerFields = {
  ...budgetSettings,
  user_id: id,
  alias,
  blocked: z.boolean(),
  budget_id: id.nullable(),
  allowed_model_region: z.enum(["eu", "us"]).nullable(),
  default_model: z.string().min(1).max(256).nullable(),
  metadata,
  ...ignored(["object_permission", "spend"]),
};
export const newCustomerBody = z.strictObject(customerFields).partial().required({ user_id: true });
export const updateCustomerBody = newCustomerBody;

/** `body` checked against `schema`; a 400 naming the first bad field, the value sent and what it must be. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown, route: string): z.infer<S> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new BadRequestError(
      `The body of ${route} must be a JSON object; got ${Array.isArray(body) ? "an array" : describe(body)}.`,
      {
        code: "invalid_body",
      },
    );
  }
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (issue?.code === "unrecognized_keys") {
    // Cut: the name is the client's, of any length.
    const field = clip(issue.keys[0] ?? "");
    const accepted = schema instanceof z.ZodObject ? ` It takes: ${Object.keys(schema.shape).join(", ")}.` : "";
    throw new BadRequestError(
      `${route} does not take '${field}' (a typo, or a field litegate does not support): remove it.${accepted}`,
      {
        param: field,
        code: "unsupported_field",
      },
    );
  }
  const field = String(issue?.path[0] ?? "");
  const value = (body as Record<string, unknown>)[field];
  const rule = field in RULES ? RULES[field as Field] : "valid";
  const received = value === undefined ? `'${field}' is required` : `got ${describe(value)}`;
  throw new BadRequestError(`Invalid '${field}' in ${route}: ${received}. It must be ${rule}.`, {
    param: field,
    code: "invalid_value",
  });
}

/** A management route's body, read within the gateway's size limit and checked against `schema`. */
export async function readBody<S extends z.ZodType>(
  gateway: Gateway,
  req: IncomingMessage,
  schema: S,
  route: string,
): Promise<z.infer<S>> {
  return parseBody(schema, await readJsonBody(req, gateway.maxBodyBytes), route);
}
