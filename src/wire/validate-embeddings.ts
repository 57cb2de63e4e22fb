/**
 * Validation of an embeddings request before any upstream call: the types and ranges OpenAI
 * enforces, each failure a BadRequestError naming the field, where inside it (`input.3`),
 * what was received and what is allowed. An input list may be longer than one provider call
 * takes: litegate splits it (see src/sdk/embedding.ts), so no count limit is set here beyond
 * the body size.
 */
import { z } from "zod";
import type { EmbeddingParams } from "./embeddings.js";
import { type FieldRules, schemaRejection } from "./schema-rejection.js";
import { assertModelName, assertObject } from "./validate.js";

const nullable = <T extends z.ZodType>(schema: T) => schema.nullish();

const RULES: Record<string, string> = {
  model: "a non-empty string naming the model",
  input:
    "a non-empty string, a non-empty array of non-empty strings, a non-empty array of token ids (integers >= 0), or a non-empty array of non-empty token-id arrays",
  encoding_format: '"float" or "base64"',
  dimensions: "an integer >= 1",
  user: "a string",
};

const NESTED = new Map<string, string>([
  [
    "input.*",
    "of the first item's form: a non-empty string, a token id (an integer >= 0), or a non-empty array of token ids",
  ],
  ["input.*.*", "a token id (an integer >= 0)"],
]);

const FIELD_RULES: FieldRules = { top: RULES, nested: NESTED };

const isTokenId = (value: unknown): boolean => Number.isInteger(value) && (value as number) >= 0;

/**
 * The input, checked in one loop that stops at the first bad item and reports where it is
 * (a hostile list of a million bad items costs one issue). The form is set by the first
 * item: strings, token ids, or token-id lists, never mixed.
 */
const input = z.custom<EmbeddingParams["input"]>().superRefine((value, ctx) => {
  const bad = badPlace(value);
  if (bad !== undefined) ctx.addIssue({ code: "custom", input: bad.found, path: bad.path });
});

/** Where the input is bad and what is there (the whole input at path []), or undefined when it is good. */
function badPlace(value: unknown): { path: number[]; found: unknown } | undefined {
  if (typeof value === "string") return value === "" ? { path: [], found: value } : undefined;
  if (!Array.isArray(value) || value.length === 0) return { path: [], found: value };
  const head: unknown = value[0];
  for (let i = 0; i < value.length; i++) {
    const item: unknown = value[i];
    if (typeof head === "number") {
      if (!isTokenId(item)) return { path: [i], found: item };
    } else if (typeof head === "string") {
      if (typeof item !== "string" || item === "") return { path: [i], found: item };
    } else if (!Array.isArray(item) || item.length === 0) {
      return { path: [i], found: item };
    } else {
      const at = item.findIndex((id) => !isTokenId(id));
      if (at !== -1) return { path: [i, at], found: item[at] };
    }
  }
  return undefined;
}

// z.object, not z.looseObject: the body itself is returned, so extra keys are never copied.
const embeddingSchema = z.object({
  model: z.string().min(1),
  input,
  encoding_format: nullable(z.enum(["float", "base64"])),
  dimensions: nullable(z.number().int().min(1)),
  user: z.string().optional(),
});

/** Throws BadRequestError unless `body` is a valid embeddings request; returns it typed (not a copy). */
export function validateEmbedding(body: unknown): EmbeddingParams {
  assertObject(body);
  const result = embeddingSchema.safeParse(body);
  if (!result.success) throw schemaRejection(body, result.error.issues[0], FIELD_RULES);
  assertModelName(body.model as string);
  return body as EmbeddingParams;
}
