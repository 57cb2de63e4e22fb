/**
 * validateTextCompletion: every rule, each failure checked down to the exact
 * BadRequestError (class, status, type, param, code and message).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { validateTextCompletion } from "../../src/wire/validate.js";
import { BadRequestError } from "../../src/wire/errors.js";

/** What each param allows, as the messages spell it. */
const RULE = {
  model: "a non-empty string naming the model",
  prompt:
    "a string, a non-empty array of strings, a non-empty array of token ids (integers >= 0), or a non-empty array of non-empty token-id arrays",
  best_of: "an integer from 0 to 20, at least n, and not used with stream",
  echo: "a boolean",
  frequency_penalty: "a number from -2 to 2",
  logit_bias: "an object mapping token ids (strings of digits) to numbers from -100 to 100",
  logprobs: "an integer from 0 to 5",
  max_tokens: "an integer >= 0",
  n: "an integer from 1 to 128",
  presence_penalty: "a number from -2 to 2",
  seed: "an integer",
  stop: "a string or an array of 1 to 4 strings",
  stream: "a boolean",
  stream_options: 'an object such as {"include_usage": true}',
  suffix: "a string",
  temperature: "a number from 0 to 2",
  top_p: "a number from 0 to 1",
  user: "a string",
} as const;

type Param = keyof typeof RULE;

const base = { model: "gpt-3.5-turbo-instruct", prompt: "Say hi" };

/** Runs the validator and returns the BadRequestError it must throw. */
function rejection(body: unknown): BadRequestError {
  let caught: unknown;
  try {
    validateTextCompletion(body);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught !== undefined, "expected the body to be rejected");
  assert.ok(caught instanceof BadRequestError, `expected BadRequestError, got ${String(caught)}`);
  assert.equal(caught.status, 400);
  assert.equal(caught.type, "invalid_request_error");
  assert.equal(caught.name, "BadRequestError");
  return caught;
}

/** Asserts `body` is rejected for `param` with exactly `message`. */
function assertRejected(body: unknown, param: Param, message: string): void {
  const error = rejection(body);
  assert.equal(error.param, param);
  assert.equal(error.code, "invalid_value");
  assert.equal(error.message, message);
}

/** The message for a bad value `got` (already as the message shows it). */
function got(param: Param, shown: string, extra = ""): string {
  return `Invalid '${param}': got ${shown}${extra}. It must be ${RULE[param]}.`;
}

function required(param: Param): string {
  return `Invalid '${param}': '${param}' is required. It must be ${RULE[param]}.`;
}

function assertValid(body: Record<string, unknown>): void {
  assert.equal(validateTextCompletion(body), body);
}

describe("validateTextCompletion: the body", () => {
  const cases: [string, unknown, string][] = [
    ["an array", [base], "an array"],
    ["an empty array", [], "an array"],
    ["a string", "hello", '"hello"'],
    ["a JSON string of an object", JSON.stringify(base), JSON.stringify(JSON.stringify(base))],
    ["null", null, "null"],
    ["undefined", undefined, "nothing"],
    ["a number", 42, "42"],
    ["a boolean", true, "true"],
  ];
  for (const [name, body, shown] of cases) {
    test(`rejects ${name}`, () => {
      const error = rejection(body);
      assert.equal(error.param, null);
      assert.equal(error.code, "invalid_body");
      assert.equal(error.message, `The request body must be a JSON object with 'model' and 'prompt'; got ${shown}.`);
    });
  }

  test("a function body is a BadRequestError, not a TypeError", () => {
    const error = rejection(() => base);
    assert.equal(error.code, "invalid_body");
    assert.match(
      error.message,
      /^The request body must be a JSON object with 'model' and 'prompt'; got \(\) => base\.$/,
    );
  });

  test("toBody() of a rejection is OpenAI's error body", () => {
    assert.deepStrictEqual(rejection({ ...base, n: 0 }).toBody(), {
      error: { message: got("n", "0"), type: "invalid_request_error", param: "n", code: "invalid_value" },
    });
  });
});

