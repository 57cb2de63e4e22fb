/**
 * Validation of a text completion request before any upstream call. The schema checks
 * types and shapes only (a 1 MB string prompt costs one typeof); each failure becomes
 * a BadRequestError naming the param, what was received and what is allowed.
 */
import { z } from "zod";
import type { TextCompletionParams } from "./completions.js";
import { BadRequestError } from "./errors.js";

const int = z.number().int();
const tokenId = int.min(0);
const nullable = <T extends z.ZodType>(schema: T) => schema.nullish();

/** What each param allows, in the words the error message uses. */
const RULES = {
  model: "a non-empty string naming the model",
  prompt:
    "a string, a non-empty array of strings, a non-empty array of token ids (integers >= 0), or a non-empty array of non-empty token-id arrays",
  best_of: "an integer from 0 to 20, at least n, and not used with stream",
  echo: "a boolean",
  frequency_penalty: "a number from -2 to 2",
  logit_bias: "an object mapping token ids (strings of digits) to numbers from -100 to 100",
  logprobs: "an integer from 0 to 5",
  max_tokens: "an integer >= 0",
  n: "an integer from 1 to 128",
  presence_penalty: "a number from -2 to 2",
  seed: "an integer",
  stop: "a string or an array of 1 to 4 strings",
  stream: "a boolean",
  stream_options: "an object such as {\"include_usage\": true}",
  suffix: "a string",
  temperature: "a number from 0 to 2",
  top_p: "a number from 0 to 1",
  user: "a string",
} as const;

const requestSchema = z.looseObject({
  model: z.string().min(1),
  prompt: z.union([
    z.string(),
    z.array(z.string()).min(1),
    z.array(tokenId).min(1),
    z.array(z.array(tokenId).min(1)).min(1),
  ]),
  best_of: nullable(int.min(0).max(20)),
  echo: nullable(z.boolean()),
  frequency_penalty: nullable(z.number().min(-2).max(2)),
  logit_bias: nullable(z.record(z.string().regex(/^\d+$/), z.number().min(-100).max(100))),
  logprobs: nullable(int.min(0).max(5)),
  max_tokens: nullable(int.min(0)),
  n: nullable(int.min(1).max(128)),
  presence_penalty: nullable(z.number().min(-2).max(2)),
  seed: nullable(int),
  stop: nullable(z.union([z.string(), z.array(z.string()).min(1).max(4)])),
  stream: nullable(z.boolean()),
  stream_options: nullable(z.looseObject({ include_usage: z.boolean().optional() })),
  suffix: nullable(z.string()),
  temperature: nullable(z.number().min(0).max(2)),
  top_p: nullable(z.number().min(0).max(1)),
  user: z.string().optional(),
});

type Param = keyof typeof RULES;

export function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  let json: string | undefined;
  try {
    // String() for numbers: JSON would show NaN and Infinity as "null".
    json = typeof value === "number" ? String(value) : JSON.stringify(value);
  } catch {
    // BigInt and cyclic values: fall back to String() below.
  }
  // JSON.stringify gives undefined for functions and symbols.
  json ??= String(value);
  return json.length > 80 ? `${json.slice(0, 77)}...` : json;
}

function invalid(param: Param, value: unknown, extra = ""): BadRequestError {
  const received = value === undefined ? `'${param}' is required` : `got ${describe(value)}`;
  return new BadRequestError(`Invalid '${param}': ${received}${extra}. It must be ${RULES[param]}.`, {
    param,
    code: "invalid_value",
  });
}

/** Throws BadRequestError unless `body` is a JSON object (not an array, not null). */
export function assertObject(body: unknown): asserts body is Record<string, unknown> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new BadRequestError(
      `The request body must be a JSON object with 'model' and 'prompt'; got ${Array.isArray(body) ? "an array" : describe(body)}.`,
      { code: "invalid_body" },
    );
  }
}

/**
 * Throws BadRequestError unless `body` is a valid text completion request; returns it
 * typed (the same object, not a copy: forwarding it costs no rebuild).
 */
export function validateTextCompletion(body: unknown): TextCompletionParams {
  assertObject(body);
  const result = requestSchema.safeParse(body);
  const params = body as TextCompletionParams;
  if (!result.success) {
    const issue = result.error.issues[0];
    const param = issue?.path[0] as Param;
    throw invalid(param, params[param]);
  }
  const n = params.n ?? 1;
  if (params.best_of != null) {
    if (params.best_of < n) throw invalid("best_of", params.best_of, ` with n=${n}`);
    if (params.best_of > 1 && params.stream) throw invalid("best_of", params.best_of, " with stream=true");
  }
  return params;
}
