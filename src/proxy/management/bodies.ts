/**
 * The bodies and query strings of the key, user, team and spend routes, validated with
 * zod. Field names and meanings are LiteLLM's. A field litegate does not support is a 400
 * naming it, never silently ignored: a client that sets `soft_budget` or `model_max_budget`
 * must not believe a limit holds that does not.
 */
import { z } from "zod";
import { isDuration } from "../../access/duration.js";
import { BadRequestError } from "../../wire/errors.js";
import { clip, describe, listOf } from "../../wire/validate.js";

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
export const newUserBody = z.strictObject({ ...budget, user_id: id, auto_create_key: z.boolean() }).partial();
export const newTeamBody = z
  .strictObject({ ...budget, team_id: id, team_alias: z.string().max(256).nullable() })
  .partial();
export const updateUserBody = z
  .strictObject({ ...budget, user_id: id })
  .partial()
  .required({ user_id: true });
export const updateTeamBody = newTeamBody.required({ team_id: true });

export type GenerateKeyBody = z.infer<typeof generateKeyBody>;

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
