/**
 * embedding() and Router.embedding() against mock providers: the exact upstream request of
 * each provider (path, headers, body), both encodings (base64 checked byte for byte against
 * little-endian float32s), dimensions, batching of long inputs, token input, usage reported
 * or counted, and errors.
 */
import assert from "node:assert/strict";
import type { ServerResponse } from "node:http";
import { after, before, beforeEach, describe, test } from "node:test";
import {
  BadGatewayError,
  BadRequestError,
  embedding,
  isUsageEstimated,
  RateLimitError,
  Router,
  RouteTrace,
  UnsupportedParamsError,
  type CreateEmbeddingResponse,
} from "../../src/index.js";
import { batchesOf } from "../../src/sdk/embedding.js";
import { decodeFloats, encodeFloats } from "../../src/wire/embeddings.js";
import { rejection, withEnv } from "../helpers/fixtures.js";
import { json, MockUpstream, type RecordedRequest } from "../helpers/mock-upstream.js";
import { assertOpenAIEmbeddings } from "../helpers/openai-schema.js";

let mock: MockUpstream;
before(async () => {
  mock = await MockUpstream.start();
});
after(() => mock.close());
beforeEach(() => mock.reset());

/** Floats exact in float32, and their little-endian float32 bytes in base64 (computed apart, with Python's struct.pack('<4f', ...)). */
const FLOATS = [0.5, -1.25, 2, 0];
const FLOATS_BASE64 = "AAAAPwAAoL8AAABAAAAAAA==";
const OTHER = [0.25, 0.75, -3];
const OTHER_BASE64 = "AACAPgAAQD8AAEDA";

/** OpenAI's answer for two inputs. */
function openAIAnswer(embeddings: (number[] | string)[], model = "text-embedding-3-small"): CreateEmbeddingResponse {
  return {
    object: "list",
    data: embeddings.map((vector, index) => ({ object: "embedding", index, embedding: vector })),
    model,
    usage: { prompt_tokens: 8, total_tokens: 8 },
  };
}

function only(): RecordedRequest {
  assert.equal(mock.requests.length, 1);
  return mock.requests[0] as RecordedRequest;
}

