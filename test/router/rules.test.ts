/**
 * The Router's rules, one by one, on a real Router with one MockUpstream per deployment:
 * retries across deployments, retry_policy, retry-after, fallbacks of every kind,
 * cooldowns, rpm/tpm limits, aliases and wildcards, and streams. Randomness is scripted
 * (`sequence(0)` always picks the first candidate) and time is a fake clock.
 */
import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import type { LitellmParams, ModelEntry } from "../../src/config/index.js";
import { Router, type RouterOptions } from "../../src/router/router.js";
import { MemoryState } from "../../src/state/memory-state.js";
import type { TextCompletion } from "../../src/wire/completions.js";
import {
  APIConnectionError,
  AuthenticationError,
  BadRequestError,
  ContentPolicyViolationError,
  ContextWindowExceededError,
  InternalServerError,
  RateLimitError,
  ServiceUnavailableError,
  Timeout,
} from "../../src/wire/errors.js";
import { collect, completionAnswer, rejection, streamChunks } from "../helpers/fixtures.js";
import { type Handler, type MockUpstream, sse } from "../helpers/mock-upstream.js";
import {
  answer,
  Clock,
  closeMocks,
  counts,
  cutAfterFirstChunk,
  cutBeforeFirstChunk,
  deployment,
  failure,
  hang,
  PROMPT,
  resetMocks,
  sequence,
  startMocks,
  stream,
  Trace,
} from "../helpers/router.js";

let m: MockUpstream[];
before(async () => {
  m = await startMocks(6);
});
afterEach(() => resetMocks(m));
after(() => closeMocks(m));

/** Deployment `id` of `group` on mock number `index`. */
function dep(group: string, id: string, index: number, params: Partial<LitellmParams> = {}): ModelEntry {
  return deployment(group, id, m[index] as MockUpstream, params);
}

/** Group "g" with deployments a, b, c, ... on mocks 0, 1, 2, ... */
function g(n: number, params: Partial<LitellmParams> = {}): ModelEntry[] {
  return Array.from({ length: n }, (_, i) => dep("g", "abcdef"[i] as string, i, params));
}

function router(modelList: ModelEntry[], clock: Clock, options: Omit<RouterOptions, "model_list"> = {}): Router {
  return Router.fromLiteLLM({ model_list: modelList, now: clock.now, random: sequence(0), ...options });
}

function complete(r: Router, trace?: Trace, model = "g", extra: Record<string, unknown> = {}): Promise<TextCompletion> {
  return r.textCompletion({ model, ...PROMPT, ...extra }, trace === undefined ? {} : { trace });
}

/** Sends one request and returns the id of the deployment that answered, or the error's status. */
async function served(r: Router, model = "g"): Promise<string | number> {
  const trace = new Trace();
  try {
    await complete(r, trace, model);
    return trace.tried.at(-1) as string;
  } catch (error) {
    return (error as { status: number }).status;
  }
}

async function servedMany(r: Router, n: number, model = "g"): Promise<(string | number)[]> {
  const results: (string | number)[] = [];
  for (let i = 0; i < n; i += 1) results.push(await served(r, model));
  return results;
}

const CONTEXT_WINDOW = failure(400, {
  message:
    "This model's maximum context length is 4097 tokens, however you requested 9000 tokens. Please reduce your prompt; or completion length.",
  type: "invalid_request_error",
  param: "messages",
  code: "context_length_exceeded",
});

describe("retries across deployments (num_retries)", () => {
  test("a retry goes to another deployment; the failed one is not picked again for that request", async () => {
    m[0]?.always(failure(500));
    m[1]?.always(failure(503));
    const trace = new Trace();
    const answered = await complete(router(g(3), new Clock(), { num_retries: 2 }), trace);
    assert.deepEqual(answered, completionAnswer());
    // sequence(0) picks the first candidate every time: a, then b, could only move on by exclusion.
    assert.deepEqual(trace.tried, ["a", "b", "c"]);
    assert.equal(trace.retries, 2);
    assert.deepEqual(counts(m), [1, 1, 1, 0, 0, 0]);
  });

  test("without num_retries the first failure is the answer", async () => {
    m[0]?.always(failure(500));
    const error = await rejection(complete(router(g(2), new Clock())));
    assert.ok(error instanceof InternalServerError);
    assert.equal(error.message, "upstream says 500");
    assert.deepEqual(counts(m), [1, 0, 0, 0, 0, 0]);
  });

  test("retries stop at num_retries, with the last failure as the answer", async () => {
    for (const [i, mock] of m.entries()) mock.always(failure(500, { message: `deployment ${i} is down` }));
    const trace = new Trace();
    const error = await rejection(complete(router(g(4), new Clock(), { num_retries: 2 }), trace));
    assert.equal(error.message, "deployment 2 is down");
    assert.deepEqual(trace.tried, ["a", "b", "c"]);
    assert.deepEqual(counts(m), [1, 1, 1, 0, 0, 0]);
  });

  test("a lone deployment is retried on itself (no other exists)", async () => {
    m[0]?.enqueue(failure(500), failure(502));
    const trace = new Trace();
    assert.deepEqual(await complete(router(g(1), new Clock(), { num_retries: 2 }), trace), completionAnswer());
    assert.deepEqual(trace.tried, ["a", "a", "a"]);
    assert.equal(trace.retries, 2);
  });

  test("once every deployment failed for the request, retries go round them again", async () => {
    m[0]?.enqueue(failure(500));
    m[1]?.enqueue(failure(500));
    const trace = new Trace();
    await complete(router(g(2), new Clock(), { num_retries: 3 }), trace);
    assert.deepEqual(trace.tried, ["a", "b", "a"]);
    assert.deepEqual(counts(m), [2, 1, 0, 0, 0, 0]);
  });
});

