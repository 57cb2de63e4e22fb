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
/** A status the receiver refuses batches with for good (a 4xx), when set. */
let refuseWith: number | undefined;
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
    if (refuseWith !== undefined) return json(res, refuseWith, {});
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
  webhook: {
    maxQueue?: number;
    batchSize?: number;
    logMessages?: boolean;
    maxQueueChars?: number;
    maxBatchChars?: number;
  } = {},
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
      maxQueueChars: webhook.maxQueueChars,
      maxBatchChars: webhook.maxBatchChars,
    },
  });
}

const chat = (url: string, key: string, model: string, extra: Record<string, unknown> = {}) =>
  call(url, "POST", "/v1/chat/completions", key, {
    model,
    messages: [{ role: "user", content: "a secret prompt" }],
    ...extra,
  });

/** `count` chat requests with the master key, one after another: their call ids (the payloads' `id`). */
async function chatIds(gateway: TestGateway, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const answer = await chat(gateway.url, MASTER_KEY, "gpt-ok");
    ids.push(String(answer.headers.get("x-litellm-call-id")));
  }
  return ids;
}

/** The gateway's /metrics exposition, read with the master key. */
async function metricsText(gateway: TestGateway): Promise<string> {
  const response = await fetch(`${gateway.url}/metrics`, { headers: { authorization: `Bearer ${MASTER_KEY}` } });
  return response.text();
}

