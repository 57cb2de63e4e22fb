/**
 * The event loop stays free: an 8 MB stream whose provider reports no usage, made of one
 * letter without a space (the text that made the old tokenizer's merge quadratic: 12 KB
 * of it froze the loop for 26 s), passes through a gateway that records spend, so its
 * tokens must be counted. The loop's delay is measured while it passes, and a small
 * request sent mid-stream must be answered at once.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { Worker } from "node:worker_threads";
import { after, before, test } from "node:test";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import { startGateway, type TestGateway } from "../helpers/gateway.js";
import { MASTER_KEY } from "../helpers/keys.js";
import { json, MockUpstream } from "../helpers/mock-upstream.js";
import { chatAnswer } from "../helpers/fixtures.js";

const STREAM_BYTES = 8 * 1024 * 1024;

let big: Worker;
let small: MockUpstream;
let gateway: TestGateway;

before(async () => {
  // The 8 MB upstream runs on a thread of its own: only the gateway (and this test's reading) share the loop measured.
  big = new Worker(new URL("../helpers/big-stream-upstream.js", import.meta.url), {
    workerData: { bytes: STREAM_BYTES },
  });
  const [bigUrl] = (await once(big, "message")) as [string];
  small = await MockUpstream.start();
  small.always((_req, res) => json(res, 200, chatAnswer("quick", { model: "gpt-4o-mini" })));
  const deployment = (name: string, url: string) => ({
    model_name: name,
    litellm_params: { model: "openai/gpt-4o-mini", api_base: `${url}/v1`, api_key: "sk-upstream" },
  });
  gateway = await startGateway({
    modelList: [deployment("big", bigUrl), deployment("small", small.url)],
    masterKey: MASTER_KEY,
    store: SqliteStore.open({ path: ":memory:" }),
    spendWriter: { intervalMs: 20 },
  });
});

after(async () => {
  await gateway.close();
  big.postMessage("close");
  await once(big, "exit");
  await small.close();
});

function chat(model: string, stream: boolean): Promise<Response> {
  return fetch(`${gateway.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${MASTER_KEY}` },
    body: JSON.stringify({ model, messages: [{ role: "user", content: "Repeat the letter a forever." }], stream }),
  });
}

test("an 8 MB no-space stream without usage: event-loop delay p99 under 50 ms, a small request answered within 200 ms, its tokens counted", async () => {
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  const response = await chat("big", true);
  assert.equal(response.status, 200);
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let received = 0;
  let tail = "";
  let smallMs: number | undefined;
  let smallStatus: number | undefined;
  let asked: Promise<void> | undefined;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    received += value.length;
    tail = (tail + decoder.decode(value, { stream: true })).slice(-64);
    if (asked === undefined && received > STREAM_BYTES / 4) {
      const sent = performance.now();
      asked = chat("small", false).then(async (answer) => {
        await answer.json();
        smallStatus = answer.status;
        smallMs = performance.now() - sent;
      });
    }
  }
  await asked;
  delay.disable();
  const p99 = delay.percentile(99) / 1e6;
  const max = delay.max / 1e6;
  console.log(
    `event loop while ${(received / 1048576).toFixed(1)} MB streamed: p99 ${p99.toFixed(1)} ms, max ${max.toFixed(1)} ms; small request ${smallMs?.toFixed(1)} ms`,
  );
  assert.ok(received > STREAM_BYTES, `only ${received} bytes`);
  assert.ok(tail.endsWith("data: [DONE]\n\n"), `the stream ended with ${JSON.stringify(tail)}`);
  assert.equal(smallStatus, 200);
  assert.ok(p99 < 50, `event-loop delay p99 ${p99} ms`);
  assert.ok(smallMs !== undefined && smallMs < 200, `the small request took ${smallMs} ms`);

  // The stream's tokens were counted on the worker after it ended; its spend record has them.
  assert.equal(await gateway.server.access.flushSpend(30_000), true);
  const logs = (await (
    await fetch(`${gateway.url}/spend/logs`, { headers: { authorization: `Bearer ${MASTER_KEY}` } })
  ).json()) as { model_group: string; completion_tokens: number }[];
  const record = logs.find((log) => log.model_group === "big");
  // 8 MB of 'a' in slices of 48 letters (6 tokens each): 1,048,576 tokens when counted, 2,097,152 when
  // a batch fell back to the length estimate (four bytes a token) past its deadline.
  assert.ok(
    record !== undefined && record.completion_tokens >= 1_048_576 && record.completion_tokens <= 2_097_152,
    JSON.stringify(record),
  );
});
