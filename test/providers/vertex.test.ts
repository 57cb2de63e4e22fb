/**
 * Vertex AI (`vertex_ai/M`): Gemini's body at Vertex's URLs with an OAuth token from a service
 * account, end to end against a mock token endpoint (the token_uri of the account's file) that
 * verifies the signed JWT with the test's public key; the token shared, reused until near
 * expiry and fetched once for concurrent requests; Claude on Vertex through Anthropic's body;
 * and both through the proxy with the official openai client.
 */
import assert from "node:assert/strict";
import { generateKeyPairSync, type KeyObject, verify } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";
import OpenAI from "openai";
import { costOf, priceOf } from "../../src/cost/cost.js";
import {
  AuthenticationError,
  type ChatCompletion,
  type ChatCompletionChunk,
  chatCompletion,
  ServiceUnavailableError,
} from "../../src/index.js";
import { vertexClaudeChat, vertexGeminiChat } from "../../src/providers/google/index.js";
import type { Target } from "../../src/providers/types.js";
import { collect, rejection } from "../helpers/fixtures.js";
import { startGateway } from "../helpers/gateway.js";
import { json, MockUpstream, type RecordedRequest, sse } from "../helpers/mock-upstream.js";
import { assertOpenAIChat } from "../helpers/openai-chat-schema.js";
import { assertOpenAI } from "../helpers/openai-schema.js";

const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const PEM = privateKey.export({ type: "pkcs8", format: "pem" }).toString();

let mock: MockUpstream;
let tokens: MockUpstream;
let dir: string;
before(async () => {
  mock = await MockUpstream.start();
  tokens = await MockUpstream.start();
  dir = mkdtempSync(join(tmpdir(), "litegate-vertex-"));
});
after(async () => {
  await mock.close();
  await tokens.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  mock.reset();
  tokens.reset();
  tokens.always(grant());
});

let accounts = 0;
/** A fresh service account (its own token cache), its token endpoint the mock. */
function serviceAccount(extra: Record<string, unknown> = {}): Record<string, unknown> {
  accounts += 1;
  return {
    type: "service_account",
    project_id: "proj-1",
    private_key_id: `kid-${accounts}`,
    private_key: PEM,
    client_email: `sa-${accounts}@proj-1.iam.gserviceaccount.com`,
    client_id: "1",
    token_uri: `${tokens.url}/token`,
    ...extra,
  };
}

/** A top-level field of a recorded request's JSON body. */
function field(request: RecordedRequest | undefined, name: string): unknown {
  const body = request?.json;
  return body !== null && typeof body === "object" ? (body as Record<string, unknown>)[name] : undefined;
}

function decode(part: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(part, "base64url").toString("utf8")) as Record<string, unknown>;
}

/** Checks the JWT bearer grant as Google's token endpoint would: form fields, signature, claims. */
function verifyGrant(
  request: RecordedRequest,
  key: KeyObject,
): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  assert.equal(request.method, "POST");
  assert.equal(request.path, "/token");
  assert.equal(request.headers["content-type"], "application/x-www-form-urlencoded");
  const form = new URLSearchParams(request.body);
  assert.equal(form.get("grant_type"), "urn:ietf:params:oauth:grant-type:jwt-bearer");
  const [header, claims, signature] = (form.get("assertion") ?? "").split(".");
  assert.ok(
    verify("RSA-SHA256", Buffer.from(`${header}.${claims}`), key, Buffer.from(signature ?? "", "base64url")),
    "the JWT's signature verifies with the service account's public key",
  );
  const payload = decode(claims ?? "");
  assert.equal(payload.scope, "https://www.googleapis.com/auth/cloud-platform");
  assert.equal(payload.aud, `${tokens.url}/token`);
  assert.equal((payload.exp as number) - (payload.iat as number), 3600);
  return { header: decode(header ?? ""), payload };
}

let issued = 0;
function grant(expiresIn = 3599) {
  return (_req: RecordedRequest, res: Parameters<typeof json>[0]) => {
    issued += 1;
    json(res, 200, { access_token: `ya29.token-${issued}`, expires_in: expiresIn, token_type: "Bearer" });
  };
}

const MODEL = "gemini-2.0-flash";
const VERTEX_PATH = `/v1/projects/proj-1/locations/us-central1/publishers/google/models/${MODEL}`;

