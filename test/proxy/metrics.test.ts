/**
 * GET /metrics after a scripted mix of requests: successes, a stream, an upstream 500 the
 * client gets, a fallback, a cooldown, two virtual keys with aliases and a team, end users
 * past the label limit. Exact counters and label sets; the exposition passes promtool.
 */
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { hashKey } from "../../src/access/key-token.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import { request } from "node:http";
import { type RunningCli, startCli } from "../helpers/cli.js";
import { chatAnswer } from "../helpers/fixtures.js";
import { startGateway, type TestGateway } from "../helpers/gateway.js";
import { call, generateKey, MASTER_KEY } from "../helpers/keys.js";
import { json, MockUpstream, sse } from "../helpers/mock-upstream.js";
import { eventually, warnSkipped } from "../helpers/services.js";

/** $1 per 1000 prompt tokens, $2 per 1000 completion tokens: 5 + 7 tokens cost $0.019. */
const PRICES = { input_cost_per_token: 0.001, output_cost_per_token: 0.002 };

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The exposition's samples (comments skipped); label values unescaped enough for these tests. */
function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(match, `not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
      labels[pair[1] as string] = pair[2] as string;
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The samples named `name` whose labels include `labels`. */
function find(samples: Sample[], name: string, labels: Record<string, string> = {}): Sample[] {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

function total(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return find(samples, name, labels).reduce((sum, s) => sum + s.value, 0);
}

const dir = mkdtempSync(join(tmpdir(), "litegate-metrics-"));
let mock: MockUpstream;
let gateway: TestGateway;
let url: string;
let alpha: string;
let beta: string;
let exposition: string;
let samples: Sample[];

function chat(key: string, model: string, extra: Record<string, unknown> = {}) {
  return call(url, "POST", "/v1/chat/completions", key, {
    model,
    messages: [{ role: "user", content: "hi" }],
    ...extra,
  });
}

before(async () => {
  mock = await MockUpstream.start();
  mock.always((request, res) => {
    if (request.path.startsWith("/fail/")) return json(res, 500, { error: { message: "upstream broke" } });
    if (request.path.startsWith("/limited/")) return json(res, 429, { error: { message: "slow down" } });
    if (request.path.startsWith("/slow/")) {
      // Long enough for the client to leave first.
      setTimeout(() => json(res, 200, chatAnswer("late")), 400);
      return;
    }
    const body = request.json as { stream?: boolean };
    // OpenAI's rate-limit headers on every answer (the stream's too): what the remaining gauges read.
    const limits = { "x-ratelimit-remaining-requests": "99", "x-ratelimit-remaining-tokens": "8000" };
    if (body.stream !== true) return json(res, 200, chatAnswer("hello"), limits);
    const chunk = (delta: object, finish: string | null) => ({
      id: "chatcmpl-s",
      object: "chat.completion.chunk",
      created: 1700000000,
      model: "gpt-ok",
      choices: [{ index: 0, delta, finish_reason: finish }],
    });
    return sse(
      res,
      [
        chunk({ role: "assistant", content: "hel" }, null),
        chunk({ content: "lo" }, "stop"),
        {
          id: "chatcmpl-s",
          object: "chat.completion.chunk",
          created: 1700000000,
          model: "gpt-ok",
          choices: [],
          usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 },
        },
        "[DONE]",
      ],
      limits,
    );
  });
  const deployment = (name: string, path: string, model = name) => ({
    model_name: name,
    litellm_params: { model: `openai/${model}`, api_key: "sk-upstream-secret", api_base: `${mock.url}/${path}/v1` },
    model_info: { id: `${model}-id`, ...PRICES },
  });
  gateway = await startGateway({
    modelList: [
      deployment("gpt-ok", "ok"),
      deployment("flaky", "fail"),
      deployment("broken", "fail"),
      deployment("duo", "limited", "duo-a"),
      deployment("duo", "ok", "duo-b"),
    ],
    masterKey: MASTER_KEY,
    store: SqliteStore.open({ path: join(dir, "metrics.db") }),
    // The first deployment of a group is always picked first; retries go on to the next.
    router: { fallbacks: [{ flaky: ["gpt-ok"] }], num_retries: 1, random: () => 0 },
    metrics: { requireAuth: true, endUserLimit: 1, endUserLabels: true },
  });
  url = gateway.url;
  const team = await call(url, "POST", "/team/new", MASTER_KEY, { team_id: "t-ml", team_alias: "ML", max_budget: 10 });
  assert.equal(team.status, 200, JSON.stringify(team.body));
  alpha = await generateKey(url, { key_alias: "alpha", team_id: "t-ml", max_budget: 2 });
  beta = await generateKey(url, { key_alias: "beta" });

  assert.equal((await chat(alpha, "gpt-ok", { user: "u1" })).status, 200);
  assert.equal((await chat(alpha, "gpt-ok", { user: "u2" })).status, 200);
  const streamed = await fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${beta}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "gpt-ok", stream: true, messages: [{ role: "user", content: "hi" }] }),
  });
  assert.equal(streamed.status, 200);
  await streamed.text();
  assert.equal((await chat(alpha, "flaky")).status, 200);
  assert.equal((await chat(beta, "broken")).status, 500);
  assert.equal((await chat(alpha, "duo")).status, 200);
  assert.equal((await chat("sk-not-a-key", "gpt-ok")).status, 401);

  const scrape = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${MASTER_KEY}` } });
  assert.equal(scrape.status, 200);
  assert.equal(scrape.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  exposition = await scrape.text();
  samples = parse(exposition);
});
after(async () => {
  await gateway.close();
  await mock.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("GET /metrics", () => {
  test("the master key only (by default); a virtual key 403, no key 401", async () => {
    assert.equal((await call(url, "GET", "/metrics", alpha)).status, 403);
    assert.equal((await call(url, "GET", "/metrics", undefined)).status, 401);
  });

  test("litellm_proxy_total_requests_metric: one per completion request, by key, status and model", () => {
    const name = "litellm_proxy_total_requests_metric_total";
    assert.equal(total(samples, name), 7);
    const key = (hashed: string) => find(samples, name, { hashed_api_key: hashed })[0]?.labels.hashed_api_key ?? "";
    const alphaHash = find(samples, name, { api_key_alias: "alpha" })[0]?.labels.hashed_api_key ?? "";
    assert.match(alphaHash, /^[0-9a-f]{64}$/);
    assert.equal(key(alphaHash), alphaHash);
    assert.deepEqual(find(samples, name, { api_key_alias: "alpha", requested_model: "gpt-ok", end_user: "u1" }), [
      {
        name,
        labels: {
          end_user: "u1",
          hashed_api_key: alphaHash,
          api_key_alias: "alpha",
          team: "t-ml",
          team_alias: "ML",
          user: "",
          requested_model: "gpt-ok",
          status_code: "200",
          route: "/v1/chat/completions",
          model_id: "gpt-ok-id",
        },
        value: 1,
      },
    ]);
    // Past the limit of one labelled end user, u2 is counted without its own series.
    assert.equal(total(samples, name, { api_key_alias: "alpha", requested_model: "gpt-ok", end_user: "" }), 1);
    assert.equal(total(samples, name, { api_key_alias: "beta", status_code: "500", requested_model: "broken" }), 1);
    assert.equal(total(samples, name, { hashed_api_key: "", status_code: "401" }), 1);
    assert.equal(total(samples, name, { api_key_alias: "alpha", requested_model: "flaky", status_code: "200" }), 1);
  });

  test("litellm_proxy_failed_requests_metric: the client's failures, with the status and LiteLLM's exception class", () => {
    const name = "litellm_proxy_failed_requests_metric_total";
    assert.equal(total(samples, name), 2);
    assert.equal(
      total(samples, name, {
        api_key_alias: "beta",
        requested_model: "broken",
        exception_status: "500",
        exception_class: "Openai.InternalServerError",
        model_id: "broken-id",
      }),
      1,
    );
    assert.equal(
      total(samples, name, { exception_status: "401", exception_class: "AuthenticationError", hashed_api_key: "" }),
      1,
    );
  });

  test("tokens and spend, by key and model, streams included", () => {
    // Five successful requests of 5 + 7 tokens each.
    assert.equal(total(samples, "litellm_input_tokens_metric_total"), 25);
    assert.equal(total(samples, "litellm_output_tokens_metric_total"), 35);
    assert.equal(total(samples, "litellm_total_tokens_metric_total"), 60);
    assert.equal(total(samples, "litellm_total_tokens_metric_total", { api_key_alias: "beta" }), 12);
    assert.equal(total(samples, "litellm_total_tokens_metric_total", { model: "duo-b", model_id: "duo-b-id" }), 12);
    assert.ok(Math.abs(total(samples, "litellm_spend_metric_total") - 5 * 0.019) < 1e-9);
    assert.equal(total(samples, "litellm_requests_metric_total"), 5);
  });

  test("budgets: max_budget and what is left after each request, for the key and its team", () => {
    // alpha's four answers of $0.019 each, summed in the order the ledger counted them.
    let spent = 0;
    for (let i = 0; i < 4; i++) spent += 0.019;
    const key = { hashed_api_key: hashKey(alpha), api_key_alias: "alpha" };
    assert.deepEqual(find(samples, "litellm_remaining_api_key_budget_metric"), [
      { name: "litellm_remaining_api_key_budget_metric", labels: key, value: 2 - spent },
    ]);
    assert.deepEqual(find(samples, "litellm_api_key_max_budget_metric"), [
      { name: "litellm_api_key_max_budget_metric", labels: key, value: 2 },
    ]);
    const team = { team: "t-ml", team_alias: "ML" };
    assert.deepEqual(find(samples, "litellm_remaining_team_budget_metric"), [
      { name: "litellm_remaining_team_budget_metric", labels: team, value: 10 - spent },
    ]);
    assert.deepEqual(find(samples, "litellm_team_max_budget_metric"), [
      { name: "litellm_team_max_budget_metric", labels: team, value: 10 },
    ]);
    // beta has no budget, nor has any user: no series.
    assert.deepEqual(find(samples, "litellm_remaining_user_budget_metric"), []);
  });

  test("the provider's x-ratelimit-remaining-* of its last answer, per deployment and key", () => {
    const where = (group: string, model: string, alias: string, key: string) => ({
      model_group: group,
      api_provider: "openai",
      api_base: `${mock.url}/ok/v1`,
      litellm_model_name: `openai/${model}`,
      hashed_api_key: hashKey(key),
      api_key_alias: alias,
      model_id: `${model}-id`,
    });
    const expected = [
      where("gpt-ok", "gpt-ok", "alpha", alpha),
      where("gpt-ok", "gpt-ok", "beta", beta),
      where("duo", "duo-b", "alpha", alpha),
    ];
    const seen = (name: string) =>
      find(samples, name)
        .map((s) => JSON.stringify([s.labels, s.value]))
        .sort();
    const want = (value: number) => expected.map((labels) => JSON.stringify([labels, value])).sort();
    assert.deepEqual(seen("litellm_remaining_requests_metric"), want(99));
    assert.deepEqual(seen("litellm_remaining_tokens_metric"), want(8000));
  });

  test("latency histograms: one observation per successful request; time to first token for the stream only", () => {
    assert.equal(total(samples, "litellm_request_total_latency_metric_count"), 5);
    assert.equal(total(samples, "litellm_llm_api_latency_metric_count"), 5);
    assert.equal(total(samples, "litellm_overhead_latency_metric_count"), 5);
    assert.equal(total(samples, "litellm_llm_api_time_to_first_token_metric_count"), 1);
    assert.equal(
      total(samples, "litellm_llm_api_time_to_first_token_metric_count", { api_key_alias: "beta", model: "gpt-ok" }),
      1,
    );
    // Only the stream's series: a histogram no request observed is not shown (no series of zeros per label set).
    assert.deepEqual(
      find(samples, "litellm_llm_api_time_to_first_token_metric_count").map((s) => [s.labels.api_key_alias, s.value]),
      [["beta", 1]],
    );
    // Cumulative buckets: +Inf holds every observation, and no bucket holds more than a later one.
    const buckets = find(samples, "litellm_request_total_latency_metric_bucket", { api_key_alias: "beta" });
    assert.equal(buckets.at(-1)?.labels.le, "+Inf");
    assert.equal(buckets.at(-1)?.value, 1);
    for (let i = 1; i < buckets.length; i++) assert.ok((buckets[i]?.value ?? 0) >= (buckets[i - 1]?.value ?? 0));
  });

  test("deployments: every attempt, its failures, the cooldown and its state", () => {
    const where = (model: string) => ({
      litellm_model_name: `openai/${model}`,
      model_id: `${model}-id`,
      api_provider: "openai",
    });
    // flaky and broken are each tried twice (num_retries: 1), duo-a once before duo-b answers.
    assert.equal(total(samples, "litellm_deployment_total_requests_total"), 10);
    assert.equal(total(samples, "litellm_deployment_success_responses_total"), 5);
    assert.equal(total(samples, "litellm_deployment_failure_responses_total"), 5);
    assert.equal(total(samples, "litellm_deployment_failure_responses_total", where("broken")), 2);
    assert.equal(
      total(samples, "litellm_deployment_failure_responses_total", {
        ...where("duo-a"),
        requested_model: "duo",
        exception_status: "429",
        exception_class: "Openai.RateLimitError",
        api_key_alias: "alpha",
      }),
      1,
    );
    assert.deepEqual(
      find(samples, "litellm_deployment_cooled_down_total").map((s) => s.labels),
      [{ ...where("duo-a"), api_base: `${mock.url}/limited/v1`, exception_status: "429" }],
    );
    assert.equal(total(samples, "litellm_deployment_state", where("duo-a")), 2);
    assert.equal(total(samples, "litellm_deployment_state", where("duo-b")), 0);
    assert.equal(total(samples, "litellm_deployment_state", where("flaky")), 1);
  });

  test("fallbacks: the group fallen back to, and the failure that sent the request there", () => {
    assert.deepEqual(
      find(samples, "litellm_deployment_successful_fallbacks_total").map((s) => [s.labels, s.value]),
      [
        [
          {
            requested_model: "flaky",
            fallback_model: "gpt-ok",
            hashed_api_key: find(samples, "litellm_requests_metric_total", { api_key_alias: "alpha" })[0]?.labels
              .hashed_api_key,
            api_key_alias: "alpha",
            team: "t-ml",
            team_alias: "ML",
            exception_status: "500",
            exception_class: "Openai.InternalServerError",
            model_id: "gpt-ok-id",
          },
          1,
        ],
      ],
    );
    assert.equal(total(samples, "litellm_deployment_failed_fallbacks_total"), 0);
  });

  test("in-flight requests and Node's process metrics (without the gauges promtool refuses)", () => {
    // The scrape itself is in flight.
    assert.equal(total(samples, "litellm_in_flight_requests"), 1);
    assert.ok(find(samples, "nodejs_eventloop_lag_p99_seconds").length === 1);
    assert.ok(find(samples, "process_resident_memory_bytes").length === 1);
    assert.equal(find(samples, "nodejs_active_handles_total").length, 0);
  });

  test("the log line of each request names the key, team, end user, attempts, fallbacks, time to first token", () => {
    const lines = gateway.logs.filter((line) => line.route === "/v1/chat/completions");
    const alphaHash = String(
      find(samples, "litellm_requests_metric_total", { api_key_alias: "alpha" })[0]?.labels.hashed_api_key,
    );
    const fell = lines.find((line) => line.model === "flaky");
    assert.deepEqual(
      {
        key_alias: fell?.key_alias,
        key_hash: fell?.key_hash,
        team_id: fell?.team_id,
        attempts: fell?.attempts,
        retries: fell?.retries,
        fallbacks: fell?.fallbacks,
        deployment_id: fell?.deployment_id,
        status: fell?.status,
        error: fell?.error,
      },
      {
        key_alias: "alpha",
        key_hash: alphaHash.slice(0, 12),
        team_id: "t-ml",
        attempts: 3,
        retries: 1,
        fallbacks: 1,
        deployment_id: "gpt-ok-id",
        status: 200,
        error: undefined,
      },
    );
    assert.equal(lines.find((line) => line.end_user === "u1")?.key_alias, "alpha");
    const broken = lines.find((line) => line.model === "broken");
    assert.equal(broken?.error, "InternalServerError");
    assert.equal(broken?.status, 500);
    const streamed = lines.find((line) => line.stream === true);
    assert.equal(typeof streamed?.ttft_ms, "number");
    assert.ok((streamed?.ttft_ms as number) <= (streamed?.duration_ms as number));
    assert.equal(lines.find((line) => line.stream === false)?.ttft_ms, undefined);
    const refused = lines.find((line) => line.status === 401);
    assert.equal(refused?.key_hash, undefined);
    assert.equal(refused?.error, "AuthenticationError");
  });

  test("no secret anywhere: not the master key, a virtual key, or an upstream key", () => {
    for (const secret of [MASTER_KEY, alpha, beta, "sk-upstream-secret"]) assert.ok(!exposition.includes(secret));
  });

  const promtool = "/usr/bin/promtool";
  const skip = existsSync(promtool) ? undefined : `${promtool} is missing: the promtool check is skipped`;
  warnSkipped(skip);
  test("passes promtool check metrics", { skip }, () => {
    const file = join(dir, "exposition.txt");
    writeFileSync(file, exposition);
    const output = execFileSync("sh", ["-c", `${promtool} check metrics < "${file}" 2>&1; echo "exit=$?"`], {
      encoding: "utf8",
    });
    assert.equal(output.trim(), "exit=0");
  });

  const prometheusBin = "/usr/bin/prometheus";
  const noServer = existsSync(prometheusBin) ? undefined : `${prometheusBin} is missing: the scrape test is skipped`;
  warnSkipped(noServer);
  test("a real Prometheus server scrapes it with the master key and serves the series", {
    skip: noServer,
  }, async () => {
    const port = await freePort();
    const config = join(dir, "prometheus.yml");
    const target = new URL(url).host;
    writeFileSync(
      config,
      [
        "global: {scrape_interval: 1s, scrape_timeout: 1s}",
        "scrape_configs:",
        "  - job_name: litegate",
        `    authorization: {credentials_file: ${JSON.stringify(join(dir, "master-key"))}}`,
        `    static_configs: [{targets: ["${target}"]}]`,
        "",
      ].join("\n"),
    );
    writeFileSync(join(dir, "master-key"), MASTER_KEY);
    const server = spawn(
      prometheusBin,
      [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, "tsdb")}`, `--web.listen-address=127.0.0.1:${port}`],
      { stdio: "ignore" },
    );
    try {
      const query = `http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent('sum(litellm_proxy_total_requests_metric_total{api_key_alias="alpha"})')}`;
      let value: string | undefined;
      for (let i = 0; i < 150 && value === undefined; i++) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        const answer = await fetch(query).catch(() => undefined);
        if (answer?.status !== 200) continue;
        const body = (await answer.json()) as { data: { result: { value: [number, string] }[] } };
        value = body.data.result[0]?.value[1];
      }
      // alpha's four requests (two to gpt-ok, one falling back, one to duo).
      assert.equal(value, "4");
    } finally {
      const exited = once(server, "exit");
      server.kill("SIGTERM");
      await exited;
    }
  });
});

/** A port nothing listens on now. */
async function freePort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, "127.0.0.1");
  await once(probe, "listening");
  const address = probe.address();
  probe.close();
  return typeof address === "object" && address !== null ? address.port : 0;
}

describe("a key changed between requests", () => {
  test("its new alias and team label the requests after the change; the earlier ones keep the old", async () => {
    const changed = await startGateway({
      modelList: [
        {
          model_name: "gpt-ok",
          litellm_params: { model: "openai/gpt-ok", api_key: "sk-upstream-secret", api_base: `${mock.url}/ok/v1` },
          model_info: { id: "gpt-ok-id", ...PRICES },
        },
      ],
      masterKey: MASTER_KEY,
      store: SqliteStore.open({ path: join(dir, "changed.db") }),
      metrics: { requireAuth: true, endUserLimit: 1, endUserLabels: true },
    });
    try {
      const team = await call(changed.url, "POST", "/team/new", MASTER_KEY, { team_id: "t-new", team_alias: "New" });
      assert.equal(team.status, 200, JSON.stringify(team.body));
      const key = await generateKey(changed.url, { key_alias: "before", max_budget: 5 });
      const ask = () =>
        call(changed.url, "POST", "/v1/chat/completions", key, {
          model: "gpt-ok",
          messages: [{ role: "user", content: "hi" }],
        });
      assert.equal((await ask()).status, 200);
      const update = await call(changed.url, "POST", "/key/update", MASTER_KEY, {
        key,
        key_alias: "after",
        team_id: "t-new",
      });
      assert.equal(update.status, 200, JSON.stringify(update.body));
      assert.equal((await ask()).status, 200);
      const scrape = await fetch(`${changed.url}/metrics`, { headers: { authorization: `Bearer ${MASTER_KEY}` } });
      const seen = parse(await scrape.text());
      const name = "litellm_proxy_total_requests_metric_total";
      assert.equal(total(seen, name, { api_key_alias: "before", team: "", team_alias: "" }), 1);
      assert.equal(total(seen, name, { api_key_alias: "after", team: "t-new", team_alias: "New" }), 1);
      const hashed = hashKey(key);
      assert.deepEqual(
        find(seen, "litellm_api_key_max_budget_metric").map((sample) => sample.labels),
        [
          { hashed_api_key: hashed, api_key_alias: "before" },
          { hashed_api_key: hashed, api_key_alias: "after" },
        ],
      );
    } finally {
      await changed.close();
    }
  });
});

describe("requested models the config does not name", () => {
  test("the first 100 get their own requested_model series, later ones an empty label; named ones always their own", async () => {
    const bounded = await startGateway({
      modelList: [
        {
          model_name: "gpt-ok",
          litellm_params: { model: "openai/gpt-ok", api_key: "sk-upstream-secret", api_base: `${mock.url}/ok/v1` },
          model_info: { id: "gpt-ok-id", ...PRICES },
        },
      ],
      metrics: { requireAuth: false, endUserLimit: 1, endUserLabels: true },
    });
    try {
      const ask = (model: string) =>
        call(bounded.url, "POST", "/v1/chat/completions", "sk-any", {
          model,
          messages: [{ role: "user", content: "hi" }],
        });
      for (let i = 0; i < 102; i++) assert.equal((await ask(`bogus-${i}`)).status, 400);
      assert.equal((await ask("gpt-ok")).status, 200);
      const seen = parse(await (await fetch(`${bounded.url}/metrics`)).text());
      const name = "litellm_proxy_total_requests_metric_total";
      const models = new Set(find(seen, name).map((sample) => sample.labels.requested_model));
      assert.equal(models.size, 102);
      assert.ok(models.has("bogus-99") && !models.has("bogus-100") && !models.has("bogus-101"));
      assert.equal(total(seen, name, { requested_model: "" }), 2);
      assert.equal(total(seen, name, { requested_model: "gpt-ok" }), 1);
      assert.equal(total(seen, "litellm_proxy_failed_requests_metric_total", { requested_model: "" }), 2);
    } finally {
      await bounded.close();
    }
  });
});

describe("wildcard deployments, and fallbacks after retries", () => {
  let routed: TestGateway;
  let seen: Sample[];

  before(async () => {
    const deployment = (name: string, path: string, id: string) => ({
      model_name: name,
      litellm_params: { model: `openai/${id}`, api_key: "sk-upstream-secret", api_base: `${mock.url}/${path}/v1` },
      model_info: { id: `${id}-id`, ...PRICES },
    });
    routed = await startGateway({
      modelList: [
        {
          model_name: "wild/*",
          litellm_params: { model: "openai/*", api_key: "sk-upstream-secret", api_base: `${mock.url}/ok/v1` },
          model_info: { id: "wild-id" },
        },
        // A catch-all: any provider's model, through one mock.
        {
          model_name: "*",
          litellm_params: { model: "*", api_key: "sk-upstream-secret", api_base: `${mock.url}/ok/v1` },
          model_info: { id: "any-id" },
        },
        deployment("first", "limited", "first-a"),
        deployment("first", "limited", "first-b"),
        deployment("second", "fail", "second-a"),
        deployment("second", "ok", "second-b"),
        deployment("third", "ok", "third-a"),
        deployment("chain", "fail", "chain-a"),
        deployment("busy", "limited", "busy-a"),
        deployment("slow", "slow", "slow-a"),
        deployment("lone", "fail", "lone-a"),
      ],
      router: { fallbacks: [{ first: ["second"] }, { chain: ["busy", "third"] }], num_retries: 1, random: () => 0 },
      metrics: { requireAuth: false, endUserLimit: 1, endUserLabels: true },
    });
    const ask = (model: string) =>
      call(routed.url, "POST", "/v1/chat/completions", undefined, {
        model,
        messages: [{ role: "user", content: "hi" }],
      });
    assert.equal((await ask("wild/gpt-4o-mini")).status, 200);
    // first-a 429, first-b 429, then second-a 500, second-b answers.
    assert.equal((await ask("first")).status, 200);
    // A wildcard reached through the body's fallbacks: any name a client likes, so its pattern labels it.
    for (const model of ["wild/gpt-4o-mini", "wild/gpt-4o"]) {
      const answer = await call(routed.url, "POST", "/v1/chat/completions", undefined, {
        model: "lone",
        fallbacks: [model],
        num_retries: 0,
        messages: [{ role: "user", content: "hi" }],
      });
      assert.equal(answer.status, 200);
    }
    assert.equal((await ask("groq/llama-3.1-8b-instant")).status, 200);
    // A stream refused before its first chunk.
    const refusedStream = await call(routed.url, "POST", "/v1/chat/completions", undefined, {
      model: "lone",
      stream: true,
      messages: [{ role: "user", content: "hi" }],
    });
    assert.equal(refusedStream.status, 500);
    // chain-a 500; then busy-a 429; third answers (no retries: each group tried once).
    const chained = await call(routed.url, "POST", "/v1/chat/completions", undefined, {
      model: "chain",
      num_retries: 0,
      messages: [{ role: "user", content: "hi" }],
    });
    assert.equal(chained.status, 200);
    // A client that leaves before the answer: its prompt is charged, and counted here as in its spend record.
    const leaving = request(`${routed.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
    });
    leaving.on("error", () => undefined);
    leaving.end(JSON.stringify({ model: "slow", messages: [{ role: "user", content: "hi" }] }));
    // Gone once the provider has the request, and before it answers.
    await eventually(() => mock.requests.some((r) => r.path.startsWith("/slow/")), "the slow call under way");
    leaving.destroy();
    await eventually(
      () => routed.logs.some((line) => line.status === 499 && line.prompt_tokens !== undefined),
      "the departed client's log line, its tokens counted",
    );
    // LiteLLM mounts its exporter at /metrics/, the path its scrape configs use.
    const scrape = await fetch(`${routed.url}/metrics/`);
    assert.equal(scrape.status, 200);
    seen = parse(await scrape.text());
  });

  after(async () => {
    await routed.close();
  });

  test("a wildcard's series name the model it called, priced from the table, not its pattern", () => {
    // gpt-4o-mini: $0.15 and $0.60 a million tokens; the answer used 5 and 7.
    assert.deepEqual(
      find(seen, "litellm_spend_metric_total", { model_id: "wild-id", model: "gpt-4o-mini" }).map((s) => s.value),
      [0.00000495],
    );
    assert.equal(total(seen, "litellm_requests_metric_total", { model: "gpt-4o-mini", model_id: "wild-id" }), 1);
    const deploymentWhere = { litellm_model_name: "openai/gpt-4o-mini", model_id: "wild-id" };
    assert.equal(
      total(seen, "litellm_deployment_total_requests_total", {
        ...deploymentWhere,
        requested_model: "wild/gpt-4o-mini",
      }),
      1,
    );
    // The remaining-requests gauge and the overhead histogram name the same model group: the one asked for.
    assert.equal(
      total(seen, "litellm_remaining_requests_metric", { ...deploymentWhere, model_group: "wild/gpt-4o-mini" }),
      99,
    );
    assert.equal(
      total(seen, "litellm_overhead_latency_metric_count", { ...deploymentWhere, model_group: "wild/gpt-4o-mini" }),
      1,
    );
    assert.deepEqual(
      find(seen, "litellm_deployment_total_requests_total", { requested_model: "wild/gpt-4o-mini" }).map(
        (s) => s.labels.litellm_model_name,
      ),
      ["openai/gpt-4o-mini"],
    );
  });

  test("a wildcard reached as a fallback shows its pattern; a catch-all shows the provider it called", () => {
    assert.deepEqual(
      find(seen, "litellm_requests_metric_total", { model_id: "wild-id" })
        .map((s) => [s.labels.model, s.value])
        .sort(),
      [
        ["*", 2],
        ["gpt-4o-mini", 1],
      ],
    );
    // Each priced as the model it called: gpt-4o-mini's $4.95e-6 and gpt-4o's $8.25e-5 ($2.50 and $10 a million).
    const spent = total(seen, "litellm_spend_metric_total", { model_id: "wild-id", model: "*" });
    assert.ok(Math.abs(spent - (0.00000495 + 0.0000825)) < 1e-12, String(spent));
    assert.deepEqual(
      find(seen, "litellm_deployment_total_requests_total", { model_id: "any-id" }).map((s) => [
        s.labels.litellm_model_name,
        s.labels.api_provider,
      ]),
      [["groq/llama-3.1-8b-instant", "groq"]],
    );
  });

  test("a client gone before the answer: the tokens and spend its spend record is charged, and its log line's", () => {
    const tokens = total(seen, "litellm_input_tokens_metric_total", { model_id: "slow-a-id" });
    assert.ok(tokens > 0);
    assert.equal(total(seen, "litellm_output_tokens_metric_total", { model_id: "slow-a-id" }), 0);
    assert.ok(Math.abs(total(seen, "litellm_spend_metric_total", { model_id: "slow-a-id" }) - tokens * 0.001) < 1e-12);
    const line = routed.logs.find((l) => l.status === 499);
    assert.equal(line?.prompt_tokens, tokens);
    assert.equal(line?.completion_tokens, 0);
    assert.ok(Math.abs(Number(line?.cost) - tokens * 0.001) < 1e-12);
    // Nothing reached the client: no first token, and no successful request in the metrics.
    assert.equal(line?.ttft_ms, undefined);
    assert.deepEqual(find(seen, "litellm_requests_metric_total", { model_id: "slow-a-id" }), []);
    const refused = routed.logs.find((l) => l.stream === true && l.status === 500);
    assert.equal(refused?.model, "lone");
    assert.equal(refused?.ttft_ms, undefined);
  });

  test("a fallback is blamed on the failure that sent the request there, not a retry's inside the fallback group", () => {
    const fallbacks = (name: string, requested: string) =>
      find(seen, name, { requested_model: requested }).map((s) => [
        s.labels.fallback_model,
        s.labels.exception_status,
        s.labels.exception_class,
        s.labels.model_id,
        s.value,
      ]);
    assert.deepEqual(fallbacks("litellm_deployment_successful_fallbacks_total", "first"), [
      ["second", "429", "Openai.RateLimitError", "second-b-id", 1],
    ]);
    // The body's fallbacks to a wildcard: the group is its pattern.
    assert.deepEqual(
      find(seen, "litellm_deployment_successful_fallbacks_total", { requested_model: "lone" }).map((s) => [
        s.labels.fallback_model,
        s.value,
      ]),
      [["wild/*", 2]],
    );
    assert.equal(total(seen, "litellm_deployment_failure_responses_total", { model_id: "second-a-id" }), 1);
    // As LiteLLM labels every fallback with the original exception: the group asked for's 500,
    // not the 429s of the fallback tried before the one that answered.
    assert.deepEqual(fallbacks("litellm_deployment_failed_fallbacks_total", "chain"), [
      ["busy", "500", "Openai.InternalServerError", "busy-a-id", 1],
    ]);
    assert.deepEqual(fallbacks("litellm_deployment_successful_fallbacks_total", "chain"), [
      ["third", "500", "Openai.InternalServerError", "third-a-id", 1],
    ]);
  });
});

