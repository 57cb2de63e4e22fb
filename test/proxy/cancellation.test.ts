/**
 * A client that disconnects aborts every upstream call it caused within 1 s: one call,
 * and the sibling calls of a fan-out (a prompt list sent to a chat-only provider, one
 * call per prompt; `n` on a provider that makes one choice per call), streamed or not.
 */
import assert from "node:assert/strict";
import type { ServerResponse } from "node:http";
import { after, before, beforeEach, describe, test } from "node:test";
import { startGateway, type TestGateway } from "../helpers/gateway.js";
import { MockUpstream } from "../helpers/mock-upstream.js";

let mock: MockUpstream;
let gateway: TestGateway;

before(async () => {
  mock = await MockUpstream.start();
  gateway = await startGateway({
    modelList: [
      {
        model_name: "chat",
        litellm_params: { model: "openai/gpt-4o", api_key: "sk-upstream", api_base: `${mock.url}/v1` },
      },
      // Groq makes one choice per call: `n` fans out.
      {
        model_name: "groq",
        litellm_params: { model: "groq/llama-3.1-8b-instant", api_key: "sk-upstream", api_base: `${mock.url}/v1` },
      },
    ],
    keepAliveSeconds: 0,
  });
});
after(async () => {
  await gateway.close();
  await mock.close();
});
beforeEach(() => mock.reset());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** When each upstream request's socket closed (performance.now()), in arrival order. */
let closedAt: (number | undefined)[] = [];

/** Holds every upstream request open: a stream sends one chunk first, an answer never comes. */
function hold(stream: boolean) {
  closedAt = [];
  mock.always((_request, res: ServerResponse) => {
    const at = closedAt.length;
    closedAt.push(undefined);
    res.socket?.once("close", () => (closedAt[at] = performance.now()));
    if (!stream) return;
    res.writeHead(200, { "content-type": "text/event-stream" });
    const chunk = {
      id: "chatcmpl-1",
      object: "chat.completion.chunk",
      created: 1,
      model: "m",
      choices: [{ index: 0, delta: { content: "Hel" }, finish_reason: null }],
    };
    res.write(`data: ${JSON.stringify(chunk)}\n\n`);
  });
}

/**
 * Sends `body`, waits until `calls` upstream requests are open (and, for a stream, its
 * first bytes are in), then disconnects; returns the ms from the disconnect until the
 * last upstream socket closed.
 */
async function leaveAndTime(path: string, body: Record<string, unknown>, calls: number): Promise<number> {
  const controller = new AbortController();
  const response = fetch(`${gateway.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    signal: controller.signal,
  });
  if (body.stream === true) {
    const reader = (await response).body?.getReader();
    assert.ok(reader);
    const first = await reader.read();
    assert.match(new TextDecoder().decode(first.value), /^data: /);
  }
  while (mock.requests.length < calls) await sleep(5);
  assert.equal(mock.requests.length, calls);
  assert.ok(
    closedAt.every((at) => at === undefined),
    "no upstream socket closed before the client left",
  );
  const left = performance.now();
  controller.abort();
  await response.then(
    () => undefined,
    () => undefined,
  );
  while (closedAt.some((at) => at === undefined) && performance.now() - left < 3_000) await sleep(5);
  assert.equal(closedAt.length, calls);
  return Math.max(...closedAt.map((at) => (at ?? Number.POSITIVE_INFINITY) - left));
}

const CASES: { name: string; path: string; body: Record<string, unknown>; calls: number }[] = [
  {
    name: "a chat completion",
    path: "/v1/chat/completions",
    body: { model: "chat", messages: [{ role: "user", content: "hi" }] },
    calls: 1,
  },
  {
    name: "a text completion of 3 prompts on a chat-only provider (3 calls)",
    path: "/v1/completions",
    body: { model: "chat", prompt: ["a", "b", "c"] },
    calls: 3,
  },
  {
    name: "a text completion with n=3 on a provider without n (3 calls)",
    path: "/v1/completions",
    body: { model: "groq", prompt: "a", n: 3 },
    calls: 3,
  },
  {
    name: "2 prompts with n=2 on a provider without n (4 calls)",
    path: "/v1/completions",
    body: { model: "groq", prompt: ["a", "b"], n: 2 },
    calls: 4,
  },
];

describe("a client that disconnects aborts every upstream call within 1 s", () => {
  for (const stream of [false, true]) {
    for (const { name, path, body, calls } of CASES) {
      test(`${name}, ${stream ? "streamed" : "not streamed"}`, async () => {
        hold(stream);
        const ms = await leaveAndTime(path, { ...body, stream }, calls);
        console.log(
          `${name}, ${stream ? "streamed" : "not streamed"}: the last of ${calls} upstream sockets closed ${ms.toFixed(1)} ms after the client left`,
        );
        assert.ok(ms < 1_000, `${ms} ms`);
      });
    }
  }
});
