/**
 * Config compatibility: configs written the way LiteLLM's own example configs are
 * (test/fixtures/litellm-configs: our own equivalents of what those examples use — router and
 * litellm settings, os.environ/ master keys, model_info, rpm/tpm, fallbacks, aliases,
 * wildcards, providers litegate does not serve yet, settings of features it lacks), each
 * started through the real `litegate --config` command against a mock upstream: it starts
 * with exactly the warnings documented (or refuses with the documented line), lists the
 * models it serves, and the deployments' request defaults reach the upstream.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { loadConfig } from "../../src/config/index.js";
import { startCli } from "../helpers/cli.js";
import { chatAnswer, completionAnswer } from "../helpers/fixtures.js";
import { json, MockUpstream, type RecordedRequest } from "../helpers/mock-upstream.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const DIR = join(ROOT, "test/fixtures/litellm-configs");
const CLI = join(ROOT, "dist/src/cli.js");
const MASTER = "sk-compat-master";

let mock: MockUpstream;
/** Every variable the fixtures read that a deployment needs; the rest stay unset, as on a fresh machine. */
let env: Record<string, string>;

before(async () => {
  mock = await MockUpstream.start();
  mock.always((req, res) => {
    if (req.path.endsWith("/v1/messages")) {
      json(res, 200, {
        id: "msg_1",
        type: "message",
        role: "assistant",
        model: "claude",
        content: [{ type: "text", text: "hello" }],
        stop_reason: "end_turn",
        stop_sequence: null,
        usage: { input_tokens: 3, output_tokens: 1 },
      });
    } else if (req.path.endsWith("/api/chat")) {
      json(res, 200, {
        model: "llama2",
        created_at: "2024-01-01T00:00:00Z",
        message: { role: "assistant", content: "hello" },
        done: true,
        done_reason: "stop",
        prompt_eval_count: 3,
        eval_count: 1,
      });
    } else if (req.path.endsWith("/chat/completions") || req.path.endsWith("/fim/completions")) {
      const model = (req.json as { model?: string } | undefined)?.model;
      if (model === "gpt-4o") json(res, 500, { error: { message: "primary down", type: "server_error" } });
      else json(res, 200, chatAnswer("hello"));
    } else {
      json(res, 200, completionAnswer());
    }
  });
  env = {
    FAKE_OPENAI_API_BASE: `${mock.url}/v1`,
    FAKE_OLLAMA_API_BASE: mock.url,
    FAKE_AZURE_API_BASE: mock.url,
    FAKE_ANTHROPIC_API_BASE: mock.url,
    FAKE_CODESTRAL_API_BASE: mock.url,
    OPENAI_API_KEY: "sk-openai-test",
    AZURE_API_KEY: "azure-test",
    ANTHROPIC_API_KEY: "anthropic-test",
    CODESTRAL_API_KEY: "codestral-test",
  };
});
after(() => mock.close());

/** One request to the running gateway; the upstream requests it caused. */
async function send(
  url: string,
  path: string,
  body: Record<string, unknown>,
  key?: string,
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers; upstream: RecordedRequest[] }> {
  const seen = mock.requests.length;
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (key !== undefined) headers.authorization = `Bearer ${key}`;
  const response = await fetch(`${url}${path}`, { method: "POST", headers, body: JSON.stringify(body) });
  return {
    status: response.status,
    body: (await response.json()) as Record<string, unknown>,
    headers: response.headers,
    upstream: mock.requests.slice(seen),
  };
}

async function models(url: string, key?: string): Promise<string[]> {
  const response = await fetch(`${url}/v1/models`, {
    headers: key === undefined ? {} : { authorization: `Bearer ${key}` },
  });
  assert.equal(response.status, 200);
  return ((await response.json()) as { data: { id: string }[] }).data.map((model) => model.id);
}

/** The gateway's JSON log lines. */
function logLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Log lines are written asynchronously: waits (briefly) until `check` holds. */
async function waitFor(check: () => boolean): Promise<void> {
  for (let tries = 0; tries < 100 && !check(); tries++) await new Promise((resolve) => setTimeout(resolve, 20));
}

const chat = (model: string, extra: Record<string, unknown> = {}) => ({
  model,
  messages: [{ role: "user", content: "Hi" }],
  ...extra,
});