describe("OpenAI", () => {
  test("POST /v1/embeddings with every param; OpenAI's answer passed on as it came", async () => {
    const upstream = openAIAnswer([FLOATS, OTHER]);
    mock.enqueue((_req, res) => json(res, 200, upstream, { "x-request-id": "req_1" }));
    const answer = await embedding({
      model: "openai/text-embedding-3-small",
      input: ["The food was delicious", "and the waiter..."],
      encoding_format: "float",
      dimensions: 4,
      user: "user-1234",
      api_key: "sk-test",
      api_base: `${mock.url}/v1`,
    });
    assert.deepEqual(answer, upstream);
    assertOpenAIEmbeddings("CreateEmbeddingResponse", answer);
    const request = only();
    assert.equal(request.method, "POST");
    assert.equal(request.path, "/v1/embeddings");
    assert.equal(request.headers.authorization, "Bearer sk-test");
    assert.equal(request.headers["content-type"], "application/json");
    assert.deepEqual(request.json, {
      model: "text-embedding-3-small",
      input: ["The food was delicious", "and the waiter..."],
      encoding_format: "float",
      dimensions: 4,
      user: "user-1234",
    });
    assertOpenAIEmbeddings("CreateEmbeddingRequest", request.json);
  });

  test("base64 is OpenAI's to make: asked for upstream, its strings passed on", async () => {
    const upstream = openAIAnswer([FLOATS_BASE64]);
    mock.enqueue((_req, res) => json(res, 200, upstream));
    const answer = await embedding({
      model: "text-embedding-3-small",
      input: "hi",
      encoding_format: "base64",
      api_key: "sk-test",
      api_base: `${mock.url}/v1`,
    });
    assert.deepEqual(answer, upstream);
    assertOpenAIEmbeddings("CreateEmbeddingResponseBase64", answer);
    assert.deepEqual(only().json, { model: "text-embedding-3-small", input: "hi", encoding_format: "base64" });
  });

  test("a bare text-embedding-* name is OpenAI's, with OPENAI_API_KEY and OPENAI_BASE_URL", async () => {
    mock.enqueue((_req, res) => json(res, 200, openAIAnswer([FLOATS], "text-embedding-ada-002")));
    await withEnv({ OPENAI_API_KEY: "sk-env", OPENAI_BASE_URL: `${mock.url}/v1` }, () =>
      embedding({ model: "text-embedding-ada-002", input: "hi" }),
    );
    const request = only();
    assert.equal(request.headers.authorization, "Bearer sk-env");
    assert.deepEqual(request.json, { model: "text-embedding-ada-002", input: "hi" });
  });

  test("token ids, one list or several, go upstream as they are", async () => {
    mock.always((req, res) => {
      const input = (req.json as { input: unknown[] }).input;
      json(res, 200, openAIAnswer(typeof input[0] === "number" ? [FLOATS] : [FLOATS, OTHER]));
    });
    const one = await embedding({
      model: "openai/text-embedding-3-small",
      input: [1212, 318, 257],
      api_key: "sk-test",
      api_base: `${mock.url}/v1`,
    });
    const two = await embedding({
      model: "openai/text-embedding-3-small",
      input: [[1212, 318], [257]],
      api_key: "sk-test",
      api_base: `${mock.url}/v1`,
    });
    assert.deepEqual(
      mock.requests.map((r) => r.json),
      [
        { model: "text-embedding-3-small", input: [1212, 318, 257] },
        { model: "text-embedding-3-small", input: [[1212, 318], [257]] },
      ],
    );
    assert.equal(one.data.length, 1);
    assert.deepEqual(
      two.data.map((d) => d.embedding),
      [FLOATS, OTHER],
    );
  });

  test("provider errors keep their status and message: 429 and 400", async () => {
    mock.enqueue(
      (_req, res) =>
        json(res, 429, {
          error: { message: "Rate limit reached", type: "requests", param: null, code: "rate_limit_exceeded" },
        }),
      (_req, res) =>
        json(res, 400, {
          error: {
            message: "This model does not support specifying dimensions.",
            type: "invalid_request_error",
            param: null,
            code: null,
          },
        }),
    );
    const request = {
      model: "openai/text-embedding-ada-002",
      input: "hi",
      api_key: "sk-test",
      api_base: `${mock.url}/v1`,
    };
    const limited = await rejection(embedding(request));
    assert.ok(limited instanceof RateLimitError);
    assert.equal(limited.message, "Rate limit reached");
    const refused = await rejection(embedding({ ...request, dimensions: 8 }));
    assert.ok(refused instanceof BadRequestError);
    assert.equal(refused.status, 400);
    assert.equal(refused.message, "This model does not support specifying dimensions.");
  });

  test("an answer with too few vectors is the upstream's fault: 502", async () => {
    mock.enqueue((_req, res) => json(res, 200, openAIAnswer([FLOATS])));
    const error = await rejection(
      embedding({
        model: "openai/text-embedding-3-small",
        input: ["a", "b"],
        api_key: "sk-test",
        api_base: `${mock.url}/v1`,
      }),
    );
    assert.ok(error instanceof BadGatewayError);
    assert.equal(error.message, "openai sent a malformed embeddings answer: it has 1 vectors for 2 inputs.");
  });
});

describe("Azure", () => {
  test("the deployment's /embeddings with api-version and api-key", async () => {
    const upstream = openAIAnswer([FLOATS]);
    mock.enqueue((_req, res) => json(res, 200, upstream));
    const answer = await embedding({
      model: "azure/my-embedder",
      input: "hi",
      dimensions: 4,
      api_key: "azure-key",
      api_base: mock.url,
      api_version: "2024-06-01",
    });
    assert.deepEqual(answer, upstream);
    const request = only();
    assert.equal(request.path, "/openai/deployments/my-embedder/embeddings");
    assert.deepEqual(request.query, { "api-version": "2024-06-01" });
    assert.equal(request.headers["api-key"], "azure-key");
    assert.equal(request.headers.authorization, undefined);
    assert.deepEqual(request.json, { model: "my-embedder", input: "hi", dimensions: 4 });
  });
});

