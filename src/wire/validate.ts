/**
 * Validation of a text completion request before any upstream call, and what every
 * validator shares: the bounded describer an error message quotes values with, the
 * model-name bound, and zod pieces that stay linear on hostile input. The schemas check
 * types and shapes only (a 1 MB string prompt costs one typeof); each failure becomes a
 * BadRequestError naming the param, what was received and what is allowed.
 */
import { z } from "zod";
import type { Prompt, TextCompletionParams } from "./completions.js";
import { BadRequestError } from "./errors.js";

/** The most characters of a client's value an error message quotes; longer values are cut, with "...". */
export const QUOTE_LIMIT = 80;

/**
 * The longest model name a request may carry. No provider's name comes near it, and the name
 * is written into log lines, spend records and errors: an unbounded one would carry a client's
 * megabytes into each.
 */
export const MAX_MODEL_LENGTH = 256;

const int = z.number().int();
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
  stream_options: 'an object such as {"include_usage": true}',
  suffix: "a string",
  temperature: "a number from 0 to 2",
  top_p: "a number from 0 to 1",
  user: "a string",
} as const;

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * An array of `item`s, checked in order up to the first bad one, which is reported at its index.
 * z.array reports every bad item: a hostile array of a million bad items would be a million
 * issues, seconds of work and a heap full of them.
 */
export function listOf<T extends z.ZodType>(item: T, min = 0) {
  return z.custom<z.output<T>[]>().superRefine((value, ctx) => {
    if (!Array.isArray(value) || value.length < min) {
      ctx.addIssue({ code: "custom", input: value });
      return;
    }
    for (let index = 0; index < value.length; index++) {
      const result = item.safeParse(value[index]);
      const issue = result.error?.issues[0];
      if (issue !== undefined) {
        ctx.addIssue({ ...issue, path: [index, ...issue.path] });
        return;
      }
    }
  });
}

/**
 * A value checked by `check`, a plain loop that stops at the first bad item: for params
 * whose arrays and maps a client can make huge (prompt, stop, logit_bias), whose errors
 * quote the whole param anyway.
 */
function checked<T>(check: (value: unknown) => value is T) {
  return z.custom<T>((value) => check(value));
}

function isTokenIds(value: unknown): value is number[] {
  if (!Array.isArray(value) || value.length === 0) return false;
  for (const id of value as unknown[]) {
    if (!Number.isInteger(id) || (id as number) < 0) return false;
  }
  return true;
}

function isPrompt(value: unknown): value is Prompt {
  if (typeof value === "string") return true;
  if (!Array.isArray(value) || value.length === 0) return false;
  if (typeof value[0] === "number") return isTokenIds(value);
  const strings = typeof value[0] === "string";
  for (const item of value as unknown[]) {
    if (strings ? typeof item !== "string" : !isTokenIds(item)) return false;
  }
  return true;
}

function isStop(value: unknown): value is string | string[] {
  if (typeof value === "string") return true;
  if (!Array.isArray(value) || value.length < 1 || value.length > 4) return false;
  for (let i = 0; i < value.length; i++) if (typeof value[i] !== "string") return false;
  return true;
}

function isLogitBias(value: unknown): value is Record<string, number> {
  if (!isRecord(value)) return false;
  for (const key in value) {
    const bias = value[key];
    if (!/^\d+$/.test(key) || typeof bias !== "number" || !(bias >= -100 && bias <= 100)) return false;
  }
  return true;
}

/** `stop`, `logit_bias` and `stream_options` mean the same in text and chat completions. */
export const stopSchema = nullable(checked(isStop));
export const logitBiasSchema = nullable(checked(isLogitBias));
export const streamOptionsSchema = nullable(
  z.object({ include_usage: z.boolean().optional(), include_obfuscation: z.boolean().optional() }),
);

// z.object, not z.looseObject: the validators return the body itself, so the extra keys a
// loose schema would copy into its output (a million, from a hostile body) are never needed.
const requestSchema = z.object({
  model: z.string().min(1),
  prompt: checked(isPrompt),
  best_of: nullable(int.min(0).max(20)),
  echo: nullable(z.boolean()),
  frequency_penalty: nullable(z.number().min(-2).max(2)),
  logit_bias: logitBiasSchema,
  logprobs: nullable(int.min(0).max(5)),
  max_tokens: nullable(int.min(0)),
  n: nullable(int.min(1).max(128)),
  presence_penalty: nullable(z.number().min(-2).max(2)),
  seed: nullable(int),
  stop: stopSchema,
  stream: nullable(z.boolean()),
  stream_options: streamOptionsSchema,
  suffix: nullable(z.string()),
  temperature: nullable(z.number().min(0).max(2)),
  top_p: nullable(z.number().min(0).max(1)),
  user: z.string().optional(),
});

type Param = keyof typeof RULES;