describe("retry_policy", () => {
  test("BadRequestErrorRetries 0: a 400 is not retried, whatever num_retries says", async () => {
    m[0]?.always(failure(400, { type: "invalid_request_error" }));
    const error = await rejection(
      complete(router(g(2), new Clock(), { num_retries: 3, retry_policy: { BadRequestErrorRetries: 0 } })),
    );
    assert.ok(error instanceof BadRequestError);
    assert.deepEqual(counts(m), [1, 0, 0, 0, 0, 0]);
  });

  test("BadRequestErrorRetries 1: a 400, never retried by default, is retried once", async () => {
    m[0]?.always(failure(400));
    m[1]?.always(failure(400));
    const clock = new Clock();
    const error = await rejection(complete(router(g(3), clock, { num_retries: 3 })));
    assert.ok(error instanceof BadRequestError);
    assert.deepEqual(counts(m), [1, 0, 0, 0, 0, 0]);
    const trace = new Trace();
    await rejection(complete(router(g(3), clock, { retry_policy: { BadRequestErrorRetries: 1 } }), trace));
    assert.deepEqual(trace.tried, ["a", "b"]);
  });

  test("RateLimitErrorRetries 3 with num_retries 0: three retries on 429s, no more", async () => {
    for (const mock of m) mock.always(failure(429, { message: "Rate limit reached" }));
    const trace = new Trace();
    const error = await rejection(
      complete(router(g(5), new Clock(), { retry_policy: { RateLimitErrorRetries: 3 } }), trace),
    );
    assert.ok(error instanceof RateLimitError);
    assert.equal(error.message, "Rate limit reached");
    assert.deepEqual(trace.tried, ["a", "b", "c", "d"]);
    assert.deepEqual(counts(m), [1, 1, 1, 1, 0, 0]);
  });

  test("InternalServerErrorRetries 0 wins over num_retries for a 500, and only for it", async () => {
    m[0]?.enqueue(failure(500), failure(429));
    const r = router(g(2), new Clock(), {
      num_retries: 3,
      retry_policy: { InternalServerErrorRetries: 0 },
      disable_cooldowns: true,
    });
    await rejection(complete(r));
    assert.deepEqual(counts(m), [1, 0, 0, 0, 0, 0]);
    const trace = new Trace();
    await complete(r, trace);
    assert.deepEqual(trace.tried, ["a", "b"]);
  });
});

describe("waiting before a retry", () => {
  /** Ms between a's failure and b's request. */
  /** A lone deployment fails once, then answers: the time between the two is the wait. */
  async function gap(failing: Handler, options: Omit<RouterOptions, "model_list"> = {}): Promise<number> {
    let failedAt = 0;
    let retriedAt = 0;
    m[0]?.enqueue(
      (req, res, raw) => {
        failedAt = performance.now();
        return failing(req, res, raw);
      },
      answer(() => {
        retriedAt = performance.now();
      }),
    );
    await complete(router(g(1), new Clock(), { num_retries: 1, disable_cooldowns: true, ...options }));
    return retriedAt - failedAt;
  }

  test("a retry on another, healthy deployment goes at once: no backoff delays the failover", async () => {
    let failedAt = 0;
    let retriedAt = 0;
    m[0]?.always((req, res, raw) => {
      failedAt = performance.now();
      return failure(500)(req, res, raw);
    });
    m[1]?.always(
      answer(() => {
        retriedAt = performance.now();
      }),
    );
    await complete(router(g(2), new Clock(), { num_retries: 1 }));
    assert.ok(retriedAt - failedAt < 200, `waited ${retriedAt - failedAt} ms`);
  });

  test("the failed deployment's retry-after-ms is honoured", async () => {
    const waited = await gap(failure(429, {}, { "retry-after-ms": "250" }));
    assert.ok(waited >= 245 && waited < 1_500, `waited ${waited} ms`);
  });

  test("a tiny retry-after-ms replaces the default backoff", async () => {
    const waited = await gap(failure(503, {}, { "retry-after-ms": "1" }));
    assert.ok(waited < 450, `waited ${waited} ms`);
  });

  test("without retry-after: exponential backoff, 500 ms for the first retry with the jitter draw at 0", async () => {
    const waited = await gap(failure(500, {}, {}));
    assert.ok(waited >= 495 && waited < 1_500, `waited ${waited} ms`);
  });
});