describe("Mistral", () => {
  const MISTRAL_ANSWER = {
    id: "embd-1",
    object: "list",
    data: [{ object: "embedding", embedding: FLOATS, index: 0 }],
    model: "mistral-embed",
    usage: { prompt_tokens: 3, total_tokens: 3, completion_tokens: 0 },
  };

  test("/v1/embeddings with its bearer key; encoding_format goes upstream", async () => {
    mock.enqueue((_req, res) => json(res, 200, MISTRAL_ANSWER));
    const answer = await embedding({
      model: "mistral/mistral-embed",
      input: ["hi"],
      encoding_format: "float",
      api_key: "mistral-key",
      api_base: mock.url,
    });
    assert.deepEqual(answer, MISTRAL_ANSWER);
    assertOpenAIEmbeddings("CreateEmbeddingResponse", answer);
    const request = only();
    assert.equal(request.path, "/v1/embeddings");
    assert.equal(request.headers.authorization, "Bearer mistral-key");
    assert.deepEqual(request.json, { model: "mistral-embed", input: ["hi"], encoding_format: "float" });
  });

  test("dimensions: refused by name, or dropped with drop_params", async () => {
    const request = { model: "mistral/mistral-embed", input: "hi", dimensions: 256, api_key: "k", api_base: mock.url };
    const error = await rejection(embedding(request));
    assert.ok(error instanceof UnsupportedParamsError);
    assert.equal(error.status, 400);
    assert.equal(error.param, "dimensions");
    assert.equal(
      error.message,
      "mistral does not support the param 'dimensions' (got 256). Remove it, or set drop_params: true to drop unsupported params.",
    );
    assert.equal(mock.requests.length, 0);
    mock.enqueue((_req, res) => json(res, 200, MISTRAL_ANSWER));
    await embedding({ ...request, drop_params: true });
    assert.deepEqual(only().json, { model: "mistral-embed", input: "hi" });
  });

  test("1030 inputs go in calls of 512, 512 and 6; vectors come back in input order, usage summed", async () => {
    const inputs = Array.from({ length: 1030 }, (_, i) => `text ${i}`);
    mock.always((req, res) => {
      const batch = (req.json as { input: string[] }).input;
      // Each vector says which input it is; the answer lists them backwards, so only the indexes tell.
      const data = batch.map((text, index) => ({
        object: "embedding",
        index,
        embedding: [Number(text.slice(5)), 0.5],
      }));
      json(res, 200, {
        object: "list",
        data: data.reverse(),
        model: "mistral-embed",
        usage: { prompt_tokens: batch.length * 2, total_tokens: batch.length * 2 },
      });
    });
    const answer = await embedding({ model: "mistral/mistral-embed", input: inputs, api_key: "k", api_base: mock.url });
    assert.deepEqual(
      mock.requests.map((r) => (r.json as { input: string[] }).input),
      [inputs.slice(0, 512), inputs.slice(512, 1024), inputs.slice(1024)],
    );
    assert.equal(answer.data.length, 1030);
    answer.data.forEach((item, i) => {
      assert.deepEqual(item, { object: "embedding", index: i, embedding: [i, 0.5] });
    });
    assert.deepEqual(answer.usage, { prompt_tokens: 2060, total_tokens: 2060 });
    assert.equal(answer.object, "list");
    assert.equal(answer.model, "mistral-embed");
    assertOpenAIEmbeddings("CreateEmbeddingResponse", answer);
  });
});

