/** LiteLLM's own request fields: consumed by the gateway, never forwarded to a provider. */
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import OpenAI from "openai";
import { chatAnswer, completionAnswer } from "../helpers/fixtures.js";
import { startGateway, type TestGateway } from "../helpers/gateway.js";
import { json, MockUpstream } from "../helpers/mock-upstream.js";

let mock: MockUpstream;
let gateway: TestGateway;

before(async () => {
  mock = await MockUpstream.start();
  gateway = await startGateway({
    modelList: [
      {
        model_name: "gpt-4o",
        litellm_params: { model: "openai/gpt-4o", api_key: "sk-up", api_base: `${mock.url}/v1` },
      },
      {
        model_name: "tuned",
        litellm_params: {
          model: "openai/gpt-4o-mini",
          api_key: "sk-up",
          api_base: `${mock.url}/v1`,
          temperature: 0.2,
          max_tokens: 20,
          seed: 12,
          stop: ["\n\n"],
          response_format: { type: "json_object" },
          extra_body: { top_k: 5 },
        },
      },
      {
        model_name: "tuned-text",
        litellm_params: {
          model: "text-completion-openai/gpt-3.5-turbo-instruct",
          api_key: "sk-up",
          api_base: `${mock.url}/v1`,
          temperature: 0.2,
          response_format: { type: "json_object" },
        },
      },
    ],
  });
});
after(async () => {
  await gateway.close();
  await mock.close();
});
beforeEach(() => mock.reset());

const MESSAGES = [{ role: "user", content: "Hi" }];

function post(body: unknown): Promise<Response> {
  return fetch(`${gateway.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

describe("LiteLLM's request fields", () => {
  test("metadata, tags, cache, guardrails, timeouts, retries and mock_testing_fallbacks never reach the provider; extra_body is merged in", async () => {
    mock.always((_req, res) => json(res, 200, chatAnswer("Hello")));
    const response = await post({
      model: "gpt-4o",
      messages: MESSAGES,
      metadata: { generation_name: "g1", tags: ["a"] },
      litellm_metadata: { trace: "x" },
      tags: ["prod"],
      cache: { "no-cache": true },
      caching: false,
      guardrails: ["pii"],
      request_timeout: 30,
      stream_timeout: 10,
      max_retries: 2,
      mock_testing_fallbacks: false,
      extra_body: { top_k: 40, seed: 7 },
    });
    assert.equal(response.status, 200);
    assert.deepEqual(mock.requests.at(-1)?.json, { model: "gpt-4o", messages: MESSAGES, top_k: 40, seed: 7 });
  });

  test("the OpenAI SDK's extra_body params reach the provider as body params", async () => {
    mock.always((_req, res) => json(res, 200, chatAnswer("Hello")));
    const client = new OpenAI({ apiKey: "sk-any", baseURL: `${gateway.url}/v1`, maxRetries: 0 });
    await client.chat.completions.create(
      { model: "gpt-4o", messages: [{ role: "user", content: "Hi" }] },
      {
        body: { model: "gpt-4o", messages: [{ role: "user", content: "Hi" }], metadata: { tags: ["t"] }, top_k: 3 },
      },
    );
    assert.deepEqual(mock.requests.at(-1)?.json, { model: "gpt-4o", messages: MESSAGES, top_k: 3 });
  });

  test("mock_response in the body answers without calling the provider, as LiteLLM does", async () => {
    const response = await post({ model: "gpt-4o", messages: MESSAGES, mock_response: "This is a mock" });
    assert.equal(response.status, 200);
    const body = (await response.json()) as { choices: { message: { content: string } }[]; id: string };
    assert.equal(body.choices[0]?.message.content, "This is a mock");
    assert.match(body.id, /^chatcmpl-mock-/);
    assert.equal(mock.requests.length, 0);
  });

  test("an extra_body that is not an object is a 400 naming it", async () => {
    const response = await post({ model: "gpt-4o", messages: MESSAGES, extra_body: "top_k=3" });
    assert.equal(response.status, 400);
    assert.deepEqual(await response.json(), {
      error: {
        message: "'extra_body' must be an object of extra params for the provider, e.g. {\"top_k\": 40}.",
        type: "invalid_request_error",
        param: "extra_body",
        code: "400",
      },
    });
    assert.equal(mock.requests.length, 0);
  });

  test("extra_body cannot set what the request decides: model (a key's allowlist), stream, api_base, LiteLLM fields, __proto__", async () => {
    const cases: [string, Record<string, unknown> | string][] = [
      ["model", { model: "gpt-4o-premium" }],
      ["stream", { stream: true }],
      ["api_base", { api_base: "http://127.0.0.1:9" }],
      ["fallbacks", { fallbacks: ["other"] }],
      // As JSON carries it: an own "__proto__" key, which Object.assign would have used as the prototype.
      ["__proto__", '{"__proto__": {"polluted": true}}'],
    ];
    for (const [field, extra] of cases) {
      const body =
        typeof extra === "string"
          ? `{"model": "gpt-4o", "messages": ${JSON.stringify(MESSAGES)}, "extra_body": ${extra}}`
          : JSON.stringify({ model: "gpt-4o", messages: MESSAGES, extra_body: extra });
      const response = await fetch(`${gateway.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
      assert.equal(response.status, 400, field);
      assert.deepEqual(await response.json(), {
        error: {
          message: `'extra_body.${field}' is not an extra param: send '${field}' as a field of the request itself.`,
          type: "invalid_request_error",
          param: `extra_body.${field}`,
          code: "400",
        },
      });
    }
    assert.equal(mock.requests.length, 0);
  });
});