describe("fallbacks", () => {
  test("a chain: a's retries first, then b (with its own retry), then b's fallback c", async () => {
    m[0]?.always(failure(500));
    m[1]?.always(failure(500));
    m[2]?.always(failure(500));
    const model_list = [dep("a", "a1", 0), dep("a", "a2", 1), dep("b", "b1", 2), dep("c", "c1", 3)];
    const trace = new Trace();
    const r = router(model_list, new Clock(), { num_retries: 1, fallbacks: [{ a: ["b"] }, { b: ["c"] }] });
    assert.deepEqual(await complete(r, trace, "a"), completionAnswer());
    assert.deepEqual(trace.tried, ["a1", "a2", "b1", "b1", "c1"]);
    assert.equal(trace.retries, 2);
    assert.equal(trace.fallbacks, 2);
    assert.deepEqual(counts(m), [1, 1, 2, 1, 0, 0]);
  });

  test("every fallback group tried is counted, and a group's fallbacks are tried in order", async () => {
    m[0]?.always(failure(500));
    m[1]?.always(failure(500));
    const model_list = [dep("a", "a1", 0), dep("b", "b1", 1), dep("c", "c1", 2)];
    const trace = new Trace();
    await complete(router(model_list, new Clock(), { fallbacks: [{ a: ["b", "c"] }] }), trace, "a");
    assert.deepEqual(trace.tried, ["a1", "b1", "c1"]);
    assert.equal(trace.retries, 0);
    assert.equal(trace.fallbacks, 2);
  });

  test("default_fallbacks serve groups without fallbacks of their own; a group's own win", async () => {
    m[0]?.always(failure(500));
    m[1]?.always(failure(500));
    const model_list = [dep("a", "a1", 0), dep("b", "b1", 1), dep("c", "c1", 2), dep("d", "d1", 3)];
    const r = router(model_list, new Clock(), { fallbacks: [{ b: ["c"] }], default_fallbacks: ["d"] });
    assert.equal(await served(r, "a"), "d1");
    assert.equal(await served(r, "b"), "c1");
    assert.deepEqual(counts(m), [1, 1, 1, 1, 0, 0]);
  });

  test("context_window_fallbacks on a context_length_exceeded 400; the generic fallbacks are not used for it", async () => {
    m[0]?.always(CONTEXT_WINDOW);
    const model_list = [dep("small", "s1", 0), dep("big", "b1", 1), dep("other", "o1", 2)];
    const trace = new Trace();
    const r = router(model_list, new Clock(), {
      num_retries: 2,
      context_window_fallbacks: [{ small: ["big"] }],
      fallbacks: [{ small: ["other"] }],
    });
    await complete(r, trace, "small");
    assert.deepEqual(trace.tried, ["s1", "b1"]);
    assert.equal(trace.fallbacks, 1);
    // Without context_window_fallbacks the error is the answer: no retry, no generic fallback.
    const error = await rejection(
      complete(
        router(model_list, new Clock(), { num_retries: 2, fallbacks: [{ small: ["other"] }] }),
        undefined,
        "small",
      ),
    );
    assert.ok(error instanceof ContextWindowExceededError);
    assert.equal(error.status, 400);
    assert.deepEqual(counts(m), [2, 1, 0, 0, 0, 0]);
  });

  test("content_policy_fallbacks on Azure's content_filter 400", async () => {
    m[0]?.always(
      failure(400, {
        message: "The response was filtered due to the prompt triggering Azure OpenAI's content management policy.",
        type: null,
        param: "prompt",
        code: "content_filter",
        status: 400,
        innererror: {
          code: "ResponsibleAIPolicyViolation",
          content_filter_result: { hate: { filtered: true, severity: "high" } },
        },
      }),
    );
    const model_list: ModelEntry[] = [
      {
        model_name: "azure",
        litellm_params: {
          model: "azure_text/my-deployment",
          api_base: m[0]?.url,
          api_key: "sk-x",
          api_version: "2024-10-21",
        },
        model_info: { id: "az" },
      },
      dep("safe", "s1", 1),
      dep("other", "o1", 2),
    ];
    const trace = new Trace();
    const r = router(model_list, new Clock(), {
      content_policy_fallbacks: [{ azure: ["safe"] }],
      fallbacks: [{ azure: ["other"] }],
    });
    await complete(r, trace, "azure");
    assert.deepEqual(trace.tried, ["az", "s1"]);
    assert.equal(m[0]?.requests[0]?.path, "/openai/deployments/my-deployment/completions");
    const error = await rejection(complete(router(model_list, new Clock()), undefined, "azure"));
    assert.ok(error instanceof ContentPolicyViolationError);
    assert.deepEqual(counts(m), [2, 1, 0, 0, 0, 0]);
  });

  test("max_fallbacks caps the fallback groups tried", async () => {
    for (const [i, mock] of m.entries()) mock.always(failure(500, { message: `group ${i} is down` }));
    const model_list = [dep("a", "a1", 0), dep("b", "b1", 1), dep("c", "c1", 2), dep("d", "d1", 3)];
    const trace = new Trace();
    const error = await rejection(
      complete(router(model_list, new Clock(), { fallbacks: [{ a: ["b", "c", "d"] }], max_fallbacks: 2 }), trace, "a"),
    );
    assert.equal(error.message, "group 2 is down");
    assert.deepEqual(trace.tried, ["a1", "b1", "c1"]);
    assert.equal(trace.fallbacks, 2);
    assert.deepEqual(counts(m), [1, 1, 1, 0, 0, 0]);
  });

  test("max_fallbacks also caps chained fallbacks", async () => {
    for (const mock of m) mock.always(failure(500));
    const model_list = [dep("a", "a1", 0), dep("b", "b1", 1), dep("c", "c1", 2), dep("d", "d1", 3)];
    const trace = new Trace();
    await rejection(
      complete(
        router(model_list, new Clock(), { fallbacks: [{ a: ["b"] }, { b: ["c"] }, { c: ["d"] }], max_fallbacks: 2 }),
        trace,
        "a",
      ),
    );
    assert.deepEqual(trace.tried, ["a1", "b1", "c1"]);
  });

  test("per-request fallbacks in the body, which never reach the upstream", async () => {
    m[0]?.always(failure(500));
    const model_list = [dep("a", "a1", 0), dep("b", "b1", 1)];
    const trace = new Trace();
    await complete(router(model_list, new Clock()), trace, "a", { fallbacks: ["b"] });
    assert.deepEqual(trace.tried, ["a1", "b1"]);
    assert.deepEqual(m[1]?.requests[0]?.json, { model: "gpt-3.5-turbo-instruct", ...PROMPT });
    assert.deepEqual(m[0]?.requests[0]?.json, { model: "gpt-3.5-turbo-instruct", ...PROMPT });
  });

  test("the caller's own 400 does not fall back", async () => {
    m[0]?.always(failure(400));
    const model_list = [dep("a", "a1", 0), dep("b", "b1", 1)];
    await rejection(
      complete(
        router(model_list, new Clock(), { fallbacks: [{ a: ["b"] }], default_fallbacks: ["b"] }),
        undefined,
        "a",
      ),
    );
    assert.deepEqual(counts(m), [1, 0, 0, 0, 0, 0]);
  });

  test("a group whose deployments all cool down falls back without calling them", async () => {
    const clock = new Clock();
    const state = new MemoryState();
    state.setCooldown("a1", { until: clock.t + 1_000, cause: "failure" });
    const model_list = [dep("a", "a1", 0), dep("b", "b1", 1)];
    const trace = new Trace();
    await complete(router(model_list, clock, { state, fallbacks: [{ a: ["b"] }] }), trace, "a");
    assert.deepEqual(trace.tried, ["b1"]);
    assert.equal(trace.fallbacks, 1);
    assert.deepEqual(counts(m), [0, 1, 0, 0, 0, 0]);
  });
});