describe("validateTextCompletion: model", () => {
  test("missing", () => assertRejected({ prompt: "x" }, "model", required("model")));
  test("empty", () => assertRejected({ ...base, model: "" }, "model", got("model", '""')));
  test("a number", () => assertRejected({ ...base, model: 42 }, "model", got("model", "42")));
  test("null", () => assertRejected({ ...base, model: null }, "model", got("model", "null")));
  test("an array", () => assertRejected({ ...base, model: ["gpt"] }, "model", got("model", '["gpt"]')));
  test("model is reported before prompt when both are missing", () => assertRejected({}, "model", required("model")));
});

describe("validateTextCompletion: prompt", () => {
  test("missing", () => assertRejected({ model: "m" }, "prompt", required("prompt")));
  test("empty array", () => assertRejected({ ...base, prompt: [] }, "prompt", got("prompt", "[]")));
  test("mixed [1, 'a']", () => assertRejected({ ...base, prompt: [1, "a"] }, "prompt", got("prompt", '[1,"a"]')));
  test("negative token id", () => assertRejected({ ...base, prompt: [1, -1] }, "prompt", got("prompt", "[1,-1]")));
  test("non-integer token id", () => assertRejected({ ...base, prompt: [1.5] }, "prompt", got("prompt", "[1.5]")));
  test("[[]]", () => assertRejected({ ...base, prompt: [[]] }, "prompt", got("prompt", "[[]]")));
  test("[[1], []]", () => assertRejected({ ...base, prompt: [[1], []] }, "prompt", got("prompt", "[[1],[]]")));
  test("[[-1]]", () => assertRejected({ ...base, prompt: [[-1]] }, "prompt", got("prompt", "[[-1]]")));
  test("[[0.5]]", () => assertRejected({ ...base, prompt: [[0.5]] }, "prompt", got("prompt", "[[0.5]]")));
  test("array of strings and arrays", () =>
    assertRejected({ ...base, prompt: ["a", [1]] }, "prompt", got("prompt", '["a",[1]]')));
  test("a number", () => assertRejected({ ...base, prompt: 42 }, "prompt", got("prompt", "42")));
  test("null", () => assertRejected({ ...base, prompt: null }, "prompt", got("prompt", "null")));
  test("an object", () => assertRejected({ ...base, prompt: { text: "x" } }, "prompt", got("prompt", '{"text":"x"}')));

  for (const prompt of ["", "x", ["a", "b"], [""], [0], [1, 2, 50256], [[0]], [[1], [2, 3]]]) {
    test(`valid: ${JSON.stringify(prompt)}`, () => assertValid({ ...base, prompt }));
  }

  test("a 1 MB string prompt validates and is returned as is", () => {
    const prompt = "a".repeat(1024 * 1024);
    const body = { ...base, prompt };
    const result = validateTextCompletion(body);
    assert.equal(result, body);
    assert.equal(result.prompt, prompt);
  });

  test("a long rejected value is cut to 77 characters plus '...'", () => {
    const long = Array.from({ length: 40 }, (_, i) => i).concat([-1]);
    assertRejected(
      { ...base, prompt: long },
      "prompt",
      got("prompt", "[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28..."),
    );
  });
});

