/**
 * Which adapter serves a model string: `provider/model` by its prefix, bare OpenAI
 * names by what OpenAI serves under them (LiteLLM's conventions).
 */
import { BadRequestError } from "../wire/errors.js";
import { azureText } from "./azure-text.js";
import { hostedVllm } from "./hosted-vllm.js";
import { openaiText } from "./openai-text.js";
import type { TextCompletionAdapter } from "./types.js";

export interface ResolvedModel {
  adapter: TextCompletionAdapter;
  /** The model name the provider knows (the prefix removed). */
  model: string;
}

const TEXT_COMPLETION_PROVIDERS: Readonly<Record<string, TextCompletionAdapter>> = {
  "text-completion-openai": openaiText,
  azure_text: azureText,
  hosted_vllm: hostedVllm,
};

/** OpenAI's completion-only models, fine-tunes of them included. */
const OPENAI_TEXT_MODEL = /^(gpt-3\.5-turbo-instruct|davinci-002|babbage-002|ft:(davinci|babbage)-002)/;
/** OpenAI models that only answer on /chat/completions. */
const OPENAI_CHAT_MODEL = /^(gpt-3\.5-turbo(?!-instruct)|gpt-4|gpt-5|chatgpt-|o\d|ft:gpt-)/;

const SUPPORTED = Object.keys(TEXT_COMPLETION_PROVIDERS).concat("openai").join(", ");

function notServed(model: string, why: string): BadRequestError {
  return new BadRequestError(`Model '${model}': ${why}`, { param: "model", code: "model_not_supported" });
}

export function resolveTextCompletionModel(model: string): ResolvedModel {
  const slash = model.indexOf("/");
  if (slash === -1) {
    if (OPENAI_TEXT_MODEL.test(model)) return { adapter: openaiText, model };
    if (OPENAI_CHAT_MODEL.test(model)) {
      throw notServed(model, "this is an OpenAI chat model and text completions on chat models are not supported yet; use an instruct model such as gpt-3.5-turbo-instruct.");
    }
    throw notServed(model, `the provider cannot be inferred. Write it as provider/model, with one of the providers: ${SUPPORTED}.`);
  }
  const prefix = model.slice(0, slash);
  const name = model.slice(slash + 1);
  const adapter = TEXT_COMPLETION_PROVIDERS[prefix];
  if (adapter !== undefined) return { adapter, model: name };
  if (prefix === "openai") {
    // LiteLLM's rule: `openai/` with a model OpenAI serves only as chat goes to chat;
    // anything else (instruct models, a vLLM or other compatible server) to /completions.
    if (OPENAI_CHAT_MODEL.test(name)) {
      throw notServed(model, "this is an OpenAI chat model and text completions on chat models are not supported yet; use an instruct model such as openai/gpt-3.5-turbo-instruct.");
    }
    return { adapter: openaiText, model: name };
  }
  throw notServed(model, `text completions through '${prefix}' are not supported. Providers: ${SUPPORTED}.`);
}