describe("cooldowns", () => {
  test("allowed_fails: the (allowed_fails + 1)th failure in a minute cools down for cooldown_time, then it serves again", async () => {
    const clock = new Clock();
    m[0]?.always(failure(500));
    const r = router(g(2), clock, { allowed_fails: 1, cooldown_time: 2 });
    assert.deepEqual(await servedMany(r, 2), [500, 500]);
    assert.deepEqual(r.cooldownOf(r.deployments[0]!), { until: Clock.START + 2_000, cause: "failure" });
    assert.deepEqual(await servedMany(r, 2), ["b", "b"]);
    clock.advance(1_999);
    assert.equal(await served(r), "b");
    clock.advance(1);
    assert.equal(r.cooldownOf(r.deployments[0]!), undefined);
    m[0]?.always(answer());
    assert.equal(await served(r), "a");
    assert.deepEqual(counts(m), [3, 3, 0, 0, 0, 0]);
  });

  test("allowed_fails counts failures per minute", async () => {
    const clock = new Clock();
    m[0]?.enqueue(failure(500), failure(500));
    const r = router(g(2), clock, { allowed_fails: 1 });
    assert.equal(await served(r), 500);
    clock.advance(60_000);
    assert.equal(await served(r), 500); // the first failure of this minute
    assert.equal(await served(r), "a");
  });

  test("a 429 cools down at once, for cooldown_time or the upstream's longer retry-after", async () => {
    const clock = new Clock();
    m[0]?.enqueue(failure(429));
    const r = router(g(2), clock, { cooldown_time: 5 });
    assert.deepEqual(await servedMany(r, 2), [429, "b"]);
    assert.deepEqual(r.cooldownOf(r.deployments[0]!), { until: Clock.START + 5_000, cause: "rate_limit" });
    clock.advance(5_000);
    m[0]?.enqueue(failure(429, {}, { "retry-after": "30" }));
    assert.deepEqual(await servedMany(r, 2), [429, "b"]);
    assert.deepEqual(r.cooldownOf(r.deployments[0]!), { until: Clock.START + 35_000, cause: "rate_limit" });
  });

  test("401 and 404 cool down at once", async () => {
    const clock = new Clock();
    m[0]?.enqueue(failure(401));
    m[1]?.enqueue(failure(404));
    const r = router(g(3), clock, { cooldown_time: 5 });
    assert.deepEqual(await servedMany(r, 3), [401, 404, "c"]);
    assert.deepEqual(r.cooldownOf(r.deployments[0]!), { until: Clock.START + 5_000, cause: "failure" });
    assert.deepEqual(r.cooldownOf(r.deployments[1]!), { until: Clock.START + 5_000, cause: "failure" });
  });

  test("with num_retries, a 401 or 404 from one deployment is retried on another of the group", async () => {
    m[0]?.enqueue(failure(401));
    m[1]?.enqueue(failure(404));
    const r = router(g(3), new Clock(), { num_retries: 2 });
    assert.equal(await served(r), "c");
    assert.deepEqual(counts(m), [1, 1, 1, 0, 0, 0]);
  });

  test("a 400 never cools down, even with allowed_fails 0", async () => {
    m[0]?.always(failure(400));
    const r = router(g(2), new Clock(), { allowed_fails: 0 });
    assert.deepEqual(await servedMany(r, 4), [400, 400, 400, 400]);
    assert.equal(r.cooldownOf(r.deployments[0]!), undefined);
    assert.deepEqual(counts(m), [4, 0, 0, 0, 0, 0]);
  });

  test("disable_cooldowns: 429s and 500s cool nothing down", async () => {
    m[0]?.enqueue(failure(429), failure(500), failure(500));
    const r = router(g(2), new Clock(), { disable_cooldowns: true, allowed_fails: 0 });
    assert.deepEqual(await servedMany(r, 4), [429, 500, 500, "a"]);
    assert.equal(r.cooldownOf(r.deployments[0]!), undefined);
  });

  test("allowed_fails_policy per error class", async () => {
    const clock = new Clock();
    m[0]?.always(failure(500));
    const strict = router(g(2), clock, {
      allowed_fails: 5,
      allowed_fails_policy: { InternalServerErrorAllowedFails: 0 },
    });
    assert.deepEqual(await servedMany(strict, 2), [500, "b"]);
    m[0]?.always(failure(429));
    const lenient = router(g(2), clock, { allowed_fails_policy: { RateLimitErrorAllowedFails: 2 } });
    assert.deepEqual(await servedMany(lenient, 4), [429, 429, 429, "b"]);
    assert.equal(lenient.cooldownOf(lenient.deployments[0]!)?.cause, "rate_limit");
  });

  test("disable_panic_routing, every deployment cooling down after rate limits: 429 naming the group and when the first frees up", async () => {
    const clock = new Clock();
    m[0]?.enqueue(failure(429));
    m[1]?.enqueue(failure(429));
    const r = router(g(2), clock, { cooldown_time: 5, disable_panic_routing: true });
    assert.equal(await served(r), 429); // a, until +5 s
    clock.advance(2_000);
    assert.equal(await served(r), 429); // b, until +7 s
    clock.advance(1_000);
    const error = await rejection(complete(r));
    assert.ok(error instanceof RateLimitError);
    assert.equal(error.status, 429);
    assert.equal(
      error.message,
      "Every deployment of 'g' is cooling down after rate limits; the first frees up in 2 s.",
    );
    assert.equal(error.retryAfter, 2);
    assert.equal(error.code, "no_deployment_available");
    assert.deepEqual(counts(m), [1, 1, 0, 0, 0, 0]);
    clock.advance(2_000);
    assert.equal(await served(r), "a");
  });

  test("disable_panic_routing, every deployment cooling down after failures: 503", async () => {
    const clock = new Clock();
    m[0]?.enqueue(failure(401));
    m[1]?.enqueue(failure(500));
    const r = router(g(2), clock, { cooldown_time: 5, allowed_fails: 0, disable_panic_routing: true });
    assert.deepEqual(await servedMany(r, 2), [401, 500]);
    clock.advance(500);
    const error = await rejection(complete(r));
    assert.ok(error instanceof ServiceUnavailableError);
    assert.equal(error.status, 503);
    assert.equal(error.message, "Every deployment of 'g' is cooling down after failures; the first frees up in 5 s.");
    assert.equal(error.retryAfter, 5);
  });

  test("fallback deployments count their failures and cool down too", async () => {
    m[0]?.always(failure(500));
    m[1]?.enqueue(failure(429));
    const model_list = [dep("a", "a1", 0), dep("b", "b1", 1), dep("b", "b2", 2)];
    const r = router(model_list, new Clock(), { fallbacks: [{ a: ["b"] }], cooldown_time: 5 });
    assert.equal(await served(r, "a"), 429);
    assert.equal(r.cooldownOf(r.deployments[1]!)?.cause, "rate_limit");
    assert.equal(await served(r, "b"), "b2");
    assert.equal(await served(r, "a"), "b2");
  });
});

