/**
 * Validation of a Responses API request before any upstream call: the types and ranges OpenAI
 * enforces on the fields litegate reads or translates, nested ones included (input items and
 * their content parts, tools, tool_choice, text.format). Each failure is a BadRequestError
 * naming the field, where inside it, what was received and what is allowed. Item and tool
 * types litegate does not translate pass here (native deployments take them); the bridge
 * refuses them by name.
 */
import { z } from "zod";
import { BadRequestError } from "./errors.js";
import { type FieldRules, schemaRejection } from "./schema-rejection.js";
import type { ResponsesParams } from "./responses.js";
import { assertModelName, assertObject, isRecord, listOf } from "./validate.js";

const nullable = <T extends z.ZodType>(schema: T) => schema.nullish();

const RULES: Record<string, string> = {
  model: "a non-empty string naming the model",
  input: "a string, or an array of input items (messages, function_call and function_call_output items)",
  instructions: "a string",
  tools: 'an array of tools, each {"type": "function", "name": ..., "parameters": {...}} or a built-in tool',
  tool_choice: '"none", "auto", "required" or {"type": "function", "name": ...}',
  text: 'an object such as {"format": {"type": "json_schema", "name": ..., "schema": {...}}}',
  max_output_tokens: "an integer >= 1",
  temperature: "a number from 0 to 2",
  top_p: "a number from 0 to 1",
  reasoning: 'an object such as {"effort": "low"}',
  metadata: "an object of up to 16 string values",
  user: "a string",
  parallel_tool_calls: "a boolean",
  store: "a boolean",
  previous_response_id: "a string: the id of an earlier response",
  stream: "a boolean",
};

/** Where inside a field an issue is: the rule for the value found there. */
const NESTED: [string, string][] = [
  ["input.*", "an input item: a message {role, content}, a function_call or a function_call_output"],
  ["input.*.role", '"user", "assistant", "system" or "developer"'],
  ["input.*.content", "a string or an array of content parts"],
  ["input.*.content.*", 'a content part such as {"type": "input_text", "text": ...}'],
  ["input.*.content.*.text", "a string"],
  ["input.*.content.*.image_url", "a string (an https or data: URL)"],
  ["input.*.call_id", "a string (the call_id of the function call)"],
  ["input.*.name", "a string"],
  ["input.*.arguments", "a string (the arguments as JSON text)"],
  ["input.*.output", "a string or an array of content parts"],
  ["tools.*", 'a tool: {"type": "function", "name": ..., "parameters": {...}}'],
  ["tools.*.name", "a non-empty string"],
  ["tools.*.parameters", "an object (a JSON Schema)"],
  ["tools.*.strict", "a boolean"],
  ["tool_choice.name", "a string"],
  ["text.format", '{"type": "text"}, {"type": "json_object"} or {"type": "json_schema", "name": ..., "schema": {...}}'],
  ["text.format.name", "a string"],
  ["text.format.schema", "an object (a JSON Schema)"],
  ["reasoning.effort", 'a string such as "low", "medium" or "high"'],
  ["metadata.*", "a string"],
];
const NESTED_RULES = new Map(NESTED);

const part = z.discriminatedUnion("type", [
  z.object({ type: z.literal("input_text"), text: z.string() }),
  z.object({ type: z.literal("output_text"), text: z.string() }),
  z.object({ type: z.literal("refusal"), refusal: z.string() }),
  z.object({ type: z.literal("input_image"), image_url: nullable(z.string()), file_id: nullable(z.string()) }),
  z.object({ type: z.enum(["input_file", "input_audio", "summary_text", "reasoning_text"]) }),
]);
const content = z.union([z.string(), listOf(part)]);

const message = z.object({
  type: z.literal("message").optional(),
  role: z.enum(["user", "assistant", "system", "developer"]),
  content,
});

/** An item is told apart by `type`; a message may leave it out. */
const item = z.custom<unknown>().superRefine((value, ctx) => {
  if (!isRecord(value)) {
    ctx.addIssue({ code: "custom", input: value });
    return;
  }
  let schema: z.ZodType | undefined;
  if (value.type === undefined || value.type === "message") schema = message;
  else if (value.type === "function_call")
    schema = z.object({ call_id: z.string(), name: z.string(), arguments: z.string() });
  else if (value.type === "function_call_output") schema = z.object({ call_id: z.string(), output: content });
  else if (typeof value.type !== "string") {
    ctx.addIssue({ code: "custom", input: value.type, path: ["type"] });
    return;
  }
  const issue = schema?.safeParse(value).error?.issues[0];
  if (issue !== undefined) ctx.addIssue({ ...issue, code: "custom", input: undefined });
});

const tool = z.custom<unknown>().superRefine((value, ctx) => {
  if (!isRecord(value) || typeof value.type !== "string") {
    ctx.addIssue({ code: "custom", input: value });
    return;
  }
  if (value.type !== "function") return;
  const schema = z.object({
    name: z.string().min(1),
    description: nullable(z.string()),
    parameters: nullable(z.record(z.string(), z.unknown())),
    strict: nullable(z.boolean()),
  });
  const issue = schema.safeParse(value).error?.issues[0];
  if (issue !== undefined) ctx.addIssue({ ...issue, code: "custom", input: undefined });
});

const format = z.discriminatedUnion("type", [
  z.object({ type: z.literal("text") }),
  z.object({ type: z.literal("json_object") }),
  z.object({
    type: z.literal("json_schema"),
    name: z.string(),
    schema: z.record(z.string(), z.unknown()),
    description: nullable(z.string()),
    strict: nullable(z.boolean()),
  }),
]);

// z.object, not z.looseObject: the body itself is returned, and params litegate does not read
// (include, truncation, service_tier, ...) pass to native deployments as they came.
const responsesSchema = z.object({
  model: z.string().min(1),
  input: nullable(z.union([z.string(), listOf(item)])),
  instructions: nullable(z.string()),
  tools: nullable(listOf(tool)),
  tool_choice: nullable(
    z.union([
      z.enum(["none", "auto", "required"]),
      z.object({ type: z.literal("function"), name: z.string() }),
      z.object({ type: z.string() }),
    ]),
  ),
  text: nullable(z.object({ format: nullable(format), verbosity: nullable(z.string()) })),
  max_output_tokens: nullable(z.number().int().min(1)),
  temperature: nullable(z.number().min(0).max(2)),
  top_p: nullable(z.number().min(0).max(1)),
  reasoning: nullable(z.object({ effort: nullable(z.string()), summary: nullable(z.string()) })),
  metadata: nullable(z.record(z.string(), z.string())),
  user: nullable(z.string()),
  parallel_tool_calls: nullable(z.boolean()),
  store: nullable(z.boolean()),
  previous_response_id: nullable(z.string().min(1)),
  stream: nullable(z.boolean()),
});

const FIELD_RULES: FieldRules = { top: RULES, nested: NESTED_RULES };

/** Throws BadRequestError unless `body` is a valid Responses API request; returns it typed (not a copy). */
export function validateResponses(body: unknown): ResponsesParams {
  assertObject(body);
  const result = responsesSchema.safeParse(body);
  if (!result.success) throw schemaRejection(body, result.error.issues[0], FIELD_RULES);
  assertModelName(body.model as string);
  const metadata = body.metadata;
  if (isRecord(metadata) && Object.keys(metadata).length > 16) {
    throw new BadRequestError(
      `Invalid 'metadata': it has ${Object.keys(metadata).length} keys; at most 16 are allowed.`,
      {
        param: "metadata",
        code: "invalid_value",
      },
    );
  }
  return body as ResponsesParams;
}
