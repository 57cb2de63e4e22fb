/**
 * Health kept by the server, through the real HTTP server: with background_health_checks,
 * /health answers from the background run and calls no upstream; /health/latest in LiteLLM's
 * shape with the cooldowns now; both master-key only and never showing a key or a
 * credentialed api_base. Also the two settings as config.yaml gives them.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import OpenAI from "openai";
import { loadConfig } from "../../src/config/index.js";
import { healthCheckInterval, startupWarnings } from "../../src/proxy/start.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import { completionAnswer } from "../helpers/fixtures.js";
import { startGateway, type TestGateway } from "../helpers/gateway.js";
import { call, generateKey, MASTER_KEY } from "../helpers/keys.js";
import { json, MockUpstream } from "../helpers/mock-upstream.js";
import { Clock } from "../helpers/router.js";

const UPSTREAM_KEY = "sk-upstream-SECRET-7731";
const BASE_PASSWORD = "base-pass-SECRET";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const dir = mkdtempSync(join(tmpdir(), "litegate-health-"));
let ok: MockUpstream;
let limited: MockUpstream;

before(async () => {
  ok = await MockUpstream.start();
  ok.always((_req, res) => json(res, 200, completionAnswer()));
  limited = await MockUpstream.start();
  limited.always((_req, res) =>
    json(res, 429, { error: { message: "Rate limit reached", type: "rate_limit_error", param: null, code: null } }),
  );
});
after(async () => {
  await ok.close();
  await limited.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Two deployments of one group: `dep-limited` (tried first, always 429) and `dep-ok`, its api_base carrying a password. */
function gatewayWith(options: { background: boolean; clock?: Clock; db?: string }): Promise<TestGateway> {
  return startGateway({
    modelList: [
      {
        model_name: "instruct",
        litellm_params: {
          model: "text-completion-openai/gpt-3.5-turbo-instruct",
          api_key: UPSTREAM_KEY,
          api_base: `${limited.url}/v1`,
          order: 1,
        },
        model_info: { id: "dep-limited" },
      },
      {
        model_name: "instruct",
        litellm_params: {
          model: "text-completion-openai/gpt-3.5-turbo-instruct",
          api_key: UPSTREAM_KEY,
          api_base: `${ok.url.replace("//", `//admin:${BASE_PASSWORD}@`)}/v1`,
          order: 2,
        },
        model_info: { id: "dep-ok" },
      },
    ],
    masterKey: MASTER_KEY,
    healthCheckIntervalSeconds: options.background ? 3600 : undefined,
    router: { cooldown_time: 60, ...(options.clock === undefined ? {} : { now: options.clock.now }) },
    ...(options.db === undefined ? {} : { store: SqliteStore.open({ path: join(dir, options.db) }), keyCacheTtlMs: 0 }),
  });
}

function reset(): void {
  ok.reset();
  limited.reset();
}

/** GET with the master key, another key, or (null) none. */
async function get(gateway: TestGateway, path: string, key: string | null = MASTER_KEY) {
  const answer = await call(gateway.url, "GET", path, key ?? undefined);
  const text = JSON.stringify(answer.body);
  for (const secret of [UPSTREAM_KEY, BASE_PASSWORD]) assert.ok(!text.includes(secret), `${path} shows ${secret}`);
  return answer;
}

interface Latest {
  latest_health_checks: Record<string, Record<string, unknown>>;
  total_models: number;
  cooldowns: Record<string, unknown>;
}

/** A record as the test expects it, with the fields a run makes up (id, times) taken from the answer. */
function record(actual: Record<string, unknown> | undefined, fields: Record<string, unknown>): Record<string, unknown> {
  assert.ok(actual !== undefined);
  assert.match(String(actual.health_check_id), UUID);
  assert.equal(typeof actual.response_time_ms, "number");
  assert.ok((actual.response_time_ms as number) >= 0);
  assert.equal(actual.created_at, actual.checked_at);
  assert.ok(Math.abs(Date.parse(String(actual.checked_at)) - Date.now()) < 60_000);
  return {
    health_check_id: actual.health_check_id,
    response_time_ms: actual.response_time_ms,
    checked_at: actual.checked_at,
    created_at: actual.created_at,
    healthy_count: fields.status === "healthy" ? 1 : 0,
    unhealthy_count: fields.status === "healthy" ? 0 : 1,
    details: null,
    ...fields,
  };
}

