/**
 * Slow and vanishing clients, against the `litegate` command as operators run it: a
 * client that stops reading pauses the upstream read (the gateway's memory stays flat
 * and the upstream's writes stall), and a client that leaves aborts every upstream call
 * it caused, fan-out siblings included.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { ServerResponse } from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type RunningCli, startCli } from "../helpers/cli.js";
import { MockUpstream } from "../helpers/mock-upstream.js";
import { drained } from "../../src/proxy/sse-writer.js";

const STREAM_BYTES = 8 * 1024 * 1024;
const CLIENTS = 40;

/** The gateway process's resident memory in bytes, from /proc. */
function rss(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  assert.ok(match, "VmRSS not found");
  return Number(match[1]) * 1024;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One upstream stream as the mock wrote it. */
interface Served {
  written: number;
  /** Waiting for the reader to take more (its write() said the pipe is full). */
  waiting: boolean;
  finished: boolean;
  /** When the upstream socket closed (performance.now()). */
  closedAt: number | undefined;
}

/** A chat stream of STREAM_BYTES in 1 KB chunks, each written only once the reader has taken the last. */
async function serveLargeStream(res: ServerResponse, served: Served): Promise<void> {
  res.socket?.once("close", () => (served.closedAt = performance.now()));
  res.writeHead(200, { "content-type": "text/event-stream" });
  const chunk = (delta: object, finish: string | null) =>
    `data: ${JSON.stringify({ id: "chatcmpl-big", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  const event = chunk({ content: "x".repeat(1000) }, null);
  while (served.written < STREAM_BYTES && !res.destroyed) {
    served.written += event.length;
    if (!res.write(event)) {
      served.waiting = true;
      await drained(res);
      served.waiting = false;
    }
  }
  if (res.destroyed) return;
  res.end(`${chunk({}, "stop")}data: [DONE]\n\n`);
  served.finished = true;
}

/** Sends a request on a raw socket that never reads its answer. */
function stalledClient(port: number, path: string, body: object): net.Socket {
  const text = JSON.stringify(body);
  const socket = net.connect(port, "127.0.0.1");
  socket.pause();
  socket.write(
    `POST ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
  );
  return socket;
}

let mock: MockUpstream;
let dir: string;
let gateway: RunningCli;

before(async () => {
  mock = await MockUpstream.start();
  dir = mkdtempSync(join(tmpdir(), "litegate-backpressure-"));
  const config = join(dir, "config.yaml");
  writeFileSync(
    config,
    [
      "model_list:",
      "  - model_name: chat",
      "    litellm_params:",
      "      model: openai/gpt-4o",
      "      api_key: sk-upstream",
      `      api_base: ${mock.url}/v1`,
      "general_settings:",
      "  keepalive_interval_seconds: 0",
      "",
    ].join("\n"),
  );
  gateway = await startCli(["--config", config], dir);
});

after(async () => {
  await gateway.stop();
  await mock.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("a client that stops reading, then leaves", () => {
  test(`${CLIENTS} clients that stop reading 8 MB streams: the gateway's RSS grows < 150 MB, the upstream writes stall, and leaving closes every upstream socket within 1 s`, async () => {
    const pid = gateway.child.pid as number;
    const served: Served[] = [];
    mock.always((_req, res) => {
      const entry: Served = { written: 0, waiting: false, finished: false, closedAt: undefined };
      served.push(entry);
      return serveLargeStream(res, entry);
    });
    // A first stream read to its end, so the baseline holds what any stream allocates once.
    const warm = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "chat", messages: [{ role: "user", content: "hi" }], stream: true }),
    });
    assert.equal((await warm.text()).length > STREAM_BYTES, true);
    served.length = 0;
    const before = rss(pid);

    const clients = Array.from({ length: CLIENTS }, () =>
      stalledClient(gateway.port, "/v1/chat/completions", {
        model: "chat",
        messages: [{ role: "user", content: "hi" }],
        stream: true,
      }),
    );
    try {
      // Until every stream has filled the pipes between the mock and its client, and no byte moves.
      let total = -1;
      for (;;) {
        await sleep(500);
        const now = served.reduce((sum, entry) => sum + entry.written, 0);
        if (served.length === CLIENTS && now === total) break;
        total = now;
      }
      const grown = rss(pid) - before;
      const stalled = served.filter((entry) => entry.waiting);
      console.log(
        `RSS grew ${(grown / 1048576).toFixed(1)} MB; the mock wrote ${(total / 1048576).toFixed(1)} of ${(CLIENTS * STREAM_BYTES) / 1048576} MB ` +
          `(kernel socket buffers on both hops hold most of it); ${stalled.length} of ${CLIENTS} streams stalled, ${served.filter((e) => e.finished).length} finished into the buffers`,
      );
      assert.ok(grown < 150 * 1048576, `RSS grew ${(grown / 1048576).toFixed(1)} MB`);
      // Nothing moves, and what is unfinished waits for its reader: the gateway stopped reading upstream.
      assert.ok(total < CLIENTS * STREAM_BYTES);
      assert.equal(stalled.length + served.filter((entry) => entry.finished).length, CLIENTS);
      // How many fit whole into the kernel's buffers depends on its autotuning and the load; some never do.
      assert.ok(stalled.length > 0, `${stalled.length} streams stalled`);
    } finally {
      const left = performance.now();
      for (const client of clients) client.destroy();
      // Every upstream request still open is aborted: its socket closes within 1 s.
      const open = served.filter((entry) => !entry.finished);
      while (open.some((entry) => entry.closedAt === undefined) && performance.now() - left < 2_000) await sleep(10);
      const slowest = Math.max(...open.map((entry) => (entry.closedAt ?? Number.POSITIVE_INFINITY) - left));
      console.log(`every upstream socket closed within ${slowest.toFixed(0)} ms of the clients leaving`);
      assert.ok(slowest < 1_000, `slowest upstream close ${slowest} ms`);
    }
  });
});
