/**
 * Validation of a chat completion request before any upstream call: the shapes and
 * ranges OpenAI enforces, each failure a BadRequestError naming the param, what was
 * received and what is allowed. Message contents are checked for type only.
 */
import { z } from "zod";
import type { ChatCompletionParams } from "./chat.js";
import { BadRequestError } from "./errors.js";
import { assertObject, describe } from "./validate.js";

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
  stream_options: "an object such as {\"include_usage\": true}",
  temperature: "a number from 0 to 2",
  top_p: "a number from 0 to 1",
  tools: "an array of tools, each {\"type\": \"function\", \"function\": {\"name\": ...}}",
  tool_choice: "\"none\", \"auto\", \"required\" or {\"type\": \"function\", \"function\": {\"name\": ...}}",
  parallel_tool_calls: "a boolean",
  response_format: "an object with a 'type'",
  user: "a string",
};

const message = z.looseObject({
  role: z.enum(["system", "developer", "user", "assistant", "tool", "function"]),
  content: z.union([z.string(), z.array(z.looseObject({ type: z.string() })), z.null()]).optional(),
});

const tool = z.looseObject({ type: z.literal("function"), function: z.looseObject({ name: z.string().min(1) }) });

const chatSchema = z.looseObject({
  model: z.string().min(1),
  messages: z.array(message).min(1),
  frequency_penalty: nullable(z.number().min(-2).max(2)),
  presence_penalty: nullable(z.number().min(-2).max(2)),
  logit_bias: nullable(z.record(z.string().regex(/^\d+$/), z.number().min(-100).max(100))),
  logprobs: nullable(z.boolean()),
  top_logprobs: nullable(int.min(0).max(20)),
  max_tokens: nullable(int.min(1)),
  max_completion_tokens: nullable(int.min(1)),
  n: nullable(int.min(1).max(128)),
  seed: nullable(int),
  stop: nullable(z.union([z.string(), z.array(z.string()).min(1).max(4)])),
  stream: nullable(z.boolean()),
  stream_options: nullable(z.looseObject({ include_usage: z.boolean().optional() })),
  temperature: nullable(z.number().min(0).max(2)),
  top_p: nullable(z.number().min(0).max(1)),
  tools: z.array(tool).optional(),
  tool_choice: z.union([z.enum(["none", "auto", "required"]), z.looseObject({ type: z.literal("function"), function: z.looseObject({ name: z.string() }) })]).optional(),
  parallel_tool_calls: z.boolean().optional(),
  response_format: z.looseObject({ type: z.string() }).optional(),
  user: z.string().optional(),
});

/** Throws BadRequestError unless `body` is a valid chat completion request; returns it typed (not a copy). */
export function validateChatCompletion(body: unknown): ChatCompletionParams {
  assertObject(body);
  const result = chatSchema.safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0];
    const param = String(issue?.path[0] ?? "body");
    const value = body[param];
    const where = issue !== undefined && issue.path.length > 1 ? ` (at ${issue.path.map(String).join(".")})` : "";
    const received = value === undefined ? `'${param}' is required` : `got ${describe(value)}`;
    throw new BadRequestError(`Invalid '${param}'${where}: ${received}. It must be ${RULES[param] ?? "valid"}.`, { param, code: "invalid_value" });
  }
  if (body.top_logprobs != null && body.logprobs !== true) {
    throw new BadRequestError("Invalid 'top_logprobs': it needs 'logprobs': true.", { param: "top_logprobs", code: "invalid_value" });
  }
  return body as ChatCompletionParams;
}