function geminiAnswer(text: string): Record<string, unknown> {
  return {
    candidates: [{ content: { role: "model", parts: [{ text }] }, finishReason: "STOP", index: 0 }],
    usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 1, totalTokenCount: 4 },
    modelVersion: MODEL,
    responseId: "v1",
  };
}

/** A call through a proxy in front of Vertex (LiteLLM's api_base form: `{api_base}:method`). */
function vertexCall(credentials: Record<string, unknown> | string, model = MODEL) {
  return {
    model: `vertex_ai/${model}`,
    vertex_credentials: typeof credentials === "string" ? credentials : JSON.stringify(credentials),
    api_base: `${mock.url}${VERTEX_PATH.replace(MODEL, model)}`,
  };
}

describe("vertex_ai/ URLs", () => {
  const target = (options: Target["options"], env: Target["env"] = {}): Target => ({
    model: MODEL,
    options,
    dropParams: false,
    env,
  });
  const params = { model: MODEL, messages: [{ role: "user" as const, content: "q" }] };

  test("the regional host under the project and location; `global` has no region; a stream asks for SSE", () => {
    const credentials = JSON.stringify(serviceAccount());
    assert.equal(
      vertexGeminiChat.buildChatRequest(params, target({ vertex_credentials: credentials })).url,
      `https://us-central1-aiplatform.googleapis.com${VERTEX_PATH}:generateContent`,
    );
    assert.equal(
      vertexGeminiChat.buildChatRequest(
        { ...params, stream: true },
        target({ vertex_credentials: credentials, vertex_project: "other", vertex_location: "europe-west4" }),
      ).url,
      `https://europe-west4-aiplatform.googleapis.com/v1/projects/other/locations/europe-west4/publishers/google/models/${MODEL}:streamGenerateContent?alt=sse`,
    );
    assert.equal(
      vertexGeminiChat.buildChatRequest(
        params,
        target({ vertex_credentials: credentials }, { VERTEXAI_LOCATION: "global", VERTEXAI_PROJECT: "env-proj" }),
      ).url,
      `https://aiplatform.googleapis.com/v1/projects/env-proj/locations/global/publishers/google/models/${MODEL}:generateContent`,
    );
    assert.equal(
      vertexClaudeChat.buildChatRequest(
        { ...params, model: "claude-sonnet-4@20250514", stream: true },
        {
          ...target({ vertex_credentials: credentials, vertex_location: "us-east5" }),
          model: "claude-sonnet-4@20250514",
        },
      ).url,
      "https://us-east5-aiplatform.googleapis.com/v1/projects/proj-1/locations/us-east5/publishers/anthropic/models/claude-sonnet-4@20250514:streamRawPredict?alt=sse",
    );
  });

  test("no project anywhere is a 401 naming vertex_project; unreadable or malformed credentials name what is wrong, never the content", async () => {
    const noProject = await rejection(
      chatCompletion({
        model: `vertex_ai/${MODEL}`,
        vertex_credentials: JSON.stringify(serviceAccount({ project_id: undefined })),
        messages: [{ role: "user", content: "q" }],
      }),
    );
    assert.ok(noProject instanceof AuthenticationError);
    assert.equal(noProject.param, "vertex_project");

    const missingFile = await rejection(
      chatCompletion({ ...vertexCall(join(dir, "absent.json")), messages: [{ role: "user", content: "q" }] }),
    );
    assert.ok(missingFile instanceof AuthenticationError);
    assert.equal(
      missingFile.message,
      "vertex_credentials names a file that cannot be read (ENOENT): give a service-account JSON file's path or the JSON itself.",
    );

    const secret = `{"type": "service_account", "private_key": "${PEM.slice(30, 60)}`;
    const malformed = await rejection(
      chatCompletion({ ...vertexCall(secret), messages: [{ role: "user", content: "q" }] }),
    );
    assert.ok(malformed instanceof AuthenticationError);
    assert.equal(
      malformed.message,
      "vertex_credentials is not valid JSON: give a service-account JSON file's path or the JSON itself.",
    );

    const keyless = await rejection(
      chatCompletion({
        ...vertexCall(serviceAccount({ private_key: "" })),
        messages: [{ role: "user", content: "q" }],
      }),
    );
    assert.match(keyless.message, /a service account without private_key/);

    const notAKey = await rejection(
      chatCompletion({
        ...vertexCall(
          serviceAccount({ private_key: "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n" }),
        ),
        messages: [{ role: "user", content: "q" }],
      }),
    );
    assert.ok(notAKey instanceof AuthenticationError);
    assert.equal(
      notAKey.message,
      "vertex_credentials: the service account's private_key cannot sign (it must be the PEM private key Google issued).",
    );
    assert.equal(mock.requests.length + tokens.requests.length, 0);
  });
});

