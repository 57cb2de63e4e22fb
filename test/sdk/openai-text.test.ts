import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import {
  AuthenticationError,
  BadRequestError,
  isUsageEstimated,
  textCompletion,
  UnsupportedParamsError,
} from "../../src/index.js";
import { completionAnswer, rejection, withEnv } from "../helpers/fixtures.js";
import { json, MockUpstream } from "../helpers/mock-upstream.js";
import { assertOpenAI } from "../helpers/openai-schema.js";

let mock: MockUpstream;
before(async () => {
  mock = await MockUpstream.start();
});
after(() => mock.close());
beforeEach(() => mock.reset());

/** Every OpenAI completion param with a non-default value. */
const EVERY_PARAM = {
  prompt: ["Say this is a test", "Say that"],
  best_of: 3,
  echo: true,
  frequency_penalty: 0.5,
  logit_bias: { "100257": -100 },
  logprobs: 2,
  max_tokens: 7,
  n: 2,
  presence_penalty: -0.5,
  seed: 42,
  stop: ["\n", "END"],
  suffix: " and that is all.",
  temperature: 0.3,
  top_p: 0.9,
  user: "user-1234",
};

describe("text-completion-openai", () => {
  test("sends every OpenAI param to {api_base}/completions unchanged, with the bearer key", async () => {
    mock.always((_req, res) => json(res, 200, completionAnswer()));
    await textCompletion({
      model: "text-completion-openai/gpt-3.5-turbo-instruct",
      ...EVERY_PARAM,
      api_key: "sk-test-key-1",
      api_base: `${mock.url}/v1`,
      organization: "org-abc",
      extra_headers: { "x-trace": "t1" },
    });
    assert.equal(mock.requests.length, 1);
    const [request] = mock.requests;
    assert.ok(request);
    assert.equal(request.method, "POST");
    assert.equal(request.path, "/v1/completions");
    assert.deepEqual(request.query, {});
    assert.equal(request.headers.authorization, "Bearer sk-test-key-1");
    assert.equal(request.headers["openai-organization"], "org-abc");
    assert.equal(request.headers["content-type"], "application/json");
    assert.equal(request.headers["x-trace"], "t1");
    assert.deepEqual(request.json, { model: "gpt-3.5-turbo-instruct", ...EVERY_PARAM });
    // The connection options are ours, never the provider's.
    assert.ok(!request.body.includes("sk-test-key-1"));
    assertOpenAI("CreateCompletionRequest", request.json);
  });

  test("returns OpenAI's answer exactly as sent: id, system_fingerprint, logprobs with null entries", async () => {
    const answer = completionAnswer({
      choices: [
        {
          text: "Say this is a test.",
          index: 0,
          finish_reason: "length",
          logprobs: {
            tokens: ["Say", " this", " is", " a", " test", "."],
            token_logprobs: [null, -6.1, -0.4, -0.2, -0.01, -1.5],
            top_logprobs: [null, { " this": -6.1 }, { " is": -0.4 }, { " a": -0.2 }, { " test": -0.01 }, { ".": -1.5 }],
            text_offset: [0, 3, 8, 11, 13, 18],
          },
        },
      ],
    });
    mock.always((_req, res) => json(res, 200, answer));
    const result = await textCompletion({
      model: "gpt-3.5-turbo-instruct",
      prompt: "Say this is a test",
      echo: true,
      logprobs: 1,
      max_tokens: 1,
      api_key: "sk-test",
      api_base: mock.url,
    });
    assert.deepEqual(result, answer);
    assert.equal(isUsageEstimated(result), false);
    assertOpenAI("CreateCompletionResponse", result);
  });

  test("bare instruct and fine-tune names go to OpenAI's /completions with the model unchanged", async () => {
    mock.always((_req, res) => json(res, 200, completionAnswer()));
    for (const model of [
      "gpt-3.5-turbo-instruct",
      "davinci-002",
      "babbage-002",
      "ft:davinci-002:acme::abc123",
      "openai/gpt-3.5-turbo-instruct",
    ]) {
      await textCompletion({ model, prompt: "hi", api_key: "sk-test", api_base: mock.url });
    }
    assert.deepEqual(
      mock.requests.map((r) => [r.path, (r.json as { model: string }).model]),
      [
        ["/completions", "gpt-3.5-turbo-instruct"],
        ["/completions", "davinci-002"],
        ["/completions", "babbage-002"],
        ["/completions", "ft:davinci-002:acme::abc123"],
        ["/completions", "gpt-3.5-turbo-instruct"],
      ],
    );
  });

  test("openai/ with an api_base and a non-chat model is an OpenAI-compatible /completions server", async () => {
    mock.always((_req, res) => json(res, 200, completionAnswer({ model: "meta-llama/Llama-3.1-8B" })));
    await textCompletion({ model: "openai/meta-llama/Llama-3.1-8B", prompt: "hi", api_base: `${mock.url}/v1` });
    const [request] = mock.requests;
    assert.equal(request?.path, "/v1/completions");
    assert.equal((request?.json as { model: string } | undefined)?.model, "meta-llama/Llama-3.1-8B");
    // No key configured for a self-hosted server: no Authorization header at all.
    assert.equal(request?.headers.authorization, undefined);
  });

  test("reads OPENAI_API_KEY, OPENAI_BASE_URL (else OPENAI_API_BASE) and OPENAI_ORGANIZATION", async () => {
    mock.always((_req, res) => json(res, 200, completionAnswer()));
    await withEnv(
      {
        OPENAI_API_KEY: "sk-from-env",
        OPENAI_BASE_URL: `${mock.url}/base-url`,
        OPENAI_API_BASE: undefined,
        OPENAI_ORGANIZATION: "org-env",
      },
      () => textCompletion({ model: "gpt-3.5-turbo-instruct", prompt: "hi" }),
    );
    await withEnv(
      { OPENAI_API_KEY: "sk-from-env", OPENAI_BASE_URL: undefined, OPENAI_API_BASE: `${mock.url}/api-base` },
      () => textCompletion({ model: "gpt-3.5-turbo-instruct", prompt: "hi" }),
    );
    assert.deepEqual(
      mock.requests.map((r) => [r.path, r.headers.authorization, r.headers["openai-organization"]]),
      [
        ["/base-url/completions", "Bearer sk-from-env", "org-env"],
        ["/api-base/completions", "Bearer sk-from-env", undefined],
      ],
    );
  });

  test("a missing OpenAI key is an AuthenticationError naming OPENAI_API_KEY, before any network call", async () => {
    const error = await withEnv(
      { OPENAI_API_KEY: undefined, OPENAI_BASE_URL: undefined, OPENAI_API_BASE: undefined },
      () => rejection(textCompletion({ model: "gpt-3.5-turbo-instruct", prompt: "hi" })),
    );
    assert.ok(error instanceof AuthenticationError);
    assert.equal(error.status, 401);
    assert.equal(error.message, "No OpenAI API key: set the OPENAI_API_KEY environment variable or pass api_key.");
    assert.equal(mock.requests.length, 0);
  });

  test("an invalid request is refused before any network call", async () => {
    const error = await rejection(
      textCompletion({
        model: "gpt-3.5-turbo-instruct",
        prompt: "hi",
        max_tokens: -1,
        api_key: "sk-test",
        api_base: mock.url,
      }),
    );
    assert.ok(error instanceof BadRequestError);
    assert.equal(error.param, "max_tokens");
    assert.equal(mock.requests.length, 0);
  });

  test("model names no provider serves are refused with a message saying what to write", async () => {
    const unknownProvider = await rejection(textCompletion({ model: "nowhere/some-model", prompt: "hi" }));
    assert.ok(unknownProvider instanceof BadRequestError);
    assert.equal(unknownProvider.param, "model");
    assert.match(
      unknownProvider.message,
      /^Model 'nowhere\/some-model': unknown provider 'nowhere'\. Providers: text-completion-openai, openai, azure_text, azure, /,
    );
    const unknown = await rejection(textCompletion({ model: "mystery-model", prompt: "hi" }));
    assert.match(
      unknown.message,
      /^Model 'mystery-model': the provider cannot be inferred\. Write it as provider\/model, with one of the providers: /,
    );
  });

  test("usage missing from the answer is counted with the model's tokenizer and marked estimated", async () => {
    const answer = completionAnswer();
    delete answer.usage;
    mock.always((_req, res) => json(res, 200, answer));
    const result = await textCompletion({
      model: "gpt-3.5-turbo-instruct",
      prompt: "Say this is a test",
      api_key: "sk-test",
      api_base: mock.url,
    });
    // cl100k_base: "Say this is a test" is 5 tokens, "\n\nThis is indeed a test" 6.
    assert.deepEqual(result.usage, { prompt_tokens: 5, completion_tokens: 6, total_tokens: 11 });
    assert.equal(isUsageEstimated(result), true);
  });
});

