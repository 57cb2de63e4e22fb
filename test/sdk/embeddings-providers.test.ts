/**
 * embedding() on the providers of issue 15 against mock servers: the exact upstream request of
 * each (path, headers, body; Bedrock's SigV4 re-derived by the test's own verifier, Vertex AI's
 * token fetched from a mock token endpoint), both encodings (base64 made by litegate from the
 * providers' floats), dimensions where the model takes them (a 400 otherwise, unless
 * drop_params), batching in each provider's limits with the input order kept, usage reported
 * or counted, and provider errors mapped.
 */
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { after, before, beforeEach, describe, test } from "node:test";
import {
  BadRequestError,
  embedding,
  isUsageEstimated,
  PermissionDeniedError,
  RateLimitError,
  UnsupportedParamsError,
} from "../../src/index.js";
import { cohereEmbedding } from "../../src/providers/cohere/index.js";
import { geminiEmbedding, vertexEmbedding } from "../../src/providers/google/index.js";
import { huggingfaceEmbedding } from "../../src/providers/huggingface/index.js";
import type { Target } from "../../src/providers/types.js";
import { expectedAuthorization } from "../helpers/aws.js";
import { rejection } from "../helpers/fixtures.js";
import { json, MockUpstream, type RecordedRequest } from "../helpers/mock-upstream.js";
import { assertOpenAIEmbeddings } from "../helpers/openai-schema.js";

/** Floats exact in float32, and their little-endian float32 bytes in base64 (computed apart, with Python's struct.pack('<4f', ...)). */
const FLOATS = [0.5, -1.25, 2, 0];
const FLOATS_BASE64 = "AAAAPwAAoL8AAABAAAAAAA==";
const OTHER = [0.25, 0.75, -3];
const OTHER_BASE64 = "AACAPgAAQD8AAEDA";

let mock: MockUpstream;
let tokens: MockUpstream;
before(async () => {
  mock = await MockUpstream.start();
  tokens = await MockUpstream.start();
});
after(async () => {
  await mock.close();
  await tokens.close();
});
beforeEach(() => {
  mock.reset();
  tokens.reset();
});

function only(): RecordedRequest {
  assert.equal(mock.requests.length, 1);
  return mock.requests[0] as RecordedRequest;
}

function target(model: string, options: Target["options"] = {}, env: Target["env"] = {}): Target {
  return { model, options, env, dropParams: false };
}