describe("vertex_ai/ with a service account", () => {
  test("end to end: a JWT signed with the account's key buys a token at its token_uri; the token authorizes generateContent", async () => {
    const account = serviceAccount();
    mock.enqueue((_req, res) => json(res, 200, geminiAnswer("hello")));
    const result = (await chatCompletion({
      ...vertexCall(account),
      messages: [
        { role: "system", content: "sys" },
        { role: "user", content: "hi" },
      ],
      max_tokens: 8,
      n: 2,
    })) as ChatCompletion;
    assert.equal(tokens.requests.length, 1);
    const { header, payload } = verifyGrant(tokens.requests[0] as RecordedRequest, publicKey);
    assert.deepEqual(header, { alg: "RS256", typ: "JWT", kid: account.private_key_id });
    assert.equal(payload.iss, account.client_email);
    const [request] = mock.requests;
    assert.equal(request?.path, `${VERTEX_PATH}:generateContent`);
    assert.equal(request?.headers.authorization, `Bearer ya29.token-${issued}`);
    assert.equal(request?.headers["x-goog-api-key"], undefined);
    assert.deepEqual(request?.json, {
      contents: [{ role: "user", parts: [{ text: "hi" }] }],
      systemInstruction: { parts: [{ text: "sys" }] },
      generationConfig: { maxOutputTokens: 8, candidateCount: 2 },
    });
    assert.equal(result.choices[0]?.message.content, "hello");
    assertOpenAIChat("CreateChatCompletionResponse", JSON.parse(JSON.stringify(result)));
  });

  test("a provider quoting the OAuth token back: the token never reaches the caller", async () => {
    mock.enqueue((req, res) =>
      json(res, 401, {
        error: { code: 401, message: `Invalid token ${String(req.headers.authorization)}`, status: "UNAUTHENTICATED" },
      }),
    );
    const error = await rejection(
      chatCompletion({ ...vertexCall(serviceAccount()), messages: [{ role: "user", content: "q" }] }),
    );
    assert.equal((error as Error).message, "Invalid token Bearer [redacted]");
  });

  test("the credentials may be a file path; the token is reused by later requests while it is far from expiry", async () => {
    const file = join(dir, "sa.json");
    writeFileSync(file, JSON.stringify(serviceAccount()));
    mock.always((_req, res) => json(res, 200, geminiAnswer("ok")));
    for (let i = 0; i < 3; i++)
      await chatCompletion({ ...vertexCall(file), messages: [{ role: "user", content: "q" }] });
    assert.equal(tokens.requests.length, 1);
    const bearer = mock.requests.map((request) => request.headers.authorization);
    assert.equal(new Set(bearer).size, 1);
  });

  test("a token within five minutes of expiry is not reused: the next request fetches a new one", async () => {
    tokens.always(grant(200));
    mock.always((_req, res) => json(res, 200, geminiAnswer("ok")));
    const call = vertexCall(serviceAccount());
    await chatCompletion({ ...call, messages: [{ role: "user", content: "q" }] });
    await chatCompletion({ ...call, messages: [{ role: "user", content: "q" }] });
    assert.equal(tokens.requests.length, 2);
    assert.notEqual(mock.requests[0]?.headers.authorization, mock.requests[1]?.headers.authorization);
  });

  test("concurrent requests wait for one token fetch", async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let arrived: () => void = () => undefined;
    const tokenAsked = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    tokens.always(async (req, res) => {
      arrived();
      await held;
      grant()(req, res);
    });
    mock.always((_req, res) => json(res, 200, geminiAnswer("ok")));
    const call = vertexCall(serviceAccount());
    const all = Promise.all(
      Array.from({ length: 8 }, () => chatCompletion({ ...call, messages: [{ role: "user", content: "q" }] })),
    );
    await tokenAsked;
    // Let every request reach the token it waits for before the endpoint answers.
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    release();
    await all;
    assert.equal(tokens.requests.length, 1);
    assert.equal(mock.requests.length, 8);
  });

  test("a refused grant is a 401 naming the token endpoint and the account; an unreachable one a 503; neither shows the key", async () => {
    tokens.always((_req, res) =>
      json(res, 400, { error: "invalid_grant", error_description: "Invalid JWT Signature." }),
    );
    const account = serviceAccount();
    const refused = await rejection(
      chatCompletion({ ...vertexCall(account), messages: [{ role: "user", content: "q" }] }),
    );
    assert.ok(refused instanceof AuthenticationError);
    assert.equal(refused.status, 401);
    assert.equal(
      refused.message,
      `Vertex AI's token endpoint (${tokens.url}/token, the token_uri of vertex_credentials) refused the service account ${account.client_email} (400: invalid_grant: Invalid JWT Signature.).`,
    );
    assert.equal(mock.requests.length, 0);

    tokens.always((_req, res) => json(res, 503, { error: "unavailable" }));
    const down = await rejection(
      chatCompletion({ ...vertexCall(serviceAccount()), messages: [{ role: "user", content: "q" }] }),
    );
    assert.ok(down instanceof ServiceUnavailableError);
    for (const error of [refused, down])
      assert.ok(
        !JSON.stringify({ message: error.message, body: (error as AuthenticationError).toBody() }).includes(
          "PRIVATE KEY",
        ),
      );

    // A failure is not cached: once the endpoint answers, the same account gets its token.
    tokens.always(grant());
    mock.always((_req, res) => json(res, 200, geminiAnswer("ok")));
    await chatCompletion({ ...vertexCall(account), messages: [{ role: "user", content: "q" }] });
    assert.equal(mock.requests.length, 1);
  });

  test("a user's credentials (authorized_user) go through google-auth-library: a refresh-token grant at their token_uri", async () => {
    tokens.always((req, res) => {
      const form = new URLSearchParams(req.body);
      assert.deepEqual(
        [form.get("grant_type"), form.get("refresh_token"), form.get("client_id"), form.get("client_secret")],
        ["refresh_token", "1//refresh", "client-1", "secret-1"],
      );
      json(res, 200, { access_token: "ya29.user", expires_in: 3599, token_type: "Bearer" });
    });
    mock.always((_req, res) => json(res, 200, geminiAnswer("ok")));
    const user = {
      type: "authorized_user",
      client_id: "client-1",
      client_secret: "secret-1",
      refresh_token: "1//refresh",
      quota_project_id: "proj-1",
      token_uri: `${tokens.url}/token`,
    };
    await chatCompletion({ ...vertexCall(user), messages: [{ role: "user", content: "q" }] });
    await chatCompletion({ ...vertexCall(user), messages: [{ role: "user", content: "q" }] });
    assert.equal(tokens.requests.length, 1);
    assert.deepEqual(
      mock.requests.map((request) => request.headers.authorization),
      ["Bearer ya29.user", "Bearer ya29.user"],
    );
  });

  test("a stream: streamGenerateContent?alt=sse with the token", async () => {
    mock.enqueue((_req, res) =>
      sse(res, [
        { candidates: [{ content: { role: "model", parts: [{ text: "a" }] }, index: 0 }], responseId: "vs" },
        {
          candidates: [{ content: { role: "model", parts: [{ text: "b" }] }, finishReason: "STOP", index: 0 }],
          usageMetadata: { promptTokenCount: 2, candidatesTokenCount: 2, totalTokenCount: 4 },
          responseId: "vs",
        },
      ]),
    );
    const chunks = await collect(
      (await chatCompletion({
        ...vertexCall(serviceAccount()),
        messages: [{ role: "user", content: "q" }],
        stream: true,
      })) as AsyncIterable<ChatCompletionChunk>,
    );
    assert.equal(mock.requests[0]?.path, `${VERTEX_PATH}:streamGenerateContent`);
    assert.deepEqual(mock.requests[0]?.query, { alt: "sse" });
    assert.match(String(mock.requests[0]?.headers.authorization), /^Bearer ya29\.token-\d+$/);
    assert.equal(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? "").join(""), "ab");
    assert.equal(chunks.at(-1)?.choices[0]?.finish_reason, "stop");
  });
});

