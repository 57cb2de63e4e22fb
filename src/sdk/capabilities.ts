/**
 * What a deployment's provider takes, for the model info routes: its provider prefix and the
 * OpenAI params its adapter supports (LiteLLM's `supported_openai_params`).
 */
import { resolveModel } from "../providers/registry.js";

export interface ModelCapabilities {
  /** LiteLLM's `litellm_provider`: the prefix, or `openai` for a bare OpenAI name. */
  provider: string;
  /** Sorted. */
  supported_openai_params: string[];
}

/**
 * The capabilities of a model string in `mode` (a text completion deployment takes the
 * completion params, a chat one the chat params, an embedding one the embeddings params);
 * undefined for a model litegate cannot serve in that mode.
 */
export function capabilitiesOf(
  model: string,
  mode: "chat" | "completion" | "embedding",
): ModelCapabilities | undefined {
  let resolved: ReturnType<typeof resolveModel>;
  try {
    resolved = resolveModel(model);
  } catch {
    return undefined;
  }
  const adapter =
    mode === "embedding"
      ? resolved.embedding
      : mode === "completion"
        ? (resolved.text ?? resolved.chat)
        : (resolved.chat ?? resolved.text);
  if (adapter === undefined) return undefined;
  return { provider: resolved.provider, supported_openai_params: [...adapter.supportedParams].sort() };
}