describe("Gemini", () => {
  const base = () => ({ api_key: "gemini-key", api_base: mock.url });

  test("one input: :embedContent with the key and outputDimensionality; floats made base64 here; tokens counted", async () => {
    mock.enqueue((_req, res) => json(res, 200, { embedding: { values: FLOATS } }));
    const answer = await embedding({
      model: "gemini/text-embedding-004",
      input: "Say this is a test",
      dimensions: 4,
      encoding_format: "base64",
      ...base(),
    });
    const request = only();
    assert.equal(request.path, "/v1beta/models/text-embedding-004:embedContent");
    assert.equal(request.headers["x-goog-api-key"], "gemini-key");
    assert.equal(request.headers.authorization, undefined);
    assert.deepEqual(request.json, { content: { parts: [{ text: "Say this is a test" }] }, outputDimensionality: 4 });
    assert.deepEqual(answer, {
      object: "list",
      data: [{ object: "embedding", index: 0, embedding: FLOATS_BASE64 }],
      model: "text-embedding-004",
      // cl100k: "Say this is a test" is 5 tokens; Gemini reports none.
      usage: { prompt_tokens: 5, total_tokens: 5 },
    });
    assertOpenAIEmbeddings("CreateEmbeddingResponseBase64", answer);
    assert.equal(isUsageEstimated(answer), true);
  });

  test("several inputs: :batchEmbedContents with one request each; LiteLLM's input_type is the taskType", async () => {
    mock.enqueue((_req, res) => json(res, 200, { embeddings: [{ values: FLOATS }, { values: OTHER }] }));
    const answer = await embedding({
      model: "gemini/gemini-embedding-001",
      input: ["first", "second"],
      input_type: "RETRIEVAL_DOCUMENT",
      ...base(),
    });
    const request = only();
    assert.equal(request.path, "/v1beta/models/gemini-embedding-001:batchEmbedContents");
    assert.deepEqual(request.json, {
      requests: [
        {
          model: "models/gemini-embedding-001",
          content: { parts: [{ text: "first" }] },
          taskType: "RETRIEVAL_DOCUMENT",
        },
        {
          model: "models/gemini-embedding-001",
          content: { parts: [{ text: "second" }] },
          taskType: "RETRIEVAL_DOCUMENT",
        },
      ],
    });
    assert.deepEqual(
      answer.data.map((d) => d.embedding),
      [FLOATS, OTHER],
    );
    assertOpenAIEmbeddings("CreateEmbeddingResponse", answer);
  });

  test("150 inputs: calls of 100 and 50, vectors back in input order", async () => {
    mock.always((req, res) => {
      const requests = (req.json as { requests: { content: { parts: { text: string }[] } }[] }).requests;
      json(res, 200, {
        embeddings: requests.map((r) => ({ values: [Number(r.content.parts[0]?.text.slice(5)), 0.5] })),
      });
    });
    const inputs = Array.from({ length: 150 }, (_, i) => `text ${i}`);
    const answer = await embedding({ model: "gemini/text-embedding-004", input: inputs, ...base() });
    assert.deepEqual(
      mock.requests.map((r) => (r.json as { requests: unknown[] }).requests.length),
      [100, 50],
    );
    answer.data.forEach((item, i) => {
      assert.deepEqual(item, { object: "embedding", index: i, embedding: [i, 0.5] });
    });
  });

  test("token ids, user and a missing key are refused before any call", async () => {
    const tokensError = await rejection(embedding({ model: "gemini/text-embedding-004", input: [1, 2, 3], ...base() }));
    assert.ok(tokensError instanceof BadRequestError);
    assert.equal(tokensError.param, "input");
    assert.equal(
      tokensError.message,
      "Gemini embeds text only: send 'input' as a string or an array of strings, not token ids.",
    );
    const user = await rejection(embedding({ model: "gemini/text-embedding-004", input: "hi", user: "u", ...base() }));
    assert.ok(user instanceof UnsupportedParamsError);
    assert.equal(user.param, "user");
    assert.throws(
      () => geminiEmbedding.buildEmbeddingRequest({ model: "m", input: "hi" }, target("text-embedding-004")),
      (error: unknown) => error instanceof Error && error.message.startsWith("No Gemini API key"),
    );
    assert.equal(mock.requests.length, 0);
  });

  test("Google's errors keep their status and message: 400 INVALID_ARGUMENT, 429 RESOURCE_EXHAUSTED", async () => {
    mock.enqueue(
      (_req, res) =>
        json(res, 400, {
          error: { code: 400, message: "Request contains an invalid argument.", status: "INVALID_ARGUMENT" },
        }),
      (_req, res) => json(res, 429, { error: { code: 429, message: "Quota exceeded.", status: "RESOURCE_EXHAUSTED" } }),
    );
    const bad = await rejection(embedding({ model: "gemini/text-embedding-004", input: "hi", ...base() }));
    assert.ok(bad instanceof BadRequestError);
    assert.equal(bad.message, "Request contains an invalid argument.");
    const limited = await rejection(embedding({ model: "gemini/text-embedding-004", input: "hi", ...base() }));
    assert.ok(limited instanceof RateLimitError);
    assert.equal(limited.message, "Quota exceeded.");
  });
});

