/**
 * Validation of a chat completion request before any upstream call: the types, shapes and
 * ranges OpenAI enforces, nested ones included (message contents and their parts, tool
 * calls, tools, tool_choice, response_format), each failure a BadRequestError naming the
 * param, where inside it, what was received and what is allowed.
 */
import { z } from "zod";
import type { ChatCompletionParams, ContentPart } from "./chat.js";
import { BadRequestError } from "./errors.js";
import { type FieldRules, schemaRejection } from "./schema-rejection.js";
import {
  assertModelName,
  assertObject,
  isRecord,
  listOf,
  logitBiasSchema,
  stopSchema,
  streamOptionsSchema,
} from "./validate.js";

const nullable = <T extends z.ZodType>(schema: T) => schema.nullish();
const int = z.number().int();

const RULES: Record<string, string> = {
  model: "a non-empty string naming the model",
  messages: "a non-empty array of messages, each an object with a 'role' of system, developer, user, assistant or tool",
  frequency_penalty: "a number from -2 to 2",
  presence_penalty: "a number from -2 to 2",
  logit_bias: "an object mapping token ids (strings of digits) to numbers from -100 to 100",
  logprobs: "a boolean",
  top_logprobs: "an integer from 0 to 20",
  max_tokens: "an integer >= 1",
  max_completion_tokens: "an integer >= 1",
  n: "an integer from 1 to 128",
  seed: "an integer",
  stop: "a string or an array of 1 to 4 strings",
  stream: "a boolean",
  stream_options: 'an object such as {"include_usage": true}',
  temperature: "a number from 0 to 2",
  top_p: "a number from 0 to 1",
  tools: 'an array of tools, each {"type": "function", "function": {"name": ...}}',
  tool_choice: '"none", "auto", "required" or {"type": "function", "function": {"name": ...}}',
  parallel_tool_calls: "a boolean",
  response_format:
    '{"type": "text"}, {"type": "json_object"} or {"type": "json_schema", "json_schema": {"name": ..., "schema": {...}}}',
  user: "a string",
  audio: "an object with a 'voice' and a 'format', or null",
  modalities: 'an array of strings such as ["text"] or ["text", "audio"], or null',
  prediction: '{"type": "content", "content": ...} or null',
  reasoning_effort: 'a string such as "low", "medium" or "high", or null',
  service_tier: 'a string such as "auto" or "default", or null',
  verbosity: 'a string such as "low", "medium" or "high", or null',
  store: "a boolean or null",
  prompt_cache_key: "a string or null",
  safety_identifier: "a string or null",
  web_search_options: "an object",
  functions: 'an array of functions, each {"name": ..., "parameters": {...}}',
  function_call: '"none", "auto" or {"name": ...}',
};

/**
 * What fields inside params allow, by path ('*' stands for any index). A failure is reported
 * at the deepest part of its path written here, else at the param with the param's rule.
 */
