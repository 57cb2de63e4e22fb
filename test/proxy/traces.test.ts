/**
 * OpenTelemetry traces (litellm_settings.callbacks: [otel]) received by an OTLP/HTTP collector
 * played by the test: one server span per request with its auth, admission, upstream attempts
 * (a retry and a fallback each their own span) and spend children; an incoming traceparent
 * continued and passed upstream; no secret, prompt or answer in any exported byte; nothing
 * exported and no traceparent upstream with tracing off.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import { DEFAULT_SAMPLER } from "../../src/tracing/sampler.js";
import type { TracingSettings } from "../../src/tracing/settings.js";
import { startCli } from "../helpers/cli.js";
import { chatAnswer } from "../helpers/fixtures.js";
import { startGateway, type TestGateway } from "../helpers/gateway.js";
import { call, generateKey, MASTER_KEY } from "../helpers/keys.js";
import { json, MockUpstream } from "../helpers/mock-upstream.js";

const UPSTREAM_KEY = "sk-upstream-secret-0001";
const COLLECTOR_KEY = "collector-secret-0002";
const PROMPT = "a prompt nobody may see";
const ANSWER = "an answer nobody may see";
const PRICES = { input_cost_per_token: 0.001, output_cost_per_token: 0.002 };

/** One export as the collector received it. */
interface Export {
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** An OTLP/HTTP collector on 127.0.0.1 that keeps every export. */
class Collector {
  readonly exports: Export[] = [];
  private constructor(private readonly server: Server) {}