describe("Vertex AI", () => {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  let accounts = 0;
  function credentials(): string {
    accounts += 1;
    return JSON.stringify({
      type: "service_account",
      project_id: "proj-1",
      private_key_id: `kid-${accounts}`,
      private_key: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
      client_email: `embed-${accounts}@proj-1.iam.gserviceaccount.com`,
      token_uri: `${tokens.url}/token`,
    });
  }
  const PATH = "/v1/projects/proj-1/locations/us-central1/publishers/google/models";

  function predictions(count: number, offset = 0) {
    return {
      predictions: Array.from({ length: count }, (_, i) => ({
        embeddings: { values: [offset + i, 0.5], statistics: { token_count: 3, truncated: false } },
      })),
      metadata: { billableCharacterCount: 10 },
    };
  }

  test(":predict with the token from the account's token_uri; instances, outputDimensionality; tokens summed", async () => {
    tokens.always((_req, res) =>
      json(res, 200, { access_token: "ya29.embed", expires_in: 3599, token_type: "Bearer" }),
    );
    mock.enqueue((_req, res) => json(res, 200, predictions(2)));
    const answer = await embedding({
      model: "vertex_ai/text-embedding-005",
      input: ["first", "second"],
      dimensions: 2,
      input_type: "RETRIEVAL_QUERY",
      vertex_credentials: credentials(),
      api_base: `${mock.url}${PATH}/text-embedding-005`,
    });
    const request = only();
    assert.equal(request.path, `${PATH}/text-embedding-005:predict`);
    assert.equal(request.headers.authorization, "Bearer ya29.embed");
    assert.deepEqual(request.json, {
      instances: [
        { content: "first", task_type: "RETRIEVAL_QUERY" },
        { content: "second", task_type: "RETRIEVAL_QUERY" },
      ],
      parameters: { outputDimensionality: 2 },
    });
    assert.equal(tokens.requests.length, 1);
    assert.equal(tokens.requests[0]?.path, "/token");
    assert.deepEqual(answer, {
      object: "list",
      data: [
        { object: "embedding", index: 0, embedding: [0, 0.5] },
        { object: "embedding", index: 1, embedding: [1, 0.5] },
      ],
      model: "text-embedding-005",
      usage: { prompt_tokens: 6, total_tokens: 6 },
    });
    assert.equal(isUsageEstimated(answer), false);
    assertOpenAIEmbeddings("CreateEmbeddingResponse", answer);
  });

  test("gemini-embedding-001 takes one text a call: three inputs are three calls, one token for all", async () => {
    tokens.always((_req, res) => json(res, 200, { access_token: "ya29.one", expires_in: 3599, token_type: "Bearer" }));
    let call = 0;
    mock.always((_req, res) => {
      json(res, 200, predictions(1, call));
      call += 1;
    });
    const answer = await embedding({
      model: "vertex_ai/gemini-embedding-001",
      input: ["a", "b", "c"],
      encoding_format: "base64",
      vertex_credentials: credentials(),
      api_base: `${mock.url}${PATH}/gemini-embedding-001`,
    });
    assert.deepEqual(
      mock.requests.map((r) => r.json),
      [{ instances: [{ content: "a" }] }, { instances: [{ content: "b" }] }, { instances: [{ content: "c" }] }],
    );
    assert.equal(tokens.requests.length, 1);
    assert.deepEqual(answer.usage, { prompt_tokens: 9, total_tokens: 9 });
    assert.deepEqual(
      answer.data.map((d) => d.embedding),
      ["AAAAAAAAAD8=", "AACAPwAAAD8=", "AAAAQAAAAD8="],
    );
    assertOpenAIEmbeddings("CreateEmbeddingResponseBase64", answer);
  });

  test("without api_base: the regional :predict URL of the project and location", () => {
    const request = vertexEmbedding.buildEmbeddingRequest(
      { model: "m", input: "hi" },
      target("text-embedding-005", { vertex_project: "p-9", vertex_location: "europe-west4" }),
    );
    assert.equal(
      request.url,
      "https://europe-west4-aiplatform.googleapis.com/v1/projects/p-9/locations/europe-west4/publishers/google/models/text-embedding-005:predict",
    );
    assert.deepEqual(JSON.parse(String(request.body)), { instances: [{ content: "hi" }] });
  });

  test("a Vertex error keeps its status and message; token ids are a 400", async () => {
    tokens.always((_req, res) => json(res, 200, { access_token: "ya29.err", expires_in: 3599, token_type: "Bearer" }));
    mock.enqueue((_req, res) =>
      json(res, 403, {
        error: { code: 403, message: "Permission 'aiplatform.endpoints.predict' denied.", status: "PERMISSION_DENIED" },
      }),
    );
    const options = { vertex_credentials: credentials(), api_base: `${mock.url}${PATH}/text-embedding-005` };
    const denied = await rejection(embedding({ model: "vertex_ai/text-embedding-005", input: "hi", ...options }));
    assert.ok(denied instanceof PermissionDeniedError);
    assert.equal(denied.message, "Permission 'aiplatform.endpoints.predict' denied.");
    const ids = await rejection(embedding({ model: "vertex_ai/text-embedding-005", input: [[1, 2]], ...options }));
    assert.ok(ids instanceof BadRequestError);
    assert.equal(
      ids.message,
      "Vertex AI embeds text only: send 'input' as a string or an array of strings, not token ids.",
    );
  });
});