describe("hosted_vllm", () => {
  test("calls {api_base}/completions; best_of is refused unless drop_params, OpenAI's default value dropped silently", async () => {
    mock.always((_req, res) => json(res, 200, completionAnswer()));
    await textCompletion({
      model: "hosted_vllm/Qwen/Qwen2.5-1.5B",
      prompt: [[1, 2, 3]],
      best_of: 1,
      top_k: 5,
      api_base: `${mock.url}/v1`,
    });
    const refused = await rejection(
      textCompletion({
        model: "hosted_vllm/Qwen/Qwen2.5-1.5B",
        prompt: "hi",
        best_of: 3,
        n: 2,
        api_base: `${mock.url}/v1`,
      }),
    );
    assert.ok(refused instanceof UnsupportedParamsError);
    assert.equal(refused.status, 400);
    assert.equal(refused.param, "best_of");
    assert.equal(
      refused.message,
      "hosted_vllm does not support the param 'best_of' (got 3). Remove it, or set drop_params: true to drop unsupported params.",
    );
    await textCompletion({
      model: "hosted_vllm/Qwen/Qwen2.5-1.5B",
      prompt: "hi",
      best_of: 3,
      n: 2,
      drop_params: true,
      api_base: `${mock.url}/v1`,
    });
    assert.deepEqual(
      mock.requests.map((r) => [r.path, r.json]),
      [
        // Token-id prompts and vLLM's own params (top_k) reach vLLM unchanged.
        ["/v1/completions", { model: "Qwen/Qwen2.5-1.5B", prompt: [[1, 2, 3]], top_k: 5 }],
        ["/v1/completions", { model: "Qwen/Qwen2.5-1.5B", prompt: "hi", n: 2 }],
      ],
    );
  });

  test("sends HOSTED_VLLM_API_KEY as a bearer key and reads HOSTED_VLLM_API_BASE", async () => {
    mock.always((_req, res) => json(res, 200, completionAnswer()));
    await withEnv({ HOSTED_VLLM_API_BASE: `${mock.url}/v1`, HOSTED_VLLM_API_KEY: "vllm-key" }, () =>
      textCompletion({ model: "hosted_vllm/m", prompt: "hi" }),
    );
    assert.equal(mock.requests[0]?.headers.authorization, "Bearer vllm-key");
    const error = await withEnv({ HOSTED_VLLM_API_BASE: undefined }, () =>
      rejection(textCompletion({ model: "hosted_vllm/m", prompt: "hi" })),
    );
    assert.ok(error instanceof BadRequestError);
    assert.equal(error.param, "api_base");
    assert.match(error.message, /HOSTED_VLLM_API_BASE/);
  });
});
