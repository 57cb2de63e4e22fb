/**
 * Virtual keys end to end through the proxy, on an SQLite file: the management routes, and
 * every limit a key can carry used until it trips, with the exact status and error.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";
import OpenAI from "openai";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import { completionAnswer, streamChunks } from "../helpers/fixtures.js";
import { readEvents, startGateway, type TestGateway } from "../helpers/gateway.js";
import { call, complete, generateKey, MASTER_KEY } from "../helpers/keys.js";
import { json, MockUpstream, sse } from "../helpers/mock-upstream.js";

/** $0.01 per prompt token, $0.02 per completion token: the fixture's 5 + 7 tokens cost $0.19. */
const PRICES = { input_cost_per_token: 0.01, output_cost_per_token: 0.02 };
const ANSWER_COST = 5 * 0.01 + 7 * 0.02;

const dir = mkdtempSync(join(tmpdir(), "litegate-keys-"));
const dbPath = join(dir, "keys.db");
let mock: MockUpstream;
let gateway: TestGateway;
let url: string;

before(async () => {
  mock = await MockUpstream.start();
  gateway = await startGateway({
    modelList: [
      ...["gpt-instruct", "other-model"].map((name) => ({
        model_name: name,
        litellm_params: { model: `text-completion-openai/${name}`, api_key: "sk-upstream", api_base: `${mock.url}/v1` },
        model_info: PRICES,
      })),
      {
        model_name: "chat-model",
        litellm_params: { model: "openai/chat-model", api_key: "sk-upstream", api_base: `${mock.url}/v1` },
        model_info: PRICES,
      },
    ],
    masterKey: MASTER_KEY,
    // Failures of gpt-instruct fall back to other-model: only for callers allowed other-model.
    router: { fallbacks: [{ "gpt-instruct": ["other-model"] }], disable_cooldowns: true },
    store: SqliteStore.open({ path: dbPath }),
    spendWriter: { intervalMs: 20 },
  });
  url = gateway.url;
});
after(async () => {
  await gateway.close();
  await mock.close();
  rmSync(dir, { recursive: true, force: true });
});
/** OpenAI's chat answer with the same usage as the text fixture. */
const CHAT_ANSWER = {
  id: "chatcmpl-1",
  object: "chat.completion",
  created: 1700000000,
  model: "chat-model",
  choices: [
    {
      index: 0,
      message: { role: "assistant", content: "This is a test", refusal: null },
      logprobs: null,
      finish_reason: "stop",
    },
  ],
  usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 },
};

beforeEach(() => {
  mock.reset();
  mock.always((req, res) => json(res, 200, req.path.endsWith("/chat/completions") ? CHAT_ANSWER : completionAnswer()));
});

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