describe("Ollama", () => {
  function ollamaAnswer(res: ServerResponse, embeddings: number[][], promptEvalCount?: number): void {
    json(res, 200, {
      model: "nomic-embed-text",
      embeddings,
      total_duration: 14143917,
      load_duration: 1019500,
      ...(promptEvalCount === undefined ? {} : { prompt_eval_count: promptEvalCount }),
    });
  }

  test("/api/embed with model, input and dimensions; floats base64-encoded here, byte for byte", async () => {
    mock.enqueue((_req, res) => ollamaAnswer(res, [FLOATS, OTHER], 6));
    const answer = await embedding({
      model: "ollama/nomic-embed-text",
      input: ["why is the sky blue?", "why is the grass green?"],
      encoding_format: "base64",
      dimensions: 4,
      api_base: mock.url,
    });
    const request = only();
    assert.equal(request.path, "/api/embed");
    assert.equal(request.headers.authorization, undefined);
    assert.deepEqual(request.json, {
      model: "nomic-embed-text",
      input: ["why is the sky blue?", "why is the grass green?"],
      dimensions: 4,
    });
    assert.deepEqual(answer, {
      object: "list",
      data: [
        { object: "embedding", index: 0, embedding: FLOATS_BASE64 },
        { object: "embedding", index: 1, embedding: OTHER_BASE64 },
      ],
      model: "nomic-embed-text",
      usage: { prompt_tokens: 6, total_tokens: 6 },
    });
    assertOpenAIEmbeddings("CreateEmbeddingResponseBase64", answer);
    assert.equal(isUsageEstimated(answer), false);
  });

  test("without prompt_eval_count the inputs are counted with the tokenizer, and the usage marked estimated", async () => {
    mock.enqueue((_req, res) => ollamaAnswer(res, [FLOATS]));
    const answer = await embedding({
      model: "ollama/nomic-embed-text",
      input: "Say this is a test",
      api_base: mock.url,
    });
    assert.deepEqual(only().json, { model: "nomic-embed-text", input: "Say this is a test" });
    // cl100k: "Say this is a test" is 5 tokens.
    assert.deepEqual(answer.usage, { prompt_tokens: 5, total_tokens: 5 });
    assert.equal(isUsageEstimated(answer), true);
    assert.deepEqual(answer.data, [{ object: "embedding", index: 0, embedding: FLOATS }]);
  });

  test("Ollama's own fields pass through: truncate and keep_alive in the body, the rest in options", async () => {
    mock.enqueue((_req, res) => ollamaAnswer(res, [FLOATS], 2));
    await embedding({
      model: "ollama_chat/nomic-embed-text",
      input: "hi",
      truncate: false,
      keep_alive: "5m",
      num_ctx: 2048,
      options: { num_thread: 4 },
      api_base: mock.url,
    });
    assert.deepEqual(only().json, {
      model: "nomic-embed-text",
      input: "hi",
      truncate: false,
      keep_alive: "5m",
      options: { num_thread: 4, num_ctx: 2048 },
    });
  });

  test("token ids are refused before any call: Ollama embeds text", async () => {
    const error = await rejection(
      embedding({ model: "ollama/nomic-embed-text", input: [1, 2, 3], api_base: mock.url }),
    );
    assert.ok(error instanceof BadRequestError);
    assert.equal(error.param, "input");
    assert.equal(
      error.message,
      "Ollama embeds text only: send 'input' as a string or an array of strings, not token ids.",
    );
    assert.equal(mock.requests.length, 0);
  });
});

describe("OpenAI-compatible hosts", () => {
  test("hosted_vllm is asked for floats; base64 is made here and decodes to the same floats", async () => {
    mock.enqueue((_req, res) =>
      json(res, 200, {
        id: "embd-vllm",
        object: "list",
        created: 1700000000,
        model: "BAAI/bge-m3",
        data: [{ index: 0, object: "embedding", embedding: FLOATS }],
        usage: { prompt_tokens: 2, total_tokens: 2, completion_tokens: 0 },
      }),
    );
    const answer = await embedding({
      model: "hosted_vllm/BAAI/bge-m3",
      input: "hi",
      encoding_format: "base64",
      user: "u1",
      api_base: `${mock.url}/v1`,
    });
    const request = only();
    assert.equal(request.path, "/v1/embeddings");
    assert.deepEqual(request.json, { model: "BAAI/bge-m3", input: "hi", user: "u1" });
    assert.deepEqual(answer, {
      object: "list",
      data: [{ object: "embedding", index: 0, embedding: FLOATS_BASE64 }],
      model: "BAAI/bge-m3",
      usage: { prompt_tokens: 2, total_tokens: 2 },
    });
    assert.deepEqual(decodeFloats(FLOATS_BASE64), FLOATS);
  });

  test("a host or provider without embeddings, and a chat model, are 400s naming the model", async () => {
    for (const model of ["groq/llama-3.1-8b-instant", "anthropic/claude-3-5-haiku", "openai/gpt-4o"]) {
      const error = await rejection(embedding({ model, input: "hi", api_key: "k" }));
      assert.ok(error instanceof BadRequestError);
      assert.equal(error.param, "model");
      assert.equal(error.code, "model_not_supported");
      assert.equal(
        error.message,
        `Model '${model}' makes no embeddings in litegate: embeddings are served for models of openai, azure, mistral, ollama, ollama_chat, gemini, vertex_ai, bedrock, cohere, huggingface, hosted_vllm, together_ai, fireworks_ai (and bare text-embedding-* names).`,
      );
    }
  });
});