describe("never amplifying failures", () => {
  test("a group's only deployment is never cooled down: after a 429 the next request gets the provider's answer", async () => {
    m[0]?.enqueue(failure(429, {}, { "retry-after": "20" }), failure(401), failure(500));
    const r = router(g(1), new Clock(), { allowed_fails: 0 });
    assert.deepEqual(await servedMany(r, 4), [429, 401, 500, "a"]);
    assert.equal(r.cooldownOf(r.deployments[0]!), undefined);
    assert.deepEqual(counts(m), [4, 0, 0, 0, 0, 0]);
  });

  test("panic routing: every deployment cooling down, the request goes to the one whose cooldown ends first", async () => {
    const clock = new Clock();
    m[0]?.enqueue(failure(429));
    m[1]?.enqueue(failure(429));
    m[2]?.enqueue(failure(500));
    const r = router(g(3), clock, { cooldown_time: 5, allowed_fails: 0 });
    assert.equal(await served(r), 429); // a until +5 s
    clock.advance(1_000);
    assert.equal(await served(r), 429); // b until +6 s
    clock.advance(1_000);
    assert.equal(await served(r), 500); // c until +7 s
    assert.equal(await served(r), "a");
    assert.deepEqual(counts(m), [2, 1, 1, 0, 0, 0]);
  });

  test("panic routing: a retry goes to another cooling deployment before one it already tried", async () => {
    const clock = new Clock();
    const state = new MemoryState();
    state.setCooldown("a", { until: clock.t + 1_000, cause: "failure" });
    state.setCooldown("b", { until: clock.t + 2_000, cause: "failure" });
    m[0]?.enqueue(failure(500));
    const trace = new Trace();
    await complete(router(g(2), clock, { state, num_retries: 1 }), trace);
    assert.deepEqual(trace.tried, ["a", "b"]);
  });

  test("panic routing never passes a configured rpm: all at their limit or cooling is still a 429", async () => {
    const clock = new Clock();
    const state = new MemoryState();
    state.setCooldown("b", { until: clock.t + 5_000, cause: "rate_limit" });
    const r = router([dep("g", "a", 0, { rpm: 1 }), dep("g", "b", 1, { rpm: 1 })], clock, { state });
    assert.equal(await served(r), "a");
    assert.equal(await served(r), "b"); // a at its rpm, b cooling: b
    const error = await rejection(complete(r));
    assert.ok(error instanceof RateLimitError);
    assert.equal(error.code, "rate_limit_exceeded");
  });

  test("failure rate: more than half of at least 5 calls this minute cools a deployment down", async () => {
    const clock = new Clock();
    const r = router(g(2), clock, { cooldown_time: 5 });
    m[0]?.enqueue(answer(), answer(), failure(500), failure(500), failure(500));
    // a: ok, ok, 500 (1/3), 500 (2/4): still in; 500 (3/5 > 50%): cooled.
    assert.deepEqual(await servedMany(r, 5), ["a", "a", 500, 500, 500]);
    assert.deepEqual(r.cooldownOf(r.deployments[0]!), { until: Clock.START + 5_000, cause: "failure" });
    assert.deepEqual(await servedMany(r, 2), ["b", "b"]);
  });

  test("failure rate: failing at half the calls or fewer never cools without allowed_fails", async () => {
    const clock = new Clock();
    const r = router(g(2), clock, { cooldown_time: 5 });
    for (let i = 0; i < 10; i += 1) m[0]?.enqueue(i % 2 === 1 ? failure(500) : answer());
    assert.deepEqual(await servedMany(r, 10), ["a", 500, "a", 500, "a", 500, "a", 500, "a", 500]);
    assert.equal(r.cooldownOf(r.deployments[0]!), undefined);
  });

  test("a stream that fails after its first chunk counts as a failure of its deployment", async () => {
    const clock = new Clock();
    m[0]?.always(cutAfterFirstChunk("Hello"));
    const r = router(g(2), clock, { allowed_fails: 0 });
    const s = await r.textCompletion({ model: "g", ...PROMPT, stream: true });
    await rejection(collect(s));
    assert.equal(r.cooldownOf(r.deployments[0]!)?.cause, "failure");
  });

  test("a 429 or 503 that leaves without an upstream retry-after gets one: the cooldown's, else 1 s", async () => {
    m[0]?.enqueue(failure(429, {}, {}));
    const lone = await rejection(complete(router(g(1), new Clock())));
    assert.ok(lone instanceof RateLimitError);
    assert.equal(lone.retryAfter, 1);
    m[0]?.enqueue(failure(503, {}, {}));
    const cooled = await rejection(complete(router(g(2), new Clock(), { allowed_fails: 0, cooldown_time: 9 })));
    assert.ok(cooled instanceof ServiceUnavailableError);
    assert.equal(cooled.retryAfter, 9);
  });

  test("a long upstream retry-after is not waited out inside the request: the 429 goes back at once", async () => {
    m[0]?.enqueue(failure(429, {}, { "retry-after": "30" }));
    const started = performance.now();
    const error = await rejection(complete(router(g(1), new Clock(), { num_retries: 2 })));
    assert.ok(error instanceof RateLimitError);
    assert.equal(error.retryAfter, 30);
    assert.ok(performance.now() - started < 1_000);
    assert.deepEqual(counts(m), [1, 0, 0, 0, 0, 0]);
  });
});