describe("vertex_ai/claude-*: Anthropic's Messages body through rawPredict", () => {
  const CLAUDE = "claude-3-5-haiku@20241022";
  const claudePath = `/v1/projects/proj-1/locations/us-central1/publishers/anthropic/models/${CLAUDE}`;

  test("anthropic_version vertex-2023-10-16 in the body, no model, the token in Authorization; the answer as chat.completion", async () => {
    mock.enqueue((_req, res) =>
      json(res, 200, {
        id: "msg_v",
        type: "message",
        role: "assistant",
        model: CLAUDE,
        content: [{ type: "text", text: "hi from claude" }],
        stop_reason: "end_turn",
        usage: { input_tokens: 5, output_tokens: 3 },
      }),
    );
    const result = (await chatCompletion({
      model: `vertex_ai/${CLAUDE}`,
      vertex_credentials: JSON.stringify(serviceAccount()),
      api_base: `${mock.url}${claudePath}`,
      messages: [
        { role: "system", content: "sys" },
        { role: "user", content: "hi" },
      ],
      max_tokens: 50,
      temperature: 0.2,
    })) as ChatCompletion;
    const [request] = mock.requests;
    assert.equal(request?.path, `${claudePath}:rawPredict`);
    assert.match(String(request?.headers.authorization), /^Bearer ya29\.token-\d+$/);
    assert.equal(request?.headers["x-api-key"], undefined);
    assert.equal(request?.headers["anthropic-version"], undefined);
    assert.deepEqual(request?.json, {
      anthropic_version: "vertex-2023-10-16",
      max_tokens: 50,
      messages: [{ role: "user", content: "hi" }],
      system: "sys",
      temperature: 0.2,
    });
    assert.equal(result.choices[0]?.message.content, "hi from claude");
    assert.deepEqual(result.usage, { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 });
  });

  test("a stream goes to streamRawPredict and reads Anthropic's events", async () => {
    mock.enqueue((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      const events: [string, unknown][] = [
        [
          "message_start",
          {
            type: "message_start",
            message: { id: "msg_s", model: CLAUDE, usage: { input_tokens: 2, output_tokens: 0 } },
          },
        ],
        ["content_block_start", { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }],
        ["content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "yo" } }],
        ["message_delta", { type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: 1 } }],
        ["message_stop", { type: "message_stop" }],
      ];
      for (const [name, data] of events) res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
      res.end();
    });
    const chunks = await collect(
      (await chatCompletion({
        model: `vertex_ai/${CLAUDE}`,
        vertex_credentials: JSON.stringify(serviceAccount()),
        api_base: `${mock.url}${claudePath}`,
        messages: [{ role: "user", content: "hi" }],
        stream: true,
      })) as AsyncIterable<ChatCompletionChunk>,
    );
    assert.equal(mock.requests[0]?.path, `${claudePath}:streamRawPredict`);
    assert.deepEqual(mock.requests[0]?.query, { alt: "sse" });
    assert.equal(field(mock.requests[0], "stream"), true);
    assert.equal(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? "").join(""), "yo");
  });
});