describe("key management routes", () => {
  test("/key/generate: sk- and 43 base62 characters, shown once; only its SHA-256 is stored", async () => {
    const answer = await call(url, "POST", "/key/generate", MASTER_KEY, {
      models: ["gpt-instruct"],
      max_budget: 10,
      budget_duration: "30d",
      rpm_limit: 60,
      tpm_limit: 1000,
      max_parallel_requests: 4,
      duration: "7d",
      key_alias: "ci",
      metadata: { env: "test" },
    });
    assert.equal(answer.status, 200);
    const key = String(answer.body.key);
    assert.match(key, /^sk-[0-9A-Za-z]{43}$/);
    const { created_at, updated_at, expires, budget_reset_at, ...rest } = answer.body;
    const now = Date.now();
    assert.ok(Math.abs(Date.parse(String(expires)) - (now + 7 * 86_400_000)) < 10_000);
    assert.ok(Math.abs(Date.parse(String(budget_reset_at)) - (now + 30 * 86_400_000)) < 10_000);
    assert.equal(created_at, updated_at);
    assert.deepEqual(rest, {
      key,
      token: sha256(key),
      key_name: `sk-...${key.slice(-4)}`,
      key_alias: "ci",
      user_id: null,
      team_id: null,
      models: ["gpt-instruct"],
      spend: 0,
      max_budget: 10,
      budget_duration: "30d",
      rpm_limit: 60,
      tpm_limit: 1000,
      max_parallel_requests: 4,
      blocked: false,
      metadata: { env: "test" },
    });
    const info = await call(url, "GET", `/key/info?key=${key}`, MASTER_KEY);
    assert.equal(info.status, 200);
    assert.equal(info.body.key, sha256(key));
    assert.deepEqual(info.body.info, (({ key: _key, ...view }) => view)(answer.body));
    // The hash also finds it: /key/list answers with hashes, and the plaintext is gone.
    assert.deepEqual((await call(url, "GET", `/key/info?key=${sha256(key)}`, MASTER_KEY)).body, info.body);
    assert.ok(!readFileSync(dbPath).includes(key), "the plaintext key is in the database file");
  });

  test("bad bodies get 400s naming the field, the value and the fix", async () => {
    const cases: [unknown, string, string, string][] = [
      [
        { rpm_limit: -1 },
        "rpm_limit",
        "invalid_value",
        "Invalid 'rpm_limit' in /key/generate: got -1. It must be a whole number of requests per minute >= 0, or null.",
      ],
      [
        { budget_duration: "30x" },
        "budget_duration",
        "invalid_value",
        `Invalid 'budget_duration' in /key/generate: got "30x". It must be a duration such as "30s", "30m", "24h", "30d", "1w" or "1mo" (at most 100 years), or null.`,
      ],
      [
        { duration: "999999999d" },
        "duration",
        "invalid_value",
        `Invalid 'duration' in /key/generate: got "999999999d". It must be a duration such as "30s", "30m", "24h", "30d", "1w" or "1mo" (at most 100 years) after which the key expires, or null.`,
      ],
      [
        { models: "gpt-instruct" },
        "models",
        "invalid_value",
        `Invalid 'models' in /key/generate: got "gpt-instruct". It must be a list of model names (an empty list allows every model).`,
      ],
      [
        { soft_budget: 5 },
        "soft_budget",
        "unsupported_field",
        "/key/generate does not take 'soft_budget' (a typo, or a field litegate does not support): remove it. It takes: models, max_budget, budget_duration, metadata, rpm_limit, tpm_limit, max_parallel_requests, duration, expires, key_alias, user_id, team_id, blocked.",
      ],
      [
        { duration: "1d", expires: "2030-01-01T00:00:00Z" },
        "expires",
        "invalid_value",
        "/key/generate takes 'duration' or 'expires', not both.",
      ],
      [
        { team_id: "no-such-team" },
        "team_id",
        "team_not_found",
        "Team 'no-such-team' does not exist; create it with POST /team/new first.",
      ],
    ];
    for (const [body, param, code, message] of cases) {
      const answer = await call(url, "POST", "/key/generate", MASTER_KEY, body);
      assert.equal(answer.status, 400, JSON.stringify(body));
      assert.deepEqual(answer.body, { error: { message, type: "invalid_request_error", param, code } });
    }
    const typo = await call(url, "GET", "/spend/logs?requestid=abc", MASTER_KEY);
    assert.equal(typo.status, 400);
    assert.equal(
      typo.body.error?.message,
      "/spend/logs does not take 'requestid' in the query string; it takes: api_key, user_id, team_id, request_id, start_date, end_date, page, page_size.",
    );
    const noRoute = await call(url, "POST", "/team/model/add", MASTER_KEY, {});
    assert.equal(noRoute.status, 404);
    assert.equal(
      noRoute.body.error?.message,
      "No route POST /team/model/add. The /team/ routes are: POST /team/new, POST /team/update, GET /team/info, GET /team/list, POST /team/delete, POST /team/member_add, POST /team/member_delete, POST /team/block, POST /team/unblock.",
    );
    // A key in a mistyped path is masked in the answer (and in the log line).
    const keyInPath = await call(url, "GET", "/key/info/sk-secret123", MASTER_KEY);
    assert.equal(
      keyInPath.body.error?.message,
      "No route GET /key/info/sk-***. The /key/ routes are: POST /key/generate, GET /key/info, POST /key/update, POST /key/delete, GET /key/list, POST /key/regenerate, POST /key/block, POST /key/unblock.",
    );
    assert.ok(!gateway.rawLogs.join("").includes("sk-secret123"));
    const missing = await call(url, "GET", "/key/info", MASTER_KEY);
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error?.message, "/key/info needs 'key' in the query string, e.g. /key/info?key=...");
    const unknown = await call(url, "GET", "/key/info?key=sk-nope", MASTER_KEY);
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error?.code, "key_not_found");
  });

  test("only the master key manages keys: a virtual key gets 403, no key 401", async () => {
    const key = await generateKey(url);
    const byKey = await call(url, "POST", "/key/generate", key, {});
    assert.equal(byKey.status, 403);
    assert.deepEqual(byKey.body.error, {
      message: "Only the master key may call this route; virtual keys may call the completion and model routes.",
      type: "permission_error",
      param: null,
      code: "master_key_required",
    });
    assert.equal((await call(url, "GET", "/key/list", undefined)).status, 401);
    assert.equal((await call(url, "GET", "/health", key)).status, 403);
  });

  test("/key/list pages by team; /team/info and /user/info list their keys", async () => {
    const team = await call(url, "POST", "/team/new", MASTER_KEY, { team_id: "listing", team_alias: "Listing" });
    assert.equal(team.status, 200);
    assert.equal(team.body.team_id, "listing");
    const hashes: string[] = [];
    for (let i = 0; i < 3; i++) hashes.push(sha256(await generateKey(url, { team_id: "listing" })));
    hashes.sort();
    const first = await call(url, "GET", "/key/list?team_id=listing&size=2", MASTER_KEY);
    assert.deepEqual(first.body, { keys: hashes.slice(0, 2), current_page: 1, size: 2, has_more: true });
    const second = await call(url, "GET", "/key/list?team_id=listing&size=2&page=2", MASTER_KEY);
    assert.deepEqual(second.body, { keys: hashes.slice(2), current_page: 2, size: 2, has_more: false });
    const full = await call(url, "GET", "/key/list?team_id=listing&size=1&return_full_object=true", MASTER_KEY);
    assert.equal((full.body.keys as { token: string }[])[0]?.token, hashes[0]);
    const info = await call(url, "GET", "/team/info?team_id=listing", MASTER_KEY);
    assert.deepEqual(
      (info.body.keys as { token: string }[]).map((k) => k.token),
      hashes,
    );
    assert.equal((await call(url, "GET", "/key/list?size=0", MASTER_KEY)).status, 400);
    const aliased = sha256(await generateKey(url, { key_alias: "Listing-Alias" }));
    const searched = await call(url, "GET", "/key/list?search=listing-al", MASTER_KEY);
    assert.deepEqual(searched.body.keys, [aliased]);
    const exact = await call(url, "GET", "/key/list?key_alias=Listing-Alias", MASTER_KEY);
    assert.deepEqual(exact.body.keys, [aliased]);

    const user = await call(url, "POST", "/user/new", MASTER_KEY, { user_id: "ada", max_budget: 3 });
    assert.equal(user.status, 200);
    assert.equal(user.body.user_id, "ada");
    assert.match(String(user.body.key), /^sk-[0-9A-Za-z]{43}$/);
    const updated = await call(url, "POST", "/user/update", MASTER_KEY, {
      user_id: "ada",
      max_budget: 4,
      models: ["gpt-instruct"],
    });
    assert.deepEqual([updated.body.max_budget, updated.body.models], [4, ["gpt-instruct"]]);
    const userInfo = await call(url, "GET", "/user/info?user_id=ada", MASTER_KEY);
    assert.equal((userInfo.body.user_info as { max_budget: number }).max_budget, 4);
    assert.deepEqual(
      (userInfo.body.keys as { token: string }[]).map((k) => k.token),
      [sha256(String(user.body.key))],
    );
    assert.equal((await call(url, "POST", "/user/new", MASTER_KEY, { user_id: "ada" })).status, 409);
    // The master key without a user_id: LiteLLM's admin overview, every key and team.
    const overview = await call(url, "GET", "/user/info", MASTER_KEY);
    assert.equal(overview.status, 200);
    assert.deepEqual([overview.body.user_id, overview.body.user_info], [null, null]);
    const tokens = (overview.body.keys as { token: string }[]).map((k) => k.token);
    assert.ok(tokens.includes(sha256(String(user.body.key))));
    assert.ok((overview.body.teams as unknown[]).length > 0);
  });
});