/** The payloads a full queue dropped, as its warn lines count them. */
function droppedIn(gateway: TestGateway): number {
  return gateway.logs
    .filter((l) => l.msg === "generic_api logger queue full: oldest payloads dropped")
    .reduce((sum, l) => sum + Number(l.dropped), 0);
}

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
      // Past Node's longest timer, the flush would come every millisecond.
      [
        { ...endpoint, DEFAULT_FLUSH_INTERVAL_SECONDS: "2147484" },
        'DEFAULT_FLUSH_INTERVAL_SECONDS must be at most 2147483, got "2147484".',
      ],
      // What fetch cannot send would fail every batch: refused at start, the value never repeated.
      [
        { ...endpoint, GENERIC_LOGGER_HEADERS: "Authorization=Bearer sk-\u2603secret" },
        'GENERIC_LOGGER_HEADERS: the header "Authorization" has characters a header cannot carry (spaces or separators in a name; line breaks, control or non-Latin-1 characters in a value).',
      ],
      [
        { ...endpoint, GENERIC_LOGGER_HEADERS: "X Team=ml" },
        'GENERIC_LOGGER_HEADERS: the header "(its name)" has characters a header cannot carry (spaces or separators in a name; line breaks, control or non-Latin-1 characters in a value).',
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
        user_api_key_team_alias: null,
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

  test("a wildcard's model and price, a team's alias, a cache hit's saved cost, a cut stream's empty response", async () => {
    receiver.reset();
    accepted.length = 0;
    const cut = await MockUpstream.start();
    // One chunk, then the connection drops: the client gets an error event after it.
    cut.always((_request, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      const chunk = { id: "c", object: "chat.completion.chunk", created: 1700000000, model: "cut" };
      res.write(`data: ${JSON.stringify({ ...chunk, choices: [{ index: 0, delta: { content: "par" } }] })}\n\n`);
      setTimeout(() => res.destroy(), 20);
    });
    const gateway = await startGateway({
      modelList: [
        ...modelList(),
        {
          model_name: "wild/*",
          litellm_params: { model: "openai/*", api_key: UPSTREAM_SECRET, api_base: `${upstream.url}/ok/v1` },
          model_info: { id: "wild-id" },
        },
        {
          model_name: "cut",
          litellm_params: { model: "openai/cut", api_key: UPSTREAM_SECRET, api_base: `${cut.url}/v1` },
          model_info: { id: "cut-id", ...PRICES },
        },
      ],
      masterKey: MASTER_KEY,
      store: SqliteStore.open({ path: join(dir, `${Math.random()}.db`) }),
      router: { cache: { type: "local" } },
      webhook: {
        endpoint: `${receiver.url}/logs`,
        headers: {},
        batchSize: 10,
        flushIntervalMs: 30,
        maxQueue: 100,
        logMessages: true,
      },
    });
    try {
      const team = await call(gateway.url, "POST", "/team/new", MASTER_KEY, { team_id: "t-1", team_alias: "Research" });
      assert.equal(team.status, 200);
      const key = await generateKey(gateway.url, { team_id: "t-1" });
      // gpt-4o-mini's price from the table: $0.15 and $0.60 a million tokens; the answer used 5 and 7.
      const wild = await chat(gateway.url, key, "wild/gpt-4o-mini");
      assert.equal(wild.status, 200);
      assert.equal(wild.headers.get("x-litellm-response-cost"), "0.00000495");
      const first = await chat(gateway.url, key, "gpt-ok", { caching: true });
      const hit = await chat(gateway.url, key, "gpt-ok", { caching: true });
      assert.equal(first.status, 200);
      assert.equal(hit.headers.get("x-litellm-cache-key") !== null, true);
      const stream = await fetch(`${gateway.url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "cut", stream: true, messages: [{ role: "user", content: "hi" }] }),
      });
      assert.match(await stream.text(), /"error"/);
      await until("four payloads", () => received().payloads.length === 4);
      const [wildPayload, firstPayload, hitPayload, cutPayload] = received().payloads as [
        Record<string, unknown>,
        Record<string, unknown>,
        Record<string, unknown>,
        Record<string, unknown>,
      ];
      // The model the wildcard called, at its price; not the pattern at none.
      assert.equal(wildPayload.model, "openai/gpt-4o-mini");
      assert.equal(wildPayload.response_cost, 0.00000495);
      assert.equal(wildPayload.model_group, "wild/gpt-4o-mini");
      assert.deepEqual((wildPayload.metadata as Record<string, unknown>).user_api_key_team_id, "t-1");
      assert.deepEqual((wildPayload.metadata as Record<string, unknown>).user_api_key_team_alias, "Research");
      // A hit spends nothing and saves what the model would have charged (LiteLLM's saved_cache_cost).
      assert.equal(firstPayload.cache_hit, false);
      assert.equal(firstPayload.saved_cache_cost, 0);
      assert.equal(firstPayload.response_cost, 0.019);
      assert.equal(hitPayload.cache_hit, true);
      assert.equal(hitPayload.response_cost, 0);
      assert.equal(hitPayload.saved_cache_cost, 0.019);
      // A stream cut short failed: no made-up finished answer, as LiteLLM logs a failure ({}).
      assert.equal(cutPayload.status, "failure");
      assert.deepEqual(cutPayload.response, {});
      assert.deepEqual(cutPayload.messages, [{ role: "user", content: "hi" }]);
    } finally {
      await gateway.close();
      await cut.close();
    }
  });

  test("a client's x-request-id: the payload's id is the call id (its spend log's), its trace_id the client's id", async () => {
    const gateway = await open();
    try {
      const answer = await fetch(`${gateway.url}/v1/chat/completions`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${MASTER_KEY}`,
          "content-type": "application/json",
          "x-request-id": "client-9",
        },
        body: JSON.stringify({ model: "gpt-ok", messages: [{ role: "user", content: "hi" }] }),
      });
      assert.equal(answer.status, 200);
      await answer.text();
      await until("its payload", () => received().payloads.length === 1);
      const payload = received().payloads[0] as Record<string, unknown>;
      assert.equal(payload.id, answer.headers.get("x-litellm-call-id"));
      assert.notEqual(payload.id, "client-9");
      assert.equal(payload.trace_id, "client-9");
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
        ids.push(String(answer.headers.get("x-litellm-call-id")));
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
      const ids = await chatIds(gateway, 5);
      await until("the fifth request's end", () => droppedIn(gateway) === 3);
      assert.match(await metricsText(gateway), /^litegate_generic_api_dropped_logs_total 3$/m);
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

  test("a batch the endpoint refuses for good (a 4xx) is dropped and counted, not retried forever", async () => {
    const gateway = await open();
    refuseWith = 413;
    try {
      const [first] = await chatIds(gateway, 1);
      await until("the refusal", () =>
        gateway.logs.some((l) => l.msg === "generic_api logger: batch refused, dropped" && l.dropped === 1),
      );
      assert.match(await metricsText(gateway), /^litegate_generic_api_dropped_logs_total 1$/m);
      // Sent once: a 413 is not retried.
      await new Promise((resolve) => setTimeout(resolve, 150));
      assert.equal(receiver.requests.length, 1);
      refuseWith = undefined;
      const [second] = await chatIds(gateway, 1);
      await until("the next payload", () => accepted.length >= 1);
      assert.deepEqual(
        accepted.map((p) => p.id),
        [second],
      );
      assert.notEqual(first, second);
    } finally {
      refuseWith = undefined;
      await gateway.close();
    }
  });

  test("the queue is bounded by its JSON's size too (prompts can be large): the oldest go first, each counted", async () => {
    // Room for one payload only: each new one pushes the one before out.
    const gateway = await open({ maxQueueChars: 1 });
    receiverUp = false;
    try {
      const ids = await chatIds(gateway, 3);
      await until("the third request's end", () => droppedIn(gateway) === 2);
      receiverUp = true;
      await until("the kept payload", () => accepted.length >= 1);
      assert.deepEqual(
        accepted.map((p) => p.id),
        ids.slice(2),
      );
    } finally {
      receiverUp = true;
      await gateway.close();
    }
  });

  test("a batch stays under its size in characters: past it, the payloads go in more batches", async () => {
    const gateway = await open({ maxBatchChars: 1 });
    receiverUp = false;
    try {
      await chatIds(gateway, 3);
      await until("a refused batch", () => receiver.requests.length >= 1);
      receiverUp = true;
      await until("every payload", () => accepted.length >= 3);
      // Each batch, refused or accepted, held one payload, though up to 10 may go together.
      assert.deepEqual(new Set(received().batches.map((batch) => batch.length)), new Set([1]));
      assert.equal(accepted.length, 3);
    } finally {
      receiverUp = true;
      await gateway.close();
    }
  });

  test("shutdown gives up within its grace time on an endpoint too slow to answer, counting what was lost", async () => {
    const slow = await MockUpstream.start();
    slow.always((_request, res) => {
      setTimeout(() => json(res, 200, {}), 3000).unref();
    });
    const gateway = await startGateway({
      modelList: modelList(),
      metrics: { requireAuth: false, endUserLimit: 10, endUserLabels: false },
      webhook: {
        endpoint: `${slow.url}/logs`,
        headers: {},
        batchSize: 1,
        flushIntervalMs: 60_000,
        maxQueue: 100,
        logMessages: false,
      },
    });
    try {
      for (let i = 0; i < 3; i++) {
        const answer = await call(gateway.url, "POST", "/v1/chat/completions", undefined, {
          model: "gpt-ok",
          messages: [{ role: "user", content: "x" }],
        });
        assert.equal(answer.status, 200);
      }
      // Each payload is a batch; the first is sent at once and hangs.
      await until("the first batch in flight", () => slow.requests.length === 1);
      const started = performance.now();
      await gateway.server.shutdown(500);
      const took = performance.now() - started;
      assert.ok(took < 2000, `shutdown took ${Math.round(took)} ms with a 500 ms grace time`);
      const lost = gateway.logs.find((l) => l.msg === "generic_api logger: payloads not sent before shutdown");
      assert.equal(lost?.lost, 3);
    } finally {
      await slow.close();
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
