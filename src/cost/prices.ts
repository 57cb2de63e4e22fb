/**
 * The price table: USD per token, context window and mode for the models the
 * providers name by default and the common ones users pick.
 *
 * Source: LiteLLM's `model_prices_and_context_window.json` (BerriAI/litellm, the
 * version stored at commit 00035b69f416be24e2e323c13198d9b7d2d1bdf9; numbers only).
 * Checked in that file: gpt-4o, gpt-4o-mini, the gpt-4.1 family, o1, the Claude 4
 * family, Groq, Fireworks, Codestral and Ollama. The embedding models (text-embedding-3-small,
 * text-embedding-3-large, text-embedding-ada-002, mistral/mistral-embed) were checked against
 * two copies of that file in the code index (the stored BerriAI/litellm copy itself was not
 * reachable at a known offset); both agree. NOT checked (entered from the
 * published prices as remembered; verify before billing on them): gpt-3.5-turbo(-instruct),
 * davinci-002, babbage-002, gpt-4-turbo, o1-mini, o3, o3-mini, o4-mini, the Claude 3.x
 * models, Mistral, DeepSeek, xAI, Together and Perplexity. Google (issue 15), checked in that file
 * at commit 19a1f629eb6fafde70968ef4815463eb08143aac: every gemini/ and vertex_ai/ Gemini entry.
 * NOT checked: vertex_ai/claude-* has no entry of its own and is priced as the Claude family
 * of the same name (Anthropic's list prices, which Vertex charges too). Deviations: claude-3-7-sonnet's max_output_tokens is
 * Anthropic's documented default (64000, what src/providers/anthropic/request.ts enforces),
 * not the 128k beta limit.
 *
 * Keys: OpenAI and Anthropic models by their bare names (as LiteLLM writes them),
 * every other provider as `provider/model`. Dated ids (`claude-3-5-sonnet-20241022`,
 * `gpt-4o-2024-08-06`) resolve to their family by prefix (see cost.ts), so only the
 * families are listed, plus the dated ids whose price differs from the family's.
 *
 * Self-hosted providers (ollama, ollama_chat, hosted_vllm) are not listed: they cost
 * 0 (see SELF_HOSTED_PROVIDERS).
 */

export type PriceMode = "completion" | "chat" | "embedding";

export interface PriceEntry {
  /** USD per prompt token. */
  input_cost_per_token: number;
  /** USD per completion token (0 for embedding models, which bill their input only). */
  output_cost_per_token: number;
  /** USD per prompt token served from the provider's prompt cache, when it bills those apart. */
  cache_read_input_token_cost?: number;
  /** USD per prompt token written to the cache (Anthropic), when it bills those apart. */
  cache_creation_input_token_cost?: number;
  /** Context window: the most prompt tokens. */
  max_input_tokens?: number;
  max_output_tokens?: number;
  mode: PriceMode;
  /** LiteLLM's `litellm_provider`. */
  provider: string;
}

/** Providers that run on the user's own hardware: every model costs 0. */
export const SELF_HOSTED_PROVIDERS: ReadonlySet<string> = new Set(["ollama", "ollama_chat", "hosted_vllm"]);