interface StartingCase {
  /** The warnings it starts with, without the `<file>: ` prefix (the others have none). */
  warnings: string[];
  /** What /v1/models lists (with the master key when the config has one). */
  models: string[];
  key?: string;
  /** Variables set for this config besides the mock's bases and the providers' keys. */
  env?: Record<string, string>;
  /** Requests through the gateway, asserting what reaches the upstream (and what it logs). */
  probe(url: string, file: string, stdout: () => string): Promise<void>;
}

const OPEN =
  "No master key is configured (general_settings.master_key or LITELLM_MASTER_KEY): the gateway accepts every request without a key.";

const STARTING: Record<string, StartingCase> = {
  "simple.yaml": {
    warnings: [OPEN],
    models: ["gpt-3.5-turbo"],
    async probe(url) {
      const answer = await send(url, "/v1/chat/completions", chat("gpt-3.5-turbo"));
      assert.equal(answer.status, 200);
      assert.deepEqual(
        answer.upstream.map((r) => [r.path, r.headers.authorization, r.json]),
        [
          [
            "/v1/chat/completions",
            "Bearer fake-key",
            { model: "gpt-4o-mini", messages: [{ role: "user", content: "Hi" }] },
          ],
        ],
      );
    },
  },
  "aliases.yaml": {
    warnings: [OPEN],
    models: ["text-davinci-003", "gpt-4", "gpt-3.5-turbo", "gpt-4-latest"],
    async probe(url) {
      // The deployment's temperature and max_tokens reach Ollama; a request's own value wins.
      const defaults = await send(url, "/v1/chat/completions", chat("gpt-3.5-turbo"));
      assert.equal(defaults.status, 200);
      const own = await send(url, "/v1/chat/completions", chat("gpt-3.5-turbo", { temperature: 0.7 }));
      assert.deepEqual(
        [...defaults.upstream, ...own.upstream].map((r) => [r.path, (r.json as { options?: unknown }).options]),
        [
          ["/api/chat", { temperature: 0.1, top_p: 1, num_predict: 20 }],
          ["/api/chat", { temperature: 0.7, top_p: 1, num_predict: 20 }],
        ],
      );
      const alias = await send(url, "/v1/chat/completions", chat("gpt-4-latest"));
      assert.equal(alias.status, 200);
      assert.deepEqual(
        alias.upstream.map((r) => [r.path, (r.json as { model: string }).model]),
        [["/api/chat", "llama2"]],
      );
    },
  },
  "azure-load-balancing.yaml": {
    warnings: [
      'router_settings.routing_strategy "usage-based-routing-v2" is served by litegate as "usage-based-routing"',
      OPEN,
    ],
    models: ["gpt-3.5-turbo"],
    async probe(url, file) {
      const config = await loadConfig(file, env);
      assert.deepEqual(
        config.modelList.map((d) => d.limits),
        [{ tpm: 80000, rpm: 1000 }, { tpm: 80000 }],
      );
      const answer = await send(url, "/v1/chat/completions", chat("gpt-3.5-turbo"));
      assert.equal(answer.status, 200);
      const [seen] = answer.upstream;
      assert.match(seen?.path ?? "", /^\/openai\/deployments\/gpt-35-(east|west)\/chat\/completions$/);
      // An unquoted date is the same api-version as a quoted one.
      assert.deepEqual(seen?.query, { "api-version": "2024-10-21" });
      assert.equal(seen?.headers["api-key"], "azure-test");
    },
  },
  "load-balancer.yaml": {
    warnings: [OPEN],
    models: ["gpt-3.5-turbo"],
    async probe(url, file) {
      // rpm/tpm beside litellm_params are the deployment's limits, as LiteLLM's Router reads them.
      const config = await loadConfig(file, env);
      assert.deepEqual(
        config.modelList.map((d) => d.limits),
        [{ tpm: 20000, rpm: 3 }, { tpm: 20000, rpm: 3 }, {}],
      );
      assert.equal(config.litellmSettings.drop_params, true);
      const answer = await send(url, "/v1/chat/completions", chat("gpt-3.5-turbo"));
      assert.equal(answer.status, 200);
      assert.match(String(answer.upstream[0]?.headers.authorization), /^Bearer (sk-first|sk-second|or-key)$/);
    },
  },
  "tags-and-callbacks.yaml": {
    warnings: ["unknown key router_settings.enable_tag_filtering (ignored)", OPEN],
    models: ["gpt-4"],
    async probe(url, _file, stdout) {
      const answer = await send(url, "/v1/chat/completions", chat("gpt-4"));
      assert.equal(answer.status, 200);
      const id = String(answer.headers.get("x-litellm-model-id"));
      assert.match(id, /^team-(a|b)-model$/);
      // The deployment's tags label the request, as LiteLLM's spend logs show them.
      await waitFor(() => stdout().includes('"request_tags"'));
      const line = logLines(stdout()).find((entry) => entry.request_tags !== undefined);
      assert.deepEqual(line?.request_tags, [id === "team-a-model" ? "teamA" : "teamB"]);
      // callbacks: ["prometheus"] serves /metrics (open, as this gateway has no master key).
      const metrics = await fetch(`${url}/metrics`);
      assert.equal(metrics.status, 200);
      assert.match(
        await metrics.text(),
        /^litellm_proxy_total_requests_metric_total\{.*requested_model="gpt-4".*\} 1$/m,
      );
    },
  },
  "guardrails-rerank.yaml": {
    warnings: [
      "unknown key guardrails (ignored)",
      "model_list[1] (rerank-english-v3.0): litellm_params.api_key reads os.environ/COHERE_API_KEY, which is not set; requests to this deployment will fail with 401 until it is",
      "guardrails[0].litellm_params.api_key reads os.environ/APORIA_API_KEY_1, which is not set (left unset)",
      "guardrails[0].litellm_params.api_base reads os.environ/APORIA_API_BASE_1, which is not set (left unset)",
      "litellm_settings.callbacks has 'otel' but no OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, OTEL_ENDPOINT) is set: traces go to OpenTelemetry's default, http://localhost:4318/v1/traces.",
      OPEN,
    ],
    models: ["llava-hf", "rerank-english-v3.0"],
    async probe(url) {
      const image = [
        { type: "text", text: "What is this?" },
        { type: "image_url", image_url: { url: "https://example.com/cat.png" } },
      ];
      const vision = await send(url, "/v1/chat/completions", {
        model: "llava-hf",
        messages: [{ role: "user", content: image }],
      });
      assert.equal(vision.status, 200);
      assert.deepEqual(vision.upstream[0]?.json, {
        model: "llava-hf/llava-v1.6-vicuna-7b-hf",
        messages: [{ role: "user", content: image }],
      });
      const rerank = await send(url, "/v1/chat/completions", chat("rerank-english-v3.0"));
      // Cohere is served, but the deployment's key variable is not set: a 401 naming it, nothing sent.
      assert.equal(rerank.status, 401);
      assert.match(String((rerank.body.error as { message: string }).message), /COHERE_API_KEY/);
      assert.equal(rerank.upstream.length, 0);
    },
  },
  "wildcards-and-teams.yaml": {
    warnings: [
      "unknown key finetune_settings (ignored)",
      "unknown key files_settings (ignored)",
      "unknown key model_list[0].litellm_params.region_name (ignored)",
      "unknown key model_list[2].litellm_params.s3_bucket_name (ignored)",
      "unknown key model_list[2].litellm_params.s3_region_name (ignored)",
      "unknown key model_list[2].litellm_params.aws_batch_role_arn (ignored)",
      "unknown key litellm_settings.telemetry (ignored)",
      "unknown key litellm_settings.default_team_settings (ignored)",
      "litellm_settings.default_team_settings[0].langfuse_public_key reads os.environ/LANGFUSE_PROJECT1_PUBLIC, which is not set (left unset)",
    ],
    models: ["gpt-4o-mini-eu", "bedrock/batch-claude"],
    key: "sk-1234",
    async probe(url) {
      assert.equal((await send(url, "/v1/chat/completions", chat("gpt-4o-mini-eu"))).status, 401);
      const wildcard = await send(url, "/v1/chat/completions", chat("anthropic/claude-3-5-haiku-20241022"), "sk-1234");
      assert.equal(wildcard.status, 200);
      assert.deepEqual(
        wildcard.upstream.map((r) => [r.path, r.headers["x-api-key"], (r.json as { model: string }).model]),
        [["/v1/messages", "anthropic-test", "claude-3-5-haiku-20241022"]],
      );
    },
  },
  "vertex-alerting.yaml": {
    warnings: [
      "unknown key general_settings.alerting (ignored)",
      "unknown key general_settings.alerting_threshold (ignored)",
      "unknown key general_settings.alert_to_webhook_url (ignored)",
      "general_settings.alert_to_webhook_url.llm_too_slow[0] reads os.environ/SLACK_WEBHOOK_URL, which is not set (left unset)",
    ],
    models: ["gemini-vision", "fake-azure-endpoint"],
    key: "sk-1234",
    async probe(url) {
      // The service-account file the config names is not on this machine: a 401 saying so.
      const vertex = await send(url, "/v1/chat/completions", chat("gemini-vision"), "sk-1234");
      assert.equal(vertex.status, 401);
      assert.equal(
        (vertex.body.error as { message: string }).message,
        "vertex_credentials names a file that cannot be read (ENOENT): give a service-account JSON file's path or the JSON itself.",
      );
      const answer = await send(url, "/v1/chat/completions", chat("fake-azure-endpoint"), "sk-1234");
      assert.equal(answer.status, 200);
      assert.deepEqual(
        answer.upstream.map((r) => (r.json as { model: string }).model),
        ["429"],
      );
    },
  },
  "anthropic-pass-through.yaml": {
    warnings: [
      "unknown key general_settings.custom_auth (ignored)",
      "unknown key general_settings.pass_through_endpoints (ignored)",
      "general_settings.pass_through_endpoints[0].target reads os.environ/AZURE_API_BASE, which is not set (left unset)",
    ],
    models: ["claude-sonnet-4-5-20250929", "claude-special-alias"],
    key: MASTER,
    env: { LITELLM_MASTER_KEY: MASTER },
    async probe(url) {
      const answer = await send(url, "/v1/chat/completions", chat("claude-special-alias"), MASTER);
      assert.equal(answer.status, 200);
      assert.deepEqual(answer.upstream[0]?.json, {
        model: "claude-haiku-4-5-20251001",
        messages: [{ role: "user", content: "Hi" }],
        max_tokens: 64,
      });
    },
  },
  "redis-cache-db.yaml": {
    warnings: ["unknown key general_settings.use_redis_transaction_buffer (ignored)", OPEN],
    models: ["fake-openai-endpoint"],
    async probe(url) {
      const answer = await send(url, "/v1/chat/completions", chat("fake-openai-endpoint"));
      assert.equal(answer.status, 200);
      assert.deepEqual(
        answer.upstream.map((r) => (r.json as { model: string }).model),
        ["my-fake-model"],
      );
    },
  },
  "router-fallbacks.yaml": {
    warnings: [
      "model_list[0].litellm_params.max_retries is not used: retries go through the Router, across deployments (router_settings.num_retries)",
    ],
    models: ["gpt-4o", "gpt-4o-mini"],
    key: MASTER,
    env: { LITELLM_MASTER_KEY: MASTER },
    async probe(url) {
      const answer = await send(url, "/v1/chat/completions", chat("gpt-4o"), MASTER);
      assert.equal(answer.status, 200);
      assert.equal(answer.headers.get("x-litellm-model-id"), "backup-gpt-4o-mini");
      // router_settings.num_retries: 0 wins over litellm_settings' 3: one try, then the fallback,
      // each with its own deployment's defaults.
      assert.deepEqual(
        answer.upstream.map((r) => r.json),
        [
          { model: "gpt-4o", messages: [{ role: "user", content: "Hi" }], seed: 12, temperature: 0.2, stop: ["\n\n"] },
          {
            model: "gpt-4o-mini",
            messages: [{ role: "user", content: "Hi" }],
            response_format: { type: "json_object" },
          },
        ],
      );
    },
  },
  "text-completion.yaml": {
    warnings: [OPEN],
    models: ["gpt-3.5-turbo-instruct", "azure-instruct", "codestral"],
    async probe(url) {
      const text = await send(url, "/v1/completions", { model: "gpt-3.5-turbo-instruct", prompt: "Say hi" });
      assert.equal(text.status, 200);
      assert.deepEqual(
        text.upstream.map((r) => [r.path, r.json]),
        [["/v1/completions", { model: "gpt-3.5-turbo-instruct", prompt: "Say hi", max_tokens: 20 }]],
      );
      // Chat on text deployments goes to their text endpoints (README: Chat completions on text models).
      const azure = await send(url, "/v1/chat/completions", chat("azure-instruct"));
      const fim = await send(url, "/v1/chat/completions", chat("codestral"));
      assert.deepEqual(
        [azure.status, fim.status, azure.body.object, fim.body.object],
        [200, 200, "chat.completion", "chat.completion"],
      );
      assert.deepEqual(
        [...azure.upstream, ...fim.upstream].map((r) => [r.path, r.json]),
        [
          ["/openai/deployments/my-instruct/completions", { model: "my-instruct", prompt: "Hi" }],
          // The text endpoint's default length (OpenAI's 16 tokens) when the chat request sets none.
          ["/v1/fim/completions", { model: "codestral-latest", prompt: "Hi", max_tokens: 16 }],
        ],
      );
    },
  },
  "typos.yaml": {
    warnings: [
      "unknown key model_list[0].litellm_params.api_kye (ignored; did you mean `api_key`?)",
      "unknown key model_list[0].litellm_params.temprature (ignored; did you mean `temperature`?)",
      "unknown key router_settings.num_retires (ignored; did you mean `num_retries`?)",
      "unknown key litellm_settings.drop_parms (ignored; did you mean `drop_params`?)",
      OPEN,
    ],
    models: ["gpt-4o-mini"],
    async probe(url) {
      // The misspelled keys mean nothing: no temperature reaches the upstream, and the key is
      // OpenAI's usual variable (as in LiteLLM), not the one api_kye named.
      const answer = await send(url, "/v1/chat/completions", chat("gpt-4o-mini"));
      assert.equal(answer.status, 200);
      assert.deepEqual(
        answer.upstream.map((r) => [r.headers.authorization, r.json]),
        [["Bearer sk-openai-test", { model: "gpt-4o-mini", messages: [{ role: "user", content: "Hi" }] }]],
      );
    },
  },
};

