/**
 * What a request cost, in USD: the price of a model string from the table in
 * prices.ts, with a deployment's `model_info` overrides, applied to a response's usage.
 */
import type { CompletionUsage } from "../wire/completions.js";
import { PRICES, SELF_HOSTED_PROVIDERS, type PriceEntry, type PriceMode } from "./prices.js";

export type { PriceMode } from "./prices.js";

export interface Price extends PriceEntry {
  /** The table key the price came from; `self-hosted` or `model_info` when it came from neither. */
  source: string;
}

/** The part of a deployment's `model_info` that bears on cost. */
export interface CostModelInfo {
  input_cost_per_token?: unknown;
  output_cost_per_token?: unknown;
  base_model?: unknown;
  mode?: unknown;
}

/** Provider prefixes whose bare OpenAI/Anthropic names are looked up as written. */
const BARE_NAME_PROVIDERS = new Set([
  "openai",
  "text-completion-openai",
  "azure",
  "azure_text",
  "anthropic",
  "vertex_ai",
]);

/** Every provider prefix litegate knows (src/providers/registry.ts), kept here to avoid importing the adapters. */
const KNOWN_PROVIDERS = new Set([
  ...BARE_NAME_PROVIDERS,
  "text-completion-codestral",
  "codestral",
  "mistral",
  "ollama",
  "ollama_chat",
  "hosted_vllm",
  "together_ai",
  "fireworks_ai",
  "groq",
  "deepseek",
  "openrouter",
  "perplexity",
  "xai",
  "gemini",
  "vertex_ai",
  "bedrock",
  "cohere",
  "huggingface",
]);

/**
 * What may follow a family name in a dated or aliased id: `-20241022`, `-2024-08-06`, `-0125`,
 * `-latest`, `-v1:0`, Gemini's `-001`, and Vertex AI's `@20250514` for Claude.
 */
const VERSION_SUFFIX = /^(-(\d{4}-\d{2}-\d{2}|\d{8}|\d{3,4}|latest|v\d+(:\d+)?)|@\d{8})$/;

function entry(key: string): Price | undefined {
  const found = PRICES[key];
  return found === undefined ? undefined : { ...found, source: key };
}

/** The exact key, else the longest key that `name` extends by a version suffix only. */
function lookup(name: string, keys: readonly string[]): Price | undefined {
  const exact = entry(name);
  if (exact !== undefined) return exact;
  let best: string | undefined;
  for (const key of keys) {
    if (!name.startsWith(key) || !VERSION_SUFFIX.test(name.slice(key.length))) continue;
    if (best === undefined || key.length > best.length) best = key;
  }
  return best === undefined ? undefined : entry(best);
}

const ALL_KEYS: readonly string[] = Object.keys(PRICES);
const BARE_KEYS: readonly string[] = ALL_KEYS.filter((key) => !key.includes("/"));

function selfHosted(provider: string): Price {
  return { input_cost_per_token: 0, output_cost_per_token: 0, mode: "chat", provider, source: "self-hosted" };
}

/**
 * The price of a model string: `provider/model` or a bare name (OpenAI's and
 * Anthropic's are listed bare). Dated ids resolve to their family by the longest
 * known prefix. Self-hosted providers (ollama, hosted_vllm) cost 0; a model the
 * table does not know gives undefined.
 */
export function priceOf(written: string): Price | undefined {
  // `bedrock/converse/ID` names the route to the same model as `bedrock/ID`.
  const model = written.startsWith("bedrock/converse/") ? `bedrock/${written.slice(17)}` : written;
  const slash = model.indexOf("/");
  const prefix = slash === -1 ? undefined : model.slice(0, slash);
  if (prefix === undefined || !KNOWN_PROVIDERS.has(prefix)) return lookup(model, BARE_KEYS);
  if (SELF_HOSTED_PROVIDERS.has(prefix)) return selfHosted(prefix);
  const name = model.slice(slash + 1);
  const qualified = lookup(model, ALL_KEYS);
  if (qualified !== undefined) return qualified;
  return BARE_NAME_PROVIDERS.has(prefix) ? lookup(name, BARE_KEYS) : undefined;
}