describe("Bedrock", () => {
  const KEYS = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" };
  const signed = () => ({
    api_base: mock.url,
    aws_access_key_id: KEYS.accessKeyId,
    aws_secret_access_key: KEYS.secretAccessKey,
    aws_region_name: "us-east-1",
  });
  function assertSigned(request: RecordedRequest): void {
    assert.equal(
      request.headers.authorization,
      expectedAuthorization(request, KEYS, { region: "us-east-1", service: "bedrock" }),
    );
  }

  test("Titan v2: one signed /invoke per text with dimensions and normalize; inputTextTokenCount summed", async () => {
    mock.always((req, res) => {
      const text = (req.json as { inputText: string }).inputText;
      json(res, 200, { embedding: text === "first" ? FLOATS : OTHER, inputTextTokenCount: text.length });
    });
    const answer = await embedding({
      model: "bedrock/amazon.titan-embed-text-v2:0",
      input: ["first", "second"],
      dimensions: 256,
      normalize: true,
      encoding_format: "base64",
      ...signed(),
    });
    assert.equal(mock.requests.length, 2);
    for (const request of mock.requests) {
      assert.equal(request.path, "/model/amazon.titan-embed-text-v2%3A0/invoke");
      assertSigned(request);
    }
    assert.deepEqual(
      mock.requests.map((r) => r.json),
      [
        { inputText: "first", dimensions: 256, normalize: true },
        { inputText: "second", dimensions: 256, normalize: true },
      ],
    );
    assert.deepEqual(answer, {
      object: "list",
      data: [
        { object: "embedding", index: 0, embedding: FLOATS_BASE64 },
        { object: "embedding", index: 1, embedding: OTHER_BASE64 },
      ],
      model: "amazon.titan-embed-text-v2:0",
      usage: { prompt_tokens: 11, total_tokens: 11 },
    });
    assertOpenAIEmbeddings("CreateEmbeddingResponseBase64", answer);
  });

  test("Titan v1 takes no dimensions: a 400 naming it, or dropped with drop_params", async () => {
    const request = { model: "bedrock/amazon.titan-embed-text-v1", input: "hi", dimensions: 256, ...signed() };
    const error = await rejection(embedding(request));
    assert.ok(error instanceof UnsupportedParamsError);
    assert.equal(
      error.message,
      "bedrock does not support the param 'dimensions' (got 256). Remove it, or set drop_params: true to drop unsupported params.",
    );
    assert.equal(mock.requests.length, 0);
    mock.enqueue((_req, res) => json(res, 200, { embedding: FLOATS, inputTextTokenCount: 1 }));
    await embedding({ ...request, drop_params: true });
    assert.deepEqual(only().json, { inputText: "hi" });
  });

  test("Cohere on Bedrock: 100 texts in calls of 96 and 4 with input_type search_document; tokens counted", async () => {
    mock.always((req, res) => {
      const texts = (req.json as { texts: string[] }).texts;
      json(res, 200, {
        embeddings: texts.map((t) => [Number(t.slice(5)), 0.5]),
        id: "emb-1",
        response_type: "embeddings_floats",
        texts,
      });
    });
    const inputs = Array.from({ length: 100 }, (_, i) => `text ${i}`);
    const answer = await embedding({ model: "bedrock/cohere.embed-english-v3", input: inputs, ...signed() });
    assert.deepEqual(
      mock.requests.map((r) => r.json),
      [
        { texts: inputs.slice(0, 96), input_type: "search_document" },
        { texts: inputs.slice(96), input_type: "search_document" },
      ],
    );
    for (const request of mock.requests) {
      assert.equal(request.path, "/model/cohere.embed-english-v3/invoke");
      assertSigned(request);
    }
    answer.data.forEach((item, i) => {
      assert.deepEqual(item, { object: "embedding", index: i, embedding: [i, 0.5] });
    });
    // Bedrock's Cohere reports no tokens: cl100k counts 3 for each "text N".
    assert.deepEqual(answer.usage, { prompt_tokens: 300, total_tokens: 300 });
    assert.equal(isUsageEstimated(answer), true);
  });

  test("Cohere on Bedrock: the caller's input_type and truncate; embed-v4 takes dimensions; embeddings by type", async () => {
    mock.enqueue((_req, res) =>
      json(res, 200, { embeddings: { float: [FLOATS] }, id: "e", response_type: "embeddings_by_type" }),
    );
    const answer = await embedding({
      model: "bedrock/us.cohere.embed-v4:0",
      input: "hi",
      input_type: "search_query",
      truncate: "END",
      dimensions: 256,
      ...signed(),
    });
    assert.deepEqual(only().json, {
      texts: ["hi"],
      input_type: "search_query",
      truncate: "END",
      output_dimension: 256,
    });
    assert.deepEqual(answer.data, [{ object: "embedding", index: 0, embedding: FLOATS }]);
    const v3 = await rejection(
      embedding({ model: "bedrock/cohere.embed-multilingual-v3", input: "hi", dimensions: 256, ...signed() }),
    );
    assert.ok(v3 instanceof UnsupportedParamsError);
  });

  test("AWS errors by their type: ValidationException 400, ThrottlingException 429; a chat model makes no embeddings", async () => {
    mock.enqueue(
      (_req, res) =>
        json(
          res,
          400,
          { message: "Malformed input request: expected maxLength: 50000" },
          {
            "x-amzn-errortype": "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/",
          },
        ),
      (_req, res) =>
        json(
          res,
          429,
          { message: "Too many requests, please wait before trying again." },
          {
            "x-amzn-errortype": "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/",
          },
        ),
    );
    const request = { model: "bedrock/amazon.titan-embed-text-v2:0", input: "hi", ...signed() };
    const invalid = await rejection(embedding(request));
    assert.ok(invalid instanceof BadRequestError);
    assert.equal(invalid.message, "Malformed input request: expected maxLength: 50000");
    const throttled = await rejection(embedding(request));
    assert.ok(throttled instanceof RateLimitError);
    const chat = await rejection(embedding({ ...request, model: "bedrock/anthropic.claude-3-haiku-20240307-v1:0" }));
    assert.ok(chat instanceof BadRequestError);
    assert.equal(chat.code, "model_not_supported");
  });
});