describe("enforcement on every request", () => {
  test("models allowlist: 403 naming the model; /v1/models lists only the allowed ones", async () => {
    const key = await generateKey(url, { models: ["gpt-instruct"] });
    assert.equal((await complete(url, key, "gpt-instruct")).status, 200);
    // LiteLLM's own header carries a key too.
    const byHeader = await fetch(`${url}/v1/models`, { headers: { "x-litellm-api-key": key } });
    assert.deepEqual(
      ((await byHeader.json()) as { data: { id: string }[] }).data.map((model) => model.id),
      ["gpt-instruct"],
    );
    // ... bare or as a bearer token, both common in the wild.
    const asBearer = await fetch(`${url}/v1/models`, { headers: { "x-litellm-api-key": `Bearer ${key}` } });
    assert.equal(asBearer.status, 200);
    assert.deepEqual(
      ((await asBearer.json()) as { data: { id: string }[] }).data.map((model) => model.id),
      ["gpt-instruct"],
    );
    const refused = await complete(url, key, "other-model");
    assert.equal(refused.status, 403);
    assert.deepEqual(refused.body.error, {
      message: `The key sk-...${key.slice(-4)} may not use model 'other-model'; it may use: gpt-instruct. GET /v1/models lists them.`,
      type: "permission_error",
      param: "model",
      code: "model_not_allowed",
    });
    // A request's own fallbacks must not lead where its model may not.
    const viaFallback = await complete(url, key, "gpt-instruct", { fallbacks: ["other-model"] });
    assert.equal(viaFallback.status, 403);
    assert.deepEqual(viaFallback.body.error, {
      message: `The key sk-...${key.slice(-4)} may not use model 'other-model' (named in 'fallbacks'); it may use: gpt-instruct. GET /v1/models lists them.`,
      type: "permission_error",
      param: "fallbacks",
      code: "model_not_allowed",
    });
    // Nor may the gateway's own fallbacks: a failure stays a failure for this key.
    mock.always((req, res) =>
      (req.json as { model: string }).model === "gpt-instruct"
        ? json(res, 500, { error: { message: "down" } })
        : json(res, 200, completionAnswer()),
    );
    mock.requests.length = 0;
    assert.equal((await complete(url, key, "gpt-instruct")).status, 500);
    assert.deepEqual(
      mock.requests.map((r) => (r.json as { model: string }).model),
      ["gpt-instruct"],
    );
    const master = await complete(url, MASTER_KEY, "gpt-instruct");
    assert.equal(master.status, 200);
    assert.equal(master.headers.get("x-litellm-attempted-fallbacks"), "1");
    mock.always((_req, res) => json(res, 200, completionAnswer()));
    mock.requests.length = 0;
    const models = await new OpenAI({ apiKey: key, baseURL: `${url}/v1` }).models.list();
    assert.deepEqual(
      models.data.map((model) => model.id),
      ["gpt-instruct"],
    );
    assert.equal((await call(url, "GET", "/v1/models/other-model", key)).status, 404);
    // The master key sees every model.
    assert.equal(Array.isArray((await call(url, "GET", "/v1/models", MASTER_KEY)).body.data), true);
    assert.equal(mock.requests.length, 0, "listing models calls no upstream");
  });

  test("rpm_limit: the third request in a minute gets 429 with retry-after and x-ratelimit-*", async () => {
    const key = await generateKey(url, { rpm_limit: 2 });
    const first = await complete(url, key, "gpt-instruct");
    assert.equal(first.headers.get("x-ratelimit-limit-requests"), "2");
    assert.equal(first.headers.get("x-ratelimit-remaining-requests"), "1");
    assert.equal((await complete(url, key, "gpt-instruct")).headers.get("x-ratelimit-remaining-requests"), "0");
    const refused = await complete(url, key, "gpt-instruct");
    assert.equal(refused.status, 429);
    assert.equal(refused.headers.get("retry-after"), "30");
    assert.equal(refused.headers.get("x-ratelimit-remaining-requests"), "0");
    assert.deepEqual(refused.body.error, {
      message: `Rate limit reached for key sk-...${key.slice(-4)}: its rpm_limit is 2. Retry in 30 s.`,
      type: "rate_limit_error",
      param: "rpm_limit",
      code: "rate_limit_exceeded",
    });
    assert.equal(mock.requests.length, 2);
  });

  test("tpm_limit: tokens of finished requests count; refused when none are left", async () => {
    const key = await generateKey(url, { tpm_limit: 20 });
    assert.equal((await complete(url, key, "gpt-instruct")).headers.get("x-ratelimit-remaining-tokens"), "20");
    assert.equal((await complete(url, key, "gpt-instruct")).headers.get("x-ratelimit-remaining-tokens"), "8");
    const refused = await complete(url, key, "gpt-instruct");
    assert.equal(refused.status, 429);
    assert.equal(refused.body.error?.param, "tpm_limit");
    assert.equal(refused.headers.get("x-ratelimit-limit-tokens"), "20");
  });

  test("max_parallel_requests: a second request while one runs gets 429; after it ends, room again", async () => {
    const key = await generateKey(url, { max_parallel_requests: 1 });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    mock.always(async (_req, res) => {
      await held;
      json(res, 200, completionAnswer());
    });
    const slow = complete(url, key, "gpt-instruct");
    while (mock.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const refused = await complete(url, key, "gpt-instruct");
    assert.equal(refused.status, 429);
    assert.equal(refused.body.error?.param, "max_parallel_requests");
    assert.equal(refused.headers.get("retry-after"), "1");
    release();
    assert.equal((await slow).status, 200);
    assert.equal((await complete(url, key, "gpt-instruct")).status, 200);
  });

  test("max_budget: spend adds up per request; the next request gets 400 budget_exceeded", async () => {
    const key = await generateKey(url, { max_budget: 0.5 });
    const costs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const answer = await complete(url, key, "gpt-instruct");
      assert.equal(answer.status, 200);
      costs.push(Number(answer.headers.get("x-litellm-response-cost")));
    }
    assert.deepEqual(
      costs,
      [ANSWER_COST, ANSWER_COST, ANSWER_COST].map((c) => Number(c.toPrecision(12))),
    );
    const refused = await complete(url, key, "gpt-instruct");
    assert.equal(refused.status, 400);
    assert.deepEqual(refused.body.error, {
      message: `Budget exceeded for key sk-...${key.slice(-4)}: spent $0.57 of its max_budget $0.5. It does not reset; the gateway's admin can raise max_budget (POST /key/update).`,
      type: "budget_exceeded",
      param: "max_budget",
      code: "400",
    });
    const info = await call(url, "GET", `/key/info?key=${key}`, MASTER_KEY);
    assert.ok(Math.abs(Number((info.body.info as { spend: number }).spend) - 3 * ANSWER_COST) < 1e-9);
    const logs = await call(url, "GET", `/spend/logs?api_key=${key}`, MASTER_KEY);
    const rows = logs.body as unknown as Record<string, unknown>[];
    assert.equal(rows.length, 3);
    const { request_id, startTime, endTime, model_id, ...row } = rows[0] as Record<string, unknown>;
    assert.match(String(request_id), /^[0-9a-f-]{36}$/);
    assert.ok(Date.parse(String(startTime)) <= Date.parse(String(endTime)));
    assert.equal(typeof model_id, "string");
    assert.deepEqual(row, {
      api_key: sha256(key),
      user: null,
      team_id: null,
      model_group: "gpt-instruct",
      prompt_tokens: 5,
      completion_tokens: 7,
      total_tokens: 12,
      spend: ANSWER_COST,
      status: "success",
      cache_hit: false,
      end_user: null,
      request_tags: [],
      metadata: {},
    });
    // Raising the budget applies at once.
    assert.equal((await call(url, "POST", "/key/update", MASTER_KEY, { key, max_budget: 1 })).status, 200);
    assert.equal((await complete(url, key, "gpt-instruct")).status, 200);
  });

  test("a budget with budget_duration names its reset time", async () => {
    const key = await generateKey(url, { max_budget: 0, budget_duration: "1mo" });
    const info = await call(url, "GET", `/key/info?key=${key}`, MASTER_KEY);
    const resetAt = (info.body.info as { budget_reset_at: string }).budget_reset_at;
    const refused = await complete(url, key, "gpt-instruct");
    assert.equal(refused.status, 400);
    assert.equal(
      refused.body.error?.message,
      `Budget exceeded for key sk-...${key.slice(-4)}: spent $0 of its max_budget $0. It resets at ${resetAt}.`,
    );
  });

  test("team budget binds every key of the team", async () => {
    await call(url, "POST", "/team/new", MASTER_KEY, { team_id: "ml", max_budget: 0.3 });
    const a = await generateKey(url, { team_id: "ml" });
    const b = await generateKey(url, { team_id: "ml" });
    assert.equal((await complete(url, a, "gpt-instruct")).status, 200);
    assert.equal((await complete(url, b, "gpt-instruct")).status, 200);
    const refused = await complete(url, a, "gpt-instruct");
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error?.type, "budget_exceeded");
    assert.equal(
      refused.body.error?.message,
      "Budget exceeded for team ml: spent $0.38 of its max_budget $0.3. It does not reset; the gateway's admin can raise max_budget (POST /team/update).",
    );
    const team = await call(url, "GET", "/team/info?team_id=ml", MASTER_KEY);
    assert.ok(Math.abs(Number((team.body.team_info as { spend: number }).spend) - 2 * ANSWER_COST) < 1e-9);
    // Raising the team's budget applies to its keys at once.
    const raised = await call(url, "POST", "/team/update", MASTER_KEY, { team_id: "ml", max_budget: 1 });
    assert.equal((raised.body as { max_budget: number }).max_budget, 1);
    assert.equal((await complete(url, a, "gpt-instruct")).status, 200);
    assert.equal(
      (await call(url, "POST", "/team/update", MASTER_KEY, { team_id: "nope", max_budget: 1 })).body.error?.code,
      "team_not_found",
    );
  });

  test("expired, blocked, deleted and regenerated keys", async () => {
    const expired = await generateKey(url, { expires: "2020-01-01T00:00:00Z" });
    const answer = await complete(url, expired, "gpt-instruct");
    assert.equal(answer.status, 401);
    assert.deepEqual(answer.body.error, {
      message: `The key sk-...${expired.slice(-4)} expired at 2020-01-01T00:00:00.000Z; ask the gateway's admin for a new key.`,
      type: "authentication_error",
      param: null,
      code: "key_expired",
    });

    const key = await generateKey(url, { key_alias: "blocky" });
    assert.equal((await complete(url, key, "gpt-instruct")).status, 200);
    assert.equal((await call(url, "POST", "/key/block", MASTER_KEY, { key })).body.blocked, true);
    const blocked = await complete(url, key, "gpt-instruct");
    assert.equal(blocked.status, 401);
    assert.equal(
      blocked.body.error?.message,
      `The key 'blocky' (sk-...${key.slice(-4)}) is blocked; the gateway's admin can unblock it with POST /key/unblock.`,
    );
    assert.equal((await call(url, "POST", "/key/unblock", MASTER_KEY, { key })).body.blocked, false);
    assert.equal((await complete(url, key, "gpt-instruct")).status, 200);

    const regenerated = await call(url, "POST", `/key/${encodeURIComponent(key)}/regenerate`, MASTER_KEY);
    assert.equal(regenerated.status, 200);
    const fresh = String(regenerated.body.key);
    assert.notEqual(fresh, key);
    assert.ok(Math.abs(Number(regenerated.body.spend) - 2 * ANSWER_COST) < 1e-9, "spend moves with the key");
    assert.equal((await complete(url, key, "gpt-instruct")).status, 401);
    assert.equal((await complete(url, fresh, "gpt-instruct")).status, 200);

    assert.deepEqual((await call(url, "POST", "/key/delete", MASTER_KEY, { keys: [fresh] })).body, {
      deleted_keys: [fresh],
    });
    assert.equal((await complete(url, fresh, "gpt-instruct")).body.error?.code, "invalid_api_key");
    assert.equal((await call(url, "POST", "/key/delete", MASTER_KEY, { keys: [fresh] })).status, 404);
  });

  test("streams: spend counted from the usage chunk, or with the tokenizer when the client asked for none", async () => {
    mock.always((_req, res) => sse(res, [...streamChunks(["\n\nThis", " is", " a test"]), "[DONE]"]));
    const key = await generateKey(url);
    const client = new OpenAI({ apiKey: key, baseURL: `${url}/v1`, maxRetries: 0 });
    const stream = await client.completions.create({
      model: "gpt-instruct",
      prompt: "Say this is a test",
      stream: true,
    });
    const received: unknown[] = [];
    for await (const chunk of stream) received.push(chunk);
    // The gateway asked upstream for usage on the client's behalf; the client, who did not, gets none.
    assert.deepEqual(received, streamChunks(["\n\nThis", " is", " a test"]));
    assert.deepEqual((mock.requests[0]?.json as { stream_options?: unknown } | undefined)?.stream_options, {
      include_usage: true,
    });
    const logs = await call(url, "GET", `/spend/logs?api_key=${key}`, MASTER_KEY);
    const [row] = logs.body as unknown as {
      prompt_tokens: number;
      completion_tokens: number;
      spend: number;
      status: string;
    }[];
    // cl100k: "Say this is a test" is 5 tokens, "\n\nThis is a test" 5.
    assert.deepEqual([row?.prompt_tokens, row?.completion_tokens, row?.status], [5, 5, "success"]);
    assert.ok(Math.abs(Number(row?.spend) - (5 * 0.01 + 5 * 0.02)) < 1e-9);

    // A provider that sends usage when asked: its own count is billed, and still kept from the client.
    const chunks = streamChunks(["Hi"]);
    const usage = { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 };
    mock.always((_req, res) => sse(res, [...chunks, { ...chunks[0], choices: [], usage }, "[DONE]"]));
    const counted = await generateKey(url);
    const events = await fetch(`${url}/v1/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${counted}` },
      body: JSON.stringify({ model: "gpt-instruct", prompt: "hi", stream: true }),
    }).then(readEvents);
    assert.deepEqual(events.data, [JSON.stringify(chunks[0]), "[DONE]"]);
    const [exact] = (await call(url, "GET", `/spend/logs?api_key=${counted}`, MASTER_KEY)).body as unknown as {
      completion_tokens: number;
      spend: number;
    }[];
    assert.equal(exact?.completion_tokens, 7);
    assert.equal(exact?.spend, ANSWER_COST);
  });

  test("every completion route enforces the key: chat, /engines/{model}/…, streams", async () => {
    const key = await generateKey(url, { models: ["chat-model"], max_budget: 0.3 });
    const client = new OpenAI({ apiKey: key, baseURL: `${url}/v1`, maxRetries: 0 });
    const answer = await client.chat.completions.create({
      model: "chat-model",
      messages: [{ role: "user", content: "Say this is a test" }],
    });
    assert.equal(answer.choices[0]?.message.content, "This is a test");
    const refused = await client.chat.completions
      .create({ model: "gpt-instruct", messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    assert.ok(refused instanceof OpenAI.PermissionDeniedError);
    assert.equal(refused.code, "model_not_allowed");
    const byPath = await call(url, "POST", "/engines/gpt-instruct/completions", key, { prompt: "hi" });
    assert.equal(byPath.status, 403);
    // The first answer spent $0.19; a chat stream spends more, then the budget is gone for every route.
    mock.always((_req, res) =>
      sse(res, [
        {
          id: "chatcmpl-s",
          object: "chat.completion.chunk",
          created: 1,
          model: "chat-model",
          choices: [{ index: 0, delta: { role: "assistant", content: "This is a test" }, finish_reason: "stop" }],
        },
        "[DONE]",
      ]),
    );
    const stream = await client.chat.completions.create({
      model: "chat-model",
      messages: [{ role: "user", content: "Say this is a test" }],
      stream: true,
    });
    for await (const _chunk of stream) void _chunk;
    const over = await client.chat.completions
      .create({ model: "chat-model", messages: [{ role: "user", content: "hi" }], stream: true })
      .catch((e: unknown) => e);
    assert.ok(over instanceof OpenAI.BadRequestError);
    assert.equal((over.error as { type: string }).type, "budget_exceeded");
    const logs = (await call(url, "GET", `/spend/logs?api_key=${key}`, MASTER_KEY)).body as unknown as {
      model_group: string;
      completion_tokens: number;
    }[];
    assert.deepEqual(
      logs.map((log) => [log.model_group, log.completion_tokens]),
      [
        ["chat-model", 7],
        ["chat-model", 4],
      ],
    );
  });

  test("no plaintext key in the log lines or the database", async () => {
    const key = await generateKey(url, { models: ["gpt-instruct"] });
    await complete(url, key, "gpt-instruct");
    await complete(url, key, "other-model");
    await call(url, "GET", `/key/info?key=${key}`, MASTER_KEY);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const logs = gateway.rawLogs.join("");
    assert.ok(!logs.includes(key), "a plaintext key is in the logs");
    assert.ok(!logs.includes(MASTER_KEY), "the master key is in the logs");
    assert.ok(!readFileSync(dbPath).includes(key));
    assert.ok(!readFileSync(dbPath).includes(MASTER_KEY));
  });
});