describe("a deployment's litellm_params as request defaults", () => {
  test("temperature, max_tokens, seed, stop, response_format and extra_body's params reach the provider", async () => {
    mock.always((_req, res) => json(res, 200, chatAnswer("{}")));
    assert.equal((await post({ model: "tuned", messages: MESSAGES })).status, 200);
    assert.deepEqual(mock.requests.at(-1)?.json, {
      top_k: 5,
      temperature: 0.2,
      max_tokens: 20,
      seed: 12,
      stop: ["\n\n"],
      response_format: { type: "json_object" },
      model: "gpt-4o-mini",
      messages: MESSAGES,
    });
  });

  test("the request's own values win", async () => {
    mock.always((_req, res) => json(res, 200, chatAnswer("{}")));
    await post({ model: "tuned", messages: MESSAGES, temperature: 1, max_tokens: 5, top_k: 9 });
    const sent = mock.requests.at(-1)?.json as Record<string, unknown>;
    assert.deepEqual([sent.temperature, sent.max_tokens, sent.top_k, sent.seed], [1, 5, 9, 12]);
  });

  test("a chat-only default is not applied to a text completion", async () => {
    mock.always((_req, res) => json(res, 200, completionAnswer()));
    const response = await fetch(`${gateway.url}/v1/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "tuned-text", prompt: "Say this" }),
    });
    assert.equal(response.status, 200);
    assert.deepEqual(mock.requests.at(-1)?.json, {
      temperature: 0.2,
      model: "gpt-3.5-turbo-instruct",
      prompt: "Say this",
    });
  });
});

describe("mock_testing_fallbacks and malformed LiteLLM fields", () => {
  test("mock_testing_fallbacks: true fails the model asked for at once (no provider call), then its fallbacks answer", async () => {
    mock.always((_req, res) => json(res, 200, chatAnswer("from the fallback")));
    const withFallbacks = await post({
      model: "gpt-4o",
      messages: MESSAGES,
      mock_testing_fallbacks: true,
      fallbacks: ["tuned"],
    });
    assert.equal(withFallbacks.status, 200);
    assert.equal(withFallbacks.headers.get("x-litellm-attempted-fallbacks"), "1");
    assert.deepEqual(
      mock.requests.map((r) => (r.json as { model: string }).model),
      ["gpt-4o-mini"],
    );
    // With nowhere to fall back to, the mock failure is the answer, in LiteLLM's words.
    const alone = await post({ model: "gpt-4o", messages: MESSAGES, mock_testing_fallbacks: true });
    assert.equal(alone.status, 500);
    assert.deepEqual(((await alone.json()) as { error: unknown }).error, {
      message: "This is a mock exception for model=gpt-4o, to trigger a fallback. Fallbacks=[]",
      type: "api_error",
      param: null,
      code: "mock_testing_fallbacks",
    });
    assert.equal(mock.requests.length, 1);
  });

  test("a LiteLLM field of the wrong type is a 400 naming it, never ignored", async () => {
    const cases: [Record<string, unknown>, string, string][] = [
      [{ mock_response: 5 }, "mock_response", "the text to answer with (a string)"],
      [{ fallbacks: "x" }, "fallbacks", 'a list of model names, e.g. ["gpt-4o-mini"]'],
      [{ num_retries: "x" }, "num_retries", "a whole number of retries, 0 or more"],
      [{ max_retries: -1 }, "max_retries", "a whole number of retries, 0 or more"],
      [{ mock_testing_fallbacks: "yes" }, "mock_testing_fallbacks", "true or false"],
      [{ request_timeout: 0 }, "request_timeout", "seconds, more than 0"],
      [{ caching: "no" }, "caching", "true or false"],
    ];
    for (const [extra, param, must] of cases) {
      const response = await post({ model: "gpt-4o", messages: MESSAGES, ...extra });
      assert.equal(response.status, 400, param);
      assert.deepEqual(((await response.json()) as { error: unknown }).error, {
        message: `Invalid '${param}': it must be ${must}.`,
        type: "invalid_request_error",
        param,
        code: "invalid_value",
      });
    }
    assert.equal(mock.requests.length, 0);
  });
});
