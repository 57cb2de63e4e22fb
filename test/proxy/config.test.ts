/**
 * The config loader against LiteLLM-style config.yaml files (test/fixtures/configs):
 * exact values for every section, os.environ/ resolution, environment_variables,
 * include:, the exact one-line errors, unknown-key warnings, and that no message ever
 * carries a secret. Each test passes its own env object; process.env is never touched.
 */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import {
  type Deployment,
  ConfigError,
  deploymentHash,
  loadConfig,
  singleModelConfig,
  type GatewayConfig,
} from "../../src/config/index.js";
import { routerOptions } from "../../src/proxy/start.js";
import { rejection } from "../helpers/fixtures.js";
import { startGateway } from "../helpers/gateway.js";

// Relative to the working directory, as a user would type it; fixtures are not copied into dist/.
const DIR = relative(process.cwd(), fileURLToPath(new URL("../../../test/fixtures/configs", import.meta.url)));
const fixture = (name: string): string => `${DIR}/${name}`;

async function configError(name: string, env: NodeJS.ProcessEnv = {}): Promise<ConfigError> {
  const error = await rejection(loadConfig(fixture(name), env));
  assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${error.name}: ${error.message}`);
  assert.equal(error.message.includes("\n"), false, "a ConfigError message is one line");
  return error;
}

/** A deployment as the config wrote it: its id, name, params and info, and what an unset variable left missing. */
function asWritten(d: Deployment): Pick<Deployment, "id" | "modelName" | "params" | "info" | "missingEnv"> {
  return { id: d.id, modelName: d.modelName, params: d.params, info: d.info, missingEnv: d.missingEnv };
}

describe("a LiteLLM config with every section", () => {
  test("loads with exact values", async () => {
    const env: NodeJS.ProcessEnv = {};
    const config = await loadConfig(fixture("full.yaml"), env);
    const file = fixture("full.yaml");

    // Every litellm_params key is used or said not to be: none is silently ignored (temperature
    // and max_tokens are the deployment's request defaults).
    assert.deepEqual(config.warnings, [
      `${file}: model_list[0].litellm_params.max_retries is not used: retries go through the Router, across deployments (router_settings.num_retries)`,
    ]);
    assert.equal(config.file, file);
    assert.deepEqual(config.files, [file]);
    assert.equal(config.modelList.length, 3);

    const [first, second, third] = config.modelList;
    assert.ok(first && second && third);
    assert.deepEqual(asWritten(first), {
      id: "openai-instruct-1",
      modelName: "gpt-3.5-turbo-instruct",
      params: {
        model: "text-completion-openai/gpt-3.5-turbo-instruct",
        api_key: "sk-literal-openai-key-0001",
        api_base: "https://api.openai.com/v1",
        organization: "org-litegate",
        timeout: 30,
        stream_timeout: 10.5,
        max_retries: 2,
        rpm: 600,
        tpm: 100000,
        weight: 2,
        order: 1,
        drop_params: true,
        additional_drop_params: ["logit_bias", "user"],
        // Header values are sent as strings, whatever YAML made of them.
        extra_headers: { "X-Team": "research", "X-Priority": "3" },
        input_cost_per_token: 0.0000015,
        output_cost_per_token: 0.000002,
        temperature: 0.2,
        max_tokens: 256,
      },
      info: {
        id: "openai-instruct-1",
        mode: "completion",
        base_model: "gpt-3.5-turbo-instruct",
        input_cost_per_token: 0.0000015,
        output_cost_per_token: 0.000002,
        max_tokens: 4096,
      },
      missingEnv: [],
    });
    // What every request needs of it, worked out once.
    assert.deepEqual(first.options, {
      api_key: "sk-literal-openai-key-0001",
      api_base: "https://api.openai.com/v1",
      organization: "org-litegate",
      extra_headers: { "X-Team": "research", "X-Priority": "3" },
      timeout: 30,
      drop_params: true,
      additional_drop_params: ["logit_bias", "user"],
    });
    assert.deepEqual(first.limits, { rpm: 600, tpm: 100000, weight: 2, order: 1, timeout: 30, stream_timeout: 10.5 });
    assert.equal(first.apiBase, "https://api.openai.com/v1");
    assert.deepEqual(
      [first.price?.input_cost_per_token, first.price?.output_cost_per_token, first.price?.mode],
      [0.0000015, 0.000002, "completion"],
    );

    assert.match(second.id, /^[0-9a-f]{32}$/);
    assert.deepEqual(asWritten(second), {
      id: second.id,
      modelName: "gpt-3.5-turbo-instruct",
      params: {
        model: "azure_text/my-instruct-deployment",
        api_key: "azure-literal-key-0002",
        api_base: "https://example-eu.openai.azure.com/",
        api_version: "2024-10-21",
        azure_ad_token: "azure-ad-token-0003",
        mock_response: "This is a mock answer",
      },
      info: { id: second.id },
      missingEnv: [],
    });
    assert.equal(third.modelName, "backup-model");
    assert.notEqual(third.id, second.id);

    assert.deepEqual(config.generalSettings, {
      master_key: "sk-master-key-0004",
      database_url: "postgresql://litegate:pw-0005@127.0.0.1:5432/test",
      database_path: "./litegate.db",
      database_connection_pool_limit: 20,
      max_request_size_mb: 5,
      allow_requests_on_db_unavailable: true,
      keepalive_interval_seconds: 10,
      graceful_shutdown_timeout_seconds: 45,
    });
    assert.deepEqual(config.routerSettings, {
      routing_strategy: "least-busy",
      routing_strategy_args: { ttl: 60 },
      num_retries: 3,
      timeout: 30,
      stream_timeout: 60,
      fallbacks: [{ "gpt-3.5-turbo-instruct": ["backup-model"] }],
      default_fallbacks: ["backup-model"],
      // A single fallback name is read as a one-item list.
      context_window_fallbacks: [{ "gpt-3.5-turbo-instruct": ["backup-model"] }],
      content_policy_fallbacks: [],
      max_fallbacks: 5,
      allowed_fails: 3,
      allowed_fails_policy: { RateLimitErrorAllowedFails: 100, ContentPolicyViolationErrorAllowedFails: 1000 },
      cooldown_time: 30,
      disable_cooldowns: false,
      retry_policy: { AuthenticationErrorRetries: 0, TimeoutErrorRetries: 3 },
      model_group_alias: {
        instruct: "gpt-3.5-turbo-instruct",
        "secret-backup": { model: "backup-model", hidden: true },
      },
      redis_host: "127.0.0.1",
      redis_port: 6379,
      redis_password: "redis-pw-0006",
      redis_url: "redis://:redis-pw-0006@127.0.0.1:6379",
      enable_pre_call_checks: true,
    });
    assert.deepEqual(config.litellmSettings, {
      drop_params: true,
      additional_drop_params: ["seed"],
      num_retries: 2,
      request_timeout: 600,
      cache: false,
      set_verbose: false,
      json_logs: true,
    });
    assert.deepEqual(config.masterKey, {
      state: "set",
      value: "sk-master-key-0004",
      source: "general_settings.master_key",
    });
    assert.deepEqual(config.environmentVariableNames, ["LITEGATE_TEST_REGION", "LITEGATE_TEST_PORT"]);
    assert.deepEqual(env, { LITEGATE_TEST_REGION: "eu-west-1", LITEGATE_TEST_PORT: "4000" });
    assert.deepEqual(config.missingEnv, []);
    assert.equal(config.userModel, undefined);
  });

  test("generated ids are deterministic, and the same for the same entry", async () => {
    const a = await loadConfig(fixture("full.yaml"), {});
    const b = await loadConfig(fixture("full.yaml"), {});
    assert.deepEqual(
      a.modelList.map((d) => d.id),
      b.modelList.map((d) => d.id),
    );
    const hash = deploymentHash({ model_name: "m", litellm_params: { model: "openai/x", rpm: 1 } });
    // Key order in the YAML does not change the id.
    assert.equal(hash, deploymentHash({ litellm_params: { rpm: 1, model: "openai/x" }, model_name: "m" }));
    assert.notEqual(hash, deploymentHash({ model_name: "n", litellm_params: { model: "openai/x", rpm: 1 } }));
  });
});

describe("the seed example from DESIGN.md", () => {
  test("loads; unset variables warn and the proxy still starts", async () => {
    const env: NodeJS.ProcessEnv = { OPENAI_API_KEY: "sk-seed-openai-0020" };
    const config = await loadConfig(fixture("seed.yaml"), env);
    const file = fixture("seed.yaml");
    assert.equal(config.modelList.length, 1);
    const [deployment] = config.modelList;
    assert.ok(deployment);
    assert.deepEqual(asWritten(deployment), {
      id: "instruct-1",
      modelName: "gpt-3.5-turbo-instruct",
      params: {
        model: "text-completion-openai/gpt-3.5-turbo-instruct",
        api_key: "sk-seed-openai-0020",
        api_base: "https://api.openai.com/v1",
        api_version: "2024-10-21",
        rpm: 600,
        tpm: 100000,
        timeout: 30,
        max_retries: 2,
      },
      info: { id: "instruct-1", mode: "completion" },
      missingEnv: [],
    });
    assert.deepEqual(config.generalSettings, {
      max_request_size_mb: 10,
      keepalive_interval_seconds: 15,
      graceful_shutdown_timeout_seconds: 30,
    });
    assert.deepEqual(config.routerSettings, {
      routing_strategy: "simple-shuffle",
      num_retries: 2,
      timeout: 30,
      fallbacks: [{ "gpt-3.5-turbo-instruct": ["backup-model"] }],
      allowed_fails: 3,
      cooldown_time: 30,
      redis_host: "127.0.0.1",
      redis_port: 6379,
    });
    assert.deepEqual(config.litellmSettings, {
      drop_params: false,
      num_retries: 2,
      request_timeout: 600,
      cache: false,
    });
    assert.deepEqual(config.masterKey, { state: "missing-env", variable: "LITELLM_MASTER_KEY" });
    assert.equal(env.LITEGATE_SEED, "1");
    assert.deepEqual(config.warnings, [
      `${file}: model_list[0].litellm_params.max_retries is not used: retries go through the Router, across deployments (router_settings.num_retries)`,
      `${file}: general_settings.master_key reads os.environ/LITELLM_MASTER_KEY, which is not set; requests that need a key will fail with 401 until it is`,
      `${file}: general_settings.database_url reads os.environ/DATABASE_URL, which is not set (left unset)`,
      `${file}: router_settings.redis_password reads os.environ/REDIS_PASSWORD, which is not set (left unset)`,
      `${file}: router_settings.redis_url reads os.environ/REDIS_URL, which is not set (left unset)`,
    ]);
    assert.deepEqual(config.missingEnv, [
      { file, path: "general_settings.master_key", variable: "LITELLM_MASTER_KEY" },
      { file, path: "general_settings.database_url", variable: "DATABASE_URL" },
      { file, path: "router_settings.redis_password", variable: "REDIS_PASSWORD" },
      { file, path: "router_settings.redis_url", variable: "REDIS_URL" },
    ]);
  });

  test("with every variable set: only the unused max_retries warns; master key from the config", async () => {
    const env: NodeJS.ProcessEnv = {
      OPENAI_API_KEY: "sk-a",
      LITELLM_MASTER_KEY: "sk-master",
      DATABASE_URL: "postgresql://127.0.0.1/test",
      REDIS_PASSWORD: "pw",
      REDIS_URL: "redis://127.0.0.1:6379",
    };
    const config = await loadConfig(fixture("seed.yaml"), env);
    assert.deepEqual(config.warnings, [
      `${fixture("seed.yaml")}: model_list[0].litellm_params.max_retries is not used: retries go through the Router, across deployments (router_settings.num_retries)`,
    ]);
    assert.deepEqual(config.masterKey, { state: "set", value: "sk-master", source: "general_settings.master_key" });
    assert.equal(config.generalSettings.database_url, "postgresql://127.0.0.1/test");
    assert.equal(config.routerSettings.redis_url, "redis://127.0.0.1:6379");
  });

  test("a variable set but empty counts as unset: an empty master key never opens the gateway", async () => {
    const config = await loadConfig(fixture("seed.yaml"), { OPENAI_API_KEY: "", LITELLM_MASTER_KEY: "" });
    assert.deepEqual(config.masterKey, { state: "missing-env", variable: "LITELLM_MASTER_KEY" });
    assert.deepEqual(config.modelList[0]?.missingEnv, [{ field: "api_key", variable: "OPENAI_API_KEY" }]);
  });
});

describe("os.environ/ references", () => {
  const file = fixture("env.yaml");
  const baseEnv = (): NodeJS.ProcessEnv => ({
    OPENAI_API_KEY: "sk-openai-0030",
    TRACE_HEADER: "trace-1",
    REAL_HOST: "http://127.0.0.1:9999/v1",
    TEAM_TIMEOUT: "12.5",
    TEAM_DROP: "true",
  });

  test("set variables resolve anywhere, nested in extra_headers too; numbers and booleans from strings", async () => {
    const config = await loadConfig(file, baseEnv());
    const [instruct, team] = config.modelList;
    assert.ok(instruct && team);
    assert.deepEqual(instruct.params, {
      model: "text-completion-openai/gpt-3.5-turbo-instruct",
      api_key: "sk-openai-0030",
      extra_headers: { "X-Trace": "trace-1" },
    });
    assert.deepEqual(team.params, {
      model: "openai/gpt-4o",
      api_key: "sk-from-environment-variables-0007",
      api_base: "http://127.0.0.1:9999/v1",
      timeout: 12.5,
      drop_params: true,
    });
    assert.deepEqual(team.missingEnv, []);
  });

  test("unset variables warn, naming the variable and the model, and are recorded on the deployment", async () => {
    const config = await loadConfig(file, baseEnv());
    const [instruct, , azure] = config.modelList;
    assert.ok(instruct && azure);
    assert.deepEqual(instruct.missingEnv, [{ field: "extra_headers.X-Missing", variable: "MISSING_HEADER" }]);
    assert.deepEqual(azure.missingEnv, [
      { field: "api_key", variable: "AZURE_API_KEY" },
      { field: "api_base", variable: "AZURE_API_BASE" },
    ]);
    // Unset values are absent, not null or the literal reference.
    assert.deepEqual(azure.params, { model: "azure_text/instruct" });
    assert.equal(config.routerSettings.redis_port, undefined);
    assert.deepEqual(config.masterKey, { state: "missing-env", variable: "LITELLM_MASTER_KEY" });
    assert.deepEqual(config.warnings, [
      `${file}: environment_variables.FROM_NOWHERE reads os.environ/NOT_SET_ANYWHERE, which is not set (FROM_NOWHERE left as it was)`,
      `${file}: model_list[0] (gpt-3.5-turbo-instruct): litellm_params.extra_headers.X-Missing reads os.environ/MISSING_HEADER, which is not set; requests to this deployment will fail with 401 until it is`,
      `${file}: model_list[2] (azure-instruct): litellm_params.api_key reads os.environ/AZURE_API_KEY, which is not set; requests to this deployment will fail with 401 until it is`,
      `${file}: model_list[2] (azure-instruct): litellm_params.api_base reads os.environ/AZURE_API_BASE, which is not set; requests to this deployment will fail with 401 until it is`,
      `${file}: general_settings.master_key reads os.environ/LITELLM_MASTER_KEY, which is not set; requests that need a key will fail with 401 until it is`,
      `${file}: router_settings.redis_port reads os.environ/REDIS_PORT, which is not set (left unset)`,
    ]);
  });

  test("an unset variable in an optional param (a session token beside long-term AWS keys) leaves it out, as LiteLLM reads None", async () => {
    const dir = mkdtempSync(join(tmpdir(), "litegate-config-"));
    const optional = join(dir, "bedrock.yaml");
    writeFileSync(
      optional,
      [
        "model_list:",
        "  - model_name: claude",
        "    litellm_params:",
        "      model: bedrock/anthropic.claude-3-haiku-20240307-v1:0",
        "      aws_access_key_id: os.environ/T_AWS_KEY_ID",
        "      aws_secret_access_key: os.environ/T_AWS_SECRET",
        "      aws_session_token: os.environ/T_AWS_SESSION",
        "      aws_region_name: os.environ/T_AWS_REGION",
        "",
      ].join("\n"),
    );
    const config = await loadConfig(optional, { T_AWS_KEY_ID: "AKIDEXAMPLE", T_AWS_SECRET: "secret" });
    const [claude] = config.modelList;
    assert.ok(claude);
    assert.deepEqual(claude.missingEnv, []);
    assert.deepEqual(claude.params, {
      model: "bedrock/anthropic.claude-3-haiku-20240307-v1:0",
      aws_access_key_id: "AKIDEXAMPLE",
      aws_secret_access_key: "secret",
    });
    assert.deepEqual(config.warnings, [
      `${optional}: model_list[0] (claude): litellm_params.aws_session_token reads os.environ/T_AWS_SESSION, which is not set (left unset)`,
      `${optional}: model_list[0] (claude): litellm_params.aws_region_name reads os.environ/T_AWS_REGION, which is not set (left unset)`,
    ]);
  });

  test("environment_variables are set into env before references resolve", async () => {
    const env = baseEnv();
    env.TEAM_KEY = "overridden by the config";
    const config = await loadConfig(file, env);
    // Set into the env object itself, so provider env fallbacks see them too (as LiteLLM sets os.environ).
    assert.equal(env.TEAM_KEY, "sk-from-environment-variables-0007");
    assert.equal(env.ALIAS_OF_HOST, "http://127.0.0.1:9999/v1");
    assert.equal("FROM_NOWHERE" in env, false);
    assert.deepEqual(config.environmentVariableNames, ["TEAM_KEY", "ALIAS_OF_HOST"]);
    assert.equal(config.modelList[1]?.params.api_key, "sk-from-environment-variables-0007");
  });

  test("the master key falls back to LITELLM_MASTER_KEY", async () => {
    const config = await loadConfig(fixture("include-main.yaml"), { LITELLM_MASTER_KEY: "sk-env-master" });
    assert.deepEqual(config.masterKey, { state: "set", value: "sk-env-master", source: "LITELLM_MASTER_KEY" });
    const open = await loadConfig(fixture("include-main.yaml"), {});
    assert.deepEqual(open.masterKey, { state: "none" });
  });

  test("ids hash the reference, not the secret, so they survive key rotation", async () => {
    const a = await loadConfig(file, baseEnv());
    const b = await loadConfig(file, { ...baseEnv(), OPENAI_API_KEY: "sk-rotated" });
    assert.equal(a.modelList[0]?.id, b.modelList[0]?.id);
    for (const d of a.modelList) assert.equal(d.id.includes("sk-"), false);
  });
});

describe("include:", () => {
  test("model_list entries are appended and settings merged, later files winning", async () => {
    const env: NodeJS.ProcessEnv = {};
    const config = await loadConfig(fixture("include-main.yaml"), env);
    const main = fixture("include-main.yaml");
    const models = fixture("include/models.yaml");
    const nested = fixture("include/nested.yaml");
    const settings = fixture("include/settings.yaml");
    assert.deepEqual(config.files, [main, models, nested, settings]);
    assert.deepEqual(
      config.modelList.map((d) => [d.modelName, d.params.model]),
      [
        ["main-model", "openai/gpt-4o"],
        ["included-model", "anthropic/claude-3-5-haiku"],
        ["included-model", "openai/gpt-4o-mini"],
        ["nested-model", "ollama/llama3"],
      ],
    );
    // environment_variables from any file apply before any file's references resolve.
    assert.equal(config.modelList[1]?.params.api_key, "sk-ant-from-include-0008");
    assert.equal(env.ANTHROPIC_API_KEY, "sk-ant-from-include-0008");
    assert.deepEqual(config.routerSettings, {
      routing_strategy: "simple-shuffle",
      num_retries: 4,
      timeout: 20,
      cooldown_time: 5,
    });
    assert.deepEqual(config.litellmSettings, { drop_params: true });
    assert.deepEqual(config.generalSettings, {
      max_request_size_mb: 2,
      keepalive_interval_seconds: 15,
      graceful_shutdown_timeout_seconds: 30,
      foo: 1,
    });
    assert.deepEqual(config.warnings, [
      `${settings}: unknown key general_settings.foo (ignored)`,
      `${settings}: router_settings.num_retries overrides the value from ${main}`,
    ]);
    assert.equal(new Set(config.modelList.map((d) => d.id)).size, 4);
  });

  test("a missing included file names the including file and the path", async () => {
    const error = await configError("invalid/missing-include.yaml");
    const absolute = fileURLToPath(
      new URL("../../../test/fixtures/configs/invalid/does-not-exist.yaml", import.meta.url),
    );
    assert.equal(
      error.message,
      `${fixture("invalid/missing-include.yaml")}: include[0]: file not found: ${fixture("invalid/does-not-exist.yaml")} (looked for ${absolute})`,
    );
  });

  test("an include cycle is an error", async () => {
    const error = await configError("invalid/cycle-a.yaml");
    assert.equal(
      error.message,
      `${fixture("invalid/cycle-b.yaml")}: include[0]: cycle-a.yaml is already being loaded (include cycle)`,
    );
  });
});

describe("validation errors: one line naming the file, the LiteLLM path and what is wrong", () => {
  const cases: [fixture: string, message: string, env?: NodeJS.ProcessEnv][] = [
    ["model-number.yaml", `model_list[2].litellm_params.model: expected a string like "openai/gpt-4o", got 42`],
    ["missing-model-name.yaml", "model_list[0].model_name is required"],
    ["missing-litellm-params.yaml", "model_list[0].litellm_params is required"],
    ["missing-model.yaml", "model_list[0].litellm_params.model is required"],
    [
      "model-from-unset-env.yaml",
      "model_list[0].litellm_params.model reads os.environ/UNSET_MODEL_NAME, which is not set",
    ],
    [
      "bad-strategy.yaml",
      `router_settings.routing_strategy: expected one of simple-shuffle, least-busy, latency-based-routing, usage-based-routing, got "round-robin"`,
    ],
    ["bad-rpm.yaml", "model_list[0].litellm_params.rpm: expected an integer >= 0, got -5"],
    ["bad-timeout.yaml", `model_list[0].litellm_params.timeout: expected a number > 0, got "soon"`],
    ["bad-fallbacks.yaml", `router_settings.fallbacks[0]["gpt-3.5-turbo-instruct"][1]: expected a model name, got 7`],
    ["bad-model-list.yaml", "model_list: expected a list of models, got a mapping"],
    ["bad-bool.yaml", `litellm_settings.drop_params: expected true or false, got "sometimes"`],
    ["bad-api-key.yaml", "model_list[0].litellm_params.api_key: expected a string, got a number"],
    ["bad-master-key.yaml", "general_settings.master_key: expected a string, got a list"],
    [
      "bad-env-number.yaml",
      "model_list[0].litellm_params.rpm: expected an integer >= 0, got the value of os.environ/RPM_FROM_ENV",
      { RPM_FROM_ENV: "lots" },
    ],
    ["duplicate-id.yaml", `model_list[1].model_info.id: "same" is already used by model_list[0]`],
    ["top-level-list.yaml", "expected a mapping at the top level (model_list, general_settings, ...), got a list"],
    ["empty.yaml", "the file is empty; expected a mapping with model_list and settings"],
  ];
  for (const [name, message, env] of cases) {
    test(name, async () => {
      const file = fixture(`invalid/${name}`);
      const error = await configError(`invalid/${name}`, env);
      assert.equal(error.message, `${file}: ${message}`);
      assert.equal(error.file, file);
    });
  }

  test("every problem is listed in .problems; the message is the first", async () => {
    const file = fixture("invalid/two-problems.yaml");
    const error = await configError("invalid/two-problems.yaml");
    assert.deepEqual(error.problems, [
      `${file}: model_list[0].litellm_params.max_retries: expected an integer >= 0, got 1.5`,
      `${file}: router_settings.num_retries: expected an integer >= 0, got "many"`,
    ]);
    assert.equal(error.message, error.problems[0]);
    assert.equal(error.path, "model_list[0].litellm_params.max_retries");
  });

  test("a YAML syntax error names the file and the line", async () => {
    const file = fixture("invalid/syntax.yaml");
    const error = await configError("invalid/syntax.yaml");
    assert.equal(
      error.message,
      `${file}: YAML syntax error at line 6, column 1: Flow map in block collection must be sufficiently indented and end with a }`,
    );
  });

  test("a missing file names the path", async () => {
    const file = fixture("no-such-config.yaml");
    const error = await rejection(loadConfig(file, {}));
    assert.ok(error instanceof ConfigError);
    const absolute = fileURLToPath(new URL("../../../test/fixtures/configs/no-such-config.yaml", import.meta.url));
    assert.equal(error.message, `${file}: file not found (looked for ${absolute})`);
  });
});

describe("warnings", () => {
  test("unknown keys are accepted with one warning each, litellm_params' too; model_info takes anything", async () => {
    const file = fixture("unknown-keys.yaml");
    const config = await loadConfig(file, {});
    assert.deepEqual(config.warnings, [
      `${file}: unknown key guardrails (ignored)`,
      `${file}: unknown key credential_list (ignored)`,
      `${file}: unknown key model_list[0].tpm_hint (ignored)`,
      `${file}: unknown key model_list[0].litellm_params.region_name (ignored)`,
      `${file}: unknown key general_settings.alerting (ignored)`,
      `${file}: unknown key general_settings.alerting_threshold (ignored)`,
      `${file}: unknown key general_settings.foo (ignored)`,
      `${file}: unknown key router_settings.cache_responses (ignored)`,
      `${file}: general_settings.foo reads os.environ/UNKNOWN_SECRET, which is not set (left unset)`,
      `${file}: router_settings.routing_strategy "usage-based-routing-v2" is served by litegate as "usage-based-routing"`,
      // cache_params is read now; without cache: true it caches nothing, as in LiteLLM.
      `${file}: litellm_settings.cache_params is set but litellm_settings.cache is not true: no response is cached (as in LiteLLM)`,
      `${file}: litellm_settings.callbacks: 'langfuse' is not served by litegate yet (ignored); served: prometheus, otel, generic_api`,
    ]);
    const [model] = config.modelList;
    assert.deepEqual(model?.params, { model: "openai/gpt-4o", region_name: "eu", seed: 7 });
    assert.deepEqual(model?.info, { id: model?.id, max_input_tokens: 128000, supports_vision: true });
    // Unknown settings are kept for features built later.
    assert.deepEqual(config.litellmSettings, {
      callbacks: ["prometheus", "langfuse"],
      cache_params: { type: "redis" },
    });
    assert.equal(config.routerSettings.routing_strategy, "usage-based-routing");
  });

  test("YAML read as LiteLLM's PyYAML reads it", async () => {
    const file = fixture("yaml-features.yaml");
    const config = await loadConfig(file, {});
    assert.deepEqual(config.warnings, [`${file}: unknown key base (ignored)`]);
    assert.deepEqual(config.modelList[0]?.params, {
      api_base: "http://127.0.0.1:8000/v1",
      timeout: 15,
      model: "hosted_vllm/opt",
      rpm: 60,
      drop_params: true,
      n: 2,
    });
    assert.deepEqual(config.litellmSettings, { cache: false });
    assert.equal(config.generalSettings.max_request_size_mb, 10);
  });

  test("a duplicate key warns and the last one wins, as in PyYAML", async () => {
    const file = fixture("duplicate-keys.yaml");
    const config = await loadConfig(file, {});
    assert.equal(config.modelList[0]?.params.model, "openai/gpt-4o-mini");
    assert.deepEqual(config.warnings, [`${file}: line 5: duplicate key model (the last one wins, as in LiteLLM)`]);
  });
});

describe("secrets", () => {
  const SECRET =
    /sk-[a-z-]+-secret-\d{4}|12345678901234567|sk-in-a-list-0010|sk-unknown-keys-master-0009|lots-of-secret/;

  function assertClean(lines: readonly string[]): void {
    for (const line of lines) assert.doesNotMatch(line, SECRET);
  }

  test("never appear in warnings", async () => {
    const config = await loadConfig(fixture("secrets.yaml"), {});
    assert.ok(config.warnings.length >= 3, "the fixture produces warnings");
    assertClean(config.warnings);
    assertClean(config.modelList.map((d) => d.id));
    // The values are all there for the proxy to use.
    assert.equal(config.modelList[0]?.params.aws_secret_access_key, "sk-envvar-secret-0011");
    assert.equal(config.masterKey.state === "set" && config.masterKey.value, "sk-master-secret-0015");
    const unknown = await loadConfig(fixture("unknown-keys.yaml"), { UNKNOWN_SECRET: "lots-of-secret" });
    assertClean(unknown.warnings);
  });

  test("never appear in errors, even when the secret is the bad value", async () => {
    for (const [name, env] of [
      ["bad-api-key.yaml", {}],
      ["bad-master-key.yaml", {}],
      ["bad-env-number.yaml", { RPM_FROM_ENV: "lots-of-secret" }],
    ] as const) {
      const error = await configError(`invalid/${name}`, { ...env });
      assertClean([error.message, ...error.problems]);
    }
  });
});

describe("singleModelConfig (litegate --model)", () => {
  test("one deployment named by the string given, as LiteLLM does", () => {
    const config: GatewayConfig = singleModelConfig("text-completion-openai/gpt-3.5-turbo-instruct", {
      env: { LITELLM_MASTER_KEY: "sk-cli-master" },
      litellmParams: { api_base: "http://127.0.0.1:8000/v1" },
    });
    assert.equal(config.file, "--model");
    assert.equal(config.userModel, "text-completion-openai/gpt-3.5-turbo-instruct");
    assert.equal(config.modelList.length, 1);
    const [d] = config.modelList;
    assert.equal(d?.modelName, "text-completion-openai/gpt-3.5-turbo-instruct");
    assert.deepEqual(d?.params, {
      api_base: "http://127.0.0.1:8000/v1",
      model: "text-completion-openai/gpt-3.5-turbo-instruct",
    });
    assert.match(d?.id ?? "", /^[0-9a-f]{32}$/);
    assert.deepEqual(config.masterKey, { state: "set", value: "sk-cli-master", source: "LITELLM_MASTER_KEY" });
    assert.equal(config.routerSettings.routing_strategy, "simple-shuffle");
    assert.deepEqual(config.warnings, []);
  });

  test("an empty model is a ConfigError", () => {
    assert.throws(() => singleModelConfig(" ", { env: {} }), {
      name: "ConfigError",
      message: `--model: expected a model like "openai/gpt-4o", got ""`,
    });
  });
});

describe("litellm_settings the Router reads, as LiteLLM's Router does", () => {
  test("fallbacks, default/context-window/content-policy fallbacks and allowed_fails from litellm_settings; router_settings wins", async () => {
    const dir = mkdtempSync(join(tmpdir(), "litegate-config-"));
    const file = join(dir, "litellm-settings.yaml");
    writeFileSync(
      file,
      [
        "model_list:",
        "  - {model_name: a, litellm_params: {model: openai/a, mock_response: hi}}",
        "  - {model_name: b, litellm_params: {model: openai/b, mock_response: hi}}",
        "litellm_settings:",
        "  fallbacks: [{a: [b]}]",
        "  default_fallbacks: [b]",
        "  context_window_fallbacks: [{a: [b]}]",
        "  content_policy_fallbacks: [{a: [b]}]",
        "  allowed_fails: 3",
        "  num_retries: 2",
        "router_settings:",
        "  allowed_fails: 5",
        "",
      ].join("\n"),
    );
    const config = await loadConfig(file, {});
    assert.deepEqual(config.warnings, []);
    const options = routerOptions(config);
    assert.deepEqual(
      {
        fallbacks: options.fallbacks,
        default_fallbacks: options.default_fallbacks,
        context_window_fallbacks: options.context_window_fallbacks,
        content_policy_fallbacks: options.content_policy_fallbacks,
        allowed_fails: options.allowed_fails,
        num_retries: options.num_retries,
      },
      {
        fallbacks: [{ a: ["b"] }],
        default_fallbacks: ["b"],
        context_window_fallbacks: [{ a: ["b"] }],
        content_policy_fallbacks: [{ a: ["b"] }],
        allowed_fails: 5,
        num_retries: 2,
      },
    );
  });
});

describe("typos", () => {
  function write(text: string): string {
    const file = join(mkdtempSync(join(tmpdir(), "litegate-config-")), "config.yaml");
    writeFileSync(file, text);
    return file;
  }

  test("a misspelled key is warned about with the key it most likely meant", async () => {
    const file = write(
      [
        "model_list:",
        "  - model_name: m",
        "    litellm_params: {model: openai/x, api_kye: sk-1, temprature: 0.2, mock_response: hi}",
        "router_settings: {num_retires: 2}",
        "litellm_settings: {service_callbacks: [datadog]}",
        "",
      ].join("\n"),
    );
    const config = await loadConfig(file, {});
    assert.deepEqual(config.warnings, [
      `${file}: unknown key model_list[0].litellm_params.api_kye (ignored; did you mean \`api_key\`?)`,
      `${file}: unknown key model_list[0].litellm_params.temprature (ignored; did you mean \`temperature\`?)`,
      `${file}: unknown key router_settings.num_retires (ignored; did you mean \`num_retries\`?)`,
      // A LiteLLM setting litegate does not serve is not "corrected" into a near one.
      `${file}: unknown key litellm_settings.service_callbacks (ignored)`,
    ]);
  });

  test("a misspelled callback is warned about with the served one it most likely meant; LiteLLM's others are not corrected", async () => {
    const file = write(
      [
        "model_list:",
        "  - model_name: m",
        "    litellm_params: {model: openai/x, mock_response: hi}",
        "litellm_settings:",
        "  callbacks: [promethus, langfuse]",
        "  success_callback: [generic-api]",
        "",
      ].join("\n"),
    );
    const config = await loadConfig(file, {});
    assert.deepEqual(config.warnings, [
      `${file}: litellm_settings.callbacks: 'promethus' is not a callback litegate knows (ignored); did you mean 'prometheus'?`,
      `${file}: litellm_settings.callbacks: 'langfuse' is not served by litegate yet (ignored); served: prometheus, otel, generic_api`,
      `${file}: litellm_settings.success_callback: 'generic-api' is not a callback litegate knows (ignored); did you mean 'generic_api'?`,
    ]);
  });

  test("a misspelled section is a start-up error, never a gateway running without it (open, with no master key)", async () => {
    const file = write("model_list: []\ngenral_settings:\n  master_key: sk-1234\n");
    const error = await rejection(loadConfig(file, {}));
    assert.ok(error instanceof ConfigError);
    assert.equal(
      error.message,
      `${file}: genral_settings: not a section litegate knows; did you mean \`general_settings\`? (ignoring it would drop every setting in it)`,
    );
  });

  test("a misspelled master key is a start-up error too: the gateway would otherwise run open", async () => {
    const file = write("model_list: []\ngeneral_settings:\n  master_kye: sk-1234\n");
    const error = await rejection(loadConfig(file, {}));
    assert.ok(error instanceof ConfigError);
    assert.equal(
      error.message,
      `${file}: general_settings.master_kye: not a setting litegate knows; did you mean \`master_key\`? (ignoring it would start the gateway without a master key, open to anyone)`,
    );
  });
});

