/**
 * /v1/embeddings through the real proxy on the providers of issue 15 (Gemini, Vertex AI with a
 * service account and a mock token endpoint, Bedrock's Titan and Cohere signed with SigV4,
 * Cohere, Hugging Face), with the official openai client: its default base64 (made by litegate
 * from the providers' floats, decoded by the client) and floats, every answer validated
 * against OpenAI's embeddings schema; the cost from the price table in the response header.
 */
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { after, before, beforeEach, describe, test } from "node:test";
import OpenAI from "openai";
import { startGateway, type TestGateway } from "../helpers/gateway.js";
import { MASTER_KEY } from "../helpers/keys.js";
import { json, MockUpstream, type RecordedRequest } from "../helpers/mock-upstream.js";
import { assertOpenAIEmbeddings } from "../helpers/openai-schema.js";

/** Floats exact in float32, so the client's decoding of litegate's base64 gives them back unchanged. */
const FLOATS = [0.5, -1.25, 2, 0];
const KEYS = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" };
const VERTEX_PATH = "/v1/projects/proj-1/locations/us-central1/publishers/google/models/text-embedding-005";

let mock: MockUpstream;
let tokens: MockUpstream;
let gateway: TestGateway;

/** Each provider's answer for the texts of its request, one FLOATS vector per text. */
function answerBody(req: RecordedRequest): unknown {
  const body = req.json as Record<string, unknown>;
  const each = (list: unknown) => (list as unknown[]).map(() => FLOATS);
  if (req.path.endsWith(":embedContent")) return { embedding: { values: FLOATS } };
  if (req.path.endsWith(":batchEmbedContents")) {
    return { embeddings: each(body.requests).map((values) => ({ values })) };
  }
  if (req.path.endsWith(":predict")) {
    return {
      predictions: each(body.instances).map((values) => ({ embeddings: { values, statistics: { token_count: 4 } } })),
    };
  }
  if (req.path.includes("titan")) return { embedding: FLOATS, inputTextTokenCount: 5 };
  if (req.path.includes("cohere.embed")) return { embeddings: each(body.texts), id: "e" };
  if (req.path === "/v2/embed") {
    const vectors = each(body.texts);
    return { embeddings: { float: vectors }, meta: { billed_units: { input_tokens: 3 * vectors.length } } };
  }
  return each(body.inputs);
}

before(async () => {
  mock = await MockUpstream.start();
  tokens = await MockUpstream.start();
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const account = {
    type: "service_account",
    project_id: "proj-1",
    private_key_id: "kid-proxy",
    private_key: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    client_email: "proxy-embed@proj-1.iam.gserviceaccount.com",
    token_uri: `${tokens.url}/token`,
  };
  const aws = {
    api_base: mock.url,
    aws_access_key_id: KEYS.accessKeyId,
    aws_secret_access_key: "os.environ/AWS_SECRET",
    aws_region_name: "us-east-1",
  };
  gateway = await startGateway({
    env: { SA_JSON: JSON.stringify(account), AWS_SECRET: KEYS.secretAccessKey },
    masterKey: MASTER_KEY,
    modelList: [
      {
        model_name: "gemini-embed",
        litellm_params: { model: "gemini/gemini-embedding-001", api_key: "gm-key", api_base: mock.url },
      },
      {
        model_name: "vertex-embed",
        litellm_params: {
          model: "vertex_ai/text-embedding-005",
          vertex_credentials: "os.environ/SA_JSON",
          api_base: `${mock.url}${VERTEX_PATH}`,
        },
      },
      { model_name: "titan-embed", litellm_params: { model: "bedrock/amazon.titan-embed-text-v2:0", ...aws } },
      { model_name: "bedrock-cohere-embed", litellm_params: { model: "bedrock/cohere.embed-english-v3", ...aws } },
      {
        model_name: "cohere-embed",
        litellm_params: { model: "cohere/embed-english-v3.0", api_key: "co-key", api_base: `${mock.url}/v2/embed` },
      },
      {
        model_name: "hf-embed",
        litellm_params: {
          model: "huggingface/BAAI/bge-small-en-v1.5",
          api_key: "hf_key",
          api_base: `${mock.url}/embed`,
        },
      },
    ],
  });
});
after(async () => {
  await gateway.close();
  await mock.close();
  await tokens.close();
});
beforeEach(() => {
  mock.reset();
  mock.always((req, res) => json(res, 200, answerBody(req)));
  tokens.reset();
  tokens.always((_req, res) => json(res, 200, { access_token: "ya29.proxy", expires_in: 3599, token_type: "Bearer" }));
});

