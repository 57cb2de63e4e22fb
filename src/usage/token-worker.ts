/**
 * The token-counting worker (run by piscina, see tokens.ts): loads an encoding on first
 * use and counts texts with it, off the main thread, so no text can hold up a request.
 */
import { countCapped, type EncodingName } from "./tokenizer.js";

/** One counting task: the texts' tokens are summed. */
export interface CountTask {
  encoding: EncodingName;
  texts: readonly string[];
}

type Count = (text: string) => number;

const loaded = new Map<EncodingName, Promise<Count>>();

// Text that spells a special token ("<|endoftext|>") is counted as the text it is, as
// OpenAI's API reads it in a prompt: never refused, never one token.
const AS_TEXT = { disallowedSpecial: new Set<string>() };

async function load(name: EncodingName): Promise<Count> {
  const encoding =
    name === "o200k_base"
      ? await import("gpt-tokenizer/encoding/o200k_base")
      : await import("gpt-tokenizer/encoding/cl100k_base");
  return (text) => encoding.countTokens(text, AS_TEXT);
}

function counter(name: EncodingName): Promise<Count> {
  let pending = loaded.get(name);
  if (pending === undefined) {
    pending = load(name);
    loaded.set(name, pending);
  }
  return pending;
}

export default async function count(task: CountTask): Promise<number> {
  const count = await counter(task.encoding);
  let total = 0;
  for (const text of task.texts) if (text !== "") total += countCapped(count, text);
  return total;
}