describe("providers and numbers as LiteLLM's configs write them", () => {
  function write(text: string): string {
    const file = join(mkdtempSync(join(tmpdir(), "litegate-config-")), "config.yaml");
    writeFileSync(file, text);
    return file;
  }

  test("a near miss of a provider litegate serves is a start-up error naming the deployment", async () => {
    const file = write("model_list:\n  - model_name: m\n    litellm_params: {model: antropic/claude-3-5-haiku}\n");
    const error = await rejection(loadConfig(file, {}));
    assert.equal(
      error.message,
      `${file}: model_list[0].litellm_params.model: unknown provider 'antropic'; did you mean 'anthropic'? (antropic/claude-3-5-haiku)`,
    );
  });

  test("a LiteLLM provider litegate does not serve yet starts with a warning, is not listed, and answers 400 naming it", async () => {
    const file = write(
      [
        "model_list:",
        "  - {model_name: fast, litellm_params: {model: openai/gpt-4o, mock_response: hi}}",
        "  - {model_name: sm, litellm_params: {model: sagemaker/my-endpoint}}",
        "",
      ].join("\n"),
    );
    const config = await loadConfig(file, {});
    assert.deepEqual(config.warnings.slice(0, 1), [
      `${file}: model_list[1].litellm_params.model: litegate does not serve the provider 'sagemaker' yet: 'sm' is left out of /v1/models and its requests get a 400`,
    ]);
    const gateway = await startGateway({
      modelList: [...config.modelList.map((d) => ({ model_name: d.modelName, litellm_params: d.params }))],
    });
    try {
      const models = (await (await fetch(`${gateway.url}/v1/models`)).json()) as { data: { id: string }[] };
      assert.deepEqual(
        models.data.map((m) => m.id),
        ["fast"],
      );
      const response = await fetch(`${gateway.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "sm", messages: [{ role: "user", content: "hi" }] }),
      });
      assert.equal(response.status, 400);
      const body = (await response.json()) as { error: { message: string } };
      assert.match(body.error.message, /unknown provider 'sagemaker'/);
    } finally {
      await gateway.close();
    }
  });

  test("tpm: 20_000 is 20000, as PyYAML (YAML 1.1) reads it", async () => {
    const file = write(
      "model_list:\n  - model_name: m\n    litellm_params: {model: openai/x, tpm: 20_000, rpm: 1_000}\n",
    );
    const config = await loadConfig(file, {});
    assert.deepEqual(config.modelList[0]?.limits, { tpm: 20000, rpm: 1000 });
  });
});
