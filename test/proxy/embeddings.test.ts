/**
 * /v1/embeddings through the real proxy: the official openai client (which asks for base64
 * by default and decodes it itself) and raw fetch, answers validated against OpenAI's schema,
 * the Azure path form, 400s naming the field, provider errors, virtual keys' model allowlists,
 * the spend row's tokens and cost, the log line, /model/info and /health for embedding models.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";
import OpenAI from "openai";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import { startGateway, type TestGateway } from "../helpers/gateway.js";
import { call, generateKey, MASTER_KEY } from "../helpers/keys.js";
import { json, MockUpstream, type RecordedRequest } from "../helpers/mock-upstream.js";
import { assertOpenAIEmbeddings } from "../helpers/openai-schema.js";

/** Floats exact in float32, and their little-endian float32 bytes in base64 (computed apart, with Python's struct). */
const FLOATS = [0.5, -1.25, 2, 0];
const FLOATS_BASE64 = "AAAAPwAAoL8AAABAAAAAAA==";

/** text-embedding-3-small's price in LiteLLM's table: $0.02 per million tokens. */
const SMALL_PRICE = 2e-8;

const dir = mkdtempSync(join(tmpdir(), "litegate-embeddings-"));
let mock: MockUpstream;
let gateway: TestGateway;
let url: string;

/** OpenAI's answer: one vector per input, floats or base64 as the request asked. */
function openAIAnswer(req: RecordedRequest) {
  const body = req.json as { input: unknown; encoding_format?: string };
  const count =
    typeof body.input === "string" || typeof (body.input as unknown[])[0] === "number"
      ? 1
      : (body.input as unknown[]).length;
  return {
    object: "list",
    data: Array.from({ length: count }, (_, index) => ({
      object: "embedding",
      index,
      embedding: body.encoding_format === "base64" ? FLOATS_BASE64 : FLOATS,
    })),
    model: "text-embedding-3-small",
    usage: { prompt_tokens: 8, total_tokens: 8 },
  };
}

before(async () => {
  mock = await MockUpstream.start();
  gateway = await startGateway({
    modelList: [
      {
        model_name: "embedder",
        litellm_params: { model: "openai/text-embedding-3-small", api_key: "sk-upstream", api_base: `${mock.url}/v1` },
        model_info: { id: "embedder-1" },
      },
      {
        model_name: "local-embed",
        litellm_params: { model: "ollama/nomic-embed-text", api_base: mock.url },
        model_info: { id: "local-1", mode: "embedding" },
      },
      {
        model_name: "azure-embed",
        litellm_params: {
          model: "azure/emb-deployment",
          api_key: "azure-upstream",
          api_base: mock.url,
          api_version: "2024-10-21",
        },
        // An Azure deployment's name says nothing of its model: base_model gives the price and the mode.
        model_info: { base_model: "text-embedding-3-small" },
      },
      {
        model_name: "mistral-embed",
        litellm_params: { model: "mistral/mistral-embed", api_key: "mistral-upstream", api_base: mock.url },
      },
    ],
    masterKey: MASTER_KEY,
    store: SqliteStore.open({ path: join(dir, "spend.db") }),
    spendWriter: { intervalMs: 20 },
    metrics: { requireAuth: true, endUserLimit: 100, endUserLabels: true },
  });
  url = gateway.url;
});
after(async () => {
  await gateway.close();
  await mock.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  mock.reset();
  mock.always((req, res) => {
    if (req.path === "/api/embed") {
      const input = (req.json as { input: string | string[] }).input;
      const count = typeof input === "string" ? 1 : input.length;
      json(res, 200, {
        model: "nomic-embed-text",
        embeddings: Array(count).fill(FLOATS),
        prompt_eval_count: 3 * count,
      });
    } else json(res, 200, openAIAnswer(req));
  });
});

describe("the openai client", () => {
  test("client.embeddings.create asks for base64 by default: OpenAI's base64 is passed on and decodes to the floats", async () => {
    const client = new OpenAI({ apiKey: MASTER_KEY, baseURL: `${url}/v1`, maxRetries: 0 });
    const answer = await client.embeddings.create({ model: "embedder", input: ["hello", "world"] });
    assert.deepEqual(
      answer.data.map((d) => [d.index, d.embedding]),
      [
        [0, FLOATS],
        [1, FLOATS],
      ],
    );
    assert.deepEqual(answer.usage, { prompt_tokens: 8, total_tokens: 8 });
    assert.deepEqual(mock.requests[0]?.json, {
      model: "text-embedding-3-small",
      input: ["hello", "world"],
      encoding_format: "base64",
    });
    assert.equal(mock.requests[0]?.headers.authorization, "Bearer sk-upstream");
  });

  test("a provider that gives floats (Ollama): litegate's base64 decodes, in the client, to the same floats", async () => {
    const client = new OpenAI({ apiKey: MASTER_KEY, baseURL: `${url}/v1`, maxRetries: 0 });
    const answer = await client.embeddings.create({ model: "local-embed", input: "why is the sky blue?" });
    assert.deepEqual(answer.data[0]?.embedding, FLOATS);
    assert.deepEqual(answer.usage, { prompt_tokens: 3, total_tokens: 3 });
    assert.deepEqual(mock.requests[0]?.json, { model: "nomic-embed-text", input: "why is the sky blue?" });
    // Asked for floats, the client gets floats as they are.
    const floats = await client.embeddings.create({ model: "local-embed", input: "hi", encoding_format: "float" });
    assert.deepEqual(floats.data[0]?.embedding, FLOATS);
  });

  test("a provider error keeps its status and message", async () => {
    mock.enqueue((_req, res) =>
      json(res, 429, {
        object: "error",
        message: "Requests rate limit exceeded",
        type: "rate_limited",
        param: null,
        code: "1300",
      }),
    );
    const client = new OpenAI({ apiKey: MASTER_KEY, baseURL: `${url}/v1`, maxRetries: 0 });
    const error = await client.embeddings.create({ model: "mistral-embed", input: "hi" }).catch((e: unknown) => e);
    assert.ok(error instanceof OpenAI.RateLimitError);
    assert.equal(error.message, "429 Requests rate limit exceeded");
  });
});