/** Each model's usage for "one text": the provider's count, else litegate's (cl100k: 2 tokens). */
const ONE_TEXT_TOKENS: Readonly<Record<string, number>> = {
  "gemini-embed": 2,
  "vertex-embed": 4,
  "titan-embed": 5,
  "bedrock-cohere-embed": 2,
  "cohere-embed": 3,
  "hf-embed": 2,
};
const MODELS = Object.keys(ONE_TEXT_TOKENS);

describe("the openai client on every new embeddings provider", () => {
  for (const model of MODELS) {
    test(`${model}: base64 (the client's default) and floats, OpenAI's shape both ways`, async () => {
      const client = new OpenAI({ apiKey: MASTER_KEY, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
      const decoded = await client.embeddings.create({ model, input: ["first text", "second text"] });
      assert.deepEqual(
        decoded.data.map((d) => [d.index, d.embedding]),
        [
          [0, FLOATS],
          [1, FLOATS],
        ],
      );
      // The wire answer itself, as the client received it before decoding.
      const raw = await client.embeddings
        .create({ model, input: ["first text", "second text"], encoding_format: "base64" })
        .asResponse();
      const base64 = (await raw.json()) as Record<string, unknown>;
      assertOpenAIEmbeddings("CreateEmbeddingResponseBase64", base64);
      assert.deepEqual(
        (base64.data as { embedding: unknown }[]).map((d) => d.embedding),
        ["AAAAPwAAoL8AAABAAAAAAA==", "AAAAPwAAoL8AAABAAAAAAA=="],
      );
      const floats = await client.embeddings.create({ model, input: "one text", encoding_format: "float" });
      assertOpenAIEmbeddings("CreateEmbeddingResponse", JSON.parse(JSON.stringify(floats)));
      assert.deepEqual(floats.data, [{ object: "embedding", index: 0, embedding: FLOATS }]);
      const tokens = ONE_TEXT_TOKENS[model];
      assert.deepEqual(floats.usage, { prompt_tokens: tokens, total_tokens: tokens });
    });
  }

  test("the upstream requests: each provider's path, auth and body", async () => {
    const client = new OpenAI({ apiKey: MASTER_KEY, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
    for (const model of MODELS) await client.embeddings.create({ model, input: ["a", "b"], encoding_format: "float" });
    const seen = mock.requests.map((r) => [r.path, r.json]);
    assert.deepEqual(seen, [
      [
        "/v1beta/models/gemini-embedding-001:batchEmbedContents",
        {
          requests: [
            { model: "models/gemini-embedding-001", content: { parts: [{ text: "a" }] } },
            { model: "models/gemini-embedding-001", content: { parts: [{ text: "b" }] } },
          ],
        },
      ],
      [`${VERTEX_PATH}:predict`, { instances: [{ content: "a" }, { content: "b" }] }],
      ["/model/amazon.titan-embed-text-v2%3A0/invoke", { inputText: "a" }],
      ["/model/amazon.titan-embed-text-v2%3A0/invoke", { inputText: "b" }],
      ["/model/cohere.embed-english-v3/invoke", { texts: ["a", "b"], input_type: "search_document" }],
      [
        "/v2/embed",
        { model: "embed-english-v3.0", texts: ["a", "b"], input_type: "search_document", embedding_types: ["float"] },
      ],
      ["/embed", { inputs: ["a", "b"] }],
    ]);
    const auth = mock.requests.map((r) => String(r.headers.authorization ?? r.headers["x-goog-api-key"]));
    assert.equal(auth[0], "gm-key");
    assert.equal(auth[1], "Bearer ya29.proxy");
    for (const signed of auth.slice(2, 5)) assert.match(signed, /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\//);
    assert.deepEqual(auth.slice(5), ["Bearer co-key", "Bearer hf_key"]);
  });

  test("usage and cost: Cohere's billed tokens × embed-english-v3.0's $0.10 per million", async () => {
    const response = await fetch(`${gateway.url}/v1/embeddings`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${MASTER_KEY}` },
      body: JSON.stringify({ model: "cohere-embed", input: ["a", "b"] }),
    });
    const body = (await response.json()) as { usage: unknown };
    assert.deepEqual(body.usage, { prompt_tokens: 6, total_tokens: 6 });
    assert.equal(Number(response.headers.get("x-litellm-response-cost")), 6 * 1e-7);
  });
});
