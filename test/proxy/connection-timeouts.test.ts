/**
 * Client connection hygiene: headers trickled byte by byte (slowloris) and a trickled
 * body are closed with a 408 after their configured timeouts; an idle keep-alive
 * connection stays open for the configured keep-alive time (longer than the header
 * timeout) and is closed after it; a long stream is never cut by the request timeouts.
 * The three settings come from general_settings, and keep-alive also from LiteLLM's
 * --keepalive_timeout / KEEPALIVE_TIMEOUT.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { loadConfig } from "../../src/config/index.js";
import { createGateway } from "../../src/proxy/start.js";
import { startCli } from "../helpers/cli.js";
import { readEvents, startGateway, type TestGateway } from "../helpers/gateway.js";
import { MockUpstream } from "../helpers/mock-upstream.js";

const HEADERS_S = 1;
const BODY_S = 2;
const KEEPALIVE_S = 3;
/** Node checks the header and request timeouts every min(5 s, headers / 2). */
const CHECK_S = HEADERS_S / 2;

let mock: MockUpstream;
let gateway: TestGateway;
let dir: string;

before(async () => {
  mock = await MockUpstream.start();
  dir = mkdtempSync(join(tmpdir(), "litegate-timeouts-"));
  gateway = await startGateway({
    modelList: [
      {
        model_name: "chat",
        litellm_params: { model: "openai/gpt-4o", api_key: "sk-upstream", api_base: `${mock.url}/v1` },
      },
    ],
    requestHeadersTimeoutSeconds: HEADERS_S,
    requestBodyTimeoutSeconds: BODY_S,
    keepAliveTimeoutSeconds: KEEPALIVE_S,
  });
});
after(async () => {
  await gateway.close();
  await mock.close();
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A raw connection to the gateway that records what it receives and when it closes. */
class Connection {
  received = "";
  /** When it closed (performance.now()). */
  closedAt: number | undefined;
  readonly socket: net.Socket;
  readonly opened = performance.now();

  constructor(port: number) {
    this.socket = net.connect(port, "127.0.0.1");
    this.socket.setEncoding("utf8");
    this.socket.on("data", (text: string) => (this.received += text));
    this.socket.on("error", () => undefined);
    this.socket.on("close", () => (this.closedAt = performance.now()));
  }

  /** Writes `text` one byte every `everyMs` until the connection closes. */
  trickle(text: string, everyMs: number): void {
    let at = 0;
    const timer = setInterval(() => {
      if (this.socket.destroyed) clearInterval(timer);
      else this.socket.write(text[at++ % text.length] as string);
    }, everyMs);
  }

  /** Waits up to `withinMs` for the close; returns when it happened. */
  async closed(withinMs: number): Promise<number> {
    const started = performance.now();
    while (this.closedAt === undefined && performance.now() - started < withinMs) await sleep(10);
    assert.ok(this.closedAt !== undefined, "the connection is still open");
    return this.closedAt;
  }

  /** Sends a GET of the liveliness route and waits for the whole answer; returns it. */
  async get(): Promise<string> {
    this.received = "";
    this.socket.write("GET /health/liveliness HTTP/1.1\r\nhost: gateway\r\n\r\n");
    while (!this.received.endsWith('"I\'m alive!"')) await sleep(5);
    return this.received;
  }
}

const port = () => Number(new URL(gateway.url).port);
const TIMEOUT_BODY = JSON.stringify({
  error: {
    message: "The request did not arrive in time; send its headers and body without pausing.",
    type: "invalid_request_error",
    param: null,
    code: "408",
  },
});
const REQUEST_TIMEOUT = `HTTP/1.1 408 Request Timeout\r\nContent-Type: application/json\r\nContent-Length: ${TIMEOUT_BODY.length}\r\nConnection: close\r\n\r\n${TIMEOUT_BODY}`;

describe("client connection timeouts", () => {
  test("headers trickled byte by byte (slowloris) are answered 408 and closed after the header timeout", async () => {
    const connection = new Connection(port());
    connection.socket.write("POST /v1/chat/completions HTTP/1.1\r\nhost: gateway\r\n");
    connection.trickle("x-slow: yes\r\n", 50);
    const ms = (await connection.closed((HEADERS_S + CHECK_S + 2) * 1000)) - connection.opened;
    assert.equal(connection.received, REQUEST_TIMEOUT);
    assert.ok(ms >= HEADERS_S * 1000 - 50, `closed after ${ms} ms`);
    assert.ok(ms <= (HEADERS_S + CHECK_S + 1) * 1000, `closed after ${ms} ms`);
  });

  test("a body trickled byte by byte is answered 408 and closed after the body timeout", async () => {
    const connection = new Connection(port());
    connection.socket.write(
      "POST /v1/chat/completions HTTP/1.1\r\nhost: gateway\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n",
    );
    connection.trickle('{"model": "chat", "messages": []}', 50);
    const ms = (await connection.closed((BODY_S + CHECK_S + 2) * 1000)) - connection.opened;
    assert.equal(connection.received, REQUEST_TIMEOUT);
    assert.ok(ms >= BODY_S * 1000 - 50, `closed after ${ms} ms`);
    assert.ok(ms <= (BODY_S + CHECK_S + 1) * 1000, `closed after ${ms} ms`);
    assert.equal(mock.requests.length, 0);
  });

  test("an idle keep-alive connection stays open for the keep-alive time, longer than the header timeout, then closes", async () => {
    const connection = new Connection(port());
    const first = await connection.get();
    assert.match(first, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(first, new RegExp(`\r\nKeep-Alive: timeout=${KEEPALIVE_S}\r\n`));
    // Idle for most of the keep-alive time (well past the header timeout), then reused.
    await sleep((KEEPALIVE_S - 0.5) * 1000);
    assert.equal(connection.closedAt, undefined);
    assert.match(await connection.get(), /^HTTP\/1\.1 200 OK\r\n/);
    const answered = performance.now();
    // Then left idle: the gateway closes it once the keep-alive time has passed.
    const idleMs = (await connection.closed((KEEPALIVE_S + 3) * 1000)) - answered;
    assert.ok(idleMs >= KEEPALIVE_S * 1000 - 50, `closed after ${idleMs} ms idle`);
    assert.ok(idleMs <= (KEEPALIVE_S + 2) * 1000, `closed after ${idleMs} ms idle`);
  });

  test("a stream that lasts longer than the request timeouts is not cut", async () => {
    mock.always(async (_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      const chunk = (content: string, finish: string | null) =>
        JSON.stringify({
          id: "chatcmpl-1",
          object: "chat.completion.chunk",
          created: 1,
          model: "m",
          choices: [{ index: 0, delta: { content }, finish_reason: finish }],
        });
      for (let i = 0; i < 5; i++) {
        res.write(`data: ${chunk(String(i), null)}\n\n`);
        await sleep(((BODY_S + CHECK_S) * 1000) / 4);
      }
      res.end(`data: ${chunk("", "stop")}\n\ndata: [DONE]\n\n`);
    });
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "chat", messages: [{ role: "user", content: "hi" }], stream: true }),
    });
    const { data } = await readEvents(response);
    assert.equal(data.length, 7);
    assert.equal(data.at(-1), "[DONE]");
  });
});

