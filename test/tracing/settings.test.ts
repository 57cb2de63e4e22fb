/** Where traces go: OpenTelemetry's standard OTEL_* variables, LiteLLM's own names, and what is refused. */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { loadConfig } from "../../src/config/index.js";
import { startupWarnings, tracingOptions } from "../../src/proxy/start.js";
import { beginTrace, type IdBytes, newSpanId, traceparentOf } from "../../src/tracing/ids.js";
import { DEFAULT_SAMPLER } from "../../src/tracing/sampler.js";
import { describeTracing, TracingSettingsError, tracingSettings } from "../../src/tracing/settings.js";

describe("tracingSettings", () => {
  test("nothing set: OpenTelemetry's default collector, protobuf, service litegate", () => {
    assert.deepEqual(tracingSettings({}), {
      url: "http://localhost:4318/v1/traces",
      protocol: "http/protobuf",
      headers: {},
      serviceName: "litegate",
      sampler: DEFAULT_SAMPLER,
      batch: {},
    });
  });

  test("the standard variables: a base endpoint gets /v1/traces, the traces endpoint is used as written", () => {
    const base = tracingSettings({
      OTEL_EXPORTER_OTLP_ENDPOINT: "https://collector.example:4318/",
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_EXPORTER_OTLP_HEADERS: "api-key=abc%20def, X-Team=ml",
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: "x-team=traces",
      OTEL_SERVICE_NAME: "gateway-eu",
    });
    assert.deepEqual(base, {
      url: "https://collector.example:4318/v1/traces",
      protocol: "http/json",
      headers: { "api-key": "abc def", "x-team": "traces" },
      serviceName: "gateway-eu",
      sampler: DEFAULT_SAMPLER,
      batch: {},
    });
    assert.equal(
      tracingSettings({
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://ignored:4318",
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://tempo:4318/custom/path",
      }).url,
      "http://tempo:4318/custom/path",
    );
    // The traces protocol wins over the generic one.
    assert.equal(
      tracingSettings({ OTEL_EXPORTER_OTLP_PROTOCOL: "grpc", OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "http/json" })
        .protocol,
      "http/json",
    );
  });

  test("OTEL_BSP_*: whole numbers above 0, a batch no larger than the queue; anything else is refused by name", () => {
    assert.deepEqual(
      tracingSettings({
        OTEL_BSP_SCHEDULE_DELAY: "200",
        OTEL_BSP_MAX_EXPORT_BATCH_SIZE: "64",
        OTEL_BSP_MAX_QUEUE_SIZE: "128",
        OTEL_BSP_EXPORT_TIMEOUT: "1000",
      }).batch,
      { scheduledDelayMillis: 200, maxExportBatchSize: 64, maxQueueSize: 128, exportTimeoutMillis: 1000 },
    );
    assert.throws(
      () => tracingSettings({ OTEL_BSP_SCHEDULE_DELAY: "5s" }),
      new TracingSettingsError("OTEL_BSP_SCHEDULE_DELAY=5s: a whole number above 0 (default 5000)."),
    );
    // Past Node's longest timer, an export would be scheduled every millisecond.
    assert.throws(
      () => tracingSettings({ OTEL_BSP_SCHEDULE_DELAY: "2147483648" }),
      new TracingSettingsError(
        "OTEL_BSP_SCHEDULE_DELAY=2147483648: a whole number above 0 (default 5000), at most 2147483647.",
      ),
    );
    assert.throws(
      () => tracingSettings({ OTEL_BSP_MAX_EXPORT_BATCH_SIZE: "4096" }),
      new TracingSettingsError(
        "OTEL_BSP_MAX_EXPORT_BATCH_SIZE (4096) is larger than OTEL_BSP_MAX_QUEUE_SIZE (2048): a batch is taken from the queue, so make it no larger.",
      ),
    );
  });

  test("the exporter's timeout, compression and certificate files: checked at start, refused by name", () => {
    const pem = join(mkdtempSync(join(tmpdir(), "litegate-otel-")), "ca.pem");
    writeFileSync(pem, "-----BEGIN CERTIFICATE-----\n");
    assert.equal(
      tracingSettings({
        OTEL_EXPORTER_OTLP_TIMEOUT: "2000",
        OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: "gzip",
        OTEL_EXPORTER_OTLP_COMPRESSION: "none",
        OTEL_EXPORTER_OTLP_CERTIFICATE: pem,
      }).url,
      "http://localhost:4318/v1/traces",
    );
    assert.throws(
      () => tracingSettings({ OTEL_EXPORTER_OTLP_TIMEOUT: "abc" }),
      new TracingSettingsError("OTEL_EXPORTER_OTLP_TIMEOUT=abc: milliseconds, a whole number above 0 (default 10000)."),
    );
    assert.throws(
      () => tracingSettings({ OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: "brotli" }),
      new TracingSettingsError("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION=brotli: gzip or none (the default)."),
    );
    assert.throws(
      () => tracingSettings({ OTEL_EXPORTER_OTLP_CERTIFICATE: "/nonexistent/ca.pem" }),
      new TracingSettingsError(
        "OTEL_EXPORTER_OTLP_CERTIFICATE=/nonexistent/ca.pem: no file litegate can read there (a PEM file).",
      ),
    );
  });

  test("LiteLLM's names: OTEL_EXPORTER, OTEL_ENDPOINT (with or without /v1/traces), OTEL_HEADERS", () => {
    assert.deepEqual(
      tracingSettings({
        OTEL_EXPORTER: "otlp_http",
        OTEL_ENDPOINT: "https://api.honeycomb.io/v1/traces",
        OTEL_HEADERS: "x-honeycomb-team=abc123",
      }),
      {
        url: "https://api.honeycomb.io/v1/traces",
        protocol: "http/protobuf",
        headers: { "x-honeycomb-team": "abc123" },
        serviceName: "litegate",
        sampler: DEFAULT_SAMPLER,
        batch: {},
      },
    );
    assert.equal(tracingSettings({ OTEL_ENDPOINT: "http://collector:4318/v1" }).url, "http://collector:4318/v1/traces");
    // The standard names win over LiteLLM's.
    const both = tracingSettings({
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://standard:4318",
      OTEL_ENDPOINT: "http://litellm:4318",
      OTEL_EXPORTER_OTLP_HEADERS: "a=1",
      OTEL_HEADERS: "b=2",
    });
    assert.equal(both.url, "http://standard:4318/v1/traces");
    assert.deepEqual(both.headers, { a: "1" });
  });

  test("grpc, an unknown protocol, a bad URL or a header without a value: a start-up error naming the variable", () => {
    assert.throws(
      () => tracingSettings({ OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" }),
      new TracingSettingsError(
        "OTEL_EXPORTER_OTLP_PROTOCOL=grpc: litegate exports traces over OTLP/HTTP only; point OTEL_EXPORTER_OTLP_ENDPOINT at the collector's HTTP port (4318) and set OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf (or http/json).",
      ),
    );
    assert.throws(
      () => tracingSettings({ OTEL_EXPORTER: "otlp_grpc" }),
      /^TracingSettingsError: OTEL_EXPORTER=otlp_grpc: /,
    );
    assert.throws(
      () => tracingSettings({ OTEL_EXPORTER: "console" }),
      new TracingSettingsError(
        "OTEL_EXPORTER=console: not a trace protocol litegate serves; use http/protobuf (the default) or http/json.",
      ),
    );
    // Never the value: it may hold a password or a token.
    assert.throws(
      () => tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: "ftp://user:pw@collector:4318" }),
      new TracingSettingsError("OTEL_EXPORTER_OTLP_ENDPOINT is not an http(s) URL; e.g. http://otel-collector:4318"),
    );
    // The entry is not quoted: it is likely a credential written the wrong way.
    assert.throws(
      () => tracingSettings({ OTEL_EXPORTER_OTLP_HEADERS: "a=1,Authorization: Bearer sk-secret" }),
      new TracingSettingsError(
        "OTEL_EXPORTER_OTLP_HEADERS: entry 2 is not name=value; write name=value pairs separated by commas (e.g. authorization=Bearer%20KEY).",
      ),
    );
  });

  test("the start-up line names where traces go, never a credential", () => {
    const settings = tracingSettings({
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "https://user:pw@collector:4318/v1/traces?token=t",
      OTEL_EXPORTER_OTLP_HEADERS: "api-key=secret",
    });
    assert.equal(describeTracing(settings), "https://collector:4318/v1/traces (http/protobuf, service.name litegate)");
  });
});