describe("rpm and tpm limits", () => {
  test("a deployment at its rpm is skipped; all at their rpm: 429 with retry-after until the minute ends", async () => {
    const clock = new Clock();
    const r = router(
      g(2).map((d, i) => ({ ...d, litellm_params: { ...d.litellm_params, rpm: i + 1 } })),
      clock,
    );
    assert.deepEqual(await servedMany(r, 3), ["a", "b", "b"]);
    const error = await rejection(complete(r));
    assert.ok(error instanceof RateLimitError);
    assert.equal(
      error.message,
      "Every deployment of 'g' is at its rate limit or cooling down after one; the first frees up in 45 s.",
    );
    assert.equal(error.retryAfter, 45);
    assert.equal(error.code, "rate_limit_exceeded");
    assert.deepEqual(counts(m), [1, 2, 0, 0, 0, 0]);
    clock.advance(44_999);
    assert.equal(await served(r), 429);
    clock.advance(1);
    assert.equal(await served(r), "a");
  });

  test("tpm: a deployment whose tokens this minute reached its tpm is skipped", async () => {
    const clock = new Clock();
    // Each answer counts 12 tokens: two answers put a deployment over a tpm of 20.
    const r = router(g(2, { tpm: 20 }), clock);
    assert.deepEqual(await servedMany(r, 5), ["a", "a", "b", "b", 429]);
    clock.advance(30_000);
    const error = await rejection(complete(r));
    assert.equal((error as RateLimitError).retryAfter, 15);
    clock.advance(15_000);
    assert.equal(await served(r), "a");
  });

  test("tpm: tokens of a stream count once its usage chunk shows them", async () => {
    const usage = { prompt_tokens: 15, completion_tokens: 10, total_tokens: 25 };
    const chunks = streamChunks(["x"]);
    m[0]?.always((_req, res) => sse(res, [...chunks, { ...chunks[0], choices: [], usage }, "[DONE]"]));
    m[1]?.always(answer());
    const clock = new Clock();
    const r = router(g(2, { tpm: 20 }), clock);
    const stream = await r.textCompletion({
      model: "g",
      ...PROMPT,
      stream: true,
      stream_options: { include_usage: true },
    });
    for await (const chunk of stream) void chunk;
    // 25 tokens put "a" over its tpm of 20: the next request goes to "b".
    assert.equal(await served(r), "b");
  });

  test("a group at its limits falls back", async () => {
    const model_list = [dep("a", "a1", 0, { rpm: 1 }), dep("b", "b1", 1)];
    const r = router(model_list, new Clock(), { fallbacks: [{ a: ["b"] }] });
    assert.deepEqual(await servedMany(r, 3, "a"), ["a1", "b1", "b1"]);
  });
});

