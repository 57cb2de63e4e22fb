/**
 * The cache key: a SHA-256 of the model group the client asked for, the endpoint, and every
 * param of the request that can change the answer, written with sorted object keys so the
 * same request always hashes the same whatever order its JSON came in. A namespace, when one
 * applies, is prepended as LiteLLM does (`namespace:hash`).
 */
import { createHash } from "node:crypto";

/** What a cached answer is: the endpoint it answers (a chat answer never serves a text completion). */
export type CacheKind = "text_completion" | "chat";

/**
 * Request params that never change the answer: who asks (`user`, and `safety_identifier`,
 * OpenAI's successor to it), how it is delivered (`stream`, `stream_options`), what is only
 * logged or kept (`metadata`, `store`) and the provider's own prompt-cache routing hint
 * (`prompt_cache_key`). Every other param is in the key, whatever endpoint or provider it is
 * for. LiteLLM's own fields (`cache`, `tags`, `fallbacks`, ...) never reach the params.
 */
export const PARAMS_OUTSIDE_KEY: ReadonlySet<string> = new Set([
  "user",
  "safety_identifier",
  "stream",
  "stream_options",
  "metadata",
  "store",
  "prompt_cache_key",
]);

/** JSON with object keys sorted at every depth (arrays keep their order: it means something). */
function canonical(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
}

/**
 * The key of a request: `params` are its validated params (with `model`, the group asked for);
 * `mockResponse`, LiteLLM's fixed answer, is part of what is answered.
 */
export function cacheKey(
  kind: CacheKind,
  params: Readonly<Record<string, unknown>>,
  namespace: string | undefined,
  mockResponse?: string,
): string {
  const keyed: Record<string, unknown> = { endpoint: kind };
  for (const [name, value] of Object.entries(params)) {
    if (!PARAMS_OUTSIDE_KEY.has(name) && value !== null) keyed[name] = value;
  }
  if (mockResponse !== undefined) keyed.mock_response = mockResponse;
  const hash = createHash("sha256").update(canonical(keyed)).digest("hex");
  return namespace === undefined ? hash : `${namespace}:${hash}`;
}