describe("Cohere", () => {
  const cohereAnswer = (vectors: number[][], tokensBilled: number) => ({
    id: "5807ee2e",
    embeddings: { float: vectors },
    texts: [],
    meta: { api_version: { version: "2" }, billed_units: { input_tokens: tokensBilled } },
    response_type: "embeddings_by_type",
  });

  test("/v2/embed with the bearer key, input_type search_document and float types; billed tokens as usage", async () => {
    mock.enqueue((_req, res) => json(res, 200, cohereAnswer([FLOATS, OTHER], 7)));
    const answer = await embedding({
      model: "cohere/embed-english-v3.0",
      input: ["first", "second"],
      encoding_format: "base64",
      api_key: "co-key",
      api_base: `${mock.url}/v2/embed`,
    });
    const request = only();
    assert.equal(request.path, "/v2/embed");
    assert.equal(request.headers.authorization, "Bearer co-key");
    assert.deepEqual(request.json, {
      model: "embed-english-v3.0",
      texts: ["first", "second"],
      input_type: "search_document",
      embedding_types: ["float"],
    });
    assert.deepEqual(answer, {
      object: "list",
      data: [
        { object: "embedding", index: 0, embedding: FLOATS_BASE64 },
        { object: "embedding", index: 1, embedding: OTHER_BASE64 },
      ],
      model: "embed-english-v3.0",
      usage: { prompt_tokens: 7, total_tokens: 7 },
    });
    assertOpenAIEmbeddings("CreateEmbeddingResponseBase64", answer);
  });

  test("embed-v4.0 takes dimensions as output_dimension; embed-english-v3.0 refuses them; 96 texts a call", async () => {
    mock.always((req, res) => {
      const texts = (req.json as { texts: string[] }).texts;
      json(
        res,
        200,
        cohereAnswer(
          texts.map(() => FLOATS),
          texts.length,
        ),
      );
    });
    const inputs = Array.from({ length: 97 }, (_, i) => `t${i}`);
    const answer = await embedding({
      model: "cohere/embed-v4.0",
      input: inputs,
      dimensions: 256,
      input_type: "search_query",
      api_key: "co-key",
      api_base: `${mock.url}/v2/embed`,
    });
    assert.deepEqual(
      mock.requests.map((r) => r.json),
      [
        {
          model: "embed-v4.0",
          texts: inputs.slice(0, 96),
          input_type: "search_query",
          embedding_types: ["float"],
          output_dimension: 256,
        },
        {
          model: "embed-v4.0",
          texts: inputs.slice(96),
          input_type: "search_query",
          embedding_types: ["float"],
          output_dimension: 256,
        },
      ],
    );
    assert.deepEqual(answer.usage, { prompt_tokens: 97, total_tokens: 97 });
    const v3 = await rejection(
      embedding({ model: "cohere/embed-english-v3.0", input: "hi", dimensions: 256, api_key: "k", api_base: mock.url }),
    );
    assert.ok(v3 instanceof UnsupportedParamsError);
    assert.equal(v3.param, "dimensions");
  });

  test("the default URL is Cohere's /v2/embed; a 429 keeps Cohere's message", async () => {
    const request = cohereEmbedding.buildEmbeddingRequest(
      { model: "m", input: "hi" },
      target("embed-english-v3.0", {}, { COHERE_API_KEY: "env-key", COHERE_API_BASE: "https://chat.example/v2/chat" }),
    );
    assert.equal(request.url, "https://api.cohere.com/v2/embed");
    assert.equal(request.headers.authorization, "Bearer env-key");
    mock.enqueue((_req, res) => json(res, 429, { message: "You are using a Trial key, which is limited." }));
    const limited = await rejection(
      embedding({ model: "cohere/embed-english-v3.0", input: "hi", api_key: "k", api_base: `${mock.url}/v2/embed` }),
    );
    assert.ok(limited instanceof RateLimitError);
    assert.equal(limited.message, "You are using a Trial key, which is limited.");
  });
});

