/**
 * Failed admin UI sign-ins are bounded per client address: the limiter on its own (window,
 * bound on the addresses kept), then POST /ui/login through the real server with a fake clock:
 * the exact 429 and retry-after, the right key refused too while blocked, another address
 * unaffected, and sign-in open again once the window has passed.
 */
import assert from "node:assert/strict";
import { request } from "node:http";
import { after, before, describe, test } from "node:test";
import { SignInLimiter } from "../../src/access/sign-in-limiter.js";
import { RateLimitError } from "../../src/wire/errors.js";
import { startGateway, type TestGateway } from "../helpers/gateway.js";

const MASTER_KEY = "sk-ui-limit-master";

function blocked(limiter: SignInLimiter, address: string): number | undefined {
  try {
    limiter.admit(address);
    return undefined;
  } catch (error) {
    assert.ok(error instanceof RateLimitError);
    return error.retryAfter;
  }
}

describe("SignInLimiter", () => {
  test("an address is blocked after its failures in one window, until the window ends", () => {
    let now = 1_000_000;
    const limiter = new SignInLimiter({ maxFailures: 3, windowMs: 60_000, now: () => now });
    for (let i = 0; i < 3; i++) {
      assert.equal(blocked(limiter, "10.0.0.1"), undefined);
      limiter.failed("10.0.0.1");
      now += 1_000;
    }
    // The window started at the first failure, 3 s ago: 57 s left.
    assert.equal(blocked(limiter, "10.0.0.1"), 57);
    assert.equal(blocked(limiter, "10.0.0.2"), undefined);
    now += 56_500;
    assert.equal(blocked(limiter, "10.0.0.1"), 1);
    now += 500;
    assert.equal(blocked(limiter, "10.0.0.1"), undefined);
    // A new window: the count starts again.
    limiter.failed("10.0.0.1");
    assert.equal(blocked(limiter, "10.0.0.1"), undefined);
  });

  test("past maxAddresses the address whose window started first is forgotten", () => {
    const limiter = new SignInLimiter({ maxFailures: 1, maxAddresses: 2, now: () => 0 });
    limiter.failed("a");
    limiter.failed("b");
    assert.equal(blocked(limiter, "a"), 60);
    limiter.failed("c");
    assert.equal(blocked(limiter, "a"), undefined);
    assert.equal(blocked(limiter, "b"), 60);
    assert.equal(blocked(limiter, "c"), 60);
  });
});

describe("POST /ui/login", () => {
  let gateway: TestGateway;
  let now = Date.now();

  before(async () => {
    gateway = await startGateway({
      modelList: [{ model_name: "m", litellm_params: { model: "openai/gpt-4o", mock_response: "hi" } }],
      masterKey: MASTER_KEY,
      signInLimiter: new SignInLimiter({ now: () => now }),
    });
  });
  after(() => gateway.close());

  /** Signs in from `localAddress` (any 127.x address reaches the gateway on Linux). */
  function login(key: string, localAddress = "127.0.0.1") {
    const { port } = new URL(gateway.url);
    return new Promise<{ status: number; retryAfter: string | undefined; body: unknown }>((resolve, reject) => {
      const req = request(
        {
          host: "127.0.0.1",
          port,
          path: "/ui/login",
          method: "POST",
          localAddress,
          headers: { "content-type": "application/json" },
        },
        (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (part: string) => {
            text += part;
          });
          res.on("end", () =>
            resolve({ status: res.statusCode ?? 0, retryAfter: res.headers["retry-after"], body: JSON.parse(text) }),
          );
        },
      );
      req.on("error", reject);
      req.end(JSON.stringify({ key }));
    });
  }

  test("10 failures a minute per address, then 429 with retry-after, even for the right key", async () => {
    for (let i = 0; i < 10; i++) {
      const wrong = await login(`sk-guess-${i}`);
      assert.equal(wrong.status, 401);
      now += 2_000;
    }
    const limited = {
      status: 429,
      retryAfter: "40",
      body: {
        error: {
          message:
            "Too many failed sign-in attempts from this address: try again in 40 s (at most 10 failures per 60 s).",
          type: "rate_limit_error",
          param: null,
          code: "too_many_sign_in_attempts",
        },
      },
    };
    assert.deepEqual(await login("sk-guess-10"), limited);
    assert.deepEqual(await login(MASTER_KEY), limited);

    // Another address signs in: others' failures are not its own.
    const other = await login(MASTER_KEY, "127.0.0.2");
    assert.equal(other.status, 200);
    assert.equal((other.body as { role: string }).role, "admin");

    // Once the window (from the first failure) has passed, this address may sign in again.
    now += 39_000;
    assert.equal((await login(MASTER_KEY)).status, 429);
    now += 1_000;
    const again = await login(MASTER_KEY);
    assert.equal(again.status, 200);
    assert.equal(again.retryAfter, undefined);
  });
});