describe("validation", () => {
  const bad: [Record<string, unknown>, string, string][] = [
    [
      { input: "" },
      "input",
      "Invalid 'input': got \"\". It must be a non-empty string, a non-empty array of non-empty strings, a non-empty array of token ids (integers >= 0), or a non-empty array of non-empty token-id arrays.",
    ],
    [
      {},
      "input",
      "Invalid 'input': 'input' is required. It must be a non-empty string, a non-empty array of non-empty strings, a non-empty array of token ids (integers >= 0), or a non-empty array of non-empty token-id arrays.",
    ],
    [
      { input: ["a", 3] },
      "input",
      "Invalid 'input' (at input.1): got 3. It must be of the first item's form: a non-empty string, a token id (an integer >= 0), or a non-empty array of token ids.",
    ],
    [
      {
        input: [
          [1, 2],
          [3, -1],
        ],
      },
      "input",
      "Invalid 'input' (at input.1.1): got -1. It must be a token id (an integer >= 0).",
    ],
    [
      { input: "hi", encoding_format: "bits" },
      "encoding_format",
      `Invalid 'encoding_format': got "bits". It must be "float" or "base64".`,
    ],
    [{ input: "hi", dimensions: 0 }, "dimensions", "Invalid 'dimensions': got 0. It must be an integer >= 1."],
    [{ input: "hi", user: 7 }, "user", "Invalid 'user': got 7. It must be a string."],
  ];
  for (const [body, param, message] of bad) {
    test(`${JSON.stringify(body)}: 400 naming '${param}'`, async () => {
      const error = await rejection(
        embedding({ model: "openai/text-embedding-3-small", api_key: "k", api_base: mock.url, ...body } as never),
      );
      assert.ok(error instanceof BadRequestError);
      assert.equal(error.status, 400);
      assert.equal(error.param, param);
      assert.equal(error.message, message);
      assert.equal(mock.requests.length, 0);
    });
  }
});

describe("encoding", () => {
  test("little-endian float32, both ways", () => {
    assert.equal(encodeFloats(FLOATS), FLOATS_BASE64);
    assert.equal(encodeFloats(OTHER), OTHER_BASE64);
    assert.deepEqual(decodeFloats(OTHER_BASE64), OTHER);
    // A float64 is rounded to the nearest float32, as OpenAI's bytes are.
    assert.deepEqual(decodeFloats(encodeFloats([0.1])), [Math.fround(0.1)]);
  });

  test("batches: an input that fits is sent as written; a longer list is cut in order", () => {
    assert.deepEqual(batchesOf("hi", 2), [{ offset: 0, count: 1, input: "hi" }]);
    assert.deepEqual(batchesOf([1, 2, 3], 2), [{ offset: 0, count: 1, input: [1, 2, 3] }]);
    assert.deepEqual(batchesOf(["a", "b", "c"], undefined), [{ offset: 0, count: 3, input: ["a", "b", "c"] }]);
    assert.deepEqual(batchesOf([[1], [2], [3]], 2), [
      { offset: 0, count: 2, input: [[1], [2]] },
      { offset: 2, count: 1, input: [[3]] },
    ]);
  });
});

describe("Router.embedding", () => {
  test("a failing deployment is retried on the next; the usage lands in the trace", async () => {
    mock.enqueue(
      (_req, res) =>
        json(res, 500, { error: { message: "upstream down", type: "server_error", param: null, code: null } }),
      (_req, res) => json(res, 200, openAIAnswer([FLOATS])),
    );
    const router = Router.fromLiteLLM({
      model_list: [1, 2].map((n) => ({
        model_name: "embedder",
        litellm_params: { model: "openai/text-embedding-3-small", api_key: `sk-${n}`, api_base: `${mock.url}/v1` },
        model_info: { id: `d${n}` },
      })),
      num_retries: 1,
      routing_strategy: "simple-shuffle",
      random: () => 0,
    });
    const trace = new RouteTrace();
    const answer = await router.embedding({ model: "embedder", input: "hi" }, { trace });
    assert.deepEqual(answer, openAIAnswer([FLOATS]));
    assert.deepEqual(
      mock.requests.map((r) => r.headers.authorization),
      ["Bearer sk-1", "Bearer sk-2"],
    );
    assert.deepEqual(
      trace.attempts.map((a) => [a.deployment.id, a.failure?.status]),
      [
        ["d1", 500],
        ["d2", undefined],
      ],
    );
    assert.deepEqual(trace.usage.known?.usage, { prompt_tokens: 8, completion_tokens: 0, total_tokens: 8 });
    await router.close();
  });
});