describe("model_group_alias and wildcards", () => {
  test("an alias serves its group; a hidden one too, without being listed", async () => {
    const r = router([dep("g", "a", 0)], new Clock(), {
      model_group_alias: { "gpt-4": "g", secret: { model: "g", hidden: true } },
    });
    assert.deepEqual(await servedMany(r, 2, "gpt-4"), ["a", "a"]);
    assert.equal(await served(r, "secret"), "a");
    assert.deepEqual(r.modelNames, ["g", "gpt-4"]);
    assert.deepEqual(
      m[0]?.requests.map((req) => (req.json as { model: string }).model),
      ["gpt-3.5-turbo-instruct", "gpt-3.5-turbo-instruct", "gpt-3.5-turbo-instruct"],
    );
  });

  test("openai/* sends the matched name upstream; an exact group wins over the pattern", async () => {
    const model_list: ModelEntry[] = [
      {
        model_name: "openai/*",
        litellm_params: { model: "openai/*", api_base: `${m[0]?.url}/v1`, api_key: "sk-x" },
        model_info: { id: "wild" },
      },
      dep("openai/special", "special", 1),
    ];
    const r = router(model_list, new Clock());
    assert.equal(await served(r, "openai/gpt-3.5-turbo-instruct"), "wild");
    assert.equal(await served(r, "openai/davinci-002"), "wild");
    assert.equal(await served(r, "openai/special"), "special");
    assert.deepEqual(
      m[0]?.requests.map((req) => [req.path, (req.json as { model: string }).model]),
      [
        ["/v1/completions", "gpt-3.5-turbo-instruct"],
        ["/v1/completions", "davinci-002"],
      ],
    );
    const error = await rejection(complete(r, undefined, "anthropic/claude"));
    assert.ok(error instanceof BadRequestError);
    assert.equal(error.message, "Unknown model 'anthropic/claude'. Available models: openai/special.");
  });

  test("the most specific pattern wins over a catch-all listed before it, as in LiteLLM", async () => {
    const model_list: ModelEntry[] = [
      {
        model_name: "*",
        litellm_params: { model: "openai/*", api_base: `${m[0]?.url}/v1`, api_key: "sk-x" },
        model_info: { id: "catch-all" },
      },
      {
        model_name: "gpt-3.5-*",
        litellm_params: { model: "openai/gpt-3.5-*", api_base: `${m[1]?.url}/v1`, api_key: "sk-y" },
        model_info: { id: "specific" },
      },
    ];
    const r = router(model_list, new Clock());
    assert.equal(await served(r, "gpt-3.5-turbo-instruct"), "specific");
    assert.equal(await served(r, "davinci-002"), "catch-all");
    assert.deepEqual(
      m[1]?.requests.map((req) => (req.json as { model: string }).model),
      ["gpt-3.5-turbo-instruct"],
    );
  });
});