describe("metrics off", () => {
  test("/metrics is a 404 saying how to turn it on", async () => {
    const off = await startGateway({ modelList: [] });
    try {
      const answer = await call(off.url, "GET", "/metrics", undefined);
      assert.equal(answer.status, 404);
      assert.deepEqual(answer.body.error, {
        message:
          "Metrics are off: add `prometheus` to litellm_settings.callbacks in config.yaml and restart the gateway.",
        type: "not_found_error",
        param: null,
        code: "metrics_disabled",
      });
    } finally {
      await off.close();
    }
  });
});

/** One request on its own connection, so the cluster hands it to the next worker. */
function fresh(url: string, method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}${path}`,
      {
        method,
        agent: false,
        headers: { authorization: `Bearer ${MASTER_KEY}`, "content-type": "application/json" },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (piece: string) => (text += piece));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on("error", reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** The worker processes the CLI's primary forked (their parent is its pid). */
function workerPids(primary: number): number[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        // The fields after the command's name, which may hold spaces: state, then the parent's pid.
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === primary;
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe("--num_workers 2", () => {
  let workDir: string;
  let upstream: MockUpstream;
  let cli: RunningCli;

  before(async () => {
    workDir = mkdtempSync(join(tmpdir(), "litegate-metrics-workers-"));
    upstream = await MockUpstream.start();
    upstream.always((_req, res) => json(res, 200, chatAnswer("hello")));
    const file = join(workDir, "config.yaml");
    writeFileSync(
      file,
      [
        "model_list:",
        "  - model_name: m",
        `    litellm_params: {model: openai/m, api_key: sk-upstream-secret, api_base: "${upstream.url}/v1"}`,
        "general_settings:",
        `  master_key: ${MASTER_KEY}`,
        "litellm_settings:",
        "  callbacks: [prometheus]",
        "",
      ].join("\n"),
    );
    cli = await startCli(["--config", file, "--num_workers", "2"], workDir);
    while ((cli.stdout().match(/listening on/g) ?? []).length < 2) await new Promise((r) => setTimeout(r, 50));
  });

  after(async () => {
    await cli.stop();
    await upstream.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  /** `count` scrapes, each on a new connection (so the workers take turns answering), parsed. */
  async function scrapes(count: number): Promise<Sample[][]> {
    const parsed: Sample[][] = [];
    for (let i = 0; i < count; i++) {
      const scrape = await fresh(cli.url, "GET", "/metrics");
      assert.equal(scrape.status, 200);
      parsed.push(parse(scrape.text));
    }
    return parsed;
  }

  test("a scrape of either worker reports both workers' requests", async () => {
    for (let i = 0; i < 6; i++) {
      const answer = await fresh(cli.url, "POST", "/v1/chat/completions", {
        model: "m",
        messages: [{ role: "user", content: "hi" }],
      });
      assert.equal(answer.status, 200);
    }
    // Connections go to the workers in turn: each scrape below is answered by one of them.
    const served = new Set<string>();
    for (const parsed of await scrapes(4)) {
      assert.equal(total(parsed, "litellm_proxy_total_requests_metric_total"), 6);
      assert.equal(total(parsed, "litellm_total_tokens_metric_total"), 72);
      served.add(String(total(parsed, "process_start_time_seconds")));
    }
    // The gauge summed over two processes is not either process's own start time.
    assert.equal(served.size, 1);
  });

  test("a worker that dies and is replaced keeps its counts in the sum: totals never go back", async () => {
    const pids = workerPids(cli.child.pid as number);
    assert.equal(pids.length, 2);
    process.kill(pids[0] as number, "SIGKILL");
    while (!cli.stderr().includes("starting a new one")) await new Promise((r) => setTimeout(r, 50));
    while ((cli.stdout().match(/listening on/g) ?? []).length < 3) await new Promise((r) => setTimeout(r, 50));
    for (const parsed of await scrapes(4)) {
      // The dead worker's requests, as the last scrape gathered them, are still counted.
      assert.equal(total(parsed, "litellm_proxy_total_requests_metric_total"), 6);
      assert.equal(total(parsed, "litellm_total_tokens_metric_total"), 72);
      // Its gauges went with it: the requests in flight are the live workers' (this scrape's own).
      assert.equal(total(parsed, "litellm_in_flight_requests"), 1);
    }
    const answer = await fresh(cli.url, "POST", "/v1/chat/completions", {
      model: "m",
      messages: [{ role: "user", content: "hi" }],
    });
    assert.equal(answer.status, 200);
    const [scrape] = await scrapes(1);
    assert.equal(total(scrape as Sample[], "litellm_proxy_total_requests_metric_total"), 7);
    // A second death: the two dead workers' counts fold into one, and the sum still holds.
    const [next] = workerPids(cli.child.pid as number);
    process.kill(next as number, "SIGKILL");
    while ((cli.stderr().match(/starting a new one/g) ?? []).length < 2) await new Promise((r) => setTimeout(r, 50));
    while ((cli.stdout().match(/listening on/g) ?? []).length < 4) await new Promise((r) => setTimeout(r, 50));
    for (const parsed of await scrapes(3)) {
      assert.equal(total(parsed, "litellm_proxy_total_requests_metric_total"), 7);
      assert.equal(total(parsed, "litellm_total_tokens_metric_total"), 84);
    }
  });
});
