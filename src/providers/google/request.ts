/** The `generateContent` body for an OpenAI chat request (the Gemini API and Vertex AI take the same). */
import type { ChatCompletionParams } from "../../wire/chat.js";
import { isRecord } from "../../wire/validate.js";
import { invalidValue } from "./errors.js";
import { type Caller, geminiContents, systemInstruction } from "./messages.js";

/** The OpenAI chat params Gemini can express; logit_bias, user, reasoning_effort and the like it cannot. */
// biome-ignore format: a table, read across
export const GEMINI_CHAT_PARAMS: ReadonlySet<string> = new Set([
  "frequency_penalty", "logprobs", "max_completion_tokens", "max_tokens", "n", "presence_penalty",
  "reasoning_effort", "response_format", "seed", "stop", "stream", "stream_options", "temperature", "tool_choice", "tools",
  "top_logprobs", "top_p",
]);

function present<T>(value: T | null | undefined): value is T {
  return value !== null && value !== undefined;
}

/** JSON Schema keywords Gemini's Schema (an OpenAPI subset) refuses, and that change nothing it checks. */
const UNSUPPORTED_SCHEMA_KEYS = new Set(["$schema", "$id", "additionalProperties", "strict", "$defs", "definitions"]);
const LOCAL_REF = /^#\/(\$defs|definitions)\/(.+)$/;

/**
 * A JSON Schema as Gemini's Schema: local `$ref`s inlined from `$defs` (Gemini has no
 * references) and the keywords it refuses left out, as LiteLLM sends them.
 */
export function geminiSchema(schema: unknown, defs?: Record<string, unknown>, depth = 0): unknown {
  if (Array.isArray(schema)) return schema.map((item) => geminiSchema(item, defs, depth));
  if (!isRecord(schema)) return schema;
  const definitions = defs ?? {
    ...(isRecord(schema.definitions) ? schema.definitions : {}),
    ...(isRecord(schema.$defs) ? schema.$defs : {}),
  };
  const ref = typeof schema.$ref === "string" ? LOCAL_REF.exec(schema.$ref) : null;
  // A recursive schema cannot be inlined; Gemini cannot express it at all.
  if (ref !== null && depth < 16) return geminiSchema(definitions[ref[2] as string] ?? {}, definitions, depth + 1);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (UNSUPPORTED_SCHEMA_KEYS.has(key) || key === "$ref") continue;
    // Property names are data, not keywords: only their schemas are rewritten.
    if (key === "properties" && isRecord(value)) {
      out[key] = Object.fromEntries(
        Object.entries(value).map(([name, sub]) => [name, geminiSchema(sub, definitions, depth)]),
      );
    } else {
      out[key] = typeof value === "object" ? geminiSchema(value, definitions, depth) : value;
    }
  }
  return out;
}

function responseFormat(params: ChatCompletionParams, caller: Caller): Record<string, unknown> {
  const format = params.response_format;
  if (format === undefined || format.type === "text") return {};
  if (format.type === "json_object") return { responseMimeType: "application/json" };
  if (format.type === "json_schema") {
    const spec = isRecord(format.json_schema) ? format.json_schema : {};
    const schema = spec.schema;
    return {
      responseMimeType: "application/json",
      ...(isRecord(schema) ? { responseSchema: geminiSchema(schema) } : {}),
    };
  }
  const message = `Gemini takes response_format of type text, json_object or json_schema (got '${format.type}').`;
  throw invalidValue(message, "response_format.type", caller.provider, caller.model);
}

/** LiteLLM's thinking budgets for reasoning_effort (its constants.py defaults); `none` turns thinking off. */
const THINKING_BUDGETS: Readonly<Record<string, number>> = {
  none: 0,
  minimal: 128,
  low: 1024,
  medium: 2048,
  high: 4096,
};

function thinkingConfig(effort: unknown, caller: Caller): Record<string, unknown> | undefined {
  if (effort === undefined || effort === null) return undefined;
  const budget = typeof effort === "string" ? THINKING_BUDGETS[effort] : undefined;
  if (budget === undefined) {
    const message = `Gemini takes reasoning_effort none, minimal, low, medium or high (got ${JSON.stringify(effort)}).`;
    throw invalidValue(message, "reasoning_effort", caller.provider, caller.model);
  }
  // Thoughts are asked for whenever the model thinks, so they come back as reasoning_content.
  return budget === 0 ? { thinkingBudget: 0 } : { thinkingBudget: budget, includeThoughts: true };
}

