import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { AuthenticationError, BadRequestError, ContentPolicyViolationError, textCompletion } from "../../src/index.js";
import { completionAnswer, rejection, withEnv } from "../helpers/fixtures.js";
import { json, MockUpstream } from "../helpers/mock-upstream.js";
import { assertOpenAI } from "../helpers/openai-schema.js";

let mock: MockUpstream;
before(async () => {
  mock = await MockUpstream.start();
});
after(() => mock.close());
beforeEach(() => mock.reset());

const NO_AZURE_ENV = {
  AZURE_API_KEY: undefined,
  AZURE_OPENAI_API_KEY: undefined,
  AZURE_API_BASE: undefined,
  AZURE_OPENAI_ENDPOINT: undefined,
  AZURE_API_VERSION: undefined,
  AZURE_AD_TOKEN: undefined,
};

const FILTERED = {
  hate: { filtered: false, severity: "safe" },
  self_harm: { filtered: false, severity: "safe" },
  sexual: { filtered: false, severity: "safe" },
  violence: { filtered: false, severity: "safe" },
};

describe("azure_text", () => {
  test("calls /openai/deployments/D/completions?api-version=V with the api-key header and every param", async () => {
    mock.always((_req, res) => json(res, 200, completionAnswer()));
    await textCompletion({
      model: "azure_text/my-instruct",
      prompt: "Say this is a test",
      max_tokens: 7,
      temperature: 0,
      stop: "\n",
      logprobs: 1,
      api_key: "azure-key-1",
      api_base: `${mock.url}/`,
      api_version: "2024-06-01",
    });
    const [request] = mock.requests;
    assert.equal(request?.method, "POST");
    assert.equal(request?.path, "/openai/deployments/my-instruct/completions");
    assert.deepEqual(request?.query, { "api-version": "2024-06-01" });
    assert.equal(request?.headers["api-key"], "azure-key-1");
    assert.equal(request?.headers.authorization, undefined);
    assert.deepEqual(request?.json, {
      model: "my-instruct",
      prompt: "Say this is a test",
      max_tokens: 7,
      temperature: 0,
      stop: "\n",
      logprobs: 1,
    });
  });

  test("reads AZURE_API_KEY, AZURE_API_BASE and AZURE_API_VERSION; api-version defaults to 2024-10-21", async () => {
    mock.always((_req, res) => json(res, 200, completionAnswer()));
    await withEnv(
      { ...NO_AZURE_ENV, AZURE_API_KEY: "env-key", AZURE_API_BASE: mock.url, AZURE_API_VERSION: "2024-02-01" },
      () => textCompletion({ model: "azure_text/dep", prompt: "hi" }),
    );
    await withEnv({ ...NO_AZURE_ENV, AZURE_API_KEY: "env-key", AZURE_API_BASE: mock.url }, () =>
      textCompletion({ model: "azure_text/dep", prompt: "hi" }),
    );
    assert.deepEqual(
      mock.requests.map((r) => [r.query["api-version"], r.headers["api-key"]]),
      [
        ["2024-02-01", "env-key"],
        ["2024-10-21", "env-key"],
      ],
    );
  });

  test("an Entra ID token goes as Authorization: Bearer instead of api-key", async () => {
    mock.always((_req, res) => json(res, 200, completionAnswer()));
    await withEnv(NO_AZURE_ENV, () =>
      textCompletion({ model: "azure_text/dep", prompt: "hi", api_base: mock.url, azure_ad_token: "entra-token" }),
    );
    await withEnv({ ...NO_AZURE_ENV, AZURE_AD_TOKEN: "entra-env" }, () =>
      textCompletion({ model: "azure_text/dep", prompt: "hi", api_base: mock.url }),
    );
    assert.deepEqual(
      mock.requests.map((r) => [r.headers.authorization, r.headers["api-key"]]),
      [
        ["Bearer entra-token", undefined],
        ["Bearer entra-env", undefined],
      ],
    );
  });

  test("missing credential or endpoint: a clear error naming the variable, before any network call", async () => {
    const noKey = await withEnv(NO_AZURE_ENV, () =>
      rejection(textCompletion({ model: "azure_text/dep", prompt: "hi", api_base: mock.url })),
    );
    assert.ok(noKey instanceof AuthenticationError);
    assert.equal(
      noKey.message,
      "No Azure credential: set the AZURE_API_KEY environment variable, or pass api_key (or azure_ad_token for Entra ID).",
    );
    const noBase = await withEnv(NO_AZURE_ENV, () =>
      rejection(textCompletion({ model: "azure_text/dep", prompt: "hi", api_key: "k" })),
    );
    assert.ok(noBase instanceof BadRequestError);
    assert.equal(noBase.param, "api_base");
    assert.match(noBase.message, /AZURE_API_BASE/);
    assert.equal(mock.requests.length, 0);
  });

  test("keeps Azure's content-filter fields in the answer", async () => {
    const answer = {
      ...completionAnswer(),
      prompt_filter_results: [{ prompt_index: 0, content_filter_results: FILTERED }],
      choices: [
        { text: "hello", index: 0, logprobs: null, finish_reason: "stop" as const, content_filter_results: FILTERED },
      ],
    };
    mock.always((_req, res) => json(res, 200, answer));
    const result = await textCompletion({ model: "azure_text/dep", prompt: "hi", api_key: "k", api_base: mock.url });
    assert.deepEqual(result, answer);
    assertOpenAI("CreateCompletionResponse", result);
  });

  for (const inner of ["innererror", "inner_error"]) {
    test(`a prompt blocked by the content filter (${inner}) is a ContentPolicyViolationError with Azure's message`, async () => {
      const message =
        "The response was filtered due to the prompt triggering Azure OpenAI's content management policy.";
      mock.always((_req, res) =>
        json(
          res,
          400,
          {
            error: {
              message,
              type: null,
              param: "prompt",
              code: "content_filter",
              status: 400,
              [inner]: { code: "ResponsibleAIPolicyViolation" },
            },
          },
          { "apim-request-id": "apim-123" },
        ),
      );
      const error = await rejection(
        textCompletion({ model: "azure_text/dep", prompt: "bad", api_key: "k", api_base: mock.url }),
      );
      assert.ok(error instanceof ContentPolicyViolationError);
      assert.ok(error instanceof BadRequestError);
      assert.equal(error.status, 400);
      assert.equal(error.message, message);
      assert.equal(error.code, "content_filter");
      assert.equal(error.param, "prompt");
      assert.equal(error.type, "invalid_request_error");
      assert.equal(error.provider, "azure_text");
      assert.equal(error.requestId, "apim-123");
      assertOpenAI("ErrorResponse", error.toBody());
    });
  }
});
