/**
 * Upstream SSE split across TCP packets at any byte — one byte per write, or at random
 * points (inside a `data:` field, a CRLF, a multi-byte UTF-8 character) — reaches the
 * client through the gateway as exactly the chunks the upstream sent, text and chat.
 */
import assert from "node:assert/strict";
import type { ServerResponse } from "node:http";
import { after, before, beforeEach, describe, test } from "node:test";
import fc from "fast-check";
import { readEvents, startGateway, type TestGateway } from "../helpers/gateway.js";
import { MockUpstream } from "../helpers/mock-upstream.js";

let mock: MockUpstream;
let gateway: TestGateway;

before(async () => {
  mock = await MockUpstream.start();
  const params = { api_key: "sk-upstream", api_base: `${mock.url}/v1` };
  gateway = await startGateway({
    modelList: [
      { model_name: "text", litellm_params: { model: "text-completion-openai/gpt-3.5-turbo-instruct", ...params } },
      { model_name: "chat", litellm_params: { model: "openai/gpt-4o", ...params } },
    ],
    keepAliveSeconds: 0,
  });
});
after(async () => {
  await gateway.close();
  await mock.close();
});
beforeEach(() => mock.reset());

// Multi-byte characters (2, 3 and 4 bytes in UTF-8) so that splits fall inside them.
const PIECES = ["Grüße", " from", " 東京", " 🚀🚀", "\n\nend"];

const textChunks = PIECES.map((text, i) =>
  JSON.stringify({
    id: "cmpl-split",
    object: "text_completion",
    created: 1,
    model: "m",
    choices: [{ text, index: 0, logprobs: null, finish_reason: i === PIECES.length - 1 ? "stop" : null }],
  }),
);
const chatChunks = PIECES.map((content, i) =>
  JSON.stringify({
    id: "chatcmpl-split",
    object: "chat.completion.chunk",
    created: 1,
    model: "m",
    choices: [
      {
        index: 0,
        delta: i === 0 ? { role: "assistant", content } : { content },
        logprobs: null,
        finish_reason: i === PIECES.length - 1 ? "stop" : null,
      },
    ],
  }),
);

/** The upstream body: OpenAI's framing, with a comment and CRLF line ends in the middle for good measure. */
function body(chunks: string[]): Buffer {
  const events = chunks.map((chunk, i) => (i === 2 ? `: keep-alive\r\ndata: ${chunk}\r\n\r\n` : `data: ${chunk}\n\n`));
  return Buffer.from(`${events.join("")}data: [DONE]\n\n`, "utf8");
}

/** Writes `bytes` in pieces cut at `cuts`, each its own write on a later turn of the event loop (its own packet). */
async function writeSplit(res: ServerResponse, bytes: Buffer, cuts: number[]): Promise<void> {
  res.writeHead(200, { "content-type": "text/event-stream" });
  res.flushHeaders();
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    if (cut <= start) continue;
    res.write(bytes.subarray(start, cut));
    start = cut;
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  res.end();
}

async function streamThrough(path: string, model: string, chunks: string[], cuts: number[]): Promise<string[]> {
  const bytes = body(chunks);
  mock.always((_req, res) => writeSplit(res, bytes, cuts));
  const request =
    path === "/v1/completions"
      ? { model, prompt: "hi", stream: true }
      : { model, messages: [{ role: "user", content: "hi" }], stream: true };
  const response = await fetch(`${gateway.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(request),
  });
  assert.equal(response.status, 200);
  return (await readEvents(response)).data;
}

const KINDS = [
  { name: "text", path: "/v1/completions", model: "text", chunks: textChunks },
  { name: "chat", path: "/v1/chat/completions", model: "chat", chunks: chatChunks },
];

describe("SSE split across packets, through the gateway", () => {
  for (const { name, path, model, chunks } of KINDS) {
    test(`${name}: one byte per write, the client gets exactly the upstream's chunks`, async () => {
      const length = body(chunks).length;
      const data = await streamThrough(
        path,
        model,
        chunks,
        Array.from({ length }, (_, i) => i + 1),
      );
      assert.deepEqual(data, [...chunks, "[DONE]"]);
    });

    test(`${name}: at random split points, the client gets exactly the upstream's chunks`, async () => {
      const length = body(chunks).length;
      await fc.assert(
        fc.asyncProperty(
          fc.uniqueArray(fc.integer({ min: 1, max: length - 1 }), { minLength: 1, maxLength: 40 }),
          async (cuts) => {
            const data = await streamThrough(
              path,
              model,
              chunks,
              [...cuts].sort((a, b) => a - b),
            );
            assert.deepEqual(data, [...chunks, "[DONE]"]);
          },
        ),
        { numRuns: 25 },
      );
    });
  }
});