const MODELS = "model_list: [{model_name: m, litellm_params: {model: openai/m, api_key: k}}]\n";

describe("litellm_settings.callbacks: [otel]", () => {
  test("on with otel in callbacks or success_callback; a warning when no endpoint is set", async () => {
    const dir = mkdtempSync(join(tmpdir(), "litegate-otel-config-"));
    try {
      const file = join(dir, "config.yaml");
      writeFileSync(
        file,
        `${MODELS}general_settings: {master_key: sk-1}\nlitellm_settings:\n  success_callback: [otel]\n`,
      );
      const config = await loadConfig(file, {});
      assert.deepEqual(config.warnings, []);
      assert.deepEqual(tracingOptions(config, { OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" }), {
        url: "http://c:4318/v1/traces",
        protocol: "http/protobuf",
        headers: {},
        serviceName: "litegate",
        sampler: DEFAULT_SAMPLER,
        batch: {},
      });
      const saved = { ...process.env };
      for (const name of ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_ENDPOINT"])
        delete process.env[name];
      try {
        assert.deepEqual(startupWarnings(config), [
          "litellm_settings.callbacks has 'otel' but no OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, OTEL_ENDPOINT) is set: traces go to OpenTelemetry's default, http://localhost:4318/v1/traces.",
        ]);
      } finally {
        Object.assign(process.env, saved);
      }
      writeFileSync(file, `${MODELS}litellm_settings:\n  callbacks: [prometheus]\n`);
      assert.equal(tracingOptions(await loadConfig(file, {}), {}), undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("traceparent", () => {
  test("a valid one is continued; a malformed, invalid or version-ff one starts a new trace", () => {
    const given = beginTrace("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "vendor=x");
    assert.equal(given.traceId, "0af7651916cd43dd8448eb211c80319c");
    assert.equal(given.parentSpanId, "b7ad6b7169203331");
    assert.equal(given.traceState, "vendor=x");
    assert.equal(given.sampled, true);
    assert.match(given.spanId, /^[0-9a-f]{16}$/);
    assert.equal(traceparentOf(given, "00f067aa0ba902b7"), "00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01");
    assert.equal(beginTrace("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00", undefined).sampled, false);
    for (const bad of [
      undefined,
      "",
      "00-00000000000000000000000000000000-b7ad6b7169203331-01",
      "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
      "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
      "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",
      "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra",
    ]) {
      const fresh = beginTrace(bad, "vendor=x");
      assert.notEqual(fresh.traceId, "0af7651916cd43dd8448eb211c80319c", String(bad));
      assert.match(fresh.traceId, /^[0-9a-f]{32}$/);
      assert.equal(fresh.parentSpanId, undefined);
      assert.equal(fresh.traceState, undefined);
      assert.equal(fresh.sampled, true);
    }
    // A later version may carry more fields: its ids are still read.
    assert.equal(
      beginTrace("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-more", undefined).parentSpanId,
      "b7ad6b7169203331",
    );
  });
});

describe("ids made here", () => {
  const hexAt = (bytes: IdBytes, length: number): string =>
    Buffer.from(bytes.view.buffer, bytes.view.byteOffset + bytes.at, length).toString("hex");

  test("say where their bytes are, and those bytes stay theirs after the pool is used up and refilled", () => {
    const trace = beginTrace(undefined, undefined);
    const attempt = newSpanId();
    assert.ok(trace.bytes !== undefined);
    const before = { trace: hexAt(trace.bytes, 24), attempt: hexAt(attempt.spanIdBytes, 8) };
    assert.equal(before.trace, trace.traceId + trace.spanId);
    assert.equal(before.attempt, attempt.spanId);
    // Far more than one pool's worth of ids (4 KB): a pool written again would change the bytes above.
    const later = Array.from({ length: 2000 }, () => newSpanId());
    assert.equal(hexAt(trace.bytes, 24), before.trace);
    assert.equal(hexAt(attempt.spanIdBytes, 8), before.attempt);
    for (const id of later) assert.equal(hexAt(id.spanIdBytes, 8), id.spanId);
    assert.equal(new Set(later.map((id) => id.spanId)).size, later.length);
  });

  test("a continued trace has no bytes: its ids are the caller's hex", () => {
    assert.equal(beginTrace("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", undefined).bytes, undefined);
  });
});
