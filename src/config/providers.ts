/**
 * Which provider a deployment's `model` names, checked at start: a near miss of one litegate
 * serves (`opnai/`) is a typo and stops the start; a real LiteLLM provider litegate does not
 * serve yet (`sagemaker/`) is a warning, so LiteLLM's own configs, which list such
 * deployments, still start (its requests get a 400 naming the provider).
 */
import { PROVIDERS } from "../providers/registry.js";
import { nearMiss } from "./near-miss.js";

/** The provider a model string names, as labels and logs show it: its prefix (`groq/llama-3` → `groq`); a bare name is OpenAI's, as LiteLLM reads it. */
export function providerPrefix(model: string): string {
  const slash = model.indexOf("/");
  return slash === -1 ? "openai" : model.slice(0, slash);
}

/** A model string without its provider prefix (`openai/gpt-4o-mini` → `gpt-4o-mini`), as LiteLLM's `model` label and GenAI's model attributes name it. */
export function withoutProvider(model: string): string {
  return model.slice(model.indexOf("/") + 1);
}

/** LiteLLM's provider prefixes that litegate has no adapter for yet. */
const LITELLM_PROVIDERS: ReadonlySet<string> = new Set([
  "bedrock_converse",
  "sagemaker",
  "sagemaker_chat",
  "vertex_ai_beta",
  "cohere_chat",
  "replicate",
  "cerebras",
  "databricks",
  "watsonx",
  "ai21",
  "nlp_cloud",
  "aleph_alpha",
  "baseten",
  "petals",
  "cloudflare",
  "voyage",
  "triton",
  "predibase",
  "clarifai",
  "sambanova",
  "nvidia_nim",
  "azure_ai",
  "github",
  "friendliai",
  "oobabooga",
  "llamafile",
  "lm_studio",
  "xinference",
  "custom_openai",
  "custom",
]);

export type ProviderCheck =
  | { kind: "served" }
  | { kind: "unserved"; provider: string }
  | { kind: "typo"; provider: string; meant: string };

export function checkProvider(model: string): ProviderCheck {
  const slash = model.indexOf("/");
  // A bare name (gpt-4o) is OpenAI's, or refused with its own message at the first request.
  if (slash === -1) return { kind: "served" };
  const provider = model.slice(0, slash);
  if (PROVIDERS[provider] !== undefined) return { kind: "served" };
  if (LITELLM_PROVIDERS.has(provider)) return { kind: "unserved", provider };
  const meant = nearMiss(provider, Object.keys(PROVIDERS));
  return meant === undefined ? { kind: "unserved", provider } : { kind: "typo", provider, meant };
}
