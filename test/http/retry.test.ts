/**
 * Retry policy: which errors are retried, how the upstream's retry-after headers are
 * read, and the backoff schedule (with an injected `random`, so exact values).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { backoffMs, isRetryable, retryAfterMs } from "../../src/http/retry.js";
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
} from "../../src/wire/errors.js";

describe("isRetryable", () => {
  const retryable: [string, unknown][] = [
    ["Timeout", new Timeout("timed out")],
    ["APIConnectionError", new APIConnectionError("socket hang up")],
    ["RateLimitError (429)", new RateLimitError("slow down")],
    ["InternalServerError (500)", new InternalServerError("boom")],
    ["BadGatewayError (502)", new BadGatewayError("bad gateway")],
    ["ServiceUnavailableError (503)", new ServiceUnavailableError("overloaded")],
    ["APIError 408", new APIError("x", { status: 408 })],
    ["APIError 409", new APIError("conflict", { status: 409 })],
    ["APIError 504", new APIError("x", { status: 504 })],
    ["APIError with the default status (500)", new APIError("x")],
  ];
  for (const [name, error] of retryable) {
    test(`${name} is retryable`, () => assert.equal(isRetryable(error), true));
  }

  const notRetryable: [string, unknown][] = [
    ["BadRequestError (400)", new BadRequestError("bad")],
    ["AuthenticationError (401)", new AuthenticationError("no key")],
    ["PermissionDeniedError (403)", new PermissionDeniedError("no")],
    ["NotFoundError (404)", new NotFoundError("no model")],
    ["UnprocessableEntityError (422)", new UnprocessableEntityError("bad")],
    ["ContextWindowExceededError", new ContextWindowExceededError("too long")],
    ["ContentPolicyViolationError", new ContentPolicyViolationError("filtered")],
    ["AbortError (499)", new AbortError("aborted")],
    ["APIError 418", new APIError("x", { status: 418 })],
    ["a plain Error", new Error("x")],
    ["a TypeError", new TypeError("fetch failed")],
    ["a DOMException AbortError", new DOMException("aborted", "AbortError")],
    ["a string", "500"],
    ["an object with status 500", { status: 500 }],
    ["undefined", undefined],
    ["null", null],
  ];
  for (const [name, error] of notRetryable) {
    test(`${name} is not retryable`, () => assert.equal(isRetryable(error), false));
  }

  test("errors made by errorFromStatus, by status", () => {
    const expected: [number, boolean][] = [
      [400, false],
      [401, false],
      [403, false],
      [404, false],
      [408, true],
      [409, true],
      [422, false],
      [429, true],
      [500, true],
      [501, true],
      [502, true],
      [503, true],
      [504, true],
      [529, true],
    ];
    for (const [status, retry] of expected) {
      assert.equal(isRetryable(errorFromStatus(status, { message: "m" }, {})), retry, `status ${status}`);
    }
  });

  test("a 5xx that the provider calls a context-window error is not retried", () => {
    const error = errorFromStatus(500, { message: "too long", kind: "context_window" }, {});
    assert.equal(isRetryable(error), false);
  });
});

describe("retryAfterMs", () => {
  const now = Date.UTC(2025, 0, 1, 12, 0, 0);

  const cases: [string, Record<string, string | string[] | undefined>, number | undefined][] = [
    ["no headers", {}, undefined],
    ["retry-after-ms integer", { "retry-after-ms": "1500" }, 1500],
    ["retry-after-ms fractional", { "retry-after-ms": "250.5" }, 250.5],
    ["retry-after-ms zero", { "retry-after-ms": "0" }, 0],
    ["retry-after-ms wins over retry-after", { "retry-after-ms": "100", "retry-after": "30" }, 100],
    ["retry-after-ms garbage falls back to retry-after", { "retry-after-ms": "soon", "retry-after": "2" }, 2000],
    ["retry-after-ms negative falls back to retry-after", { "retry-after-ms": "-5", "retry-after": "3" }, 3000],
    ["retry-after-ms garbage alone", { "retry-after-ms": "soon" }, undefined],
    ["retry-after-ms negative alone", { "retry-after-ms": "-1" }, undefined],
    ["retry-after seconds", { "retry-after": "20" }, 20_000],
    ["retry-after fractional seconds", { "retry-after": "1.5" }, 1500],
    ["retry-after zero", { "retry-after": "0" }, 0],
    ["retry-after with spaces", { "retry-after": " 7 " }, 7000],
    ["retry-after negative", { "retry-after": "-10" }, undefined],
    ["retry-after garbage", { "retry-after": "soon" }, undefined],
    ["retry-after empty", { "retry-after": "" }, undefined],
    ["retry-after blank", { "retry-after": "   " }, undefined],
    ["retry-after Infinity", { "retry-after": "Infinity" }, undefined],
    ["retry-after HTTP date 30 s ahead", { "retry-after": "Wed, 01 Jan 2025 12:00:30 GMT" }, 30_000],
    ["retry-after HTTP date 2 min ahead", { "retry-after": "Wed, 01 Jan 2025 12:02:00 GMT" }, 120_000],
    ["retry-after HTTP date in the past", { "retry-after": "Wed, 01 Jan 2025 11:59:00 GMT" }, 0],
    ["retry-after HTTP date equal to now", { "retry-after": "Wed, 01 Jan 2025 12:00:00 GMT" }, 0],
    ["header arrays: the first value", { "retry-after": ["4", "9"] }, 4000],
    ["retry-after-ms array", { "retry-after-ms": ["10", "20"] }, 10],
    ["undefined values", { "retry-after-ms": undefined, "retry-after": undefined }, undefined],
  ];
  for (const [name, headers, expected] of cases) {
    test(name, () => assert.equal(retryAfterMs(headers, now), expected));
  }

  test("an HTTP date uses Date.now() when `now` is not passed", () => {
    const future = new Date(Date.now() + 3_600_000).toUTCString();
    const value = retryAfterMs({ "retry-after": future });
    assert.ok(value !== undefined && value > 3_590_000 && value <= 3_600_000, `got ${value}`);
  });
});

describe("backoffMs", () => {
  const zero = () => 0;
  const one = () => 1;
  const half = () => 0.5;

  const schedule: [number, number, number][] = [
    // attempt, random=0, random=1
    [0, 500, 375],
    [1, 1000, 750],
    [2, 2000, 1500],
    [3, 4000, 3000],
    [4, 8000, 6000],
    [5, 8000, 6000],
    [10, 8000, 6000],
  ];
  for (const [attempt, atZero, atOne] of schedule) {
    test(`attempt ${attempt}: ${atZero} ms with random=0, ${atOne} ms with random=1`, () => {
      assert.equal(backoffMs(attempt, undefined, zero), atZero);
      assert.equal(backoffMs(attempt, undefined, one), atOne);
    });
  }

  test("jitter scales linearly: random=0.5 takes 12.5% off", () => {
    assert.equal(backoffMs(0, undefined, half), 437.5);
    assert.equal(backoffMs(2, undefined, half), 1750);
  });

  test("retry-after is honoured up to 60 s", () => {
    assert.equal(backoffMs(0, 0, one), 0);
    assert.equal(backoffMs(0, 1234, one), 1234);
    assert.equal(backoffMs(5, 30_000, zero), 30_000);
    assert.equal(backoffMs(0, 60_000, zero), 60_000);
  });

  test("retry-after above 60 s is ignored for the backoff", () => {
    assert.equal(backoffMs(0, 60_001, zero), 500);
    assert.equal(backoffMs(1, 120_000, one), 750);
    assert.equal(backoffMs(5, 3_600_000, zero), 8000);
  });

  test("random is not called when retry-after is honoured", () => {
    let calls = 0;
    assert.equal(
      backoffMs(0, 100, () => {
        calls++;
        return 0;
      }),
      100,
    );
    assert.equal(calls, 0);
  });

  test("the default random keeps the value within [75%, 100%] of the base", () => {
    for (let i = 0; i < 200; i++) {
      const value = backoffMs(1, undefined);
      assert.ok(value > 750 && value <= 1000, `got ${value}`);
    }
  });

  test("retryAfterMs feeds backoffMs", () => {
    const now = 0;
    assert.equal(backoffMs(0, retryAfterMs({ "retry-after": "2" }, now), zero), 2000);
    assert.equal(backoffMs(0, retryAfterMs({ "retry-after": "120" }, now), zero), 500);
    assert.equal(backoffMs(0, retryAfterMs({ "retry-after": "soon" }, now), zero), 500);
  });
});