describe("vertex_ai/ and gemini/ through the proxy with the openai client", () => {
  test("text completions and chat, streamed and not, in OpenAI's shapes", async () => {
    const account = serviceAccount();
    mock.always((req, res) => {
      if (req.path.endsWith(":rawPredict")) {
        json(res, 200, {
          id: "msg_p",
          type: "message",
          role: "assistant",
          model: "claude",
          content: [{ type: "text", text: "hello" }],
          stop_reason: "end_turn",
          usage: { input_tokens: 3, output_tokens: 1 },
        });
      } else if (req.path.endsWith(":streamGenerateContent")) {
        sse(res, [
          { candidates: [{ content: { role: "model", parts: [{ text: "hel" }] }, index: 0 }], responseId: "p" },
          {
            candidates: [{ content: { role: "model", parts: [{ text: "lo" }] }, finishReason: "STOP", index: 0 }],
            usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 1, totalTokenCount: 4 },
            responseId: "p",
          },
        ]);
      } else {
        json(res, 200, geminiAnswer("hello"));
      }
    });
    const gateway = await startGateway({
      env: { SA_JSON: JSON.stringify(account), GEMINI_KEY: "gm-proxy" },
      modelList: [
        {
          model_name: "gemini",
          litellm_params: { model: `gemini/${MODEL}`, api_key: "os.environ/GEMINI_KEY", api_base: mock.url },
        },
        {
          model_name: "vertex",
          litellm_params: {
            model: `vertex_ai/${MODEL}`,
            vertex_credentials: "os.environ/SA_JSON",
            api_base: `${mock.url}${VERTEX_PATH}`,
          },
        },
        {
          model_name: "vertex-claude",
          litellm_params: {
            model: "vertex_ai/claude-3-5-haiku@20241022",
            vertex_credentials: "os.environ/SA_JSON",
            vertex_location: "us-east5",
            api_base: `${mock.url}/claude`,
          },
        },
      ],
    });
    try {
      const client = new OpenAI({ apiKey: "unused", baseURL: `${gateway.url}/v1`, maxRetries: 0 });
      for (const model of ["gemini", "vertex", "vertex-claude"]) {
        const text = await client.completions.create({ model, prompt: ["Say hello", "Again"], max_tokens: 5 });
        assert.deepEqual(
          text.choices.map((choice) => [choice.index, choice.text]),
          [
            [0, "hello"],
            [1, "hello"],
          ],
          model,
        );
        assertOpenAI("CreateCompletionResponse", JSON.parse(JSON.stringify(text)));
        const chat = await client.chat.completions.create({
          model,
          messages: [{ role: "user", content: "Say hello" }],
        });
        assert.equal(chat.choices[0]?.message.content, "hello");
        assertOpenAIChat("CreateChatCompletionResponse", JSON.parse(JSON.stringify(chat)));
      }
      for (const model of ["gemini", "vertex"]) {
        const stream = await client.chat.completions.create({
          model,
          messages: [{ role: "user", content: "Say hello" }],
          stream: true,
          stream_options: { include_usage: true },
        });
        const chunks = await collect(stream);
        for (const chunk of chunks)
          assertOpenAIChat("CreateChatCompletionStreamResponse", JSON.parse(JSON.stringify(chunk)));
        assert.equal(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? "").join(""), "hello");
        assert.deepEqual(chunks.at(-1)?.usage, { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 });
      }
      const gem = mock.requests.find((request) => request.path === `/v1beta/models/${MODEL}:generateContent`);
      assert.equal(gem?.headers["x-goog-api-key"], "gm-proxy");
      const claude = mock.requests.find((request) => request.path === "/claude:rawPredict");
      assert.equal(field(claude, "anthropic_version"), "vertex-2023-10-16");
      // One token for every Vertex request the proxy made with this account.
      assert.equal(tokens.requests.length, 1);
      // /model/info shows the deployments without their credentials.
      const info = await (await fetch(`${gateway.url}/model/info`)).text();
      assert.ok(info.includes("vertex_ai/claude-3-5-haiku@20241022"), info.slice(0, 200));
      assert.ok(!info.includes("PRIVATE KEY") && !info.includes("vertex_credentials") && !info.includes("gm-proxy"));
      // No log line carries the service account's key or the Gemini key.
      for (const line of gateway.rawLogs) {
        assert.ok(!line.includes("PRIVATE KEY") && !line.includes("gm-proxy"), line);
      }
    } finally {
      await gateway.close();
    }
  });
});

