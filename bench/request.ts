/**
 * The one request every target receives, so direct, floor and litegate are compared on
 * identical bytes. The mock ignores `model`; the floor forwards the body unchanged;
 * litegate maps `bench-model` to the mock through the generated config.
 */
export const PATH = "/v1/completions";
/** Shaped like a key litegate generates (sk- and 43 base62): BENCH_KEYS seeds it as a virtual key. */
export const API_KEY = `sk-${"bench".padEnd(43, "0")}`;
export const MODEL_ALIAS = "bench-model";

export const BODY = JSON.stringify({ model: MODEL_ALIAS, prompt: "Say this is a test", max_tokens: 7 });
export const STREAM_BODY = JSON.stringify({
  model: MODEL_ALIAS,
  prompt: "Say this is a test",
  max_tokens: 7,
  stream: true,
});

export const HEADERS: Readonly<Record<string, string>> = {
  "content-type": "application/json",
  authorization: `Bearer ${API_KEY}`,
};
