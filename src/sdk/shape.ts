/**
 * A light check of what an adapter made of an upstream answer or stream chunk, before
 * it reaches the caller: the fields litegate reads and every client indexes into
 * (`choices`, each choice's index and text or message or delta, usage counts). An
 * OpenAI-compatible upstream's answer is passed on as it came, so without this a proxy's
 * `{}` or `[]` would be forwarded as a 200. Everything else a provider adds is kept.
 *
 * Hand-written rather than a zod schema: it runs on every answer and every chunk, and
 * costs well under a microsecond for a typical one.
 */
import { isRecord } from "../wire/validate.js";

export interface Shape {
  /** What the value should be, for messages: "text completion". */
  readonly what: string;
  /** What is wrong with `value`, or undefined when it has the shape. */
  problem(value: unknown): string | undefined;
}

/** What is wrong with one choice, worded from inside it (`text is not a string`). */
type ChoiceProblem = (choice: Record<string, unknown>) => string | undefined;

function isIndex(value: unknown): boolean {
  return typeof value === "number" && Number.isInteger(value) && value >= 0;
}

function isOptionalString(value: unknown): boolean {
  return value === undefined || value === null || typeof value === "string";
}

function usageProblem(usage: unknown): string | undefined {
  if (usage === undefined || usage === null) return undefined;
  if (!isRecord(usage)) return "usage is not an object";
  if (typeof usage.prompt_tokens !== "number") return "usage.prompt_tokens is not a number";
  if (typeof usage.completion_tokens !== "number") return "usage.completion_tokens is not a number";
  return undefined;
}

/** A record with a `choices` list (non-empty for an answer), each choice checked by `choiceProblem`. */
function completionProblem(value: unknown, answer: boolean, choiceProblem: ChoiceProblem): string | undefined {
  if (!isRecord(value))
    return `it is ${value === null ? "null" : Array.isArray(value) ? "a list" : `a ${typeof value}`}, not an object`;
  const choices = value.choices;
  if (!Array.isArray(choices)) return "`choices` is missing or not a list";
  if (answer && choices.length === 0) return "`choices` is empty";
  for (let i = 0; i < choices.length; i++) {
    const choice: unknown = choices[i];
    // The path is worded only once something is wrong: this loop runs on every chunk.
    if (!isRecord(choice)) return `choices[${i}] is not an object`;
    let problem: string | undefined;
    if (!isIndex(choice.index)) problem = "index is not a non-negative integer";
    else if (!isOptionalString(choice.finish_reason)) problem = "finish_reason is not a string";
    else problem = choiceProblem(choice);
    if (problem !== undefined) return `choices[${i}].${problem}`;
  }
  return usageProblem(value.usage);
}

const textChoice: ChoiceProblem = (choice) => (typeof choice.text === "string" ? undefined : "text is not a string");

function messageProblem(message: unknown, name: string): string | undefined {
  if (!isRecord(message)) return `${name} is not an object`;
  return isOptionalString(message.content) ? undefined : `${name}.content is not a string`;
}

const chatChoice: ChoiceProblem = (choice) => messageProblem(choice.message, "message");
const chatChunkChoice: ChoiceProblem = (choice) => messageProblem(choice.delta, "delta");

export const TEXT_COMPLETION: Shape = {
  what: "text completion",
  problem: (value) => completionProblem(value, true, textChoice),
};

export const TEXT_COMPLETION_CHUNK: Shape = {
  what: "text completion chunk",
  problem: (value) => completionProblem(value, false, textChoice),
};

export const CHAT_COMPLETION: Shape = {
  what: "chat completion",
  problem: (value) => completionProblem(value, true, chatChoice),
};

export const CHAT_COMPLETION_CHUNK: Shape = {
  what: "chat completion chunk",
  problem: (value) => completionProblem(value, false, chatChunkChoice),
};

/** One embeddings call's answer, as its adapter read it: a list of vectors, each at an index, and its usage if any. */
export const EMBEDDINGS: Shape = {
  what: "embeddings answer",
  problem(value) {
    if (!isRecord(value))
      return `it is ${value === null ? "null" : `a ${Array.isArray(value) ? "list" : typeof value}`}, not an object`;
    const data = value.data;
    if (!Array.isArray(data)) return "`data` is missing or not a list";
    for (let i = 0; i < data.length; i++) {
      const item: unknown = data[i];
      if (!isRecord(item)) return `data[${i}] is not an object`;
      if (!isIndex(item.index)) return `data[${i}].index is not a non-negative integer`;
      if (!Array.isArray(item.embedding) && typeof item.embedding !== "string")
        return `data[${i}].embedding is neither a list of numbers nor a base64 string`;
    }
    const usage = value.usage;
    const reported = usage !== undefined && usage !== null;
    return reported && (!isRecord(usage) || typeof usage.prompt_tokens !== "number")
      ? "usage.prompt_tokens is not a number"
      : undefined;
  },
};