describe("prices of Google's models", () => {
  test("gemini/ and vertex_ai/ entries, dated ids by family, an exact id's own price, Claude on Vertex as its family", () => {
    const pro = priceOf("gemini/gemini-2.5-pro");
    assert.equal(pro?.input_cost_per_token, 1.25e-6);
    assert.equal(pro?.output_cost_per_token, 1e-5);
    assert.equal(pro?.max_input_tokens, 1048576);
    assert.equal(priceOf("gemini/gemini-2.0-flash-001")?.source, "gemini/gemini-2.0-flash");
    assert.equal(priceOf("vertex_ai/gemini-2.0-flash-001")?.input_cost_per_token, 1.5e-7);
    assert.equal(priceOf("vertex_ai/gemini-2.5-flash")?.cache_read_input_token_cost, 3e-8);
    assert.equal(priceOf("vertex_ai/claude-sonnet-4@20250514")?.source, "claude-sonnet-4");
    // Thought tokens are in completion_tokens, billed at the output rate (as Google bills them).
    const flash = priceOf("gemini/gemini-2.5-flash");
    assert.ok(flash !== undefined);
    const usage = {
      prompt_tokens: 1000,
      completion_tokens: 500,
      total_tokens: 1500,
      prompt_tokens_details: { cached_tokens: 400 },
    };
    assert.equal(costOf(usage, flash).toFixed(10), (600 * 3e-7 + 400 * 3e-8 + 500 * 2.5e-6).toFixed(10));
  });
});
