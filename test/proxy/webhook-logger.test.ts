/**
 * LiteLLM's generic_api callback: a receiver in the test gets each request's
 * StandardLoggingPayload (success, failure, stream) in batches; an endpoint that answers
 * 503 for a while loses nothing; a full queue drops the oldest and counts them; no secret
 * ever reaches the receiver.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { hashKey } from "../../src/access/key-token.js";
import { loadConfig } from "../../src/config/index.js";
import { webhookOptions } from "../../src/proxy/start.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import { chatAnswer } from "../helpers/fixtures.js";
import { startGateway, type TestGateway } from "../helpers/gateway.js";
import { call, generateKey, MASTER_KEY } from "../helpers/keys.js";
import { json, MockUpstream, sse } from "../helpers/mock-upstream.js";

const PRICES = { input_cost_per_token: 0.001, output_cost_per_token: 0.002 };
const UPSTREAM_SECRET = "sk-upstream-secret-webhook";

const dir = mkdtempSync(join(tmpdir(), "litegate-webhook-"));
let upstream: MockUpstream;
let receiver: MockUpstream;

/** Whether the receiver accepts a batch now. */
let receiverUp = true;
/** The payloads of the batches the receiver accepted (answered 200), in order. */
const accepted: { id: string }[] = [];

before(async () => {
  upstream = await MockUpstream.start();
  upstream.always((request, res) => {
    if (request.path.startsWith("/fail/")) return json(res, 500, { error: { message: "upstream broke" } });
    const body = request.json as { stream?: boolean };
    if (body.stream !== true) return json(res, 200, chatAnswer("hello"));
    const chunk = { id: "c", object: "chat.completion.chunk", created: 1700000000, model: "gpt-ok" };
    return sse(res, [
      { ...chunk, choices: [{ index: 0, delta: { role: "assistant", content: "hi" }, finish_reason: "stop" }] },
      { ...chunk, choices: [], usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 } },
      "[DONE]",
    ]);
  });
  receiver = await MockUpstream.start();
  receiver.always((request, res) => {
    if (receiverUp) accepted.push(...(request.json as { id: string }[]));
    json(res, receiverUp ? 200 : 503, {});
  });
});

after(async () => {
  await upstream.close();
  await receiver.close();
  rmSync(dir, { recursive: true, force: true });
});

const modelList = () => [
  {
    model_name: "gpt-ok",
    litellm_params: { model: "openai/gpt-ok", api_key: UPSTREAM_SECRET, api_base: `${upstream.url}/ok/v1` },
    model_info: { id: "ok-id", ...PRICES },
  },
  {
    model_name: "broken",
    litellm_params: { model: "openai/broken", api_key: UPSTREAM_SECRET, api_base: `${upstream.url}/fail/v1` },
    model_info: { id: "broken-id", ...PRICES },
  },
];

/** Every payload the receiver got, in order, with the batches they came in. */
function received(): { batches: Record<string, unknown>[][]; payloads: Record<string, unknown>[] } {
  const batches = receiver.requests.map((r) => r.json as Record<string, unknown>[]);
  return { batches, payloads: batches.flat() };
}

