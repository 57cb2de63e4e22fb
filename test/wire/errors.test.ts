/**
 * Typed errors: errorFromStatus maps each upstream status to its class, status and
 * OpenAI type; the subclasses the provider's own words select; OpenAI's error body.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  AbortError,
  APIConnectionError,
  APIError,
  AuthenticationError,
  BadGatewayError,
  BadRequestError,
  ContentPolicyViolationError,
  ContextWindowExceededError,
  errorFromStatus,
  InternalServerError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  ServiceUnavailableError,
  Timeout,
  UnprocessableEntityError,
  UnsupportedParamsError,
  type APIErrorInit,
} from "../../src/wire/errors.js";

const init: APIErrorInit = {
  provider: "openai",
  model: "gpt-3.5-turbo-instruct",
  requestId: "req_123",
  retryAfter: 7,
};

describe("errorFromStatus", () => {
  const table: [number, typeof APIError, number, string][] = [
    [400, BadRequestError, 400, "invalid_request_error"],
    [401, AuthenticationError, 401, "authentication_error"],
    [403, PermissionDeniedError, 403, "permission_error"],
    [404, NotFoundError, 404, "not_found_error"],
    [408, Timeout, 408, "timeout"],
    [409, APIError, 409, "api_error"],
    [422, UnprocessableEntityError, 422, "invalid_request_error"],
    [429, RateLimitError, 429, "rate_limit_error"],
    [500, InternalServerError, 500, "api_error"],
    [501, InternalServerError, 501, "api_error"],
    [502, BadGatewayError, 502, "api_error"],
    [503, ServiceUnavailableError, 503, "api_error"],
    [504, InternalServerError, 504, "api_error"],
    [529, ServiceUnavailableError, 503, "api_error"],
    [418, APIError, 418, "api_error"],
  ];
  for (const [status, ErrorClass, mapped, type] of table) {
    test(`${status} -> ${ErrorClass.name} (status ${mapped}, type ${type})`, () => {
      const error = errorFromStatus(status, { message: `upstream said ${status}` }, init);
      assert.equal(error.constructor, ErrorClass);
      assert.ok(error instanceof ErrorClass);
      assert.ok(error instanceof APIError);
      assert.ok(error instanceof Error);
      assert.equal(error.name, ErrorClass.name);
      assert.equal(error.status, mapped);
      assert.equal(error.type, type);
      assert.equal(error.message, `upstream said ${status}`);
      assert.equal(error.provider, "openai");
      assert.equal(error.model, "gpt-3.5-turbo-instruct");
      assert.equal(error.requestId, "req_123");
      assert.equal(error.retryAfter, 7);
      assert.equal(error.param, null);
      assert.equal(error.code, null);
      assert.deepStrictEqual(error.toBody(), {
        error: { message: `upstream said ${status}`, type, param: null, code: String(mapped) },
      });
    });
  }

  test("the provider's type, param and code win over the defaults", () => {
    const error = errorFromStatus(
      400,
      { message: "bad temperature", type: "invalid_request_error_x", param: "temperature", code: "invalid_value" },
      init,
    );
    assert.ok(error instanceof BadRequestError);
    assert.equal(error.type, "invalid_request_error_x");
    assert.equal(error.param, "temperature");
    assert.equal(error.code, "invalid_value");
    assert.deepStrictEqual(error.toBody(), {
      error: {
        message: "bad temperature",
        type: "invalid_request_error_x",
        param: "temperature",
        code: "invalid_value",
      },
    });
  });

  test("the detail's param and code replace any in init; init.status is ignored", () => {
    const error = errorFromStatus(404, { message: "m" }, { ...init, param: "model", code: "x", status: 500 });
    assert.ok(error instanceof NotFoundError);
    assert.equal(error.status, 404);
    assert.equal(error.param, null);
    assert.equal(error.code, null);
  });

  test("init.type is replaced by the detail's type, or the class default when it names none", () => {
    assert.equal(errorFromStatus(429, { message: "m" }, { ...init, type: "tokens" }).type, "rate_limit_error");
    assert.equal(
      errorFromStatus(429, { message: "m", type: "requests" }, { ...init, type: "tokens" }).type,
      "requests",
    );
  });

  test("no init fields: provider, model, requestId and retryAfter are undefined", () => {
    const error = errorFromStatus(500, { message: "m" }, {});
    assert.equal(error.provider, undefined);
    assert.equal(error.model, undefined);
    assert.equal(error.requestId, undefined);
    assert.equal(error.retryAfter, undefined);
  });

  test("cause passes through", () => {
    const cause = new Error("root");
    const error = errorFromStatus(502, { message: "m" }, { cause });
    assert.equal(error.cause, cause);
  });

  test('kind "context_window" -> ContextWindowExceededError (a BadRequestError, status 400)', () => {
    for (const status of [400, 413, 422, 500]) {
      const error = errorFromStatus(
        status,
        {
          message: "This model's maximum context length is 4097 tokens",
          kind: "context_window",
          code: "context_length_exceeded",
        },
        init,
      );
      assert.equal(error.constructor, ContextWindowExceededError, `status ${status}`);
      assert.ok(error instanceof BadRequestError);
      assert.equal(error.name, "ContextWindowExceededError");
      assert.equal(error.status, 400);
      assert.equal(error.type, "invalid_request_error");
      assert.equal(error.code, "context_length_exceeded");
      assert.equal(error.provider, "openai");
      assert.equal(error.requestId, "req_123");
    }
  });

  test('kind "content_policy" -> ContentPolicyViolationError (a BadRequestError, status 400)', () => {
    const error = errorFromStatus(400, { message: "filtered", kind: "content_policy", code: "content_filter" }, init);
    assert.equal(error.constructor, ContentPolicyViolationError);
    assert.ok(error instanceof BadRequestError);
    assert.ok(!(error instanceof ContextWindowExceededError));
    assert.equal(error.name, "ContentPolicyViolationError");
    assert.equal(error.status, 400);
    assert.equal(error.type, "invalid_request_error");
    assert.deepStrictEqual(error.toBody(), {
      error: { message: "filtered", type: "invalid_request_error", param: null, code: "content_filter" },
    });
  });
});

describe("error classes", () => {
  const classes: [typeof APIError, number, string][] = [
    [APIError, 500, "api_error"],
    [BadRequestError, 400, "invalid_request_error"],
    [ContextWindowExceededError, 400, "invalid_request_error"],
    [ContentPolicyViolationError, 400, "invalid_request_error"],
    [UnsupportedParamsError, 400, "invalid_request_error"],
    [AuthenticationError, 401, "authentication_error"],
    [PermissionDeniedError, 403, "permission_error"],
    [NotFoundError, 404, "not_found_error"],
    [Timeout, 504, "timeout"],
    [UnprocessableEntityError, 422, "invalid_request_error"],
    [RateLimitError, 429, "rate_limit_error"],
    [InternalServerError, 500, "api_error"],
    [BadGatewayError, 502, "api_error"],
    [ServiceUnavailableError, 503, "api_error"],
    [APIConnectionError, 502, "api_connection_error"],
    [AbortError, 499, "request_aborted"],
  ];
  for (const [ErrorClass, status, type] of classes) {
    test(`${ErrorClass.name}: name, default status ${status}, type ${type}, toBody, toString`, () => {
      const error = new ErrorClass("something failed");
      assert.equal(error.name, ErrorClass.name);
      assert.equal(error.status, status);
      assert.equal(error.type, type);
      assert.equal(error.param, null);
      assert.equal(error.code, null);
      assert.equal(error.retryAfter, undefined);
      assert.equal(error.cause, undefined);
      assert.ok(!("cause" in error), "no cause property when none was given");
      assert.equal(error.toString(), `${ErrorClass.name}: something failed`);
      assert.ok(error.toString().startsWith(ErrorClass.name));
      assert.ok(error.stack?.startsWith(`${ErrorClass.name}: something failed`));
      const body = error.toBody();
      assert.deepStrictEqual(Object.keys(body), ["error"]);
      assert.deepStrictEqual(Object.keys(body.error), ["message", "type", "param", "code"]);
      assert.deepStrictEqual(body, {
        error: { message: "something failed", type, param: null, code: String(status) },
      });
      assert.deepStrictEqual(JSON.parse(JSON.stringify(body)), body);
    });
  }

  test("subclass chains", () => {
    assert.ok(new UnsupportedParamsError("x") instanceof BadRequestError);
    assert.ok(new ContextWindowExceededError("x") instanceof BadRequestError);
    assert.ok(new ContentPolicyViolationError("x") instanceof BadRequestError);
    assert.ok(!(new Timeout("x") instanceof APIConnectionError));
    assert.ok(!(new APIConnectionError("x") instanceof Timeout));
    assert.ok(!(new AbortError("x") instanceof Timeout));
  });

  test("init fields are stored", () => {
    const cause = new Error("root");
    const error = new RateLimitError("slow down", {
      status: 503,
      provider: "azure",
      model: "m",
      requestId: "apim-1",
      param: "n",
      code: "rate_limit_exceeded",
      type: "requests",
      retryAfter: 2.5,
      cause,
    });
    assert.equal(error.status, 503);
    assert.equal(error.provider, "azure");
    assert.equal(error.model, "m");
    assert.equal(error.requestId, "apim-1");
    assert.equal(error.param, "n");
    assert.equal(error.code, "rate_limit_exceeded");
    assert.equal(error.type, "requests");
    assert.equal(error.retryAfter, 2.5);
    assert.equal(error.cause, cause);
    assert.deepStrictEqual(error.toBody(), {
      error: { message: "slow down", type: "requests", param: "n", code: "rate_limit_exceeded" },
    });
  });
});
