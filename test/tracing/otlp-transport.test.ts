/** The OTLP/HTTP export transport for plain-http collectors: the request a collector sees, OTLP's retries, and when the SDK's serves instead. */
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { collectorTransport } from "../../src/tracing/otlp-transport.js";

interface Seen {
  method: string | undefined;
  url: string | undefined;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A collector answering each export with the next scripted answer (then 200). */
const seen: Seen[] = [];
let answers: ((res: ServerResponse) => void)[] = [];
const server = createServer((req, res) => {
  const parts: Buffer[] = [];
  req.on("data", (part: Buffer) => parts.push(part));
  req.on("end", () => {
    seen.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(parts) });
    const answer = answers.shift();
    if (answer !== undefined) answer(res);
    else res.writeHead(200, { "content-type": "application/x-protobuf" }).end();
  });
});
let url = "";

before(async () => {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces?tenant=a`;
});
after(() => server.close());

const BODY = Uint8Array.from([10, 3, 1, 2, 3, 0, 255]);

function transport(target = url) {
  const headers = { "Content-Type": "application/x-protobuf", "x-collector-key": "ck-123" };
  const sender = collectorTransport(
    { url: target, headers: async () => headers, compression: "none" },
    "litegate/9.9.9",
  );
  assert.ok(sender !== undefined, "a plain-http collector gets the undici transport");
  return sender;
}

describe("OTLP/HTTP transport (plain http)", () => {
  test("one POST to the traces path with the body as is, its length, the configured headers and litegate's user agent", async () => {
    seen.length = 0;
    answers = [(res) => res.writeHead(200, { "content-type": "application/x-protobuf" }).end(Buffer.from([8, 1]))];
    const sender = transport();
    const result = await sender.send(BODY, 2000);
    sender.shutdown();
    assert.deepEqual(result, { status: "success", data: Uint8Array.from([8, 1]) });
    assert.equal(seen.length, 1);
    const [request] = seen as [Seen];
    assert.equal(request.method, "POST");
    assert.equal(request.url, "/v1/traces?tenant=a");
    assert.deepEqual([...request.body], [...BODY]);
    assert.equal(request.headers["content-length"], String(BODY.length));
    assert.equal(request.headers["content-type"], "application/x-protobuf");
    assert.equal(request.headers["x-collector-key"], "ck-123");
    assert.equal(request.headers["user-agent"], "litegate/9.9.9");
  });

  test("429 and 503 are tried again after the collector's Retry-After; the same bytes are sent each time", async () => {
    seen.length = 0;
    answers = [
      (res) => res.writeHead(503, { "retry-after": "0" }).end("overloaded"),
      (res) => res.writeHead(429, { "retry-after": "0" }).end(),
    ];
    const sender = transport();
    const result = await sender.send(BODY, 2000);
    sender.shutdown();
    assert.equal(result.status, "success");
    assert.equal(seen.length, 3);
    for (const request of seen) assert.deepEqual([...request.body], [...BODY]);
  });

  test("a Retry-After longer than the export's timeout: not retried sooner, given up at once", async () => {
    seen.length = 0;
    answers = [(res) => res.writeHead(503, { "retry-after": "120" }).end()];
    const sender = transport();
    const started = Date.now();
    const result = await sender.send(BODY, 2000);
    sender.shutdown();
    assert.equal(seen.length, 1);
    assert.deepEqual(result.status === "retryable" ? result.retryInMillis : undefined, 120_000);
    assert.ok(Date.now() - started < 1000);
  });

  test("a 400 is not retried: a failure naming the status, with the collector's answer", async () => {
    seen.length = 0;
    answers = [(res) => res.writeHead(400).end("bad span")];
    const sender = transport();
    const result = await sender.send(BODY, 2000);
    sender.shutdown();
    assert.equal(seen.length, 1);
    assert.equal(result.status, "failure");
    assert.ok(result.status === "failure");
    assert.equal(result.error.message, "the collector answered 400");
    assert.equal((result.error as Error & { data?: string }).data, "bad span");
  });

  test("a collector that is down: retryable, given up within the export's timeout", async () => {
    const closed = createServer();
    closed.listen(0, "127.0.0.1");
    await once(closed, "listening");
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    await once(closed, "close");
    const sender = transport(`http://127.0.0.1:${port}/v1/traces`);
    const started = Date.now();
    // The first retry's backoff (at least 375 ms) does not fit in 300 ms: one try only.
    const result = await sender.send(BODY, 300);
    sender.shutdown();
    assert.equal(result.status, "retryable");
    assert.ok(Date.now() - started < 300, "no retry started past the timeout");
  });

  test("a collector that takes the body and never answers: retryable once the export's timeout passed", async () => {
    seen.length = 0;
    let hung: ServerResponse | undefined;
    answers = [
      (res) => {
        hung = res;
      },
    ];
    const sender = transport();
    const started = Date.now();
    const result = await sender.send(BODY, 300);
    const waited = Date.now() - started;
    sender.shutdown();
    hung?.destroy();
    assert.equal(result.status, "retryable");
    assert.equal(
      result.status === "retryable" ? result.error?.message : undefined,
      "the collector did not answer within 300 ms",
    );
    assert.equal(seen.length, 1);
    assert.ok(waited >= 290 && waited < 1000, `gave up after the timeout (${waited} ms)`);
  });

  test("https or gzip: the SDK's transport (certificates, compression) serves instead", () => {
    const headers = async () => ({});
    assert.equal(
      collectorTransport({ url: "https://collector.example:4318/v1/traces", headers, compression: "none" }, "x"),
      undefined,
    );
    assert.equal(
      collectorTransport({ url: "http://127.0.0.1:4318/v1/traces", headers, compression: "gzip" }, "x"),
      undefined,
    );
  });
});
