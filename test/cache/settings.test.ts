/**
 * litellm_settings.cache and cache_params read from config.yaml as LiteLLM reads them: the
 * defaults, os.environ/ values, Redis from the router's settings when cache_params names none,
 * an unsupported type a one-line start-up error naming what is served, and the warnings.
 */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { cacheSettings, DEFAULT_TTL_SECONDS } from "../../src/cache/settings.js";
import { ConfigError, loadConfig } from "../../src/config/index.js";
import { rejection } from "../helpers/fixtures.js";

function write(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), "litegate-cache-config-")), "config.yaml");
  writeFileSync(file, `model_list:\n  - {model_name: m, litellm_params: {model: openai/x, api_key: k}}\n${text}`);
  return file;
}

test("cache: true alone is the local cache, every completion cached, 600 s, 64 MB", async () => {
  const config = await loadConfig(write("litellm_settings: {cache: true}\n"), {});
  assert.deepEqual(
    config.warnings.filter((w) => w.includes("cache")),
    [],
  );
  assert.deepEqual(cacheSettings(config.litellmSettings, undefined, {}), {
    type: "local",
    redis: undefined,
    namespace: undefined,
    ttl: DEFAULT_TTL_SECONDS,
    kinds: new Set(["chat", "text_completion"]),
    optIn: false,
    maxSizeMb: 64,
    maxEntries: undefined,
  });
  assert.equal(cacheSettings({ cache: false }, undefined, {}), undefined);
});

test("redis: its own host, password from os.environ/, ttl, namespace, call types and mode", async () => {
  const file = write(
    [
      "litellm_settings:",
      "  cache: True",
      "  cache_params:",
      "    type: redis",
      "    host: cache.internal",
      '    port: "6380"',
      "    password: os.environ/REDIS_CACHE_PASSWORD",
      "    namespace: litellm.caching",
      "    default_in_redis_ttl: 120",
      "    supported_call_types: [acompletion, aembedding]",
      "    mode: default_off",
      "",
    ].join("\n"),
  );
  const config = await loadConfig(file, { REDIS_CACHE_PASSWORD: "s3cret" });
  assert.deepEqual(config.warnings, [
    `${file}: litellm_settings.cache_params.supported_call_types: aembedding not cached by litegate (it caches text and chat completions)`,
  ]);
  assert.deepEqual(cacheSettings(config.litellmSettings, { host: "router-redis" }, {}), {
    type: "redis",
    redis: { url: undefined, host: "cache.internal", port: 6380, password: "s3cret" },
    namespace: "litellm.caching",
    ttl: 120,
    kinds: new Set(["chat"]),
    optIn: true,
    maxSizeMb: 64,
    maxEntries: undefined,
  });
});

test("redis without a host: the router's Redis, else LiteLLM's REDIS_* variables", async () => {
  const config = await loadConfig(write("litellm_settings: {cache: true, cache_params: {type: redis, ttl: 30}}\n"), {});
  const router = { url: "redis://router:6379" };
  assert.deepEqual(cacheSettings(config.litellmSettings, router, {})?.redis, router);
  assert.deepEqual(
    cacheSettings(config.litellmSettings, undefined, { REDIS_HOST: "env-host", REDIS_PORT: "7000" })?.redis,
    {
      url: undefined,
      host: "env-host",
      port: 7000,
      password: undefined,
    },
  );
  assert.equal(cacheSettings(config.litellmSettings, undefined, {})?.ttl, 30);
});

test("an unsupported cache type is a start-up error naming the ones served", async () => {
  for (const type of ["s3", "redis-semantic", "qdrant-semantic", "disk"]) {
    const file = write(`litellm_settings: {cache: true, cache_params: {type: ${type}}}\n`);
    const error = await rejection(loadConfig(file, {}));
    assert.ok(error instanceof ConfigError);
    assert.equal(
      error.message,
      `${file}: litellm_settings.cache_params.type: expected one of local, redis (litegate serves no s3, gcs, azure-blob, disk or semantic cache), got "${type}"`,
    );
  }
});

test("warnings: cache_params without cache: true, an unknown key inside it, a bad value an error", async () => {
  const off = write("litellm_settings: {cache_params: {type: local}}\n");
  assert.deepEqual((await loadConfig(off, {})).warnings, [
    `${off}: litellm_settings.cache_params is set but litellm_settings.cache is not true: no response is cached (as in LiteLLM)`,
  ]);
  const typo = write("litellm_settings: {cache: true, cache_params: {type: local, ttll: 5}}\n");
  assert.deepEqual((await loadConfig(typo, {})).warnings, [
    `${typo}: unknown key litellm_settings.cache_params.ttll (ignored; did you mean \`ttl\`?)`,
  ]);
  const bad = write("litellm_settings: {cache: true, cache_params: {ttl: -5}}\n");
  const error = await rejection(loadConfig(bad, {}));
  assert.equal(error.message, `${bad}: litellm_settings.cache_params.ttl: expected a number > 0, got -5`);
});