describe("raw fetch", () => {
  async function post(path: string, body: unknown, key = MASTER_KEY) {
    const response = await fetch(`${url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
      body: JSON.stringify(body),
    });
    return {
      status: response.status,
      headers: response.headers,
      body: (await response.json()) as Record<string, unknown>,
    };
  }

  test("/v1/embeddings and /embeddings answer OpenAI's CreateEmbeddingResponse, in either encoding", async () => {
    for (const path of ["/v1/embeddings", "/embeddings"]) {
      const floats = await post(path, { model: "local-embed", input: ["a", "b"] });
      assert.equal(floats.status, 200);
      assertOpenAIEmbeddings("CreateEmbeddingResponse", floats.body);
      assert.deepEqual(floats.body, {
        object: "list",
        data: [
          { object: "embedding", index: 0, embedding: FLOATS },
          { object: "embedding", index: 1, embedding: FLOATS },
        ],
        model: "nomic-embed-text",
        usage: { prompt_tokens: 6, total_tokens: 6 },
      });
      const base64 = await post(path, { model: "local-embed", input: "a", encoding_format: "base64" });
      assertOpenAIEmbeddings("CreateEmbeddingResponseBase64", base64.body);
      assert.deepEqual(base64.body.data, [{ object: "embedding", index: 0, embedding: FLOATS_BASE64 }]);
    }
  });

  test("Azure's path form: the deployment named in the path, sent to Azure's deployment URL", async () => {
    const answer = await post("/openai/deployments/azure-embed/embeddings", { input: "hi", dimensions: 4 });
    assert.equal(answer.status, 200);
    assertOpenAIEmbeddings("CreateEmbeddingResponse", answer.body);
    const request = mock.requests[0] as RecordedRequest;
    assert.equal(request.path, "/openai/deployments/emb-deployment/embeddings");
    assert.deepEqual(request.query, { "api-version": "2024-10-21" });
    assert.equal(request.headers["api-key"], "azure-upstream");
    assert.deepEqual(request.json, { model: "emb-deployment", input: "hi", dimensions: 4 });
  });

  test("bad input is a 400 naming the field, never forwarded", async () => {
    const empty = await post("/v1/embeddings", { model: "embedder", input: ["ok", ""] });
    assert.deepEqual(empty, {
      status: 400,
      headers: empty.headers,
      body: {
        error: {
          message:
            "Invalid 'input' (at input.1): got \"\". It must be of the first item's form: a non-empty string, a token id (an integer >= 0), or a non-empty array of token ids.",
          type: "invalid_request_error",
          param: "input",
          code: "invalid_value",
        },
      },
    });
    const dims = await post("/v1/embeddings", { model: "mistral-embed", input: "hi", dimensions: 8 });
    assert.equal(dims.status, 400);
    assert.deepEqual(dims.body.error, {
      message:
        "mistral does not support the param 'dimensions' (got 8). Remove it, or set drop_params: true to drop unsupported params.",
      type: "invalid_request_error",
      param: "dimensions",
      code: "unsupported_param",
    });
    assert.equal(mock.requests.length, 0);
  });
});

describe("keys, spend, logs, model info, health", () => {
  test("a key's model allowlist applies (403 for another model); the spend row has the tokens and the cost", async () => {
    const key = await generateKey(url, { models: ["embedder"] });
    const client = new OpenAI({ apiKey: key, baseURL: `${url}/v1`, maxRetries: 0 });
    const refused = await client.embeddings.create({ model: "local-embed", input: "hi" }).catch((e: unknown) => e);
    assert.ok(refused instanceof OpenAI.PermissionDeniedError);
    assert.equal(refused.code, "model_not_allowed");
    assert.equal(mock.requests.length, 0);

    const response = await fetch(`${url}/v1/embeddings`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
      body: JSON.stringify({ model: "embedder", input: "hello", user: "end-user-7" }),
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("x-litellm-model-id"), "embedder-1");
    assert.equal(Number(response.headers.get("x-litellm-response-cost")), 8 * SMALL_PRICE);
    const requestId = response.headers.get("x-request-id");
    await response.json();

    const logs = await call(url, "GET", `/spend/logs?api_key=${key}`, MASTER_KEY);
    const rows = logs.body as unknown as Record<string, unknown>[];
    assert.equal(rows.length, 1);
    const row = rows[0] as Record<string, unknown>;
    assert.deepEqual(
      [
        row.model_group,
        row.model_id,
        row.prompt_tokens,
        row.completion_tokens,
        row.total_tokens,
        row.status,
        row.end_user,
      ],
      ["embedder", "embedder-1", 8, 0, 8, "success", "end-user-7"],
    );
    assert.ok(Math.abs(Number(row.spend) - 8 * SMALL_PRICE) < 1e-15);

    const line = gateway.logs.find((log) => log.request_id === requestId);
    assert.deepEqual(
      [line?.route, line?.model, line?.status, line?.prompt_tokens, line?.completion_tokens, line?.deployment_id],
      ["/v1/embeddings", "embedder", 200, 8, 0, "embedder-1"],
    );

    // Metrics read the same outcome: the request on its route, its tokens and spend under its model.
    const metrics = await (
      await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${MASTER_KEY}` } })
    ).text();
    const series = (name: string) =>
      metrics.split("\n").filter((l) => l.startsWith(`${name}{`) && l.includes(`end_user="end-user-7"`));
    const requests = series("litellm_proxy_total_requests_metric_total");
    assert.equal(requests.length, 1);
    assert.match(
      requests[0] ?? "",
      /requested_model="embedder",status_code="200",route="\/v1\/embeddings",model_id="embedder-1"\} 1$/,
    );
    assert.match(series("litellm_input_tokens_metric_total")[0] ?? "", /model="text-embedding-3-small".*\} 8$/);
  });

  test("a key's tpm_limit counts an embedding's tokens, and its max_budget their cost", async () => {
    const embed = (key: string) => call(url, "POST", "/v1/embeddings", key, { model: "embedder", input: "hi" });
    const tpm = await generateKey(url, { tpm_limit: 10 });
    assert.equal((await embed(tpm)).headers.get("x-ratelimit-remaining-tokens"), "10");
    // The first answer's 8 tokens are counted: 2 left, and one more answer uses them up.
    assert.equal((await embed(tpm)).headers.get("x-ratelimit-remaining-tokens"), "2");
    const limited = await embed(tpm);
    assert.equal(limited.status, 429);
    assert.equal(limited.body.error?.param, "tpm_limit");

    // One answer costs 8 × $0.00000002: a budget below it is spent after the first.
    const budget = await generateKey(url, { max_budget: 1e-7 });
    assert.equal((await embed(budget)).status, 200);
    const spent = await embed(budget);
    assert.equal(spent.status, 400);
    assert.equal(spent.body.error?.type, "budget_exceeded");
    assert.equal(mock.requests.length, 3);
  });

  test("/model/info: an embedding model's mode, price and embeddings params", async () => {
    const info = await call(url, "GET", "/model/info?litellm_model_id=embedder-1", MASTER_KEY);
    const [entry] = (info.body as { data: { model_info: Record<string, unknown> }[] }).data;
    const { mode, input_cost_per_token, output_cost_per_token, max_input_tokens, supported_openai_params } =
      entry?.model_info ?? {};
    assert.deepEqual(
      { mode, input_cost_per_token, output_cost_per_token, max_input_tokens, supported_openai_params },
      {
        mode: "embedding",
        input_cost_per_token: SMALL_PRICE,
        output_cost_per_token: 0,
        max_input_tokens: 8191,
        supported_openai_params: ["dimensions", "encoding_format", "user"],
      },
    );
    const local = await call(url, "GET", "/model/info?litellm_model_id=local-1", MASTER_KEY);
    const [ollama] = (local.body as { data: { model_info: Record<string, unknown> }[] }).data;
    assert.deepEqual(
      [ollama?.model_info.mode, ollama?.model_info.supported_openai_params],
      ["embedding", ["dimensions"]],
    );
  });

  test("/health checks an embedding deployment with an embedding, not a completion", async () => {
    mock.always((req, res) => {
      if (req.path === "/api/embed") json(res, 200, { model: "nomic-embed-text", embeddings: [FLOATS] });
      else json(res, 200, openAIAnswer(req));
    });
    const health = await call(url, "GET", "/health", MASTER_KEY);
    assert.equal(health.status, 200);
    assert.equal(health.body.unhealthy_count, 0, JSON.stringify(health.body));
    const paths = mock.requests.map((r) => r.path).sort();
    assert.deepEqual(paths, [
      "/api/embed",
      "/openai/deployments/emb-deployment/embeddings",
      "/v1/embeddings",
      "/v1/embeddings",
    ]);
    const ping = mock.requests.find((r) => r.path === "/api/embed");
    assert.deepEqual(ping?.json, { model: "nomic-embed-text", input: "ping" });
  });
});