/** `text` as a message quotes it: whole up to `QUOTE_LIMIT` characters, else cut with "...". */
export function clip(text: string): string {
  return text.length > QUOTE_LIMIT ? `${text.slice(0, QUOTE_LIMIT - 3)}...` : text;
}

/** A string as JSON, escaped, from no more than the first `room` characters of it. */
function quoteString(text: string, room: number): string {
  return JSON.stringify(text.length > room ? text.slice(0, room) : text);
}

/** Digits of a BigInt beyond which it is named by its size: printing a huge one whole is quadratic work. */
const BIGINT_SHOWN = 10n ** BigInt(QUOTE_LIMIT);

function bigintText(value: bigint): string {
  if (value < BIGINT_SHOWN && value > -BIGINT_SHOWN) return String(value);
  // Hex digits cost linear time; each is log10(16) decimal digits.
  const hex = (value < 0n ? -value : value).toString(16);
  return `a BigInt of about ${Math.round(hex.length * Math.log10(16))} digits`;
}

/**
 * A value inside an object or array as JSON writes it: undefined, functions and symbols are left
 * out of objects, null in arrays.
 */
function isOmitted(value: unknown): boolean {
  return value === undefined || typeof value === "function" || typeof value === "symbol";
}

type Frame =
  | { items: readonly unknown[]; next: number }
  | { source: Record<string, unknown>; keys: string[]; next: number; written: number };

/**
 * The JSON of `value` up to a little past `QUOTE_LIMIT` characters: containers are walked
 * with an explicit stack, so neither size nor depth matters (a million-item or ten-thousand-
 * deep value costs what the first characters cost), and a value met again inside itself is
 * shown as [Circular]. Numbers print as JavaScript does (NaN, Infinity), BigInts as digits.
 */
function jsonPrefix(value: unknown): string {
  let text = "";
  const stack: Frame[] = [];
  const open = new Set<object>();
  const write = (item: unknown): void => {
    if (typeof item === "string") text += quoteString(item, QUOTE_LIMIT + 1 - text.length);
    else if (typeof item === "bigint") text += bigintText(item);
    else if (typeof item !== "object" || item === null) text += String(item);
    else if (open.has(item)) text += "[Circular]";
    else if (Array.isArray(item)) {
      text += "[";
      open.add(item);
      stack.push({ items: item, next: 0 });
    } else {
      text += "{";
      open.add(item);
      stack.push({ source: item as Record<string, unknown>, keys: Object.keys(item), next: 0, written: 0 });
    }
  };
  write(value);
  while (stack.length > 0 && text.length <= QUOTE_LIMIT) {
    const frame = stack[stack.length - 1] as Frame;
    if ("items" in frame) {
      if (frame.next >= frame.items.length) {
        text += "]";
        open.delete(frame.items);
        stack.pop();
        continue;
      }
      if (frame.next > 0) text += ",";
      const item = frame.items[frame.next++];
      write(isOmitted(item) ? null : item);
      continue;
    }
    let key: string | undefined;
    let item: unknown;
    while (frame.next < frame.keys.length) {
      const candidate = frame.keys[frame.next++] as string;
      item = frame.source[candidate];
      if (!isOmitted(item)) {
        key = candidate;
        break;
      }
    }
    if (key === undefined) {
      text += "}";
      open.delete(frame.source);
      stack.pop();
      continue;
    }
    if (frame.written++ > 0) text += ",";
    text += `${quoteString(key, QUOTE_LIMIT)}:`;
    write(item);
  }
  return text;
}

/**
 * A client's value as an error message shows it: its JSON, at most `QUOTE_LIMIT` characters
 * ("..." marks a cut). Bounded for any value: huge, deeply nested, cyclic, BigInt, or one
 * whose getters throw.
 */
export function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  // Functions and symbols have no JSON: their source or description, as String() gives it.
  if (typeof value === "function" || typeof value === "symbol") return clip(String(value));
  try {
    return clip(jsonPrefix(value));
  } catch {
    // A getter or proxy threw while it was read.
    return "a value that cannot be shown";
  }
}

/**
 * Throws BadRequestError unless `model` is within MAX_MODEL_LENGTH (the schemas already checked it
 * is a non-empty string).
 */
export function assertModelName(model: string): void {
  if (model.length <= MAX_MODEL_LENGTH) return;
  throw new BadRequestError(
    `Invalid 'model': got a name of ${model.length} characters, ${describe(model)}. It must be a model name of at most ${MAX_MODEL_LENGTH} characters.`,
    { param: "model", code: "invalid_value" },
  );
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
  if (!isRecord(body)) {
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
  assertModelName(params.model);
  const n = params.n ?? 1;
  if (params.best_of != null) {
    if (params.best_of < n) throw invalid("best_of", params.best_of, ` with n=${n}`);
    if (params.best_of > 1 && params.stream) throw invalid("best_of", params.best_of, " with stream=true");
  }
  return params;
}