describe("validateTextCompletion: numeric ranges", () => {
  const rejected: [Param, unknown, string][] = [
    ["max_tokens", -1, "-1"],
    ["max_tokens", 1.5, "1.5"],
    ["max_tokens", "16", '"16"'],
    ["n", 0, "0"],
    ["n", 129, "129"],
    ["n", 1.5, "1.5"],
    ["logprobs", -1, "-1"],
    ["logprobs", 6, "6"],
    ["logprobs", 2.5, "2.5"],
    ["temperature", -0.1, "-0.1"],
    ["temperature", 2.1, "2.1"],
    ["temperature", "1", '"1"'],
    ["top_p", 1.1, "1.1"],
    ["top_p", -0.1, "-0.1"],
    ["frequency_penalty", 2.5, "2.5"],
    ["frequency_penalty", -2.5, "-2.5"],
    ["presence_penalty", 2.5, "2.5"],
    ["presence_penalty", -2.5, "-2.5"],
    ["seed", 1.5, "1.5"],
    ["seed", "42", '"42"'],
    ["best_of", 21, "21"],
    ["best_of", -1, "-1"],
    ["best_of", 2.5, "2.5"],
  ];
  for (const [param, value, shown] of rejected) {
    test(`${param}: ${shown} rejected`, () => assertRejected({ ...base, [param]: value }, param, got(param, shown)));
  }

  const accepted: [Param, unknown][] = [
    ["max_tokens", 0],
    ["max_tokens", 4096],
    ["n", 1],
    ["n", 128],
    ["logprobs", 0],
    ["logprobs", 5],
    ["temperature", 0],
    ["temperature", 2],
    ["temperature", 0.7],
    ["top_p", 0],
    ["top_p", 1],
    ["frequency_penalty", -2],
    ["frequency_penalty", 2],
    ["presence_penalty", -2],
    ["presence_penalty", 2],
    ["seed", 0],
    ["seed", -42],
    ["seed", 123456789],
  ];
  for (const [param, value] of accepted) {
    test(`${param}: ${JSON.stringify(value)} accepted`, () => assertValid({ ...base, [param]: value }));
  }

  test("NaN is shown as NaN, not null", () =>
    assertRejected({ ...base, temperature: Number.NaN }, "temperature", got("temperature", "NaN")));
  test("Infinity is shown as Infinity", () =>
    assertRejected({ ...base, max_tokens: Number.POSITIVE_INFINITY }, "max_tokens", got("max_tokens", "Infinity")));
  test("a BigInt is a BadRequestError, not a TypeError", () =>
    assertRejected({ ...base, seed: 1n }, "seed", got("seed", "1")));
});

describe("validateTextCompletion: best_of", () => {
  test("best_of < n", () => assertRejected({ ...base, n: 3, best_of: 2 }, "best_of", got("best_of", "2", " with n=3")));
  test("best_of 0 is below the default n of 1", () =>
    assertRejected({ ...base, best_of: 0 }, "best_of", got("best_of", "0", " with n=1")));
  test("best_of > 1 with stream: true", () =>
    assertRejected({ ...base, best_of: 2, stream: true }, "best_of", got("best_of", "2", " with stream=true")));
  test("best_of < n is reported before stream", () =>
    assertRejected({ ...base, n: 3, best_of: 2, stream: true }, "best_of", got("best_of", "2", " with n=3")));
  test("best_of == n accepted", () => assertValid({ ...base, n: 3, best_of: 3 }));
  test("best_of > n accepted", () => assertValid({ ...base, n: 2, best_of: 20 }));
  test("best_of 1 with stream: true accepted", () => assertValid({ ...base, best_of: 1, stream: true }));
  test("best_of 5 with stream: false accepted", () => assertValid({ ...base, best_of: 5, stream: false }));
  test("best_of with n: null uses n=1", () => assertValid({ ...base, best_of: 1, n: null }));
});

describe("validateTextCompletion: stop", () => {
  test("5 strings rejected", () =>
    assertRejected({ ...base, stop: ["a", "b", "c", "d", "e"] }, "stop", got("stop", '["a","b","c","d","e"]')));
  test("[] rejected", () => assertRejected({ ...base, stop: [] }, "stop", got("stop", "[]")));
  test("non-string entry rejected", () => assertRejected({ ...base, stop: ["a", 1] }, "stop", got("stop", '["a",1]')));
  test("a number rejected", () => assertRejected({ ...base, stop: 1 }, "stop", got("stop", "1")));
  test("5 long strings: message truncated", () =>
    assertRejected(
      { ...base, stop: Array.from({ length: 5 }, () => "x".repeat(20)) },
      "stop",
      got("stop", '["xxxxxxxxxxxxxxxxxxxx","xxxxxxxxxxxxxxxxxxxx","xxxxxxxxxxxxxxxxxxxx","xxxxxx...'),
    ));
  for (const stop of ["\n", "", ["a"], ["a", "b"], ["a", "b", "c"], ["a", "b", "c", "d"]]) {
    test(`${JSON.stringify(stop)} accepted`, () => assertValid({ ...base, stop }));
  }
});

