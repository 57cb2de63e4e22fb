/**
 * LiteLLM's model routes through the real HTTP server: /model/info, /v1/model/info and
 * /model_group/info (exact bodies, credentials never shown, a virtual key sees its own
 * models), and /model/new, /model/update, /model/delete adding deployments at runtime that
 * requests reach at once — on SQLite always, on Postgres when TEST_DATABASE_URL is set.
 * Every answer of the file is checked for the secrets the config and the requests carry.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, before, describe, test } from "node:test";
import { PROVIDERS } from "../../src/providers/registry.js";
import { PostgresStore } from "../../src/store/postgres-store.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import type { Store } from "../../src/store/types.js";
import { chatAnswer } from "../helpers/fixtures.js";
import { startGateway, type TestGateway } from "../helpers/gateway.js";
import { MASTER_KEY } from "../helpers/keys.js";
import { json, MockUpstream } from "../helpers/mock-upstream.js";
import { dropSchemas, uniqueName, warnSkipped } from "../helpers/services.js";

const DATABASE_URL = process.env.TEST_DATABASE_URL;
const POSTGRES_SKIP =
  DATABASE_URL === undefined ? "TEST_DATABASE_URL is not set: model routes on Postgres skipped" : undefined;
warnSkipped(POSTGRES_SKIP);

/** Every secret below carries this mark: no answer and no log line may contain it. */
const MARK = "SECRET";
const CLAUDE_KEY = `sk-ant-${MARK}-config`;
const DB_MODEL_KEY = `sk-${MARK}-db-model`;
const INSTRUCT_BASE = `http://user:${MARK}-pw@127.0.0.1:9/v1?token=${MARK}-query`;

/** Every answer body the tests read, as sent. */
const answers: string[] = [];

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

