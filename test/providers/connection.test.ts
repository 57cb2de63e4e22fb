/**
 * A provider's base URL and key: the call's options first, then the environment (LiteLLM's
 * names, then their aliases), empty meaning unset; the environment is read only when the
 * option is unset.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { apiBase, apiKey } from "../../src/providers/connection.js";
import { OPENAI } from "../../src/providers/openai.js";
import type { ConnectionOptions, Target } from "../../src/providers/types.js";

function target(options: ConnectionOptions, env: Record<string, string | undefined>): Target {
  return { model: "gpt-4o", options, env, dropParams: false };
}

/** An environment whose every read is recorded. */
function watchedEnv(values: Record<string, string>): { env: Record<string, string | undefined>; read: string[] } {
  const read: string[] = [];
  const env = new Proxy(values as Record<string, string | undefined>, {
    get(object, name) {
      if (typeof name === "string") read.push(name);
      return Reflect.get(object, name);
    },
  });
  return { env, read };
}

describe("a provider's base URL and key", () => {
  test("options win, and the environment is not read for what they set", () => {
    const { env, read } = watchedEnv({ OPENAI_BASE_URL: "http://env.example/v1", OPENAI_API_KEY: "sk-env" });
    const call = target({ api_base: "http://127.0.0.1:9/v1", api_key: "sk-option" }, env);
    assert.equal(apiBase(call, OPENAI), "http://127.0.0.1:9/v1");
    assert.equal(apiKey(call, OPENAI), "sk-option");
    assert.deepEqual(read, []);
  });

  test("an option unset or empty: the variable, then its alias; an empty variable is unset", () => {
    const { env, read } = watchedEnv({ OPENAI_BASE_URL: "", OPENAI_API_BASE: "http://alias.example/v1" });
    assert.equal(apiBase(target({ api_base: "" }, env), OPENAI), "http://alias.example/v1");
    assert.deepEqual(read, ["OPENAI_BASE_URL", "OPENAI_API_BASE"]);
    assert.equal(apiBase(target({}, { OPENAI_BASE_URL: "http://env.example/v1" }), OPENAI), "http://env.example/v1");
    assert.equal(apiKey(target({}, { OPENAI_API_KEY: "sk-env" }), OPENAI), "sk-env");
  });

  test("nothing set: the endpoint's default base, and no key", () => {
    const call = target({}, { OPENAI_API_KEY: "" });
    assert.equal(apiBase(call, OPENAI), "https://api.openai.com/v1");
    assert.equal(apiKey(call, OPENAI), undefined);
  });
});
