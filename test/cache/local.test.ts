/**
 * The `local` cache behind the SDK's Router (the proxy's path, without HTTP): a miss then a
 * hit with one upstream call, streamed and not; the trace says which; and the LRU's bound in
 * MB holding under 10,000 distinct large answers.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { MemoryCache } from "../../src/cache/memory.js";
import { ResponseCache } from "../../src/cache/response-cache.js";
import { NO_CONTROLS } from "../../src/cache/controls.js";
import { deploymentsFromLiteLLM } from "../../src/config/index.js";
import { Router } from "../../src/router/router.js";
import { RouteTrace } from "../../src/router/trace.js";
import { UsageLedger } from "../../src/usage/ledger.js";
import { chatCompletion } from "../../src/sdk/chat-completion.js";
import { textCompletion } from "../../src/sdk/text-completion.js";
import { chatAnswer, completionAnswer, streamChunks } from "../helpers/fixtures.js";
import { json, MockUpstream, sse } from "../helpers/mock-upstream.js";

let mock: MockUpstream;
before(async () => {
  mock = await MockUpstream.start();
  mock.always((req, res) => {
    if ((req.json as { stream?: boolean }).stream === true) sse(res, [...streamChunks(["Hi", " there"]), "[DONE]"]);
    else json(res, 200, completionAnswer());
  });
});
after(() => mock.close());

function router(): Router {
  return new Router(
    deploymentsFromLiteLLM([
      {
        model_name: "instruct",
        litellm_params: { model: "text-completion-openai/instruct", api_key: "sk-u", api_base: `${mock.url}/v1` },
      },
    ]),
    { cache: { type: "local", ttl: 60 } },
  );
}

test("Router({cache}): a repeated text completion is answered from the cache, its trace says so", async () => {
  const r = router();
  const before = mock.requests.length;
  const first = await r.textCompletion({ model: "instruct", prompt: "sdk", max_tokens: 5 });
  const trace = new RouteTrace();
  const second = await r.textCompletion({ model: "instruct", prompt: "sdk", max_tokens: 5 }, { trace });
  assert.equal(mock.requests.length - before, 1);
  assert.deepEqual(second, first);
  assert.equal(trace.cache?.hit, true);
  assert.equal(trace.attempts.length, 0);
  assert.deepEqual(trace.usage.known?.usage, completionAnswer().usage);
  await r.close();
});

test("Router({cache}): a streamed answer is stored once read to its end and replayed as a stream", async () => {
  const r = router();
  const before = mock.requests.length;
  const read = async () => {
    let text = "";
    for await (const chunk of await r.textCompletion({ model: "instruct", prompt: "sdk stream", stream: true }))
      text += chunk.choices[0]?.text ?? "";
    return text;
  };
  assert.equal(await read(), "Hi there");
  assert.equal(await read(), "Hi there");
  assert.equal(mock.requests.length - before, 1);
  // A stream abandoned before its end stores nothing.
  const abandoned = await r.textCompletion({ model: "instruct", prompt: "sdk abandoned", stream: true });
  for await (const _chunk of abandoned) break;
  await r.textCompletion({ model: "instruct", prompt: "sdk abandoned" });
  assert.equal(mock.requests.length - before, 3);
  await r.close();
});

test("textCompletion() and chatCompletion() with a response_cache: the same path, without a Router", async () => {
  const cache = ResponseCache.fromParams({ type: "local" });
  const before = mock.requests.length;
  const connection = { api_key: "sk-u", api_base: `${mock.url}/v1`, response_cache: cache };
  const text = { model: "text-completion-openai/instruct", prompt: "no router", ...connection };
  const first = await textCompletion(text);
  assert.deepEqual(await textCompletion(text), first);
  // The controls apply here too: no-cache calls the model again.
  await textCompletion({ ...text, cache: { "no-cache": true } });
  assert.equal(mock.requests.length - before, 2);
  // Not sent upstream: the provider saw the params only.
  assert.deepEqual(mock.requests.at(-1)?.json, { model: "instruct", prompt: "no router" });
  const chat = {
    model: "openai/chat-model",
    messages: [{ role: "user" as const, content: "no router" }],
    ...connection,
  };
  mock.enqueue((_req, res) => json(res, 200, chatAnswer("Hello there")));
  const answer = await chatCompletion(chat);
  let streamed = "";
  for await (const chunk of await chatCompletion({ ...chat, stream: true }))
    streamed += chunk.choices[0]?.delta.content ?? "";
  assert.equal(streamed, "Hello there");
  assert.deepEqual(await chatCompletion(chat), answer);
  assert.equal(mock.requests.length - before, 3);
  await cache.close();
});

test("the local cache stays within its size in MB under 10,000 distinct large answers", async () => {
  const maxSizeMb = 2;
  const cache = ResponseCache.fromParams({ type: "local", max_size_mb: maxSizeMb });
  const store = cache.store as MemoryCache;
  const big = "x".repeat(8 * 1024);
  let served = 0;
  for (let i = 0; i < 10_000; i++) {
    const note = { usage: new UsageLedger(), cache: undefined, fallbacks: 0 };
    await cache.serve(
      {
        kind: "text_completion",
        params: { model: "m", prompt: `prompt ${i}` },
        controls: NO_CONTROLS,
        keyNamespace: undefined,
        requestNamespace: undefined,
        mockResponse: undefined,
        off: false,
      },
      note,
      async () => {
        served += 1;
        return completionAnswer({
          id: `cmpl-${i}`,
          choices: [{ text: big, index: 0, logprobs: null, finish_reason: "stop" }],
        });
      },
    );
  }
  assert.equal(served, 10_000);
  // About 16 KB charged each (UTF-16, an upper bound on V8's one-byte strings): ~120 fit in 2 MB.
  assert.ok(store.size <= maxSizeMb * 1024 * 1024, `${store.size} bytes held`);
  assert.ok(store.entries > 100 && store.entries < 200, `${store.entries} entries`);
  const probe = (i: number) =>
    cache.serve(
      {
        kind: "text_completion",
        params: { model: "m", prompt: `prompt ${i}` },
        controls: NO_CONTROLS,
        keyNamespace: undefined,
        requestNamespace: undefined,
        mockResponse: undefined,
        off: false,
      },
      { usage: new UsageLedger(), cache: undefined as { key: string; hit: boolean } | undefined, fallbacks: 0 },
      async () => completionAnswer({ id: "fresh" }),
    );
  // The newest is still there, the oldest long evicted.
  assert.equal(((await probe(9_999)) as { id: string }).id, "cmpl-9999");
  assert.equal(((await probe(0)) as { id: string }).id, "fresh");
  await cache.close();
});