describe("Hugging Face", () => {
  test("a TEI server: {inputs} to api_base as written, the bearer token; tokens counted", async () => {
    mock.enqueue((_req, res) => json(res, 200, [FLOATS, OTHER]));
    const answer = await embedding({
      model: "huggingface/BAAI/bge-small-en-v1.5",
      input: ["first", "second"],
      api_key: "hf_token",
      api_base: `${mock.url}/embed`,
    });
    const request = only();
    assert.equal(request.path, "/embed");
    assert.equal(request.headers.authorization, "Bearer hf_token");
    assert.deepEqual(request.json, { inputs: ["first", "second"] });
    assert.deepEqual(
      answer.data.map((d) => d.embedding),
      [FLOATS, OTHER],
    );
    assert.equal(isUsageEstimated(answer), true);
    assertOpenAIEmbeddings("CreateEmbeddingResponse", answer);
  });

  test("without api_base: the router's feature-extraction pipeline; dimensions refused; per-token answers are a 502", async () => {
    const request = huggingfaceEmbedding.buildEmbeddingRequest(
      { model: "m", input: "hi" },
      target("sentence-transformers/all-MiniLM-L6-v2", {}, { HF_TOKEN: "hf_env" }),
    );
    assert.equal(
      request.url,
      "https://router.huggingface.co/hf-inference/models/sentence-transformers/all-MiniLM-L6-v2/pipeline/feature-extraction",
    );
    assert.deepEqual(JSON.parse(String(request.body)), { inputs: ["hi"] });
    const dims = await rejection(
      embedding({ model: "huggingface/BAAI/bge-small-en-v1.5", input: "hi", dimensions: 8, api_base: mock.url }),
    );
    assert.ok(dims instanceof UnsupportedParamsError);
    mock.enqueue((_req, res) =>
      json(res, 200, [
        [
          [0.1, 0.2],
          [0.3, 0.4],
        ],
      ]),
    );
    const perToken = await rejection(
      embedding({ model: "huggingface/gpt2", input: "hi", api_base: `${mock.url}/embed` }),
    );
    assert.equal((perToken as { status?: number }).status, 502);
  });
});