describe("streams", () => {
  test("a stream that fails before its first chunk is retried on the other deployment", async () => {
    m[0]?.always(cutBeforeFirstChunk);
    m[1]?.always(stream(["Hello", " world"]));
    const trace = new Trace();
    const chunks = await collect(
      await router(g(2), new Clock(), { num_retries: 1 }).textCompletion(
        { model: "g", ...PROMPT, stream: true },
        { trace },
      ),
    );
    assert.deepEqual(
      chunks.map((chunk) => chunk.choices[0]?.text),
      ["Hello", " world"],
    );
    assert.deepEqual(trace.tried, ["a", "b"]);
  });

  test("a stream refused with a 500 is retried too", async () => {
    m[0]?.always(failure(500));
    m[1]?.always(stream(["ok"]));
    const chunks = await collect(
      await router(g(2), new Clock(), { num_retries: 1 }).textCompletion({ model: "g", ...PROMPT, stream: true }),
    );
    assert.deepEqual(
      chunks.map((chunk) => chunk.choices[0]?.text),
      ["ok"],
    );
    assert.deepEqual(counts(m), [1, 1, 0, 0, 0, 0]);
  });

  test("a stream that fails after its first chunk is not retried", async () => {
    m[0]?.always(cutAfterFirstChunk("Hello"));
    const trace = new Trace();
    const s = await router(g(2), new Clock(), { num_retries: 3 }).textCompletion(
      { model: "g", ...PROMPT, stream: true },
      { trace },
    );
    const texts: (string | undefined)[] = [];
    const error = await rejection(
      (async () => {
        for await (const chunk of s) texts.push(chunk.choices[0]?.text);
      })(),
    );
    assert.ok(error instanceof APIConnectionError);
    assert.deepEqual(texts, ["Hello"]);
    assert.deepEqual(trace.tried, ["a"]);
    assert.deepEqual(counts(m), [1, 0, 0, 0, 0, 0]);
  });

  test("stream_timeout bounds the wait for the first chunk; the stream moves on", async () => {
    m[0]?.always((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.flushHeaders();
    });
    m[1]?.always(stream(["late but fine"]));
    const trace = new Trace();
    const started = performance.now();
    const r = router(g(2), new Clock(), { num_retries: 1, timeout: 30, stream_timeout: 0.2 });
    const chunks = await collect(await r.textCompletion({ model: "g", ...PROMPT, stream: true }, { trace }));
    assert.deepEqual(
      chunks.map((chunk) => chunk.choices[0]?.text),
      ["late but fine"],
    );
    assert.deepEqual(trace.tried, ["a", "b"]);
    assert.ok(performance.now() - started < 3_000);
  });
});

describe("timeouts", () => {
  test("a deployment's own timeout, then the retry on the other", async () => {
    m[0]?.always(hang);
    const trace = new Trace();
    const model_list = [dep("g", "a", 0, { timeout: 0.2 }), dep("g", "b", 1)];
    await complete(router(model_list, new Clock(), { num_retries: 1, timeout: 30 }), trace);
    assert.deepEqual(trace.tried, ["a", "b"]);
  });

  test("the global timeout: a Timeout error when nothing else is left", async () => {
    m[0]?.always(hang);
    const started = performance.now();
    const error = await rejection(complete(router(g(1), new Clock(), { timeout: 0.2 })));
    assert.ok(error instanceof Timeout);
    const took = performance.now() - started;
    assert.ok(took >= 190 && took < 1_500, `took ${took} ms`);
  });
});

test("a deployment whose credentials are missing answers 401 without a call, and cools down", async () => {
  const model_list = [dep("g", "a", 0, { api_key: "os.environ/LITEGATE_TEST_UNSET_KEY" }), dep("g", "b", 1)];
  const r = Router.fromLiteLLM({ model_list, now: new Clock().now, random: sequence(0) }, {});
  const error = await rejection(complete(r));
  assert.ok(error instanceof AuthenticationError);
  assert.equal(error.code, "missing_credentials");
  assert.equal(await served(r), "b");
  assert.deepEqual(counts(m), [0, 1, 0, 0, 0, 0]);
});