describe("background_health_checks", () => {
  test("/health answers from the background run, calling no upstream; /health/latest has its records", async () => {
    reset();
    const clock = new Clock(Date.now());
    const gateway = await gatewayWith({ background: true, clock });
    try {
      const expectedHealth = {
        healthy_endpoints: [
          {
            model: "text-completion-openai/gpt-3.5-turbo-instruct",
            model_name: "instruct",
            model_id: "dep-ok",
            api_base: `${ok.url}/v1`,
          },
        ],
        unhealthy_endpoints: [
          {
            model: "text-completion-openai/gpt-3.5-turbo-instruct",
            model_name: "instruct",
            model_id: "dep-limited",
            api_base: `${limited.url}/v1`,
            error: "Rate limit reached",
          },
        ],
        healthy_count: 1,
        unhealthy_count: 1,
      };
      // The first /health waits for the first background run, then three more answer from it.
      for (let i = 0; i < 4; i++) {
        const health = await get(gateway, "/health");
        assert.equal(health.status, 200);
        assert.deepEqual(health.body, expectedHealth);
      }
      assert.equal(ok.requests.length, 1);
      assert.equal(limited.requests.length, 1);
      assert.deepEqual(ok.requests[0]?.json, { model: "gpt-3.5-turbo-instruct", prompt: "ping", max_tokens: 1 });

      const latest = await get(gateway, "/health/latest");
      assert.equal(latest.status, 200);
      const checks = (latest.body as unknown as Latest).latest_health_checks;
      assert.deepEqual(latest.body, {
        latest_health_checks: {
          "dep-limited": record(checks["dep-limited"], {
            model_name: "instruct",
            model_id: "dep-limited",
            status: "unhealthy",
            error_message: "Rate limit reached",
            checked_by: "background_health_check",
          }),
          "dep-ok": record(checks["dep-ok"], {
            model_name: "instruct",
            model_id: "dep-ok",
            status: "healthy",
            error_message: null,
            checked_by: "background_health_check",
          }),
        },
        total_models: 2,
        cooldowns: {},
      });
      // Reading the records called no upstream either.
      assert.equal(ok.requests.length + limited.requests.length, 2);

      // A request tries dep-limited first (order 1): its 429 cools it down for cooldown_time (60 s).
      const client = new OpenAI({ apiKey: MASTER_KEY, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
      await client.completions.create({ model: "instruct", prompt: "hi" }).catch(() => undefined);
      assert.equal(limited.requests.length, 2);
      const until = new Date(clock.t + 60_000).toISOString();
      const cooled = await get(gateway, "/health/latest");
      assert.deepEqual((cooled.body as unknown as Latest).cooldowns, {
        "dep-limited": { model_name: "instruct", until, cause: "rate_limit" },
      });
      const health = await get(gateway, "/health");
      assert.deepEqual(health.body, {
        ...expectedHealth,
        unhealthy_endpoints: [
          { ...expectedHealth.unhealthy_endpoints[0], cooldown_until: until, cooldown_cause: "rate_limit" },
        ],
      });
      // The cooldown ends on the router's clock, and /health/latest says so at once.
      clock.advance(60_000);
      assert.deepEqual((await get(gateway, "/health/latest")).body.cooldowns, {});
    } finally {
      await gateway.close();
    }
  });
});

describe("/health/latest without background checks", () => {
  test("empty until a /health run; each run records every deployment", async () => {
    reset();
    const gateway = await gatewayWith({ background: false });
    try {
      assert.deepEqual((await get(gateway, "/health/latest")).body, {
        latest_health_checks: {},
        total_models: 0,
        cooldowns: {},
      });
      assert.equal(ok.requests.length + limited.requests.length, 0);
      for (let run = 1; run <= 2; run++) {
        const health = await get(gateway, "/health");
        assert.equal(health.body.healthy_count, 1);
        assert.equal(health.body.unhealthy_count, 1);
        assert.equal(ok.requests.length, run);
        assert.equal(limited.requests.length, run);
      }
      const latest = await get(gateway, "/health/latest");
      const checks = (latest.body as unknown as Latest).latest_health_checks;
      assert.deepEqual(latest.body, {
        latest_health_checks: {
          "dep-limited": record(checks["dep-limited"], {
            model_name: "instruct",
            model_id: "dep-limited",
            status: "unhealthy",
            error_message: "Rate limit reached",
            checked_by: null,
          }),
          "dep-ok": record(checks["dep-ok"], {
            model_name: "instruct",
            model_id: "dep-ok",
            status: "healthy",
            error_message: null,
            checked_by: null,
          }),
        },
        total_models: 2,
        cooldowns: {},
      });
    } finally {
      await gateway.close();
    }
  });

  test("a virtual key (or no key) is refused both routes; the master key only", async () => {
    const gateway = await gatewayWith({ background: false, db: "keys.db" });
    try {
      const key = await generateKey(gateway.url);
      for (const path of ["/health", "/health/latest"]) {
        const refused = await get(gateway, path, key);
        assert.equal(refused.status, 403, path);
        assert.deepEqual(refused.body, {
          error: {
            message: "Only the master key may call this route; virtual keys may call the completion and model routes.",
            type: "permission_error",
            param: null,
            code: "master_key_required",
          },
        });
        assert.equal((await get(gateway, path, null)).status, 401, path);
      }
    } finally {
      await gateway.close();
    }
  });
});

describe("/health?model= and ?model_id=", () => {
  test("only the deployments named are called; none healthy is a 503; an unknown name a 404 naming the parameter", async () => {
    reset();
    const gateway = await gatewayWith({ background: false });
    try {
      const limitedOnly = await get(gateway, "/health?model_id=dep-limited");
      assert.equal(limitedOnly.status, 503);
      assert.deepEqual(limitedOnly.body, {
        healthy_endpoints: [],
        unhealthy_endpoints: [
          {
            model: "text-completion-openai/gpt-3.5-turbo-instruct",
            model_name: "instruct",
            model_id: "dep-limited",
            api_base: `${limited.url}/v1`,
            error: "Rate limit reached",
          },
        ],
        healthy_count: 0,
        unhealthy_count: 1,
      });
      assert.equal(limited.requests.length, 1);
      assert.equal(ok.requests.length, 0);

      const okOnly = await get(gateway, "/health?model_id=dep-ok");
      assert.equal(okOnly.status, 200);
      assert.deepEqual(
        (okOnly.body as { healthy_endpoints: { model_id: string }[] }).healthy_endpoints.map((e) => e.model_id),
        ["dep-ok"],
      );
      assert.equal(ok.requests.length, 1);
      assert.equal(limited.requests.length, 1);

      const group = await get(gateway, "/health?model=instruct");
      assert.equal(group.status, 200);
      assert.equal((group.body as { healthy_count: number }).healthy_count, 1);
      assert.equal((group.body as { unhealthy_count: number }).unhealthy_count, 1);
      assert.equal(ok.requests.length + limited.requests.length, 4);

      const unknown = await get(gateway, "/health?model=gpt-5");
      assert.equal(unknown.status, 404);
      assert.deepEqual(unknown.body, {
        error: {
          message:
            "/health: no deployment has model 'gpt-5'; GET /model/info lists the model groups and their model ids.",
          type: "not_found_error",
          param: "model",
          code: "model_not_found",
        },
      });
      const mistyped = await get(gateway, "/health?modelid=dep-ok");
      assert.equal(mistyped.status, 400);
      assert.equal((mistyped.body as { error: { param: string } }).error.param, "modelid");
      assert.equal(ok.requests.length + limited.requests.length, 4);
    } finally {
      await gateway.close();
    }
  });

  test("with background checks, a targeted /health answers from the last run too, calling no upstream", async () => {
    reset();
    const gateway = await gatewayWith({ background: true });
    try {
      const limitedOnly = await get(gateway, "/health?model_id=dep-limited");
      assert.equal(limitedOnly.status, 503);
      assert.equal((limitedOnly.body as { unhealthy_count: number }).unhealthy_count, 1);
      const okOnly = await get(gateway, "/health?model_id=dep-ok");
      assert.equal(okOnly.status, 200);
      assert.equal((okOnly.body as { healthy_count: number }).healthy_count, 1);
      // The background run's one call each, nothing more.
      assert.equal(ok.requests.length, 1);
      assert.equal(limited.requests.length, 1);
    } finally {
      await gateway.close();
    }
  });
});

describe("config.yaml", () => {
  async function configWith(name: string, general: string) {
    const file = join(dir, `${name}.yaml`);
    writeFileSync(
      file,
      `model_list:\n  - model_name: m\n    litellm_params: { model: openai/gpt-4o, mock_response: hi }\ngeneral_settings:\n${general}`,
    );
    return loadConfig(file, {});
  }

  test("background_health_checks with health_check_interval, LiteLLM's 300 s by default", async () => {
    assert.equal(healthCheckInterval(await configWith("off", "  master_key: sk-1\n")), undefined);
    assert.equal(healthCheckInterval(await configWith("on", "  background_health_checks: true\n")), 300);
    const every = await configWith("every", "  background_health_checks: true\n  health_check_interval: 30\n");
    assert.equal(healthCheckInterval(every), 30);
    assert.deepEqual(
      startupWarnings(every).filter((w) => w.includes("health")),
      [],
    );
    const alone = await configWith("alone", "  health_check_interval: 30\n");
    assert.equal(healthCheckInterval(alone), undefined);
    assert.deepEqual(
      startupWarnings(alone).filter((w) => w.includes("health")),
      [
        "general_settings.health_check_interval is set but background_health_checks is not true: it has no effect (/health checks every deployment when called).",
      ],
    );
  });

  test("an interval that is not a positive number stops the start, naming the field", async () => {
    for (const [value, shown] of [
      ["0", "0"],
      ["-5", "-5"],
      ["soon", '"soon"'],
    ]) {
      await assert.rejects(
        configWith(`bad-${value}`, `  background_health_checks: true\n  health_check_interval: ${value}\n`),
        {
          message: `${join(dir, `bad-${value}.yaml`)}: general_settings.health_check_interval: expected a number > 0, got ${shown}`,
        },
      );
    }
    await assert.rejects(configWith("bad-flag", "  background_health_checks: maybe\n"), {
      message: `${join(dir, "bad-flag.yaml")}: general_settings.background_health_checks: expected true or false, got "maybe"`,
    });
  });
});