async function until(what: string, check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function open(
  webhook: { maxQueue?: number; batchSize?: number; logMessages?: boolean } = {},
): Promise<TestGateway> {
  receiver.reset();
  accepted.length = 0;
  return startGateway({
    modelList: modelList(),
    masterKey: MASTER_KEY,
    store: SqliteStore.open({ path: join(dir, `${Math.random()}.db`) }),
    metrics: { requireAuth: true, endUserLimit: 10, endUserLabels: true },
    webhook: {
      endpoint: `${receiver.url}/logs`,
      headers: { authorization: "Bearer receiver-token" },
      batchSize: webhook.batchSize ?? 10,
      flushIntervalMs: 30,
      maxQueue: webhook.maxQueue ?? 100,
      backoffMs: 20,
      maxBackoffMs: 40,
      logMessages: webhook.logMessages === true,
    },
  });
}

const chat = (url: string, key: string, model: string, extra: Record<string, unknown> = {}) =>
  call(url, "POST", "/v1/chat/completions", key, {
    model,
    messages: [{ role: "user", content: "a secret prompt" }],
    ...extra,
  });

/** The payload with its clock readings checked and taken out. */
function timeless(payload: Record<string, unknown>): Record<string, unknown> {
  const { startTime, endTime, completionStartTime, response_time, hidden_params, ...rest } = payload;
  for (const t of [startTime, endTime, completionStartTime]) {
    assert.equal(typeof t, "number");
    assert.ok(Math.abs((t as number) - Date.now() / 1000) < 60, `an epoch time in seconds: ${t}`);
  }
  assert.ok((startTime as number) <= (completionStartTime as number));
  assert.ok((completionStartTime as number) <= (endTime as number));
  assert.equal(typeof response_time, "number");
  const { litellm_overhead_time_ms, ...hidden } = hidden_params as Record<string, unknown>;
  assert.equal(typeof litellm_overhead_time_ms, "number");
  return { ...rest, hidden_params: hidden };
}

describe("generic_api webhook logger", () => {
  test("litegate --config with generic_api and no GENERIC_LOGGER_ENDPOINT: exit 1, one line naming the variable", async () => {
    const file = join(dir, "no-endpoint.yaml");
    writeFileSync(
      file,
      "model_list:\n  - model_name: m\n    litellm_params: {model: openai/x, mock_response: hi}\nlitellm_settings:\n  callbacks: [generic_api]\n",
    );
    const cli = fileURLToPath(new URL("../../src/cli.js", import.meta.url));
    const child = spawn(process.execPath, [cli, "--config", file, "--port", "0"], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const [code] = (await once(child, "exit")) as [number | null];
    assert.equal(code, 1);
    assert.equal(
      stderr,
      "litegate: litellm_settings.callbacks names generic_api but GENERIC_LOGGER_ENDPOINT is not set: set it to the URL that receives the logs.\n",
    );
  });

  test("a GENERIC_LOGGER_* or batch setting it cannot use stops the start, naming the variable (never a header's value)", async () => {
    const file = join(dir, "webhook-settings.yaml");
    writeFileSync(
      file,
      "model_list:\n  - model_name: m\n    litellm_params: {model: openai/x, mock_response: hi}\nlitellm_settings:\n  callbacks: [generic_api]\n",
    );
    const config = await loadConfig(file, {});
    const endpoint = { GENERIC_LOGGER_ENDPOINT: "https://logs.example.com/ingest" };
    const url = "GENERIC_LOGGER_ENDPOINT must be an http:// or https:// URL (e.g. https://logs.example.com/ingest).";
    const headers =
      'GENERIC_LOGGER_HEADERS must be "name=value" pairs separated by commas (e.g. "Authorization=Bearer x").';
    const refused: [Record<string, string>, string][] = [
      [{ GENERIC_LOGGER_ENDPOINT: "not-a-url" }, url],
      [{ GENERIC_LOGGER_ENDPOINT: "ftp://logs.example.com/x" }, url],
      [{ ...endpoint, GENERIC_LOGGER_HEADERS: "sk-secret-token" }, headers],
      [{ ...endpoint, GENERIC_LOGGER_HEADERS: "a=1,=2" }, headers],
      [{ ...endpoint, DEFAULT_BATCH_SIZE: "abc" }, 'DEFAULT_BATCH_SIZE must be a positive whole number, got "abc".'],
      [{ ...endpoint, DEFAULT_BATCH_SIZE: "0" }, 'DEFAULT_BATCH_SIZE must be a positive whole number, got "0".'],
      [
        { ...endpoint, DEFAULT_FLUSH_INTERVAL_SECONDS: "-1" },
        'DEFAULT_FLUSH_INTERVAL_SECONDS must be a positive whole number, got "-1".',
      ],
      [
        { ...endpoint, GENERIC_LOGGER_MAX_QUEUE: "1.5" },
        'GENERIC_LOGGER_MAX_QUEUE must be a positive whole number, got "1.5".',
      ],
    ];
    for (const [env, message] of refused)
      assert.throws(() => webhookOptions(config, env), { message }, JSON.stringify(env));
    const options = webhookOptions(config, {
      ...endpoint,
      GENERIC_LOGGER_HEADERS: " Authorization = Bearer x , X-Team=ml,",
      DEFAULT_BATCH_SIZE: "",
      DEFAULT_FLUSH_INTERVAL_SECONDS: "2",
      GENERIC_LOGGER_MAX_QUEUE: "50",
    });
    assert.deepEqual(options?.headers, { Authorization: "Bearer x", "X-Team": "ml" });
    assert.equal(options?.batchSize, 512);
    assert.equal(options?.flushIntervalMs, 2000);
    assert.equal(options?.maxQueue, 50);
  });

  test("prompts are sent only when config.yaml says turn_off_message_logging: false", async () => {
    const env = { GENERIC_LOGGER_ENDPOINT: "http://127.0.0.1:9/logs" };
    const settings = [
      ["", false],
      ["  turn_off_message_logging: true\n", false],
      ["  turn_off_message_logging: false\n", true],
    ] as const;
    for (const [line, logMessages] of settings) {
      const file = join(dir, `messages-${String(logMessages)}-${line.length}.yaml`);
      writeFileSync(
        file,
        `model_list:\n  - model_name: m\n    litellm_params: {model: openai/x, mock_response: hi}\nlitellm_settings:\n  callbacks: [generic_api]\n${line}`,
      );
      assert.equal(webhookOptions(await loadConfig(file, {}), env)?.logMessages, logMessages, line);
    }
  });

  test("turn_off_message_logging: false sends each request's prompt and answer, a stream's gathered whole", async () => {
    const gateway = await open({ logMessages: true });
    try {
      const ok = await chat(gateway.url, MASTER_KEY, "gpt-ok");
      assert.equal(ok.status, 200);
      const stream = await fetch(`${gateway.url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${MASTER_KEY}`, "content-type": "application/json" },
        // No include_usage: the client gets no usage chunk, the log still the request's usage.
        body: JSON.stringify({ model: "gpt-ok", stream: true, messages: [{ role: "user", content: "hi" }] }),
      });
      await stream.text();
      await until("two payloads", () => received().payloads.length === 2);
      const [answered, streamed] = received().payloads;
      assert.deepEqual(answered?.messages, [{ role: "user", content: "a secret prompt" }]);
      assert.deepEqual(answered?.response, chatAnswer("hello"));
      assert.deepEqual(streamed?.messages, [{ role: "user", content: "hi" }]);
      assert.deepEqual(streamed?.response, {
        id: "c",
        object: "chat.completion",
        created: 1700000000,
        model: "gpt-ok",
        choices: [
          {
            index: 0,
            message: { role: "assistant", content: "hi", refusal: null },
            logprobs: null,
            finish_reason: "stop",
          },
        ],
        usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
      });
    } finally {
      await gateway.close();
    }
  });

  test("a success, a failure and a stream arrive as LiteLLM's StandardLoggingPayload; no secret in them", async () => {
    const gateway = await open();
    try {
      const key = await generateKey(gateway.url, { key_alias: "alpha", metadata: {} });
      const ok = await chat(gateway.url, key, "gpt-ok", { user: "end-1", metadata: { tags: ["t1"] } });
      assert.equal(ok.status, 200);
      const failed = await chat(gateway.url, key, "broken");
      assert.equal(failed.status, 500);
      const stream = await fetch(`${gateway.url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "gpt-ok", stream: true, messages: [{ role: "user", content: "hi" }] }),
      });
      await stream.text();
      await until("three payloads", () => received().payloads.length === 3);
      const { payloads } = received();
      const ids = payloads.map((p) => p.id);
      const metadata = (endUser: string | null, requester: Record<string, unknown>) => ({
        user_api_key_hash: hashKey(key),
        user_api_key_alias: "alpha",
        user_api_key_team_id: null,
        user_api_key_user_id: null,
        user_api_key_end_user_id: endUser,
        requester_metadata: requester,
        spend_logs_metadata: null,
      });
      const common = {
        cache_hit: false,
        cache_key: null,
        saved_cache_cost: 0,
        messages: null,
        response: null,
        model_parameters: {},
        custom_llm_provider: "openai",
        call_type: "acompletion",
      };
      assert.deepEqual(timeless(payloads[0] as Record<string, unknown>), {
        ...common,
        id: ids[0],
        trace_id: ids[0],
        stream: false,
        status: "success",
        response_cost: 0.019,
        total_tokens: 12,
        prompt_tokens: 5,
        completion_tokens: 7,
        model: "openai/gpt-ok",
        model_id: "ok-id",
        model_group: "gpt-ok",
        api_base: `${upstream.url}/ok/v1`,
        metadata: metadata("end-1", {}),
        request_tags: ["t1"],
        end_user: "end-1",
        error_str: null,
        error_information: null,
        hidden_params: {
          model_id: "ok-id",
          api_base: `${upstream.url}/ok/v1`,
          response_cost: 0.019,
          attempted_retries: 0,
          attempted_fallbacks: 0,
        },
      });
      const failure = timeless(payloads[1] as Record<string, unknown>);
      assert.deepEqual(failure, {
        ...common,
        id: ids[1],
        trace_id: ids[1],
        stream: false,
        status: "failure",
        response_cost: 0,
        total_tokens: 0,
        prompt_tokens: 0,
        completion_tokens: 0,
        model: "openai/broken",
        model_id: "broken-id",
        model_group: "broken",
        api_base: `${upstream.url}/fail/v1`,
        metadata: metadata(null, {}),
        request_tags: [],
        end_user: "",
        // LiteLLM's str(exception): the message the client was told, the provider's own in it.
        error_str: failed.body.error?.message,
        error_information: {
          error_code: "500",
          error_class: "InternalServerError",
          llm_provider: "openai",
        },
        hidden_params: failure.hidden_params,
      });
      assert.match(String(failure.error_str), /upstream broke/);
      const streamed = timeless(payloads[2] as Record<string, unknown>);
      assert.equal(streamed.stream, true);
      assert.equal(streamed.status, "success");
      assert.equal(streamed.prompt_tokens, 3);
      assert.equal(streamed.completion_tokens, 4);
      assert.equal(streamed.total_tokens, 7);
      assert.equal(streamed.response_cost, 0.011);
      // The receiver's own headers go with every batch; nothing else of the gateway's.
      for (const r of receiver.requests) {
        assert.equal(r.method, "POST");
        assert.equal(r.path, "/logs");
        assert.equal(r.headers.authorization, "Bearer receiver-token");
        assert.equal(r.headers["content-type"], "application/json");
      }
      const everything = receiver.requests.map((r) => `${r.body}${JSON.stringify(r.headers)}`).join("\n");
      for (const secret of [key, MASTER_KEY, UPSTREAM_SECRET, "a secret prompt"]) {
        assert.ok(!everything.includes(secret), `a secret reached the receiver: ${secret.slice(0, 6)}`);
      }
    } finally {
      await gateway.close();
    }
  });

  test("an endpoint answering 503 for a while loses nothing while the queue has room", async () => {
    const gateway = await open();
    receiverUp = false;
    try {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const answer = await chat(gateway.url, MASTER_KEY, "gpt-ok");
        ids.push(String(answer.headers.get("x-request-id")));
      }
      await until("retries against the 503s", () => receiver.requests.length >= 3);
      assert.equal(accepted.length, 0);
      receiverUp = true;
      await until("every payload", () => accepted.length >= 5);
      // Refused batches were sent again: each payload accepted exactly once, in order.
      assert.deepEqual(
        accepted.map((p) => p.id),
        ids,
      );
      assert.equal(
        gateway.logs.filter((l) => l.msg === "generic_api logger queue full: oldest payloads dropped").length,
        0,
      );
    } finally {
      receiverUp = true;
      await gateway.close();
    }
  });

  test("a full queue drops the oldest payloads, logs it and counts them in /metrics", async () => {
    const gateway = await open({ maxQueue: 2 });
    receiverUp = false;
    try {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const answer = await chat(gateway.url, MASTER_KEY, "gpt-ok");
        ids.push(String(answer.headers.get("x-request-id")));
      }
      const dropped = () =>
        gateway.logs
          .filter((l) => l.msg === "generic_api logger queue full: oldest payloads dropped")
          .reduce((sum, l) => sum + Number(l.dropped), 0);
      await until("the fifth request's end", () => dropped() === 3);
      const metrics = await fetch(`${gateway.url}/metrics`, { headers: { authorization: `Bearer ${MASTER_KEY}` } });
      const text = await metrics.text();
      assert.match(text, /^litegate_generic_api_dropped_logs_total 3$/m);
      receiverUp = true;
      await until("the kept payloads", () => accepted.length >= 2);
      assert.deepEqual(
        accepted.map((p) => p.id),
        ids.slice(3),
      );
    } finally {
      receiverUp = true;
      await gateway.close();
    }
  });

  test("shutdown sends what is still queued", async () => {
    receiverUp = true;
    const gateway = await startGateway({
      modelList: modelList(),
      webhook: {
        endpoint: `${receiver.url}/logs`,
        headers: {},
        batchSize: 512,
        flushIntervalMs: 60_000,
        maxQueue: 100,
        logMessages: false,
      },
    });
    receiver.reset();
    const answer = await call(gateway.url, "POST", "/v1/chat/completions", undefined, {
      model: "gpt-ok",
      messages: [{ role: "user", content: "x" }],
    });
    assert.equal(answer.status, 200);
    assert.equal(receiver.requests.length, 0);
    await gateway.close();
    assert.deepEqual(
      received().payloads.map((p) => p.id),
      [answer.headers.get("x-request-id")],
    );
  });
});