async function api(url: string, method: string, path: string, key: string | undefined, body?: unknown) {
  const headers: Record<string, string> = {};
  if (key !== undefined) headers.authorization = `Bearer ${key}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(`${url}${path}`, {
    method,
    headers,
    body: body === undefined ? null : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  answers.push(text);
  return { status: response.status, body: JSON.parse(text) as Record<string, unknown> } satisfies Answer;
}

function sortedParams(params: ReadonlySet<string> | undefined): string[] {
  assert.ok(params !== undefined);
  return [...params].sort();
}
const ANTHROPIC_PARAMS = sortedParams(PROVIDERS.anthropic?.chat?.supportedParams);
const OPENAI_CHAT_PARAMS = sortedParams(PROVIDERS.openai?.chat?.supportedParams);
const OPENAI_TEXT_PARAMS = sortedParams(PROVIDERS["text-completion-openai"]?.text?.supportedParams);

let upstreamA: MockUpstream;
let upstreamB: MockUpstream;
const tempDirs: string[] = [];

before(async () => {
  upstreamA = await MockUpstream.start();
  upstreamB = await MockUpstream.start();
  for (const upstream of [upstreamA, upstreamB]) {
    upstream.always((request, res) => json(res, 200, chatAnswer(`answer from ${request.path}`)));
  }
});

after(async () => {
  await upstreamA.close();
  await upstreamB.close();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  const leaked = answers.filter((text) => text.includes(MARK));
  assert.deepEqual(leaked, [], "an answer showed a credential");
});

function modelList() {
  return [
    {
      model_name: "claude",
      litellm_params: {
        model: "anthropic/claude-3-5-sonnet-20241022",
        api_key: CLAUDE_KEY,
        api_base: upstreamA.url,
        rpm: 100,
        tpm: 1000,
        extra_headers: { Authorization: `Bearer ${MARK}-header`, "X-Team": "research" },
      },
      model_info: { id: "claude-1", description: "Claude through the mock" },
    },
    {
      model_name: "instruct",
      litellm_params: {
        model: "text-completion-openai/gpt-3.5-turbo-instruct",
        api_key: "os.environ/INSTRUCT_KEY",
        api_base: INSTRUCT_BASE,
      },
      model_info: { id: "instruct-1" },
    },
  ];
}

const CLAUDE_VIEW = () => ({
  model_name: "claude",
  litellm_params: { model: "anthropic/claude-3-5-sonnet-20241022", api_base: upstreamA.url, rpm: 100, tpm: 1000 },
  model_info: {
    key: "claude-3-5-sonnet",
    max_tokens: 8192,
    max_input_tokens: 200000,
    max_output_tokens: 8192,
    input_cost_per_token: 3e-6,
    output_cost_per_token: 1.5e-5,
    mode: "chat",
    litellm_provider: "anthropic",
    supported_openai_params: ANTHROPIC_PARAMS,
    id: "claude-1",
    description: "Claude through the mock",
    db_model: false,
  },
});

const INSTRUCT_VIEW = {
  model_name: "instruct",
  litellm_params: { model: "text-completion-openai/gpt-3.5-turbo-instruct", api_base: "http://127.0.0.1:9/v1" },
  model_info: {
    key: "gpt-3.5-turbo-instruct",
    max_tokens: 4096,
    max_input_tokens: 8192,
    max_output_tokens: 4096,
    input_cost_per_token: 1.5e-6,
    output_cost_per_token: 2e-6,
    mode: "completion",
    litellm_provider: "text-completion-openai",
    supported_openai_params: OPENAI_TEXT_PARAMS,
    id: "instruct-1",
    db_model: false,
  },
};

const CLAUDE_GROUP = {
  model_group: "claude",
  providers: ["anthropic"],
  max_input_tokens: 200000,
  max_output_tokens: 8192,
  input_cost_per_token: 3e-6,
  output_cost_per_token: 1.5e-5,
  mode: "chat",
  tpm: 1000,
  rpm: 100,
  supports_parallel_function_calling: ANTHROPIC_PARAMS.includes("parallel_tool_calls"),
  supports_vision: false,
  supports_function_calling: true,
  supported_openai_params: ANTHROPIC_PARAMS,
};

const INSTRUCT_GROUP = {
  model_group: "instruct",
  providers: ["text-completion-openai"],
  max_input_tokens: 8192,
  max_output_tokens: 4096,
  input_cost_per_token: 1.5e-6,
  output_cost_per_token: 2e-6,
  mode: "completion",
  tpm: null,
  rpm: null,
  supports_parallel_function_calling: false,
  supports_vision: false,
  supports_function_calling: false,
  supported_openai_params: OPENAI_TEXT_PARAMS,
};

function sqliteStore(): Store {
  const dir = mkdtempSync(join(tmpdir(), "litegate-models-"));
  tempDirs.push(dir);
  return SqliteStore.open({ path: join(dir, "gateway.db") });
}

async function gatewayWith(store: Store, storeModelInDb = true): Promise<TestGateway> {
  return startGateway({
    modelList: modelList(),
    masterKey: MASTER_KEY,
    store,
    storeModelInDb,
    // Changes reach this instance through its own writes; the refresh is the shared tests' subject.
    modelRefreshSeconds: 3600,
    router: { disable_cooldowns: true },
    env: { INSTRUCT_KEY: `sk-${MARK}-instruct`, DB_MODEL_KEY },
  });
}

async function virtualKey(url: string, models: string[]): Promise<string> {
  const answer = await api(url, "POST", "/key/generate", MASTER_KEY, { models });
  assert.equal(answer.status, 200);
  return String(answer.body.key);
}

const HI = [{ role: "user", content: "Hello!" }];

describe("model info routes", () => {
  let gateway: TestGateway;
  before(async () => {
    gateway = await gatewayWith(sqliteStore());
  });
  after(async () => {
    assert.deepEqual(
      gateway.rawLogs.filter((line) => line.includes(MARK)),
      [],
    );
    await gateway.close();
  });

  test("GET /model/info and /v1/model/info: every deployment, credentials removed, model_info.id from the config", async () => {
    for (const path of ["/model/info", "/v1/model/info"]) {
      const answer = await api(gateway.url, "GET", path, MASTER_KEY);
      assert.equal(answer.status, 200);
      assert.deepEqual(answer.body, { data: [CLAUDE_VIEW(), INSTRUCT_VIEW] });
    }
  });

  test("?litellm_model_id= picks one deployment; an unknown id is a 400 naming it", async () => {
    const one = await api(gateway.url, "GET", "/model/info?litellm_model_id=instruct-1", MASTER_KEY);
    assert.deepEqual(one, { status: 200, body: { data: [INSTRUCT_VIEW] } });
    const unknown = await api(gateway.url, "GET", "/v1/model/info?litellm_model_id=nope", MASTER_KEY);
    assert.deepEqual(unknown, {
      status: 400,
      body: {
        error: {
          message:
            "Model id = 'nope' not found on this gateway (or not one this key may use). GET /v1/model/info lists the ids.",
          type: "invalid_request_error",
          param: "litellm_model_id",
          code: "model_not_found",
        },
      },
    });
    const typo = await api(gateway.url, "GET", "/model/info?model_id=claude-1", MASTER_KEY);
    assert.equal(typo.status, 400);
    assert.equal(typo.body.error && (typo.body.error as { param: string }).param, "model_id");
  });

  test("GET /model_group/info: one entry per public model name, in LiteLLM's fields", async () => {
    const all = await api(gateway.url, "GET", "/model_group/info", MASTER_KEY);
    assert.deepEqual(all, { status: 200, body: { data: [CLAUDE_GROUP, INSTRUCT_GROUP] } });
    const one = await api(gateway.url, "GET", "/model_group/info?model_group=instruct", MASTER_KEY);
    assert.deepEqual(one, { status: 200, body: { data: [INSTRUCT_GROUP] } });
    const none = await api(gateway.url, "GET", "/model_group/info?model_group=nope", MASTER_KEY);
    assert.deepEqual(none, { status: 200, body: { data: [] } });
  });

  test("a virtual key sees only the models it may use, as in LiteLLM", async () => {
    const key = await virtualKey(gateway.url, ["claude"]);
    const info = await api(gateway.url, "GET", "/model/info", key);
    assert.deepEqual(info, { status: 200, body: { data: [CLAUDE_VIEW()] } });
    const hidden = await api(gateway.url, "GET", "/model/info?litellm_model_id=instruct-1", key);
    assert.equal(hidden.status, 400);
    const groups = await api(gateway.url, "GET", "/model_group/info", key);
    assert.deepEqual(groups, { status: 200, body: { data: [CLAUDE_GROUP] } });
  });

  test("401 without a key on every model route; 403 for a virtual key on the write routes", async () => {
    const key = await virtualKey(gateway.url, []);
    const routes: [string, string, unknown][] = [
      ["GET", "/model/info", undefined],
      ["GET", "/v1/model/info", undefined],
      ["GET", "/model_group/info", undefined],
      ["POST", "/model/new", { model_name: "x", litellm_params: { model: "openai/gpt-4o" } }],
      ["POST", "/model/update", { model_info: { id: "claude-1" } }],
      ["POST", "/model/delete", { id: "claude-1" }],
    ];
    for (const [method, path, body] of routes) {
      const anonymous = await api(gateway.url, method, path, undefined, body);
      assert.equal(anonymous.status, 401, `${method} ${path}`);
      assert.equal((anonymous.body.error as { code: string }).code, "missing_api_key");
      const wrong = await api(gateway.url, method, path, "sk-not-a-key", body);
      assert.equal(wrong.status, 401, `${method} ${path}`);
      const virtual = await api(gateway.url, method, path, key, body);
      if (method === "GET") assert.equal(virtual.status, 200, `${method} ${path}`);
      else {
        assert.deepEqual(
          virtual,
          {
            status: 403,
            body: {
              error: {
                message:
                  "Only the master key may call this route; virtual keys may call the completion and model routes.",
                type: "permission_error",
                param: null,
                code: "master_key_required",
              },
            },
          },
          `${method} ${path}`,
        );
      }
    }
    // Nothing was added, changed or removed by the refused calls.
    const info = await api(gateway.url, "GET", "/model/info", MASTER_KEY);
    assert.deepEqual(info.body, { data: [CLAUDE_VIEW(), INSTRUCT_VIEW] });
  });
});

describe("store_model_in_db false", () => {
  let gateway: TestGateway;
  before(async () => {
    gateway = await gatewayWith(sqliteStore(), false);
  });
  after(() => gateway.close());

  test("each write route is a 400 saying how to turn it on, as LiteLLM refuses them", async () => {
    const routes: [string, unknown][] = [
      ["/model/new", { model_name: "x", litellm_params: { model: "openai/gpt-4o" } }],
      ["/model/update", { model_info: { id: "claude-1" } }],
      ["/model/delete", { id: "claude-1" }],
    ];
    for (const [path, body] of routes) {
      const answer = await api(gateway.url, "POST", path, MASTER_KEY, body);
      assert.deepEqual(answer, {
        status: 400,
        body: {
          error: {
            message: `${path} needs models stored in the database: set general_settings.store_model_in_db: true (or STORE_MODEL_IN_DB=True) and restart the gateway. Until then models come from config.yaml only.`,
            type: "invalid_request_error",
            param: "store_model_in_db",
            code: "store_model_in_db_disabled",
          },
        },
      });
    }
    const info = await api(gateway.url, "GET", "/model/info", MASTER_KEY);
    assert.deepEqual(info.body, { data: [CLAUDE_VIEW(), INSTRUCT_VIEW] });
  });
});

interface StoreHarness {
  name: string;
  skip: string | undefined;
  open(): Promise<Store>;
  cleanup(): Promise<void>;
}

const schemas: string[] = [];
const HARNESSES: StoreHarness[] = [
  { name: "SQLite", skip: undefined, open: async () => sqliteStore(), cleanup: async () => undefined },
  {
    name: "Postgres",
    skip: POSTGRES_SKIP,
    open: async () => {
      const schema = uniqueName("litegate_models");
      schemas.push(schema);
      return PostgresStore.open({ connectionString: DATABASE_URL ?? "", schema, poolMax: 2 });
    },
    cleanup: () => dropSchemas(DATABASE_URL ?? "", schemas),
  },
];

for (const harness of HARNESSES) {
  describe(`runtime deployments on ${harness.name}`, { skip: harness.skip }, () => {
    let gateway: TestGateway;
    before(async () => {
      gateway = await gatewayWith(await harness.open());
    });
    after(async () => {
      assert.deepEqual(
        gateway.rawLogs.filter((line) => line.includes(MARK)),
        [],
      );
      await gateway.close();
      await harness.cleanup();
    });
    afterEach(() => {
      upstreamA.reset();
      upstreamB.reset();
      for (const upstream of [upstreamA, upstreamB]) {
        upstream.always((request, res) => json(res, 200, chatAnswer(`answer from ${request.path}`)));
      }
    });

    const chat = (model: string) =>
      api(gateway.url, "POST", "/v1/chat/completions", MASTER_KEY, { model, messages: HI });
    const names = async () =>
      ((await api(gateway.url, "GET", "/v1/models", MASTER_KEY)).body.data as { id: string }[]).map((m) => m.id);

    test("new, then requests reach it; update moves it to another upstream; delete makes it unknown", async () => {
      // New: stored with its os.environ/ reference, served at once.
      const created = await api(gateway.url, "POST", "/model/new", MASTER_KEY, {
        model_name: "gpt-db",
        litellm_params: { model: "openai/gpt-4o", api_key: "os.environ/DB_MODEL_KEY", api_base: `${upstreamA.url}/v1` },
        model_info: { id: "db-1", description: "added at runtime" },
      });
      assert.equal(created.status, 200);
      const { created_at, updated_at, ...row } = created.body;
      assert.deepEqual(row, {
        model_id: "db-1",
        model_name: "gpt-db",
        litellm_params: { model: "openai/gpt-4o", api_base: `${upstreamA.url}/v1` },
        model_info: { description: "added at runtime", id: "db-1", db_model: true },
      });
      assert.match(String(created_at), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.equal(updated_at, created_at);
      assert.deepEqual(await names(), ["claude", "instruct", "gpt-db"]);

      const first = await chat("gpt-db");
      assert.equal(first.status, 200);
      assert.equal(upstreamA.requests.length, 1);
      const seen = upstreamA.requests[0];
      assert.equal(seen?.path, "/v1/chat/completions");
      assert.equal(seen?.headers.authorization, `Bearer ${DB_MODEL_KEY}`);
      assert.deepEqual(seen?.json, { model: "gpt-4o", messages: HI });

      const info = await api(gateway.url, "GET", "/model/info?litellm_model_id=db-1", MASTER_KEY);
      assert.deepEqual(info, {
        status: 200,
        body: {
          data: [
            {
              model_name: "gpt-db",
              litellm_params: { model: "openai/gpt-4o", api_base: `${upstreamA.url}/v1` },
              model_info: {
                key: "gpt-4o",
                max_tokens: 16384,
                max_input_tokens: 128000,
                max_output_tokens: 16384,
                input_cost_per_token: 2.5e-6,
                output_cost_per_token: 1e-5,
                mode: "chat",
                litellm_provider: "openai",
                supported_openai_params: OPENAI_CHAT_PARAMS,
                description: "added at runtime",
                id: "db-1",
                db_model: true,
              },
            },
          ],
        },
      });

      // Update: litellm_params merged into what is stored; the key stays, the upstream moves.
      const updated = await api(gateway.url, "POST", "/model/update", MASTER_KEY, {
        model_info: { id: "db-1" },
        litellm_params: { api_base: `${upstreamB.url}/v1`, temperature: 0.2 },
      });
      assert.equal(updated.status, 200);
      const { created_at: createdAgain, updated_at: _, ...updatedRow } = updated.body;
      assert.equal(createdAgain, created_at);
      assert.deepEqual(updatedRow, {
        model_id: "db-1",
        model_name: "gpt-db",
        litellm_params: { model: "openai/gpt-4o", api_base: `${upstreamB.url}/v1`, temperature: 0.2 },
        model_info: { description: "added at runtime", id: "db-1", db_model: true },
      });
      upstreamA.reset();
      const second = await chat("gpt-db");
      assert.equal(second.status, 200);
      assert.equal(upstreamA.requests.length, 0);
      assert.equal(upstreamB.requests.length, 1);
      assert.equal(upstreamB.requests[0]?.headers.authorization, `Bearer ${DB_MODEL_KEY}`);
      assert.deepEqual(upstreamB.requests[0]?.json, { model: "gpt-4o", messages: HI, temperature: 0.2 });

      // Delete: gone from the routes and the model list; a request is an unknown model's 400.
      const deleted = await api(gateway.url, "POST", "/model/delete", MASTER_KEY, { id: "db-1" });
      assert.deepEqual(deleted, { status: 200, body: { message: "Model: db-1 deleted successfully" } });
      assert.deepEqual(await names(), ["claude", "instruct"]);
      upstreamB.reset();
      const third = await chat("gpt-db");
      assert.deepEqual(third, {
        status: 400,
        body: {
          error: {
            message: "Unknown model 'gpt-db'. Available models: claude, instruct.",
            type: "invalid_request_error",
            param: "model",
            code: "model_not_found",
          },
        },
      });
      assert.equal(upstreamB.requests.length, 0);
      const again = await api(gateway.url, "POST", "/model/delete", MASTER_KEY, { id: "db-1" });
      assert.deepEqual(again, {
        status: 400,
        body: {
          error: {
            message: "Model with id 'db-1' not found in the database. GET /model/info lists the ids.",
            type: "invalid_request_error",
            param: "id",
            code: "model_not_found",
          },
        },
      });
    });

    test("a model added without an id gets one; it joins a config group of the same name", async () => {
      const created = await api(gateway.url, "POST", "/model/new", MASTER_KEY, {
        model_name: "claude",
        litellm_params: { model: "openai/gpt-4o", api_key: `sk-${MARK}-literal`, api_base: `${upstreamB.url}/v1` },
      });
      assert.equal(created.status, 200);
      const id = String(created.body.model_id);
      assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.deepEqual(created.body.model_info, { id, db_model: true });
      const group = await api(gateway.url, "GET", "/model_group/info?model_group=claude", MASTER_KEY);
      const [entry] = group.body.data as Record<string, unknown>[];
      assert.deepEqual(entry?.providers, ["anthropic", "openai"]);
      const info = await api(gateway.url, "GET", "/model/info", MASTER_KEY);
      assert.deepEqual(
        (info.body.data as { model_info: { id: string } }[]).map((d) => d.model_info.id),
        ["claude-1", "instruct-1", id],
      );
      const removed = await api(gateway.url, "POST", "/model/delete", MASTER_KEY, { id });
      assert.equal(removed.status, 200);
      assert.deepEqual(await names(), ["claude", "instruct"]);
    });

    test("config.yaml's deployments cannot be updated or deleted through the API, as in LiteLLM", async () => {
      for (const [path, body, verb] of [
        ["/model/update", { model_info: { id: "claude-1" }, litellm_params: { api_base: upstreamB.url } }, "edited"],
        ["/model/delete", { id: "claude-1" }, "deleted"],
      ] as const) {
        const answer = await api(gateway.url, "POST", path, MASTER_KEY, body);
        assert.deepEqual(answer, {
          status: 400,
          body: {
            error: {
              message: `Model 'claude-1' is defined in config.yaml and cannot be ${verb} through the API (as in LiteLLM): change config.yaml, or add the model with POST /model/new to manage it here.`,
              type: "invalid_request_error",
              param: "id",
              code: "model_in_config",
            },
          },
        });
      }
      const taken = await api(gateway.url, "POST", "/model/new", MASTER_KEY, {
        model_name: "other",
        litellm_params: { model: "openai/gpt-4o" },
        model_info: { id: "claude-1" },
      });
      assert.deepEqual(taken, {
        status: 400,
        body: {
          error: {
            message:
              "Model with id 'claude-1' already exists: give model_info.id another value, or leave it out to get a new one (POST /model/update changes a stored model).",
            type: "invalid_request_error",
            param: "model_info.id",
            code: "model_exists",
          },
        },
      });
      const info = await api(gateway.url, "GET", "/model/info", MASTER_KEY);
      assert.deepEqual(info.body, { data: [CLAUDE_VIEW(), INSTRUCT_VIEW] });
    });

    test("bad bodies are 400s naming the field and the fix, checked as config.yaml's model_list is", async () => {
      const cases: [string, unknown, string, string, string][] = [
        [
          "/model/new",
          { model_name: "x", litellm_params: {} },
          "Invalid 'litellm_params.model': it is required.",
          "litellm_params.model",
          "invalid_value",
        ],
        [
          "/model/new",
          { model_name: "x", litellm_params: { model: "openai/gpt-4o", temperature: 5 } },
          "Invalid 'litellm_params.temperature': expected a number >= 0 and <= 2, got 5.",
          "litellm_params.temperature",
          "invalid_value",
        ],
        [
          "/model/new",
          { model_name: "x", litellm_params: { model: "openai/gpt-4o", api_kye: `sk-${MARK}` } },
          "Invalid 'litellm_params.api_kye': not a setting litegate knows; did you mean 'api_key'?",
          "litellm_params.api_kye",
          "unknown_field",
        ],
        [
          "/model/new",
          { model_name: "x", litellm_params: { model: "opnai/gpt-4o" } },
          "Invalid 'litellm_params.model': unknown provider 'opnai'; did you mean 'openai'?",
          "litellm_params.model",
          "unknown_provider",
        ],
        [
          "/model/new",
          { model_name: "x", litellm_params: { model: "sagemaker/my-endpoint" } },
          "Invalid 'litellm_params.model': litegate does not serve the provider 'sagemaker' yet; requests to it could only fail.",
          "litellm_params.model",
          "provider_not_supported",
        ],
        [
          "/model/new",
          { litellm_params: { model: "openai/gpt-4o" } },
          "Invalid 'model_name': it is required.",
          "model_name",
          "invalid_value",
        ],
        [
          "/model/new",
          { model_name: "x", litellm_params: { model: "openai/gpt-4o", api_key: `sk-${MARK}`, rpm: -1 } },
          "Invalid 'litellm_params.rpm': expected an integer >= 0, got -1.",
          "litellm_params.rpm",
          "invalid_value",
        ],
        [
          "/model/new",
          { model_name: "x", litellm_params: { model: "openai/gpt-4o" }, modle_info: {} },
          "/model/new does not take 'modle_info': remove it. It takes: model_name, litellm_params, model_info.",
          "modle_info",
          "unsupported_field",
        ],
        [
          "/model/new",
          { model_name: "x", litellm_params: { model: "openai/gpt-4o" }, model_info: "gpt" },
          "Invalid 'model_info': expected a mapping, got \"gpt\".",
          "model_info",
          "invalid_value",
        ],
        [
          "/model/new",
          { model_name: "x", litellm_params: { model: "openai/gpt-4o" }, model_info: { id: { a: 1 } } },
          "Invalid 'model_info.id': expected a string, got a mapping.",
          "model_info.id",
          "invalid_value",
        ],
        [
          "/model/update",
          { model_info: { id: "claude-1" }, litellm_params: "x" },
          "Invalid 'litellm_params' in /model/update: got \"x\". It must be a JSON object.",
          "litellm_params",
          "invalid_value",
        ],
        [
          "/model/update",
          { litellm_params: { temperature: 1 } },
          "/model/update needs 'model_info.id', the model's id (model_info.id, as GET /model/info lists it); got nothing.",
          "model_info.id",
          "missing_param",
        ],
        [
          "/model/update",
          { model_info: { id: "nope" } },
          "Model with id 'nope' not found in the database. GET /model/info lists the ids.",
          "id",
          "model_not_found",
        ],
        [
          "/model/delete",
          {},
          "/model/delete needs 'id', the model's id (model_info.id, as GET /model/info lists it); got nothing.",
          "id",
          "missing_param",
        ],
      ];
      for (const [path, body, message, param, code] of cases) {
        const answer = await api(gateway.url, "POST", path, MASTER_KEY, body);
        assert.deepEqual(answer, {
          status: 400,
          body: { error: { message, type: "invalid_request_error", param, code } },
        });
      }
      const notObject = await api(gateway.url, "POST", "/model/new", MASTER_KEY, "[1]");
      assert.deepEqual(notObject, {
        status: 400,
        body: {
          error: {
            message: "The body of /model/new must be a JSON object; got [1].",
            type: "invalid_request_error",
            param: null,
            code: "invalid_body",
          },
        },
      });
      // An update that would make the stored model invalid changes nothing.
      const created = await api(gateway.url, "POST", "/model/new", MASTER_KEY, {
        model_name: "keep",
        litellm_params: { model: "openai/gpt-4o", api_base: `${upstreamA.url}/v1` },
        model_info: { id: "keep-1" },
      });
      assert.equal(created.status, 200);
      const bad = await api(gateway.url, "POST", "/model/update", MASTER_KEY, {
        model_info: { id: "keep-1" },
        litellm_params: { temperature: 9 },
      });
      assert.equal(bad.status, 400);
      const stored = await api(gateway.url, "GET", "/model/info?litellm_model_id=keep-1", MASTER_KEY);
      const [view] = stored.body.data as { litellm_params: unknown }[];
      assert.deepEqual(view?.litellm_params, { model: "openai/gpt-4o", api_base: `${upstreamA.url}/v1` });
      assert.equal((await api(gateway.url, "POST", "/model/delete", MASTER_KEY, { id: "keep-1" })).status, 200);
      assert.deepEqual(await names(), ["claude", "instruct"]);
    });
  });
}