function generationConfig(params: ChatCompletionParams, caller: Caller): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  const maxTokens = params.max_completion_tokens ?? params.max_tokens;
  if (present(maxTokens)) config.maxOutputTokens = maxTokens;
  if (present(params.temperature)) config.temperature = params.temperature;
  if (present(params.top_p)) config.topP = params.top_p;
  if (typeof params.top_k === "number") config.topK = params.top_k;
  if (present(params.stop)) {
    const stops = typeof params.stop === "string" ? [params.stop] : params.stop;
    if (stops.length > 0) config.stopSequences = stops;
  }
  if (present(params.n) && params.n !== 1) config.candidateCount = params.n;
  if (present(params.seed)) config.seed = params.seed;
  if (present(params.presence_penalty)) config.presencePenalty = params.presence_penalty;
  if (present(params.frequency_penalty)) config.frequencyPenalty = params.frequency_penalty;
  if (params.logprobs === true) {
    config.responseLogprobs = true;
    if (present(params.top_logprobs)) config.logprobs = params.top_logprobs;
  }
  const thinking = thinkingConfig(params.reasoning_effort, caller);
  if (thinking !== undefined) config.thinkingConfig = thinking;
  return { ...config, ...responseFormat(params, caller) };
}

function functionDeclarations(params: ChatCompletionParams, caller: Caller): Record<string, unknown>[] {
  return (params.tools ?? []).map((tool, index) => {
    if (tool.type !== "function" || !isRecord(tool.function)) {
      const message = `Gemini takes only function tools (got type '${String(tool.type)}').`;
      throw invalidValue(message, `tools[${index}]`, caller.provider, caller.model);
    }
    const fn = tool.function;
    const parameters = fn.parameters;
    // Gemini refuses an object schema without properties, which OpenAI allows for a function without arguments.
    const hasProperties =
      isRecord(parameters) && isRecord(parameters.properties) && Object.keys(parameters.properties).length > 0;
    return {
      name: fn.name,
      ...(fn.description === undefined ? {} : { description: fn.description }),
      ...(hasProperties ? { parameters: geminiSchema(parameters) } : {}),
    };
  });
}

function toolConfig(params: ChatCompletionParams, caller: Caller): Record<string, unknown> | undefined {
  const choice = params.tool_choice;
  if (choice === undefined || choice === null) return undefined;
  if (choice === "none") return { functionCallingConfig: { mode: "NONE" } };
  if (choice === "auto") return { functionCallingConfig: { mode: "AUTO" } };
  if (choice === "required") return { functionCallingConfig: { mode: "ANY" } };
  const name = isRecord(choice) && choice.type === "function" && isRecord(choice.function) && choice.function.name;
  if (typeof name === "string") return { functionCallingConfig: { mode: "ANY", allowedFunctionNames: [name] } };
  throw invalidValue(
    `Gemini cannot express tool_choice ${JSON.stringify(choice)}.`,
    "tool_choice",
    caller.provider,
    caller.model,
  );
}

export function generateContentBody(params: ChatCompletionParams, caller: Caller): Record<string, unknown> {
  const contents = geminiContents(params.messages, caller);
  if (contents.length === 0) {
    const message = "Gemini needs at least one user or assistant message besides the system prompt.";
    throw invalidValue(message, "messages", caller.provider, caller.model);
  }
  const body: Record<string, unknown> = { contents };
  const system = systemInstruction(params.messages);
  if (system !== undefined) body.systemInstruction = system;
  const declarations = functionDeclarations(params, caller);
  // tool_choice without tools means nothing (OpenAI refuses it too); Gemini would refuse the toolConfig.
  if (declarations.length > 0) {
    body.tools = [{ functionDeclarations: declarations }];
    const config = toolConfig(params, caller);
    if (config !== undefined) body.toolConfig = config;
  }
  // LiteLLM's name for Gemini's safety settings, passed as they are.
  if (Array.isArray(params.safety_settings)) body.safetySettings = params.safety_settings;
  const config = generationConfig(params, caller);
  if (Object.keys(config).length > 0) body.generationConfig = config;
  return body;
}