export const PRICES: Readonly<Record<string, PriceEntry>> = {
  // ---- OpenAI: text completions ----
  "gpt-3.5-turbo-instruct": {
    input_cost_per_token: 1.5e-6,
    output_cost_per_token: 2e-6,
    max_input_tokens: 8192,
    max_output_tokens: 4096,
    mode: "completion",
    provider: "text-completion-openai",
  },
  "davinci-002": {
    input_cost_per_token: 2e-6,
    output_cost_per_token: 2e-6,
    max_input_tokens: 16384,
    max_output_tokens: 4096,
    mode: "completion",
    provider: "text-completion-openai",
  },
  "babbage-002": {
    input_cost_per_token: 4e-7,
    output_cost_per_token: 4e-7,
    max_input_tokens: 16384,
    max_output_tokens: 4096,
    mode: "completion",
    provider: "text-completion-openai",
  },

  // ---- OpenAI: embeddings (input tokens only) ----
  "text-embedding-3-small": {
    input_cost_per_token: 2e-8,
    output_cost_per_token: 0,
    max_input_tokens: 8191,
    mode: "embedding",
    provider: "openai",
  },
  "text-embedding-3-large": {
    input_cost_per_token: 1.3e-7,
    output_cost_per_token: 0,
    max_input_tokens: 8191,
    mode: "embedding",
    provider: "openai",
  },
  "text-embedding-ada-002": {
    input_cost_per_token: 1e-7,
    output_cost_per_token: 0,
    max_input_tokens: 8191,
    mode: "embedding",
    provider: "openai",
  },

  // ---- OpenAI: chat ----
  "gpt-4o": {
    input_cost_per_token: 2.5e-6,
    output_cost_per_token: 1e-5,
    cache_read_input_token_cost: 1.25e-6,
    max_input_tokens: 128000,
    max_output_tokens: 16384,
    mode: "chat",
    provider: "openai",
  },
  "gpt-4o-2024-05-13": {
    input_cost_per_token: 5e-6,
    output_cost_per_token: 1.5e-5,
    max_input_tokens: 128000,
    max_output_tokens: 4096,
    mode: "chat",
    provider: "openai",
  },
  "gpt-4o-mini": {
    input_cost_per_token: 1.5e-7,
    output_cost_per_token: 6e-7,
    cache_read_input_token_cost: 7.5e-8,
    max_input_tokens: 128000,
    max_output_tokens: 16384,
    mode: "chat",
    provider: "openai",
  },
  "gpt-4.1": {
    input_cost_per_token: 2e-6,
    output_cost_per_token: 8e-6,
    cache_read_input_token_cost: 5e-7,
    max_input_tokens: 1047576,
    max_output_tokens: 32768,
    mode: "chat",
    provider: "openai",
  },
  "gpt-4.1-mini": {
    input_cost_per_token: 4e-7,
    output_cost_per_token: 1.6e-6,
    cache_read_input_token_cost: 1e-7,
    max_input_tokens: 1047576,
    max_output_tokens: 32768,
    mode: "chat",
    provider: "openai",
  },
  "gpt-4.1-nano": {
    input_cost_per_token: 1e-7,
    output_cost_per_token: 4e-7,
    cache_read_input_token_cost: 2.5e-8,
    max_input_tokens: 1047576,
    max_output_tokens: 32768,
    mode: "chat",
    provider: "openai",
  },
  o1: {
    input_cost_per_token: 1.5e-5,
    output_cost_per_token: 6e-5,
    cache_read_input_token_cost: 7.5e-6,
    max_input_tokens: 200000,
    max_output_tokens: 100000,
    mode: "chat",
    provider: "openai",
  },
  "o1-mini": {
    input_cost_per_token: 1.1e-6,
    output_cost_per_token: 4.4e-6,
    cache_read_input_token_cost: 5.5e-7,
    max_input_tokens: 128000,
    max_output_tokens: 65536,
    mode: "chat",
    provider: "openai",
  },
  o3: {
    input_cost_per_token: 2e-6,
    output_cost_per_token: 8e-6,
    cache_read_input_token_cost: 5e-7,
    max_input_tokens: 200000,
    max_output_tokens: 100000,
    mode: "chat",
    provider: "openai",
  },
  "o3-mini": {
    input_cost_per_token: 1.1e-6,
    output_cost_per_token: 4.4e-6,
    cache_read_input_token_cost: 5.5e-7,
    max_input_tokens: 200000,
    max_output_tokens: 100000,
    mode: "chat",
    provider: "openai",
  },
  "o4-mini": {
    input_cost_per_token: 1.1e-6,
    output_cost_per_token: 4.4e-6,
    cache_read_input_token_cost: 2.75e-7,
    max_input_tokens: 200000,
    max_output_tokens: 100000,
    mode: "chat",
    provider: "openai",
  },
  "gpt-4-turbo": {
    input_cost_per_token: 1e-5,
    output_cost_per_token: 3e-5,
    max_input_tokens: 128000,
    max_output_tokens: 4096,
    mode: "chat",
    provider: "openai",
  },
  "gpt-4": {
    input_cost_per_token: 3e-5,
    output_cost_per_token: 6e-5,
    max_input_tokens: 8192,
    max_output_tokens: 4096,
    mode: "chat",
    provider: "openai",
  },
  "gpt-3.5-turbo": {
    input_cost_per_token: 1.5e-6,
    output_cost_per_token: 2e-6,
    max_input_tokens: 16385,
    max_output_tokens: 4096,
    mode: "chat",
    provider: "openai",
  },
  "gpt-3.5-turbo-0125": {
    input_cost_per_token: 5e-7,
    output_cost_per_token: 1.5e-6,
    max_input_tokens: 16385,
    max_output_tokens: 4096,
    mode: "chat",
    provider: "openai",
  },

  // ---- Anthropic ----
  "claude-3-5-sonnet": {
    input_cost_per_token: 3e-6,
    output_cost_per_token: 1.5e-5,
    cache_read_input_token_cost: 3e-7,
    cache_creation_input_token_cost: 3.75e-6,
    max_input_tokens: 200000,
    max_output_tokens: 8192,
    mode: "chat",
    provider: "anthropic",
  },
  "claude-3-5-haiku": {
    input_cost_per_token: 8e-7,
    output_cost_per_token: 4e-6,
    cache_read_input_token_cost: 8e-8,
    cache_creation_input_token_cost: 1e-6,
    max_input_tokens: 200000,
    max_output_tokens: 8192,
    mode: "chat",
    provider: "anthropic",
  },
  "claude-3-7-sonnet": {
    input_cost_per_token: 3e-6,
    output_cost_per_token: 1.5e-5,
    cache_read_input_token_cost: 3e-7,
    cache_creation_input_token_cost: 3.75e-6,
    max_input_tokens: 200000,
    max_output_tokens: 64000,
    mode: "chat",
    provider: "anthropic",
  },
  "claude-sonnet-4": {
    input_cost_per_token: 3e-6,
    output_cost_per_token: 1.5e-5,
    cache_read_input_token_cost: 3e-7,
    cache_creation_input_token_cost: 3.75e-6,
    max_input_tokens: 200000,
    max_output_tokens: 64000,
    mode: "chat",
    provider: "anthropic",
  },
  "claude-sonnet-4-5": {
    input_cost_per_token: 3e-6,
    output_cost_per_token: 1.5e-5,
    cache_read_input_token_cost: 3e-7,
    cache_creation_input_token_cost: 3.75e-6,
    max_input_tokens: 200000,
    max_output_tokens: 64000,
    mode: "chat",
    provider: "anthropic",
  },
  "claude-haiku-4-5": {
    input_cost_per_token: 1e-6,
    output_cost_per_token: 5e-6,
    cache_read_input_token_cost: 1e-7,
    cache_creation_input_token_cost: 1.25e-6,
    max_input_tokens: 200000,
    max_output_tokens: 64000,
    mode: "chat",
    provider: "anthropic",
  },
  "claude-opus-4": {
    input_cost_per_token: 1.5e-5,
    output_cost_per_token: 7.5e-5,
    cache_read_input_token_cost: 1.5e-6,
    cache_creation_input_token_cost: 1.875e-5,
    max_input_tokens: 200000,
    max_output_tokens: 32000,
    mode: "chat",
    provider: "anthropic",
  },
  "claude-opus-4-1": {
    input_cost_per_token: 1.5e-5,
    output_cost_per_token: 7.5e-5,
    cache_read_input_token_cost: 1.5e-6,
    cache_creation_input_token_cost: 1.875e-5,
    max_input_tokens: 200000,
    max_output_tokens: 32000,
    mode: "chat",
    provider: "anthropic",
  },
  "claude-opus-4-5": {
    input_cost_per_token: 5e-6,
    output_cost_per_token: 2.5e-5,
    cache_read_input_token_cost: 5e-7,
    cache_creation_input_token_cost: 6.25e-6,
    max_input_tokens: 200000,
    max_output_tokens: 64000,
    mode: "chat",
    provider: "anthropic",
  },
  "claude-3-opus": {
    input_cost_per_token: 1.5e-5,
    output_cost_per_token: 7.5e-5,
    cache_read_input_token_cost: 1.5e-6,
    cache_creation_input_token_cost: 1.875e-5,
    max_input_tokens: 200000,
    max_output_tokens: 4096,
    mode: "chat",
    provider: "anthropic",
  },
  "claude-3-haiku": {
    input_cost_per_token: 2.5e-7,
    output_cost_per_token: 1.25e-6,
    cache_read_input_token_cost: 3e-8,
    cache_creation_input_token_cost: 3e-7,
    max_input_tokens: 200000,
    max_output_tokens: 4096,
    mode: "chat",
    provider: "anthropic",
  },

  // ---- Mistral ----
  "mistral/mistral-embed": {
    input_cost_per_token: 1e-7,
    output_cost_per_token: 0,
    max_input_tokens: 8192,
    mode: "embedding",
    provider: "mistral",
  },
  "mistral/mistral-large-latest": {
    input_cost_per_token: 2e-6,
    output_cost_per_token: 6e-6,
    max_input_tokens: 128000,
    max_output_tokens: 128000,
    mode: "chat",
    provider: "mistral",
  },
  "mistral/mistral-small-latest": {
    input_cost_per_token: 1e-7,
    output_cost_per_token: 3e-7,
    max_input_tokens: 32000,
    max_output_tokens: 8191,
    mode: "chat",
    provider: "mistral",
  },
  "mistral/codestral-latest": {
    input_cost_per_token: 1e-6,
    output_cost_per_token: 3e-6,
    max_input_tokens: 32000,
    max_output_tokens: 8191,
    mode: "chat",
    provider: "mistral",
  },
  "mistral/open-mistral-nemo": {
    input_cost_per_token: 3e-7,
    output_cost_per_token: 3e-7,
    max_input_tokens: 128000,
    max_output_tokens: 128000,
    mode: "chat",
    provider: "mistral",
  },
  // codestral.mistral.ai: LiteLLM prices it at 0 (the dedicated endpoint's free tier).
  "codestral/codestral-latest": {
    input_cost_per_token: 0,
    output_cost_per_token: 0,
    max_input_tokens: 32000,
    max_output_tokens: 8191,
    mode: "chat",
    provider: "codestral",
  },
  "text-completion-codestral/codestral-latest": {
    input_cost_per_token: 0,
    output_cost_per_token: 0,
    max_input_tokens: 32000,
    max_output_tokens: 8191,
    mode: "completion",
    provider: "text-completion-codestral",
  },

  // ---- Groq ----
  "groq/llama-3.3-70b-versatile": {
    input_cost_per_token: 5.9e-7,
    output_cost_per_token: 7.9e-7,
    max_input_tokens: 128000,
    max_output_tokens: 32768,
    mode: "chat",
    provider: "groq",
  },
  "groq/llama-3.1-8b-instant": {
    input_cost_per_token: 5e-8,
    output_cost_per_token: 8e-8,
    max_input_tokens: 128000,
    max_output_tokens: 8192,
    mode: "chat",
    provider: "groq",
  },
  "groq/meta-llama/llama-4-scout-17b-16e-instruct": {
    input_cost_per_token: 1.1e-7,
    output_cost_per_token: 3.4e-7,
    max_input_tokens: 131072,
    max_output_tokens: 8192,
    mode: "chat",
    provider: "groq",
  },
  "groq/meta-llama/llama-4-maverick-17b-128e-instruct": {
    input_cost_per_token: 2e-7,
    output_cost_per_token: 6e-7,
    max_input_tokens: 131072,
    max_output_tokens: 8192,
    mode: "chat",
    provider: "groq",
  },
  "groq/openai/gpt-oss-120b": {
    input_cost_per_token: 1.5e-7,
    output_cost_per_token: 6e-7,
    cache_read_input_token_cost: 7.5e-8,
    max_input_tokens: 131072,
    max_output_tokens: 32766,
    mode: "chat",
    provider: "groq",
  },
  "groq/openai/gpt-oss-20b": {
    input_cost_per_token: 7.5e-8,
    output_cost_per_token: 3e-7,
    cache_read_input_token_cost: 3.75e-8,
    max_input_tokens: 131072,
    max_output_tokens: 32768,
    mode: "chat",
    provider: "groq",
  },
  "groq/qwen/qwen3-32b": {
    input_cost_per_token: 2.9e-7,
    output_cost_per_token: 5.9e-7,
    max_input_tokens: 131000,
    max_output_tokens: 131000,
    mode: "chat",
    provider: "groq",
  },

  // ---- DeepSeek ----
  "deepseek/deepseek-chat": {
    input_cost_per_token: 2.8e-7,
    output_cost_per_token: 4.2e-7,
    cache_read_input_token_cost: 2.8e-8,
    max_input_tokens: 128000,
    max_output_tokens: 8192,
    mode: "chat",
    provider: "deepseek",
  },
  "deepseek/deepseek-reasoner": {
    input_cost_per_token: 2.8e-7,
    output_cost_per_token: 4.2e-7,
    cache_read_input_token_cost: 2.8e-8,
    max_input_tokens: 128000,
    max_output_tokens: 65536,
    mode: "chat",
    provider: "deepseek",
  },

  // ---- xAI ----
  "xai/grok-3": {
    input_cost_per_token: 3e-6,
    output_cost_per_token: 1.5e-5,
    max_input_tokens: 131072,
    max_output_tokens: 131072,
    mode: "chat",
    provider: "xai",
  },
  "xai/grok-3-mini": {
    input_cost_per_token: 3e-7,
    output_cost_per_token: 5e-7,
    max_input_tokens: 131072,
    max_output_tokens: 131072,
    mode: "chat",
    provider: "xai",
  },
  "xai/grok-4": {
    input_cost_per_token: 3e-6,
    output_cost_per_token: 1.5e-5,
    max_input_tokens: 256000,
    max_output_tokens: 256000,
    mode: "chat",
    provider: "xai",
  },

  // ---- Together AI ----
  "together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo": {
    input_cost_per_token: 8.8e-7,
    output_cost_per_token: 8.8e-7,
    max_input_tokens: 131072,
    mode: "chat",
    provider: "together_ai",
  },
  "together_ai/deepseek-ai/DeepSeek-V3": {
    input_cost_per_token: 1.25e-6,
    output_cost_per_token: 1.25e-6,
    max_input_tokens: 65536,
    max_output_tokens: 8192,
    mode: "chat",
    provider: "together_ai",
  },

  // ---- Fireworks AI ----
  "fireworks_ai/accounts/fireworks/models/llama4-maverick-instruct-basic": {
    input_cost_per_token: 2.2e-7,
    output_cost_per_token: 8.8e-7,
    max_input_tokens: 131072,
    max_output_tokens: 131072,
    mode: "chat",
    provider: "fireworks_ai",
  },
  "fireworks_ai/accounts/fireworks/models/llama4-scout-instruct-basic": {
    input_cost_per_token: 1.5e-7,
    output_cost_per_token: 6e-7,
    max_input_tokens: 131072,
    max_output_tokens: 131072,
    mode: "chat",
    provider: "fireworks_ai",
  },
  "fireworks_ai/gpt-oss-120b": {
    input_cost_per_token: 1.5e-7,
    output_cost_per_token: 6e-7,
    cache_read_input_token_cost: 1.5e-8,
    max_input_tokens: 131072,
    max_output_tokens: 32768,
    mode: "chat",
    provider: "fireworks_ai",
  },

  // ---- Perplexity ----
  "perplexity/sonar": {
    input_cost_per_token: 1e-6,
    output_cost_per_token: 1e-6,
    max_input_tokens: 128000,
    mode: "chat",
    provider: "perplexity",
  },
  "perplexity/sonar-pro": {
    input_cost_per_token: 3e-6,
    output_cost_per_token: 1.5e-5,
    max_input_tokens: 200000,
    max_output_tokens: 8000,
    mode: "chat",
    provider: "perplexity",
  },
  "perplexity/sonar-reasoning": {
    input_cost_per_token: 1e-6,
    output_cost_per_token: 5e-6,
    max_input_tokens: 128000,
    mode: "chat",
    provider: "perplexity",
  },

  // ---- Google (issue 15): the Gemini API (gemini/) and Vertex AI (vertex_ai/) ----
  // Rates up to 200k prompt tokens; the Pro models' higher rates above that are not modelled.
  "gemini/gemini-2.0-flash": {
    input_cost_per_token: 1e-7,
    output_cost_per_token: 4e-7,
    cache_read_input_token_cost: 2.5e-8,
    max_input_tokens: 1048576,
    max_output_tokens: 8192,
    mode: "chat",
    provider: "gemini",
  },
  "gemini/gemini-2.0-flash-lite": {
    input_cost_per_token: 7.5e-8,
    output_cost_per_token: 3e-7,
    cache_read_input_token_cost: 1.875e-8,
    max_input_tokens: 1048576,
    max_output_tokens: 8192,
    mode: "chat",
    provider: "gemini",
  },
  "gemini/gemini-2.5-flash": {
    input_cost_per_token: 3e-7,
    output_cost_per_token: 2.5e-6,
    cache_read_input_token_cost: 3e-8,
    max_input_tokens: 1048576,
    max_output_tokens: 65535,
    mode: "chat",
    provider: "gemini",
  },
  "gemini/gemini-2.5-flash-lite": {
    input_cost_per_token: 1e-7,
    output_cost_per_token: 4e-7,
    cache_read_input_token_cost: 1e-8,
    max_input_tokens: 1048576,
    max_output_tokens: 65535,
    mode: "chat",
    provider: "gemini",
  },
  "gemini/gemini-2.5-pro": {
    input_cost_per_token: 1.25e-6,
    output_cost_per_token: 1e-5,
    cache_read_input_token_cost: 1.25e-7,
    max_input_tokens: 1048576,
    max_output_tokens: 65535,
    mode: "chat",
    provider: "gemini",
  },
  "gemini/gemini-3-pro-preview": {
    input_cost_per_token: 2e-6,
    output_cost_per_token: 1.2e-5,
    cache_read_input_token_cost: 2e-7,
    max_input_tokens: 1048576,
    max_output_tokens: 65535,
    mode: "chat",
    provider: "gemini",
  },
  "vertex_ai/gemini-2.0-flash": {
    input_cost_per_token: 1e-7,
    output_cost_per_token: 4e-7,
    cache_read_input_token_cost: 2.5e-8,
    max_input_tokens: 1048576,
    max_output_tokens: 8192,
    mode: "chat",
    provider: "vertex_ai-language-models",
  },
  "vertex_ai/gemini-2.0-flash-001": {
    input_cost_per_token: 1.5e-7,
    output_cost_per_token: 6e-7,
    cache_read_input_token_cost: 3.75e-8,
    max_input_tokens: 1048576,
    max_output_tokens: 8192,
    mode: "chat",
    provider: "vertex_ai-language-models",
  },
  "vertex_ai/gemini-2.0-flash-lite": {
    input_cost_per_token: 7.5e-8,
    output_cost_per_token: 3e-7,
    cache_read_input_token_cost: 1.875e-8,
    max_input_tokens: 1048576,
    max_output_tokens: 8192,
    mode: "chat",
    provider: "vertex_ai-language-models",
  },
  "vertex_ai/gemini-2.5-flash": {
    input_cost_per_token: 3e-7,
    output_cost_per_token: 2.5e-6,
    cache_read_input_token_cost: 3e-8,
    max_input_tokens: 1048576,
    max_output_tokens: 65535,
    mode: "chat",
    provider: "vertex_ai-language-models",
  },
  "vertex_ai/gemini-2.5-flash-lite": {
    input_cost_per_token: 1e-7,
    output_cost_per_token: 4e-7,
    cache_read_input_token_cost: 1e-8,
    max_input_tokens: 1048576,
    max_output_tokens: 65535,
    mode: "chat",
    provider: "vertex_ai-language-models",
  },
  "vertex_ai/gemini-2.5-pro": {
    input_cost_per_token: 1.25e-6,
    output_cost_per_token: 1e-5,
    cache_read_input_token_cost: 1.25e-7,
    max_input_tokens: 1048576,
    max_output_tokens: 65535,
    mode: "chat",
    provider: "vertex_ai-language-models",
  },
  "vertex_ai/gemini-3-pro-preview": {
    input_cost_per_token: 2e-6,
    output_cost_per_token: 1.2e-5,
    cache_read_input_token_cost: 2e-7,
    max_input_tokens: 1048576,
    max_output_tokens: 65535,
    mode: "chat",
    provider: "vertex_ai-language-models",
  },
};