function nonNegative(value: unknown): number | undefined {
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  return typeof n === "number" && Number.isFinite(n) && n >= 0 ? n : undefined;
}

/**
 * The price of a deployment: `model_info.base_model` names the model when given
 * (an Azure deployment's name says nothing of what runs behind it), else the
 * deployment's `litellm_params.model`; `model_info.input_cost_per_token` /
 * `output_cost_per_token` win over the table. Undefined when neither knows a price.
 */
export function deploymentPrice(model: string, modelInfo: CostModelInfo = {}): Price | undefined {
  let base: Price | undefined;
  if (typeof modelInfo.base_model === "string" && modelInfo.base_model !== "") {
    const baseModel = modelInfo.base_model;
    // `azure/gpt-4o` and `gpt-4o` are both written; the deployment's provider prefixes a bare one.
    const slash = model.indexOf("/");
    const provider = slash === -1 ? undefined : model.slice(0, slash);
    base = priceOf(baseModel) ?? (provider === undefined ? undefined : priceOf(`${provider}/${baseModel}`));
  }
  base ??= priceOf(model);
  const input = nonNegative(modelInfo.input_cost_per_token);
  const output = nonNegative(modelInfo.output_cost_per_token);
  if (input === undefined && output === undefined) return base;
  const mode: PriceMode =
    modelInfo.mode === "completion" || modelInfo.mode === "embedding" ? modelInfo.mode : (base?.mode ?? "chat");
  const price: Price =
    base !== undefined
      ? { ...base, mode, source: "model_info" }
      : { input_cost_per_token: 0, output_cost_per_token: 0, mode, provider: "custom", source: "model_info" };
  if (input !== undefined) {
    price.input_cost_per_token = input;
    // A cache rate from the table was for the table's input rate, not this one.
    delete price.cache_read_input_token_cost;
    delete price.cache_creation_input_token_cost;
  }
  if (output !== undefined) price.output_cost_per_token = output;
  return price;
}

function detail(details: Record<string, number> | undefined, key: string): number {
  const value = details?.[key];
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? value : 0;
}

/**
 * USD for one response: prompt and completion tokens at their rates; the prompt
 * tokens read from the provider's cache (`prompt_tokens_details.cached_tokens`, part
 * of prompt_tokens) at the cached rate, and those written to it
 * (`cache_write_tokens`, Anthropic) at the write rate, when the price has them.
 */
export function costOf(usage: CompletionUsage, price: Price): number {
  const prompt = Math.max(0, usage.prompt_tokens);
  const completion = Math.max(0, usage.completion_tokens);
  let uncached = prompt;
  let cost = 0;
  if (price.cache_read_input_token_cost !== undefined) {
    const read = Math.min(detail(usage.prompt_tokens_details, "cached_tokens"), uncached);
    uncached -= read;
    cost += read * price.cache_read_input_token_cost;
  }
  if (price.cache_creation_input_token_cost !== undefined) {
    const written = Math.min(detail(usage.prompt_tokens_details, "cache_write_tokens"), uncached);
    uncached -= written;
    cost += written * price.cache_creation_input_token_cost;
  }
  return cost + uncached * price.input_cost_per_token + completion * price.output_cost_per_token;
}

/** The cost of a response from a deployment; 0 when its model has no known price. */
export function responseCost(
  model: string,
  usage: CompletionUsage | undefined | null,
  modelInfo?: CostModelInfo,
): number {
  if (usage === undefined || usage === null) return 0;
  const price = deploymentPrice(model, modelInfo);
  return price === undefined ? 0 : costOf(usage, price);
}

/** Made once: building a number format costs tens of microseconds, far more than using one. */
const PLAIN_DECIMAL = new Intl.NumberFormat("en-US", { useGrouping: false, maximumFractionDigits: 20 });

/** A cost as the `x-litellm-response-cost` header writes it: plain decimal, never exponent notation. */
export function formatCostHeader(cost: number): string {
  if (!Number.isFinite(cost) || cost <= 0) return "0";
  // String() is the shortest exact form, and plain decimal from 1e-6 up: most costs.
  const text = String(cost);
  return text.includes("e") ? PLAIN_DECIMAL.format(cost) : text;
}
