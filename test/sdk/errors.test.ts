import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import {
  APIConnectionError,
  APIError,
  AuthenticationError,
  BadGatewayError,
  BadRequestError,
  ContextWindowExceededError,
  InternalServerError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  ServiceUnavailableError,
  textCompletion,
  Timeout,
  UnprocessableEntityError,
} from "../../src/index.js";
import { rejection } from "../helpers/fixtures.js";
import { json, MockUpstream } from "../helpers/mock-upstream.js";
import { assertOpenAI } from "../helpers/openai-schema.js";

let mock: MockUpstream;
before(async () => {
  mock = await MockUpstream.start();
});
after(() => mock.close());
beforeEach(() => mock.reset());

const KEY = "sk-proj-SECRET0123456789abcdef";

function call(model = "text-completion-openai/gpt-3.5-turbo-instruct") {
  return rejection(textCompletion({ model, prompt: "hi", api_key: KEY, api_base: mock.url }));
}

const CASES: [number, new (...args: never[]) => APIError, string][] = [
  [400, BadRequestError, "invalid_request_error"],
  [401, AuthenticationError, "invalid_request_error"],
  [403, PermissionDeniedError, "invalid_request_error"],
  [404, NotFoundError, "invalid_request_error"],
  [408, Timeout, "timeout"],
  [422, UnprocessableEntityError, "invalid_request_error"],
  [429, RateLimitError, "requests"],
  [500, InternalServerError, "server_error"],
  [502, BadGatewayError, "server_error"],
  [503, ServiceUnavailableError, "server_error"],
  [529, ServiceUnavailableError, "overloaded_error"],
];

describe("upstream errors", () => {
  for (const [status, ErrorClass, type] of CASES) {
    test(`${status} becomes ${ErrorClass.name} with the provider's message, type and request id`, async () => {
      const message = `upstream says ${status}`;
      mock.always((_req, res) =>
        json(res, status, { error: { message, type, param: null, code: "some_code" } }, { "x-request-id": "req_42" }),
      );
      const error = await call();
      assert.ok(error instanceof ErrorClass, `${error.name}: ${error.message}`);
      assert.ok(error instanceof APIError);
      assert.equal(error.status, status === 529 ? 503 : status);
      assert.equal(error.message, message);
      assert.equal(error.type, type);
      assert.equal(error.code, "some_code");
      assert.equal(error.provider, "text-completion-openai");
      assert.equal(error.model, "text-completion-openai/gpt-3.5-turbo-instruct");
      assert.equal(error.requestId, "req_42");
      assertOpenAI("ErrorResponse", error.toBody());
    });
  }

  test("an unlisted status keeps its status on the generic APIError", async () => {
    mock.always((_req, res) =>
      json(res, 409, { error: { message: "conflict", type: "conflict", param: null, code: null } }),
    );
    const error = await call();
    assert.equal(error.constructor, APIError);
    assert.equal((error as APIError).status, 409);
  });

  test("retry-after on a 429 is exposed as retryAfter seconds", async () => {
    mock.always((_req, res) =>
      json(
        res,
        429,
        { error: { message: "slow down", type: "requests", param: null, code: "rate_limit_exceeded" } },
        { "retry-after": "7" },
      ),
    );
    const error = await call();
    assert.ok(error instanceof RateLimitError);
    assert.equal(error.retryAfter, 7);
  });

  test("OpenAI's context_length_exceeded is a ContextWindowExceededError", async () => {
    const message =
      "This model's maximum context length is 4097 tokens, however you requested 5000 tokens. Please reduce your prompt; or completion length.";
    mock.always((_req, res) =>
      json(res, 400, {
        error: { message, type: "invalid_request_error", param: null, code: "context_length_exceeded" },
      }),
    );
    const error = await call();
    assert.ok(error instanceof ContextWindowExceededError);
    assert.ok(error instanceof BadRequestError);
    assert.equal(error.message, message);
  });

  test("vLLM's flat error with an integer code is normalised (code as a string, context window detected)", async () => {
    const message = "This model's maximum context length is 2048 tokens. However, you requested 3000 tokens.";
    mock.always((_req, res) =>
      json(res, 400, { object: "error", message, type: "BadRequestError", param: null, code: 400 }),
    );
    const error = await call("hosted_vllm/m");
    assert.ok(error instanceof ContextWindowExceededError);
    assert.equal(error.code, "400");
    assert.equal(error.message, message);
  });

  test("a 200 whose body is not JSON is a BadGatewayError, not a connection failure", async () => {
    mock.always((_req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<html>maintenance</html>");
    });
    const error = await call();
    assert.ok(error instanceof BadGatewayError);
    assert.equal(
      error.message,
      "text-completion-openai answered 200 with a body that is not JSON: <html>maintenance</html>",
    );
  });

  test("a non-JSON error body becomes the message", async () => {
    mock.always((_req, res) => {
      res.writeHead(502, { "content-type": "text/html" });
      res.end("<html>Bad gateway</html>");
    });
    const error = await call();
    assert.ok(error instanceof BadGatewayError);
    assert.equal(error.message, "<html>Bad gateway</html>");
  });

  test("the api key never appears in an error's message, toString() or body, even when the upstream echoes it", async () => {
    mock.always((_req, res) =>
      json(res, 401, {
        error: {
          message: `Incorrect API key provided: ${KEY}. Bearer ${KEY}`,
          type: "invalid_request_error",
          param: null,
          code: "invalid_api_key",
        },
      }),
    );
    const error = await call();
    assert.ok(error instanceof AuthenticationError);
    assert.equal(error.message, "Incorrect API key provided: [redacted]. Bearer [redacted]");
    for (const text of [
      error.message,
      error.toString(),
      JSON.stringify(error.toBody()),
      JSON.stringify(error),
      String(error.stack),
    ]) {
      assert.ok(!text.includes(KEY), text);
    }
  });

  test("a refused connection is an APIConnectionError without the key", async () => {
    const closed = await MockUpstream.start();
    const url = closed.url;
    await closed.close();
    const error = await rejection(
      textCompletion({ model: "gpt-3.5-turbo-instruct", prompt: "hi", api_key: KEY, api_base: url }),
    );
    assert.ok(error instanceof APIConnectionError);
    assert.match(error.message, /^Could not reach text-completion-openai: /);
    assert.ok(!error.message.includes(KEY));
  });
});