const NESTED = new Map<string, string>([
  ["messages.*.content", "a string, an array of content parts, or null"],
  ["messages.*.content.*", 'a content part: an object with a string \'type\' such as "text" or "image_url"'],
  ["messages.*.content.*.type", 'a string such as "text", "image_url", "input_audio" or "file"'],
  ["messages.*.content.*.text", "a string"],
  ["messages.*.content.*.image_url", "an object with a string 'url'"],
  ["messages.*.content.*.image_url.url", "a string (an https: or data: URL)"],
  ["messages.*.content.*.image_url.detail", 'a string such as "auto", "low" or "high"'],
  ["messages.*.content.*.input_audio", "an object with a string 'data' (base64 audio) and a string 'format'"],
  ["messages.*.content.*.input_audio.data", "a string of base64-encoded audio"],
  ["messages.*.content.*.input_audio.format", 'a string such as "wav" or "mp3"'],
  ["messages.*.content.*.file", "an object with a string 'file_id' or 'file_data', and optionally a string 'filename'"],
  ["messages.*.content.*.file.file_id", "a string"],
  ["messages.*.content.*.file.file_data", "a string"],
  ["messages.*.content.*.file.filename", "a string"],
  ["messages.*.content.*.refusal", "a string"],
  ["messages.*.name", "a string"],
  ["messages.*.tool_call_id", "a string"],
  ["messages.*.refusal", "a string or null"],
  ["messages.*.tool_calls", "an array of tool calls, or null"],
  [
    "messages.*.tool_calls.*",
    'a tool call: {"id": ..., "type": "function", "function": {"name": ..., "arguments": ...}}',
  ],
  ["messages.*.tool_calls.*.id", "a string"],
  ["messages.*.tool_calls.*.function.name", "a string"],
  ["messages.*.tool_calls.*.function.arguments", "a string (the arguments as JSON text)"],
  ["messages.*.function_call", "an object with a string 'name' and a string 'arguments', or null"],
  ["messages.*.audio", "an object with a string 'id', or null"],
  ["tools.*", 'a tool: {"type": "function", "function": {"name": ...}}'],
  ["tools.*.function.name", "a non-empty string"],
  ["tools.*.function.description", "a string"],
  ["tools.*.function.parameters", "an object (a JSON Schema)"],
  ["tools.*.function.strict", "a boolean or null"],
  ["tool_choice.function.name", "a string"],
  ["response_format.type", '"text", "json_object" or "json_schema"'],
  ["response_format.json_schema", "an object with a string 'name' and a 'schema' object"],
  ["response_format.json_schema.name", "a string"],
  ["response_format.json_schema.description", "a string"],
  ["response_format.json_schema.schema", "an object (a JSON Schema)"],
  ["response_format.json_schema.strict", "a boolean or null"],
  ["prediction.content", "a string or an array of text parts"],
  ["functions.*", 'a function: {"name": ..., "parameters": {...}}'],
  ["functions.*.name", "a string"],
  ["functions.*.description", "a string"],
  ["functions.*.parameters", "an object (a JSON Schema)"],
]);

/** A JSON object checked for being one, not walked: a JSON Schema or options object is the provider's to read. */
const object = z.custom<Record<string, unknown>>(isRecord);

const textPart = z.object({ type: z.literal("text"), text: z.string() });

/** The content parts OpenAI defines, by type (the type itself is checked before). */
const PARTS = new Map<string, z.ZodType>([
  ["text", textPart],
  ["image_url", z.object({ image_url: z.object({ url: z.string(), detail: z.string().optional() }) })],
  ["input_audio", z.object({ input_audio: z.object({ data: z.string(), format: z.string() }) })],
  [
    "file",
    z.object({
      file: z.object({
        file_id: z.string().optional(),
        file_data: z.string().optional(),
        filename: z.string().optional(),
      }),
    }),
  ],
  ["refusal", z.object({ refusal: z.string() })],
]);

/**
 * A content part: an object with a string 'type'; the parts OpenAI defines are checked for
 * their fields. A part of another type passes as it is, like an unknown param: a provider that
 * takes it (Anthropic's own blocks) gets it, the others refuse it by name.
 */
const contentPart = z.custom<ContentPart>().superRefine((part: unknown, ctx) => {
  if (!isRecord(part)) {
    ctx.addIssue({ code: "custom", input: part });
    return;
  }
  if (typeof part.type !== "string") {
    ctx.addIssue({ code: "custom", input: part.type, path: ["type"] });
    return;
  }
  const issue = PARTS.get(part.type)?.safeParse(part).error?.issues[0];
  if (issue !== undefined) ctx.addIssue({ ...issue });
});

const toolCall = z.object({
  id: z.string(),
  type: z.literal("function"),
  function: z.object({ name: z.string(), arguments: z.string() }),
});

