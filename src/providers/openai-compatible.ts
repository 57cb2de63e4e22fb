/**
 * Servers that speak OpenAI's API at their own address: vLLM, Together AI, Fireworks,
 * Groq, DeepSeek, OpenRouter, Perplexity, xAI. One table row each — default base URL,
 * key variable, whether they serve `/completions` and `/embeddings`, whether they take `n` —
 * and the adapters are made from it.
 */
import { BadRequestError } from "../wire/errors.js";
import { apiBase, apiKey, bearerHeaders, type Endpoint, joinUrl, missingApiKey } from "./connection.js";
import {
  CHAT_PARAMS,
  COMPLETION_PARAMS,
  openAIDialectChat,
  openAIDialectEmbedding,
  openAIDialectText,
  type OpenAIServer,
} from "./openai-dialect.js";
import type { ChatAdapter, EmbeddingAdapter, TextCompletionAdapter } from "./types.js";
import { EMBEDDING_PARAMS } from "../wire/embeddings.js";

export interface OpenAICompatibleHost extends Endpoint {
  provider: string;
  /** Self-hosted servers may run without a key. */
  keyRequired: boolean;
  /** It serves OpenAI's text `/completions`; otherwise text completions go through chat. */
  textCompletions: boolean;
  /** One call may return `n` choices. */
  supportsN: boolean;
  /** OpenAI params it refuses or ignores. */
  unsupported: readonly string[];
  /** It serves OpenAI's `/embeddings`. */
  embeddings: boolean;
}

export const OPENAI_COMPATIBLE_HOSTS: readonly OpenAICompatibleHost[] = [
  {
    provider: "hosted_vllm",
    label: "vLLM",
    baseEnv: "HOSTED_VLLM_API_BASE",
    keyEnv: "HOSTED_VLLM_API_KEY",
    keyRequired: false,
    textCompletions: true,
    supportsN: true,
    unsupported: ["best_of"],
    embeddings: true,
  },
  {
    provider: "together_ai",
    label: "Together AI",
    defaultBase: "https://api.together.xyz/v1",
    baseEnv: "TOGETHERAI_API_BASE",
    keyEnv: "TOGETHERAI_API_KEY",
    keyRequired: true,
    textCompletions: true,
    supportsN: true,
    unsupported: ["best_of", "suffix"],
    embeddings: true,
  },
  {
    provider: "fireworks_ai",
    label: "Fireworks AI",
    defaultBase: "https://api.fireworks.ai/inference/v1",
    baseEnv: "FIREWORKS_AI_API_BASE",
    keyEnv: "FIREWORKS_AI_API_KEY",
    keyRequired: true,
    textCompletions: true,
    supportsN: true,
    unsupported: ["best_of", "suffix"],
    embeddings: true,
  },
  {
    provider: "groq",
    label: "Groq",
    defaultBase: "https://api.groq.com/openai/v1",
    baseEnv: "GROQ_API_BASE",
    keyEnv: "GROQ_API_KEY",
    keyRequired: true,
    textCompletions: false,
    supportsN: false,
    unsupported: ["logprobs", "top_logprobs", "logit_bias"],
    embeddings: false,
  },
  {
    provider: "deepseek",
    label: "DeepSeek",
    defaultBase: "https://api.deepseek.com/v1",
    baseEnv: "DEEPSEEK_API_BASE",
    keyEnv: "DEEPSEEK_API_KEY",
    keyRequired: true,
    textCompletions: false,
    supportsN: false,
    unsupported: ["logit_bias", "seed"],
    embeddings: false,
  },
  {
    provider: "openrouter",
    label: "OpenRouter",
    defaultBase: "https://openrouter.ai/api/v1",
    baseEnv: "OPENROUTER_API_BASE",
    keyEnv: "OPENROUTER_API_KEY",
    keyRequired: true,
    textCompletions: true,
    supportsN: false,
    unsupported: ["best_of", "suffix"],
    embeddings: false,
  },
  {
    provider: "perplexity",
    label: "Perplexity",
    defaultBase: "https://api.perplexity.ai",
    baseEnv: "PERPLEXITYAI_API_BASE",
    keyEnv: "PERPLEXITYAI_API_KEY",
    keyRequired: true,
    textCompletions: false,
    supportsN: false,
    unsupported: ["logprobs", "top_logprobs", "logit_bias", "seed", "tools", "tool_choice", "parallel_tool_calls"],
    embeddings: false,
  },
  {
    provider: "xai",
    label: "xAI",
    defaultBase: "https://api.x.ai/v1",
    baseEnv: "XAI_API_BASE",
    keyEnv: "XAI_API_KEY",
    keyRequired: true,
    textCompletions: false,
    supportsN: false,
    unsupported: ["logit_bias"],
    embeddings: false,
  },
];

function server(host: OpenAICompatibleHost): OpenAIServer {
  return {
    locate(target, path, provider) {
      const base = apiBase(target, host);
      if (base === undefined) {
        throw new BadRequestError(
          `No ${host.label} server address: set the ${host.baseEnv} environment variable or pass api_base ` +
            "(e.g. http://HOST:8000/v1).",
          { provider, model: target.model, param: "api_base", code: "missing_api_base" },
        );
      }
      const key = apiKey(target, host);
      if (host.keyRequired && key === undefined) throw missingApiKey(target, host, provider);
      return { url: joinUrl(base, path), headers: bearerHeaders(key, target) };
    },
  };
}

function without(params: ReadonlySet<string>, removed: readonly string[]): ReadonlySet<string> {
  return removed.length === 0 ? params : new Set([...params].filter((param) => !removed.includes(param)));
}

export function openAICompatibleText(host: OpenAICompatibleHost): TextCompletionAdapter {
  return openAIDialectText(host.provider, without(COMPLETION_PARAMS, host.unsupported), server(host));
}

export function openAICompatibleChat(host: OpenAICompatibleHost): ChatAdapter {
  const unsupported = host.supportsN ? host.unsupported : [...host.unsupported, "n"];
  return openAIDialectChat(host.provider, without(CHAT_PARAMS, unsupported), host.supportsN, server(host));
}

/** The inputs one embeddings call carries to a compatible server: OpenAI's limit, which vLLM, Together and Fireworks keep to. */
const COMPATIBLE_MAX_EMBEDDING_INPUTS = 2048;

/**
 * A compatible server's `/embeddings`. `encoding_format` is not sent: servers that imitate
 * OpenAI often answer base64 requests with floats, or not at all, so litegate asks for floats
 * and encodes base64 itself.
 */
export function openAICompatibleEmbedding(host: OpenAICompatibleHost): EmbeddingAdapter {
  return openAIDialectEmbedding(
    host.provider,
    without(EMBEDDING_PARAMS, ["encoding_format"]),
    COMPATIBLE_MAX_EMBEDDING_INPUTS,
    server(host),
  );
}
