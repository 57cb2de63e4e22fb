/**
 * The one request every target receives, so direct, floor and litegate are compared on
 * identical bytes (only the bearer token differs). The mock ignores `model` and the
 * token; the floor forwards both unchanged; litegate maps `bench-model` to the mock
 * through the generated config.
 */
export const PATH = "/v1/completions";
/** The token direct, floor and the open gateway receive, and the upstream key in litegate's config. */
export const API_KEY = `sk-${"bench".padEnd(43, "0")}`;
/** general_settings.master_key of the master and vkey gateways. */
export const MASTER_KEY = "sk-bench-master";
export const MODEL_ALIAS = "bench-model";

export const BODY = JSON.stringify({ model: MODEL_ALIAS, prompt: "Say this is a test", max_tokens: 7 });
export const STREAM_BODY = JSON.stringify({
  model: MODEL_ALIAS,
  prompt: "Say this is a test",
  max_tokens: 7,
  stream: true,
});

export function headersFor(token: string): Record<string, string> {
  return { "content-type": "application/json", authorization: `Bearer ${token}` };
}