// Optional fields take null too: clients send back the assistant messages they received,
// where OpenAI's SDKs write absent fields as null.
const message = z.object({
  role: z.enum(["system", "developer", "user", "assistant", "tool", "function"]),
  content: z.union([z.string(), z.null(), listOf(contentPart)]).optional(),
  name: nullable(z.string()),
  tool_call_id: nullable(z.string()),
  tool_calls: nullable(listOf(toolCall)),
  refusal: nullable(z.string()),
  function_call: nullable(z.object({ name: z.string(), arguments: z.string() })),
  audio: nullable(z.object({ id: z.string() })),
});

const tool = z.object({
  type: z.literal("function"),
  function: z.object({
    name: z.string().min(1),
    description: z.string().optional(),
    parameters: object.optional(),
    strict: nullable(z.boolean()),
  }),
});

const responseFormat = z.discriminatedUnion("type", [
  z.object({ type: z.literal("text") }),
  z.object({ type: z.literal("json_object") }),
  z.object({
    type: z.literal("json_schema"),
    json_schema: z.object({
      name: z.string(),
      description: z.string().optional(),
      schema: object.optional(),
      strict: nullable(z.boolean()),
    }),
  }),
]);

const fn = z.object({ name: z.string(), description: z.string().optional(), parameters: object.optional() });

// z.object, not z.looseObject: the body itself is returned, so extra keys are never copied.
const chatSchema = z.object({
  model: z.string().min(1),
  messages: listOf(message, 1),
  frequency_penalty: nullable(z.number().min(-2).max(2)),
  presence_penalty: nullable(z.number().min(-2).max(2)),
  logit_bias: logitBiasSchema,
  logprobs: nullable(z.boolean()),
  top_logprobs: nullable(int.min(0).max(20)),
  max_tokens: nullable(int.min(1)),
  max_completion_tokens: nullable(int.min(1)),
  n: nullable(int.min(1).max(128)),
  seed: nullable(int),
  stop: stopSchema,
  stream: nullable(z.boolean()),
  stream_options: streamOptionsSchema,
  temperature: nullable(z.number().min(0).max(2)),
  top_p: nullable(z.number().min(0).max(1)),
  tools: listOf(tool).optional(),
  tool_choice: z
    .union([
      z.enum(["none", "auto", "required"]),
      z.object({ type: z.literal("function"), function: z.object({ name: z.string() }) }),
    ])
    .optional(),
  parallel_tool_calls: z.boolean().optional(),
  response_format: responseFormat.optional(),
  user: z.string().optional(),
  audio: nullable(z.object({ voice: z.union([z.string(), z.object({ id: z.string() })]), format: z.string() })),
  modalities: nullable(listOf(z.string())),
  prediction: nullable(z.object({ type: z.literal("content"), content: z.union([z.string(), listOf(textPart)]) })),
  reasoning_effort: nullable(z.string()),
  service_tier: nullable(z.string()),
  verbosity: nullable(z.string()),
  store: nullable(z.boolean()),
  prompt_cache_key: nullable(z.string()),
  safety_identifier: nullable(z.string()),
  web_search_options: object.optional(),
  functions: listOf(fn).optional(),
  function_call: z.union([z.enum(["none", "auto"]), z.object({ name: z.string() })]).optional(),
});

const FIELD_RULES: FieldRules = { top: RULES, nested: NESTED };

/** Throws BadRequestError unless `body` is a valid chat completion request; returns it typed (not a copy). */
export function validateChatCompletion(body: unknown): ChatCompletionParams {
  assertObject(body);
  const result = chatSchema.safeParse(body);
  if (!result.success) throw schemaRejection(body, result.error.issues[0], FIELD_RULES);
  assertModelName(body.model as string);
  if (body.top_logprobs != null && body.logprobs !== true) {
    throw new BadRequestError("Invalid 'top_logprobs': it needs 'logprobs': true.", {
      param: "top_logprobs",
      code: "invalid_value",
    });
  }
  return body as ChatCompletionParams;
}