describe("the timeouts in config.yaml", () => {
  async function serverOf(yaml: string, keepAliveTimeoutSeconds?: number) {
    const file = join(dir, "config.yaml");
    writeFileSync(
      file,
      `model_list:\n  - model_name: m\n    litellm_params: {model: openai/gpt-4o, mock_response: hi}\n${yaml}`,
    );
    const created = await createGateway(await loadConfig(file), {
      keepAliveTimeoutSeconds,
      logDestination: { write: () => undefined },
    });
    const { headersTimeout, requestTimeout, keepAliveTimeout } = created.server;
    await created.shutdown(0);
    return { headersTimeout, requestTimeout, keepAliveTimeout };
  }

  test("defaults: headers 20 s, whole request 120 s, keep-alive 620 s (past every common load balancer's idle timeout)", async () => {
    assert.deepEqual(await serverOf(""), {
      headersTimeout: 20_000,
      requestTimeout: 120_000,
      keepAliveTimeout: 620_000,
    });
  });

  test("general_settings sets them; --keepalive_timeout (LiteLLM's flag) wins for keep-alive", async () => {
    const yaml =
      "general_settings:\n  request_headers_timeout_seconds: 5\n  request_body_timeout_seconds: 30\n  keepalive_timeout_seconds: 90\n";
    assert.deepEqual(await serverOf(yaml), { headersTimeout: 5_000, requestTimeout: 30_000, keepAliveTimeout: 90_000 });
    assert.deepEqual(await serverOf(yaml, 45), {
      headersTimeout: 5_000,
      requestTimeout: 30_000,
      keepAliveTimeout: 45_000,
    });
  });

  test("a header timeout above the body timeout is held to it (the body timeout counts from the same first byte)", async () => {
    const yaml = "general_settings:\n  request_headers_timeout_seconds: 60\n  request_body_timeout_seconds: 10\n";
    assert.deepEqual(await serverOf(yaml), {
      headersTimeout: 10_000,
      requestTimeout: 10_000,
      keepAliveTimeout: 620_000,
    });
  });

  test("a timeout that is not a positive number stops the start, naming the field", async () => {
    await assert.rejects(serverOf("general_settings:\n  keepalive_timeout_seconds: 0\n"), {
      message: `${join(dir, "config.yaml")}: general_settings.keepalive_timeout_seconds: expected a number > 0, got 0`,
    });
  });

  test("litegate --keepalive_timeout and KEEPALIVE_TIMEOUT, as LiteLLM's command line takes them", async () => {
    const file = join(dir, "cli.yaml");
    writeFileSync(
      file,
      "model_list:\n  - model_name: m\n    litellm_params: {model: openai/gpt-4o, mock_response: hi}\n",
    );
    for (const [args, env, expected] of [
      [["--keepalive_timeout", "45"], {}, "45"],
      [[], { KEEPALIVE_TIMEOUT: "75" }, "75"],
    ] as const) {
      const cli = await startCli(["--config", file, ...args], dir, env);
      try {
        const response = await fetch(`${cli.url}/health/liveliness`);
        await response.text();
        assert.equal(response.headers.get("keep-alive"), `timeout=${expected}`);
      } finally {
        await cli.stop();
      }
    }
  });
});
