/**
 * The one config model: a `model_list` entry is resolved once into a deployment (env read,
 * id fixed, call options, limits and price derived), the same way from config.yaml and from
 * an SDK user's list, and no `litellm_params` key the schema accepts is silently ignored.
 */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { ConfigError, type Deployment, deploymentsFromLiteLLM, loadConfig } from "../../src/config/index.js";
import { litellmParamsSchema } from "../../src/config/schema.js";
import { rejection } from "../helpers/fixtures.js";

const BASE = { model_name: "m", litellm_params: { model: "openai/gpt-4o" } };

function one(entry: unknown, env: Record<string, string | undefined> = {}): Deployment {
  const [deployment] = deploymentsFromLiteLLM([entry], env);
  assert.ok(deployment);
  return deployment;
}

/** What a deployment makes of its params: everything but the params themselves. */
function derived(d: Deployment): unknown {
  return {
    id: d.id,
    model: d.model,
    apiBase: d.apiBase,
    options: d.options,
    defaults: d.defaults,
    limits: d.limits,
    tags: d.tags,
    price: d.price,
    missingEnv: d.missingEnv,
  };
}

describe("resolving a model_list entry", () => {
  test("os.environ/ references are read once, nested ones too; an unset one is left out and named", () => {
    const d = one(
      {
        model_name: "m",
        litellm_params: {
          model: "openai/gpt-4o",
          api_key: "os.environ/TEST_KEY",
          api_base: "os.environ/TEST_UNSET_BASE",
          extra_headers: { "x-team": "os.environ/TEST_TEAM", "x-gone": "os.environ/TEST_UNSET_HEADER" },
        },
      },
      { TEST_KEY: "sk-from-env", TEST_TEAM: "research" },
    );
    assert.deepEqual(d.params, {
      model: "openai/gpt-4o",
      api_key: "sk-from-env",
      extra_headers: { "x-team": "research" },
    });
    assert.deepEqual(d.options, { api_key: "sk-from-env", extra_headers: { "x-team": "research" } });
    assert.deepEqual(d.missingEnv, [
      { field: "api_base", variable: "TEST_UNSET_BASE" },
      { field: "extra_headers.x-gone", variable: "TEST_UNSET_HEADER" },
    ]);
  });

  test("the same entry gets the same id from config.yaml and from an SDK user's list", async () => {
    const dir = mkdtempSync(join(tmpdir(), "litegate-config-"));
    const file = join(dir, "config.yaml");
    writeFileSync(
      file,
      "model_list:\n  - model_name: m\n    litellm_params:\n      model: openai/gpt-4o\n      rpm: 5\n",
    );
    const config = await loadConfig(file, {});
    const fromList = one({ model_name: "m", litellm_params: { model: "openai/gpt-4o", rpm: 5 } });
    assert.match(fromList.id, /^[0-9a-f]{32}$/);
    assert.equal(config.modelList[0]?.id, fromList.id);
    // Repeats of an identical entry are numbered; model_info.id wins.
    const ids = deploymentsFromLiteLLM([BASE, BASE, { ...BASE, model_info: { id: "mine" } }], {}).map((d) => d.id);
    assert.deepEqual(ids, [ids[0], `${ids[0]}-2`, "mine"]);
  });

  test("an invalid entry is a ConfigError naming its path, never a half-built deployment", async () => {
    const error = await rejection(
      Promise.resolve().then(() =>
        deploymentsFromLiteLLM([BASE, { model_name: "x", litellm_params: { model: "openai/x", rpm: -1 } }], {}),
      ),
    );
    assert.ok(error instanceof ConfigError);
    assert.equal(error.message, "model_list[1].litellm_params.rpm: expected an integer >= 0, got -1");
    const missing = await rejection(
      Promise.resolve().then(() => deploymentsFromLiteLLM([{ model_name: "x", litellm_params: {} }], {})),
    );
    assert.equal(missing.message, "model_list[0].litellm_params.model is required");
  });

  test("prices from litellm_params (LiteLLM's older place) win over model_info's", () => {
    const d = one({
      model_name: "m",
      litellm_params: { model: "openai/my-finetune", input_cost_per_token: 0.5, output_cost_per_token: 1 },
      model_info: { input_cost_per_token: 9, output_cost_per_token: 9 },
    });
    assert.deepEqual([d.price?.input_cost_per_token, d.price?.output_cost_per_token], [0.5, 1]);
  });
});

describe("no litellm_params key is silently ignored", () => {
  /** A value of the right type for each key the schema accepts. */
  const SAMPLES: Record<string, unknown> = {
    api_key: "sk-x",
    api_base: "http://127.0.0.1:9/v1",
    api_version: "2024-10-21",
    organization: "org",
    azure_ad_token: "token",
    vertex_project: "proj",
    vertex_location: "europe-west4",
    vertex_credentials: "/secrets/sa.json",
    aws_access_key_id: "AKIDEXAMPLE",
    aws_secret_access_key: "secret",
    aws_session_token: "session",
    aws_region_name: "us-east-1",
    aws_bedrock_runtime_endpoint: "https://vpce.example",
    timeout: 5,
    stream_timeout: 2,
    max_retries: 3,
    rpm: 10,
    tpm: 1000,
    weight: 2,
    order: 1,
    mock_response: "hi",
    drop_params: true,
    additional_drop_params: ["user"],
    extra_headers: { "x-a": "b" },
    input_cost_per_token: 0.25,
    output_cost_per_token: 0.5,
    temperature: 0.2,
    top_p: 0.9,
    max_tokens: 20,
    max_completion_tokens: 30,
    n: 2,
    seed: 12,
    stop: ["\n"],
    presence_penalty: 0.5,
    frequency_penalty: 0.5,
    logit_bias: { "50256": -100 },
    user: "team-a",
    response_format: { type: "json_object" },
    reasoning_effort: "low",
    parallel_tool_calls: false,
    top_k: 40,
    extra_body: { min_p: 0.1 },
    tags: ["prod"],
  };

  test("every key changes what the deployment does, or loading says it is not used", async () => {
    const keys = Object.keys(litellmParamsSchema.shape).filter((key) => key !== "model");
    assert.deepEqual(
      keys.filter((key) => !(key in SAMPLES)),
      [],
      "a new litellm_params key needs a sample here",
    );
    const dir = mkdtempSync(join(tmpdir(), "litegate-config-"));
    const baseline = derived(one(BASE));
    for (const key of keys) {
      const entry = { model_name: "m", litellm_params: { model: "openai/gpt-4o", [key]: SAMPLES[key] } };
      const changed =
        JSON.stringify(derived(one(entry))) !== JSON.stringify({ ...(baseline as object), id: one(entry).id });
      const file = join(dir, `${key}.yaml`);
      writeFileSync(file, JSON.stringify({ model_list: [entry] }));
      const warned = (await loadConfig(file, {})).warnings.some((warning) => warning.includes(`litellm_params.${key}`));
      assert.ok(changed || warned, `litellm_params.${key} is accepted but neither used nor warned about`);
    }
  });

  test("a key the schema does not know is warned about, with its path", async () => {
    const dir = mkdtempSync(join(tmpdir(), "litegate-config-"));
    const file = join(dir, "config.yaml");
    writeFileSync(
      file,
      JSON.stringify({
        model_list: [{ model_name: "m", litellm_params: { model: "openai/gpt-4o", temprature: 0.2 } }],
      }),
    );
    assert.deepEqual((await loadConfig(file, {})).warnings, [
      `${file}: unknown key model_list[0].litellm_params.temprature (ignored; did you mean \`temperature\`?)`,
    ]);
  });
});
