/**
 * The cache key: every param of either endpoint changes it except those documented outside it;
 * JSON key order and null-vs-absent do not; the model group, the endpoint, the namespace and
 * mock_response do. And the per-request controls as parsed from the body's `cache` object.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { cacheControls, NO_CONTROLS } from "../../src/cache/controls.js";
import { cacheKey, PARAMS_OUTSIDE_KEY } from "../../src/cache/key.js";
import { CHAT_PARAMS, COMPLETION_PARAMS } from "../../src/providers/openai-dialect.js";
import { BadRequestError } from "../../src/wire/errors.js";

const TEXT = { model: "instruct", prompt: "Say this is a test" };
const CHAT = { model: "chat", messages: [{ role: "user", content: "Hi" }] };

test("every param of text completions changes the key, except those outside it", () => {
  const base = cacheKey("text_completion", TEXT, undefined);
  for (const param of COMPLETION_PARAMS) {
    const changed = cacheKey("text_completion", { ...TEXT, [param]: `value of ${param}` }, undefined);
    if (PARAMS_OUTSIDE_KEY.has(param)) assert.equal(changed, base, param);
    else assert.notEqual(changed, base, param);
  }
  assert.notEqual(cacheKey("text_completion", { ...TEXT, prompt: "Say this is not a test" }, undefined), base);
  // A provider's own param (extra_body's top_k) changes the answer too.
  assert.notEqual(cacheKey("text_completion", { ...TEXT, top_k: 40 }, undefined), base);
});

test("every param of chat completions changes the key, except those outside it", () => {
  const base = cacheKey("chat", CHAT, undefined);
  for (const param of CHAT_PARAMS) {
    const changed = cacheKey("chat", { ...CHAT, [param]: { value: param } }, undefined);
    if (PARAMS_OUTSIDE_KEY.has(param)) assert.equal(changed, base, param);
    else assert.notEqual(changed, base, param);
  }
  assert.notEqual(cacheKey("chat", { ...CHAT, messages: [{ role: "user", content: "Hi!" }] }, undefined), base);
});

test("outside the key: exactly user, safety_identifier, stream, stream_options, metadata, store, prompt_cache_key", () => {
  assert.deepEqual([...PARAMS_OUTSIDE_KEY].sort(), [
    "metadata",
    "prompt_cache_key",
    "safety_identifier",
    "store",
    "stream",
    "stream_options",
    "user",
  ]);
});

test("the model group, the endpoint, the namespace and mock_response change it; key order and nulls do not", () => {
  const base = cacheKey("chat", CHAT, undefined);
  assert.notEqual(cacheKey("chat", { ...CHAT, model: "other" }, undefined), base);
  assert.notEqual(cacheKey("text_completion", CHAT, undefined), base);
  assert.notEqual(cacheKey("chat", CHAT, undefined, "fixed answer"), base);
  assert.match(base, /^[0-9a-f]{64}$/);
  assert.equal(cacheKey("chat", CHAT, "team-a"), `team-a:${base}`);
  const tools = [{ type: "function", function: { name: "f", parameters: { a: 1, b: 2 } } }];
  const reordered = [{ function: { parameters: { b: 2, a: 1 }, name: "f" }, type: "function" }];
  assert.equal(
    cacheKey("chat", { messages: CHAT.messages, model: "chat", tools }, undefined),
    cacheKey("chat", { ...CHAT, tools: reordered }, undefined),
  );
  assert.equal(cacheKey("chat", { ...CHAT, temperature: null }, undefined), base);
  // Order inside an array is meaning: messages in another order are another conversation.
  const two = [
    { role: "user", content: "a" },
    { role: "user", content: "b" },
  ];
  assert.notEqual(
    cacheKey("chat", { ...CHAT, messages: two }, undefined),
    cacheKey("chat", { ...CHAT, messages: [...two].reverse() }, undefined),
  );
});

test("controls: LiteLLM's names read, absent is no control, each bad value a 400 naming its field", () => {
  assert.deepEqual(cacheControls(undefined), NO_CONTROLS);
  assert.deepEqual(cacheControls({}), NO_CONTROLS);
  assert.deepEqual(
    cacheControls({ "no-cache": true, "no-store": true, ttl: 30, "s-maxage": 5, namespace: "n", "use-cache": true }),
    { noCache: true, noStore: true, ttl: 30, maxAge: 5, namespace: "n", useCache: true },
  );
  assert.equal(cacheControls({ "s-max-age": 7 }).maxAge, 7);
  const refused = (value: unknown): string => {
    try {
      cacheControls(value);
    } catch (error) {
      assert.ok(error instanceof BadRequestError);
      return String(error.param);
    }
    return "accepted";
  };
  assert.equal(refused([]), "cache");
  assert.equal(refused({ ttl: 0 }), "cache.ttl");
  assert.equal(refused({ ttl: "60" }), "cache.ttl");
  assert.equal(refused({ "s-maxage": -1 }), "cache.s-maxage");
  assert.equal(refused({ "no-store": 1 }), "cache.no-store");
  assert.equal(refused({ namespace: 3 }), "cache.namespace");
  assert.equal(refused({ nocache: true }), "cache.nocache");
});