describe("validateTextCompletion: logit_bias", () => {
  test('key "abc" rejected', () =>
    assertRejected({ ...base, logit_bias: { abc: 1 } }, "logit_bias", got("logit_bias", '{"abc":1}')));
  test('key "-1" rejected', () =>
    assertRejected({ ...base, logit_bias: { "-1": 1 } }, "logit_bias", got("logit_bias", '{"-1":1}')));
  test("value 101 rejected", () =>
    assertRejected({ ...base, logit_bias: { "50256": 101 } }, "logit_bias", got("logit_bias", '{"50256":101}')));
  test("value -101 rejected", () =>
    assertRejected({ ...base, logit_bias: { "1": -101 } }, "logit_bias", got("logit_bias", '{"1":-101}')));
  test("string value rejected", () =>
    assertRejected({ ...base, logit_bias: { "1": "5" } }, "logit_bias", got("logit_bias", '{"1":"5"}')));
  test("an array rejected", () => assertRejected({ ...base, logit_bias: [1] }, "logit_bias", got("logit_bias", "[1]")));
  test("bounds and empty object accepted", () => {
    assertValid({ ...base, logit_bias: { "50256": -100, "1": 100, "2": 0.5 } });
    assertValid({ ...base, logit_bias: {} });
  });
});

describe("validateTextCompletion: booleans, strings and objects", () => {
  const rejected: [Param, unknown, string][] = [
    ["echo", "true", '"true"'],
    ["echo", 1, "1"],
    ["stream", "yes", '"yes"'],
    ["stream", 0, "0"],
    ["suffix", 1, "1"],
    ["user", 42, "42"],
    ["stream_options", "yes", '"yes"'],
    ["stream_options", { include_usage: "yes" }, '{"include_usage":"yes"}'],
  ];
  for (const [param, value, shown] of rejected) {
    test(`${param}: ${shown} rejected`, () => assertRejected({ ...base, [param]: value }, param, got(param, shown)));
  }

  test("a function value is a BadRequestError, not a TypeError", () =>
    assertRejected({ ...base, stream: () => true }, "stream", got("stream", "() => true")));

  test("booleans, strings and stream_options accepted", () => {
    assertValid({
      ...base,
      echo: true,
      stream: false,
      suffix: "",
      user: "user-1",
      stream_options: { include_usage: true, include_obfuscation: false },
    });
    assertValid({ ...base, stream: true, stream_options: {} });
  });

  test("user: null is rejected (OpenAI's spec types user as a plain string)", () =>
    assertRejected({ ...base, user: null }, "user", got("user", "null")));
});

describe("validateTextCompletion: nulls, extras and identity", () => {
  const nullable = [
    "best_of",
    "echo",
    "frequency_penalty",
    "logit_bias",
    "logprobs",
    "max_tokens",
    "n",
    "presence_penalty",
    "seed",
    "stop",
    "stream",
    "stream_options",
    "suffix",
    "temperature",
    "top_p",
  ] as const;
  for (const param of nullable) {
    test(`${param}: null accepted`, () => assertValid({ ...base, [param]: null }));
  }

  test("every nullable param null at once accepted", () => {
    assertValid({ ...base, ...Object.fromEntries(nullable.map((param) => [param, null])) });
  });

  test("unknown extra keys accepted and the same object returned", () => {
    const body = { ...base, top_k: 40, repetition_penalty: 1.1, extra_body: { a: [1] }, min_p: null };
    const snapshot = structuredClone(body);
    const result = validateTextCompletion(body);
    assert.equal(result, body);
    assert.deepStrictEqual(body, snapshot);
    assert.equal(result.top_k, 40);
  });

  test("a full valid request is returned unchanged", () => {
    const body = {
      model: "gpt-3.5-turbo-instruct",
      prompt: ["a", "b"],
      best_of: 4,
      echo: true,
      frequency_penalty: 0.5,
      logit_bias: { "50256": -100 },
      logprobs: 3,
      max_tokens: 16,
      n: 2,
      presence_penalty: -0.5,
      seed: 7,
      stop: ["\n", "END"],
      stream: false,
      suffix: "!",
      temperature: 1,
      top_p: 0.9,
      user: "u",
    };
    const snapshot = structuredClone(body);
    assert.equal(validateTextCompletion(body), body);
    assert.deepStrictEqual(body, snapshot);
  });
});