/** Configs that must not start, and the one line each exits with. */
const REFUSED: Record<string, (file: string) => string> = {
  "open-gateway-typo.yaml": (file) =>
    `litegate: ${file}: genral_settings: not a section litegate knows; did you mean \`general_settings\`? (ignoring it would drop every setting in it)\n`,
  "provider-typo.yaml": (file) =>
    `litegate: ${file}: model_list[0].litellm_params.model: unknown provider 'opnai'; did you mean 'openai'? (opnai/gpt-4o)\n`,
};

describe("LiteLLM-style configs through `litegate --config`", () => {
  test("every fixture is covered by this test", () => {
    const files = readdirSync(DIR).filter((name) => name.endsWith(".yaml"));
    assert.deepEqual(files.sort(), [...Object.keys(STARTING), ...Object.keys(REFUSED)].sort());
  });

  for (const [name, expected] of Object.entries(STARTING)) {
    test(`${name} starts with its documented warnings and serves its models`, async () => {
      const file = join(DIR, name);
      const gateway = await startCli(["--config", file], mkdtempSync(join(tmpdir(), "litegate-compat-")), {
        ...env,
        ...expected.env,
      });
      try {
        assert.deepEqual(await models(gateway.url, expected.key), expected.models);
        await expected.probe(gateway.url, file, () => gateway.stdout());
        // The start-up warnings are the log's level-40 lines.
        const warnings = logLines(gateway.stdout())
          .filter((line) => line.level === 40)
          .map((line) => String(line.msg).replace(`${file}: `, ""));
        assert.deepEqual(warnings, expected.warnings);
      } finally {
        await gateway.stop();
      }
    });
  }

  for (const [name, message] of Object.entries(REFUSED)) {
    test(`${name} refuses to start with one line naming the problem`, async () => {
      const file = join(DIR, name);
      const child = spawn(process.execPath, [CLI, "--config", file, "--port", "0", "--host", "127.0.0.1"], {
        env: { PATH: process.env.PATH ?? "", ...env },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      const [code] = (await once(child, "exit")) as [number | null];
      assert.equal(code, 1);
      assert.equal(stderr, message(file));
    });
  }
});