  static async start(): Promise<Collector> {
    const server = createServer();
    const collector = new Collector(server);
    server.on("request", (req, res) => {
      const parts: Buffer[] = [];
      req.on("data", (part: Buffer) => parts.push(part));
      req.on("end", () => {
        collector.exports.push({ path: req.url ?? "", headers: req.headers, body: Buffer.concat(parts) });
        res.writeHead(200, { "content-type": "application/json" });
        res.end("{}");
      });
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    return collector;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1/traces`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, "close");
  }
}

type Attributes = Record<string, string | number | boolean>;

interface Span {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  /** The W3C tracestate it carries ("" for none). */
  traceState: string;
  name: string;
  kind: number;
  start: bigint;
  end: bigint;
  attributes: Attributes;
  status: { code?: number; message?: string };
}

interface OtlpValue {
  stringValue?: string;
  intValue?: number | string;
  doubleValue?: number;
  boolValue?: boolean;
}

function otlpValue(value: OtlpValue): string | number | boolean {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.boolValue !== undefined) return value.boolValue;
  throw new Error(`unexpected attribute value ${JSON.stringify(value)}`);
}

function attributesOf(list: { key: string; value: OtlpValue }[] | undefined): Attributes {
  return Object.fromEntries((list ?? []).map(({ key, value }) => [key, otlpValue(value)]));
}

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  traceState?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes?: { key: string; value: OtlpValue }[];
  status?: { code?: number; message?: string };
}

interface OtlpExport {
  resourceSpans: {
    resource: { attributes: { key: string; value: OtlpValue }[] };
    scopeSpans: { scope: { name: string }; spans: OtlpSpan[] }[];
  }[];
}

/** Every span of the JSON exports received, with the resource attributes of the first. */
function spansOf(exports: Export[]): { spans: Span[]; resource: Attributes } {
  const spans: Span[] = [];
  let resource: Attributes = {};
  for (const received of exports) {
    const body = JSON.parse(received.body.toString("utf8")) as OtlpExport;
    for (const rs of body.resourceSpans) {
      resource = attributesOf(rs.resource.attributes);
      for (const ss of rs.scopeSpans) {
        for (const s of ss.spans) {
          spans.push({
            traceId: s.traceId,
            spanId: s.spanId,
            parentSpanId: s.parentSpanId ?? "",
            traceState: s.traceState ?? "",
            name: s.name,
            kind: s.kind,
            start: BigInt(s.startTimeUnixNano),
            end: BigInt(s.endTimeUnixNano),
            attributes: attributesOf(s.attributes),
            status: s.status ?? {},
          });
        }
      }
    }
  }
  return { spans, resource };
}

async function waitFor(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const SPAN_KIND = { internal: 1, server: 2, client: 3 };

/**
 * The spans of the first chat request whose server span matches, once `count` of them are in
 * (management requests are traced too, and batches may split a request's spans).
 */
async function chatTrace(matches: (root: Span) => boolean, count: number): Promise<Span[]> {
  let found: Span[] = [];
  await waitFor(() => {
    const all = spansOf(collector.exports).spans;
    const root = all.find((s) => s.kind === SPAN_KIND.server && s.name === "POST /v1/chat/completions" && matches(s));
    found = root === undefined ? [] : all.filter((s) => s.traceId === root.traceId);
    return found.length >= count;
  }, `${count} spans of a chat request`);
  return found;
}
const INCOMING_TRACE = "0af7651916cd43dd8448eb211c80319c";
const INCOMING_SPAN = "b7ad6b7169203331";
const INCOMING_STATE = "vendor=abc,other=x1";

const dir = mkdtempSync(join(tmpdir(), "litegate-traces-"));
let mock: MockUpstream;
let collector: Collector;

function modelList() {
  const deployment = (name: string, path: string, id: string) => ({
    model_name: name,
    litellm_params: { model: `openai/${id}-model`, api_key: UPSTREAM_KEY, api_base: `${mock.url}/${path}/v1` },
    model_info: { id, ...PRICES },
  });
  return [
    deployment("flaky", "fail", "flaky-a"),
    deployment("flaky", "fail", "flaky-b"),
    deployment("backup", "ok", "backup-a"),
    {
      model_name: "wild/*",
      litellm_params: { model: "openai/*", api_key: UPSTREAM_KEY, api_base: `${mock.url}/ok/v1` },
      model_info: { id: "wild-id" },
    },
  ];
}

async function traced(tracing: TracingSettings | undefined, name: string): Promise<TestGateway> {
  return startGateway({
    modelList: modelList(),
    masterKey: MASTER_KEY,
    store: SqliteStore.open({ path: join(dir, `${name}.db`) }),
    // The first deployment of a group is tried first; the retry goes to the next one.
    router: { fallbacks: [{ flaky: ["backup"] }], num_retries: 1, random: () => 0 },
    tracing,
  });
}

function settings(protocol: TracingSettings["protocol"]): TracingSettings {
  return {
    url: collector.url,
    protocol,
    headers: { "x-collector-key": COLLECTOR_KEY },
    serviceName: "litegate-test",
    sampler: DEFAULT_SAMPLER,
    batch: { scheduledDelayMillis: 20 },
  };
}

function chat(url: string, key: string, headers: Record<string, string> = {}) {
  return fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...headers },
    body: JSON.stringify({
      model: "flaky",
      messages: [{ role: "user", content: PROMPT }],
      temperature: 0.2,
      max_tokens: 50,
      user: "end-user-7",
    }),
  });
}

/** A plain chat request for `model`, answered, and its trace's five spans. */
async function answeredTrace(url: string, key: string, model: string): Promise<Span[]> {
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ model, messages: [{ role: "user", content: PROMPT }] }),
  });
  assert.equal(response.status, 200);
  await response.text();
  return chatTrace((root) => root.attributes["gen_ai.request.model"] === model, 5);
}

before(async () => {
  mock = await MockUpstream.start();
  mock.always((request, res) => {
    if (request.path.startsWith("/fail/")) return json(res, 500, { error: { message: "upstream broke" } });
    return json(res, 200, chatAnswer(ANSWER, { model: "backup-a-model" }));
  });
  collector = await Collector.start();
});
after(async () => {
  await mock.close();
  await collector.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("traces over OTLP/HTTP JSON", () => {
  let gateway: TestGateway;
  let key: string;
  let spans: Span[];
  let resource: Attributes;
  let upstreamParents: string[];
  let upstreamStates: string[];
  let requestId: string | null;

  before(async () => {
    collector.exports.length = 0;
    mock.reset();
    gateway = await traced(settings("http/json"), "json");
    const team = await call(gateway.url, "POST", "/team/new", MASTER_KEY, { team_id: "t-ml", team_alias: "ML" });
    assert.equal(team.status, 200);
    key = await generateKey(gateway.url, { key_alias: "alpha", team_id: "t-ml" });
    mock.reset();
    collector.exports.length = 0;
    const response = await chat(gateway.url, key, {
      traceparent: `00-${INCOMING_TRACE}-${INCOMING_SPAN}-01`,
      tracestate: INCOMING_STATE,
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("x-litellm-attempted-fallbacks"), "1");
    requestId = response.headers.get("x-request-id");
    // No id of the client's: the request id is the call id.
    assert.equal(response.headers.get("x-litellm-call-id"), requestId);
    await response.text();
    upstreamParents = mock.requests.map((request) => String(request.headers.traceparent));
    upstreamStates = mock.requests.map((request) => String(request.headers.tracestate));
    spans = await chatTrace((root) => root.traceId === INCOMING_TRACE, 7);
    ({ resource } = spansOf(collector.exports));
  });
  after(() => gateway.close());

  test("the export: POST /v1/traces with the configured headers, JSON, the service's resource", () => {
    for (const received of collector.exports) {
      assert.equal(received.path, "/v1/traces");
      assert.equal(received.headers["content-type"], "application/json");
      assert.equal(received.headers["x-collector-key"], COLLECTOR_KEY);
    }
    assert.equal(resource["service.name"], "litegate-test");
    assert.match(String(resource["service.version"]), /^\d+\.\d+\.\d+/);
  });

  test("one server span continuing the caller's trace, its children in order", () => {
    const server = spans.filter((s) => s.kind === SPAN_KIND.server);
    assert.equal(server.length, 1);
    const root = server[0] as Span;
    assert.equal(root.name, "POST /v1/chat/completions");
    assert.equal(root.traceId, INCOMING_TRACE);
    assert.equal(root.parentSpanId, INCOMING_SPAN);
    const children = spans.filter((s) => s.parentSpanId === root.spanId).sort((a, b) => Number(a.start - b.start));
    assert.deepEqual(
      children.map((s) => [s.name, s.kind]),
      [
        ["litegate.auth", SPAN_KIND.internal],
        ["litegate.admission", SPAN_KIND.internal],
        ["chat flaky-a-model", SPAN_KIND.client],
        ["chat flaky-b-model", SPAN_KIND.client],
        ["chat backup-a-model", SPAN_KIND.client],
        ["litegate.spend", SPAN_KIND.internal],
      ],
    );
    assert.equal(spans.length, 7);
    for (const span of spans) {
      assert.equal(span.traceId, INCOMING_TRACE);
      assert.ok(span.start <= span.end, `${span.name} ends after it starts`);
      if (span !== root)
        assert.ok(span.start >= root.start && span.end <= root.end, `${span.name} is within the request`);
    }
  });

  test("the server span: HTTP and GenAI attributes, the caller, what the request spent", () => {
    const root = spans.find((s) => s.kind === SPAN_KIND.server) as Span;
    const hash = String(root.attributes["litegate.key_hash"]);
    assert.match(hash, /^[0-9a-f]{12}$/);
    assert.deepEqual(root.attributes, {
      "http.request.method": "POST",
      "http.response.status_code": 200,
      "http.route": "/v1/chat/completions",
      "litegate.request_id": requestId,
      "litegate.key_hash": hash,
      "litegate.key_alias": "alpha",
      "litegate.team_id": "t-ml",
      "litegate.end_user": "end-user-7",
      "gen_ai.operation.name": "chat",
      "gen_ai.request.model": "flaky",
      "litegate.attempts": 3,
      "litegate.retries": 1,
      "litegate.fallbacks": 1,
      "litegate.deployment_id": "backup-a",
      "gen_ai.response.model": "backup-a-model",
      "gen_ai.usage.input_tokens": 5,
      "gen_ai.usage.output_tokens": 7,
      // 5 × $0.001 + 7 × $0.002
      "litegate.cost": 0.019,
    });
    assert.equal(root.status.code ?? 0, 0);
  });

  test("each attempt its own client span: deployment, retry and fallback index, how it failed", () => {
    const attempt = (name: string) => spans.find((s) => s.name === name) as Span;
    const port = Number(new URL(mock.url).port);
    const common = {
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": "openai",
      "gen_ai.system": "openai",
      "gen_ai.request.temperature": 0.2,
      "gen_ai.request.max_tokens": 50,
      "server.address": "127.0.0.1",
      "server.port": port,
    };
    assert.deepEqual(attempt("chat flaky-a-model").attributes, {
      ...common,
      "litegate.deployment_id": "flaky-a",
      "gen_ai.request.model": "flaky-a-model",
      "litegate.model_group": "flaky",
      "litegate.attempt": 0,
      "litegate.retry": 0,
      "litegate.fallback": 0,
      "error.type": "InternalServerError",
      "http.response.status_code": 500,
    });
    assert.deepEqual(attempt("chat flaky-a-model").status, { code: 2, message: "InternalServerError (500)" });
    assert.deepEqual(attempt("chat flaky-b-model").attributes, {
      ...common,
      "litegate.deployment_id": "flaky-b",
      "gen_ai.request.model": "flaky-b-model",
      "litegate.model_group": "flaky",
      "litegate.attempt": 1,
      "litegate.retry": 1,
      "litegate.fallback": 0,
      "error.type": "InternalServerError",
      "http.response.status_code": 500,
    });
    assert.deepEqual(attempt("chat backup-a-model").attributes, {
      ...common,
      "litegate.deployment_id": "backup-a",
      "gen_ai.request.model": "backup-a-model",
      "litegate.model_group": "backup",
      "litegate.attempt": 2,
      "litegate.retry": 0,
      "litegate.fallback": 1,
      "gen_ai.response.model": "backup-a-model",
      "gen_ai.usage.input_tokens": 5,
      "gen_ai.usage.output_tokens": 7,
    });
    assert.equal(attempt("chat backup-a-model").status.code ?? 0, 0);
    assert.deepEqual(spans.find((s) => s.name === "litegate.spend")?.attributes, { "litegate.cost": 0.019 });
    assert.deepEqual(spans.find((s) => s.name === "litegate.auth")?.attributes, { "litegate.principal": "key" });
  });

  test("each upstream call carries traceparent: this trace, its attempt span as parent", () => {
    const attempts = spans.filter((s) => s.kind === SPAN_KIND.client).sort((a, b) => Number(a.start - b.start));
    assert.deepEqual(
      upstreamParents,
      attempts.map((s) => `00-${INCOMING_TRACE}-${s.spanId}-01`),
    );
    // The caller's tracestate goes on unchanged beside it, and is on every exported span.
    assert.deepEqual(upstreamStates, [INCOMING_STATE, INCOMING_STATE, INCOMING_STATE]);
    for (const span of spans) assert.equal(span.traceState, INCOMING_STATE);
  });

  test("no key, prompt, answer or collector credential in any exported byte", () => {
    const exported = Buffer.concat(collector.exports.map((e) => e.body)).toString("utf8");
    for (const secret of [MASTER_KEY, key, UPSTREAM_KEY, COLLECTOR_KEY, PROMPT, ANSWER]) {
      assert.ok(!exported.includes(secret), `exported spans contain ${secret.slice(0, 6)}...`);
    }
  });

  test("a request without traceparent starts a trace of its own, sent upstream", async () => {
    mock.reset();
    collector.exports.length = 0;
    const mine = await answeredTrace(gateway.url, key, "backup");
    const root = mine.find((s) => s.kind === SPAN_KIND.server) as Span;
    assert.match(root.traceId, /^[0-9a-f]{32}$/);
    assert.notEqual(root.traceId, INCOMING_TRACE);
    assert.equal(root.parentSpanId, "");
    const attempt = mine.find((s) => s.kind === SPAN_KIND.client) as Span;
    assert.equal(attempt.parentSpanId, root.spanId);
    assert.equal(mock.requests[0]?.headers.traceparent, `00-${root.traceId}-${attempt.spanId}-01`);
  });

  test("a client's own x-request-id: the server span carries it and the call id beside it", async () => {
    collector.exports.length = 0;
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json", "x-request-id": "client-req-7" },
      body: JSON.stringify({ model: "backup", messages: [{ role: "user", content: PROMPT }] }),
    });
    assert.equal(response.status, 200);
    await response.text();
    assert.equal(response.headers.get("x-request-id"), "client-req-7");
    const callId = response.headers.get("x-litellm-call-id");
    assert.match(String(callId), /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const mine = await chatTrace((root) => root.attributes["litegate.request_id"] === "client-req-7", 5);
    const root = mine.find((s) => s.kind === SPAN_KIND.server) as Span;
    assert.equal(root.attributes["litegate.call_id"], callId);
  });

  test("a wildcard deployment's spans name the model it called, and what it cost at that model's price", async () => {
    collector.exports.length = 0;
    const mine = await answeredTrace(gateway.url, key, "wild/gpt-4o-mini");
    const root = mine.find((s) => s.kind === SPAN_KIND.server) as Span;
    const attempt = mine.find((s) => s.kind === SPAN_KIND.client) as Span;
    assert.equal(attempt.name, "chat gpt-4o-mini");
    assert.equal(attempt.attributes["gen_ai.request.model"], "gpt-4o-mini");
    assert.equal(attempt.attributes["gen_ai.response.model"], "gpt-4o-mini");
    assert.equal(root.attributes["gen_ai.response.model"], "gpt-4o-mini");
    // gpt-4o-mini's table price: $0.15 and $0.60 a million tokens, for 5 and 7.
    assert.equal(root.attributes["litegate.cost"], 0.00000495);
  });

  test("a failed request: the server span is an error with its class; a refused key fails its auth span", async () => {
    collector.exports.length = 0;
    const refused = await chat(gateway.url, "sk-not-a-key");
    assert.equal(refused.status, 401);
    await refused.text();
    const mine = await chatTrace((root) => root.attributes["http.response.status_code"] === 401, 2);
    const root = mine.find((s) => s.kind === SPAN_KIND.server) as Span;
    assert.equal(root.attributes["http.response.status_code"], 401);
    assert.equal(root.attributes["error.type"], "AuthenticationError");
    // A 4xx is the caller's error, not the server's: the status stays unset.
    assert.equal(root.status.code ?? 0, 0);
    assert.deepEqual(
      mine.filter((s) => s.parentSpanId === root.spanId).map((s) => [s.name, s.status.code]),
      [["litegate.auth", 2]],
    );
  });

  test("a caller's unsampled trace: nothing exported, the flag passed upstream", async () => {
    mock.reset();
    collector.exports.length = 0;
    const response = await chat(gateway.url, key, { traceparent: `00-${INCOMING_TRACE}-${INCOMING_SPAN}-00` });
    assert.equal(response.status, 200);
    await response.text();
    const sent = mock.requests.map((r) => String(r.headers.traceparent));
    assert.equal(sent.length, 3);
    for (const parent of sent) assert.match(parent, new RegExp(`^00-${INCOMING_TRACE}-[0-9a-f]{16}-00$`));
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(collector.exports, []);
  });
});

describe("traces over OTLP/HTTP protobuf", () => {
  test("the default protocol: protobuf bodies reach /v1/traces, the last ones flushed at shutdown", async () => {
    collector.exports.length = 0;
    // A long delay: only the shutdown's flush can send them.
    const gateway = await traced({ ...settings("http/protobuf"), batch: { scheduledDelayMillis: 60_000 } }, "proto");
    const response = await chat(gateway.url, MASTER_KEY);
    assert.equal(response.status, 200);
    await response.text();
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(collector.exports.length, 0);
    await gateway.close();
    assert.equal(collector.exports.length, 1);
    const received = collector.exports[0] as Export;
    assert.equal(received.path, "/v1/traces");
    assert.equal(received.headers["content-type"], "application/x-protobuf");
    assert.equal(received.headers["x-collector-key"], COLLECTOR_KEY);
    // Protobuf carries strings as UTF-8 bytes: the span names are there, no secret is.
    const bytes = received.body.toString("latin1");
    for (const name of ["POST /v1/chat/completions", "litegate.auth", "chat flaky-a-model", "chat backup-a-model"]) {
      assert.ok(bytes.includes(name), `the export has the span ${name}`);
    }
    for (const secret of [MASTER_KEY, UPSTREAM_KEY, PROMPT, ANSWER]) assert.ok(!bytes.includes(secret));
  });
});

describe("tracing off", () => {
  test("nothing exported, no traceparent upstream, even when the caller sent one", async () => {
    collector.exports.length = 0;
    mock.reset();
    const gateway = await traced(undefined, "off");
    const response = await chat(gateway.url, MASTER_KEY, { traceparent: `00-${INCOMING_TRACE}-${INCOMING_SPAN}-01` });
    assert.equal(response.status, 200);
    await response.text();
    await gateway.close();
    assert.equal(mock.requests.length, 3);
    for (const request of mock.requests) assert.equal(request.headers.traceparent, undefined);
    assert.deepEqual(collector.exports, []);
  });
});

describe("a sampler that records nothing (OTEL_TRACES_SAMPLER=always_off)", () => {
  test("nothing exported, even at shutdown; each attempt's traceparent still goes upstream, flagged 00", async () => {
    collector.exports.length = 0;
    mock.reset();
    const gateway = await traced({ ...settings("http/protobuf"), sampler: { parentBased: false, ratio: 0 } }, "never");
    const response = await chat(gateway.url, MASTER_KEY);
    assert.equal(response.status, 200);
    await response.text();
    await gateway.close();
    const sent = mock.requests.map((r) => String(r.headers.traceparent));
    assert.equal(sent.length, 3);
    const trace = sent[0]?.split("-")[1] ?? "";
    for (const parent of sent) assert.match(parent, new RegExp(`^00-${trace}-[0-9a-f]{16}-00$`));
    assert.equal(new Set(sent).size, 3);
    assert.deepEqual(collector.exports, []);
  });
});

describe("litegate --config with callbacks: [otel]", () => {
  const config = (extra: string) =>
    `model_list:\n  - model_name: m\n    litellm_params: {model: openai/x, mock_response: hi}\nlitellm_settings:\n  callbacks: [otel]\n${extra}`;

  test("OTLP over grpc: exit 1 with one line naming the variable and the fix, before listening", async () => {
    const file = join(dir, "grpc.yaml");
    writeFileSync(file, config(""));
    const cli = fileURLToPath(new URL("../../src/cli.js", import.meta.url));
    const child = spawn(process.execPath, [cli, "--config", file, "--port", "0"], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? "", OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const [code] = (await once(child, "exit")) as [number | null];
    assert.equal(code, 1);
    assert.equal(stdout, "");
    assert.equal(
      stderr,
      "litegate: OTEL_EXPORTER_OTLP_PROTOCOL=grpc: litegate exports traces over OTLP/HTTP only; point OTEL_EXPORTER_OTLP_ENDPOINT at the collector's HTTP port (4318) and set OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf (or http/json).\n",
    );
  });

  test("config.yaml's environment_variables set the endpoint; the start-up line names it; SIGTERM exports", async () => {
    collector.exports.length = 0;
    const file = join(dir, "otel.yaml");
    const base = collector.url.replace("/v1/traces", "");
    writeFileSync(
      file,
      config(`environment_variables:\n  OTEL_EXPORTER_OTLP_ENDPOINT: ${base}\n  OTEL_BSP_SCHEDULE_DELAY: "60000"\n`),
    );
    const gateway = await startCli(["--config", file], dir);
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "m", messages: [{ role: "user", content: PROMPT }] }),
    });
    assert.equal(response.status, 200);
    await response.text();
    const listening = gateway
      .stdout()
      .split("\n")
      .map((line) => (line === "" ? {} : (JSON.parse(line) as Record<string, unknown>)))
      .find((line) => String(line.msg).startsWith("litegate listening"));
    assert.equal(listening?.traces, `${collector.url} (http/protobuf, service.name litegate)`);
    assert.equal(collector.exports.length, 0);
    await gateway.stop();
    assert.equal(collector.exports.length, 1);
    assert.equal(collector.exports[0]?.headers["content-type"], "application/x-protobuf");
    assert.ok(collector.exports[0]?.body.toString("latin1").includes("POST /v1/chat/completions"));
  });
});
