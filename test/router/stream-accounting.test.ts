/** A stream's place in the Router's books: its tokens counted once, its in-flight slot always given back. */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Router } from "../../src/router/router.js";
import { RouteTrace } from "../../src/router/trace.js";
import { MemoryState } from "../../src/state/memory-state.js";
import { MockUpstream, sse } from "../helpers/mock-upstream.js";

const USAGE = { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 };
const MESSAGES = [{ role: "user" as const, content: "hi" }];

let mock: MockUpstream;
before(async () => {
  mock = await MockUpstream.start();
});
after(() => mock.close());

function router(litellm_params: Record<string, unknown>): { router: Router; state: MemoryState } {
  const state = new MemoryState();
  const model_list = [{ model_name: "m", litellm_params, model_info: { id: "d1" } }];
  return { router: Router.fromLiteLLM({ model_list, state }), state };
}

describe("stream accounting", () => {
  test("a stream whose usage comes with its first chunk counts its tokens against tpm once", async () => {
    const chunk = {
      id: "c1",
      object: "chat.completion.chunk",
      created: 1,
      model: "gpt-4o",
      choices: [{ index: 0, delta: { content: "hello" }, finish_reason: "stop" }],
      usage: USAGE,
    };
    mock.always((_req, res) => sse(res, [chunk, "[DONE]"]));
    for (const bills of [false, true]) {
      const { router: r, state } = router({
        model: "openai/gpt-4o",
        api_base: `${mock.url}/v1`,
        api_key: "x",
        tpm: 1000,
      });
      const stream = await r.chatCompletion(
        { model: "m", messages: MESSAGES, stream: true, stream_options: { include_usage: true } },
        { trace: new RouteTrace(bills) },
      );
      for await (const _ of stream) {
        // drained
      }
      assert.equal(state.minuteUsage("d1", Date.now()).tokens, 10, `bills: ${bills}`);
      assert.equal(state.inFlight("d1"), 0);
    }
  });

  test("a made-here stream closed before its first read gives its in-flight slot back", async () => {
    const { router: r, state } = router({ model: "openai/gpt-4o", mock_response: "hello there world" });
    const first = await r.chatCompletion({ model: "m", messages: MESSAGES, stream: true });
    assert.equal(state.inFlight("d1"), 1);
    let ended = 0;
    first.onEnd(() => ended++);
    await first.items()[Symbol.asyncIterator]().return?.();
    assert.deepEqual({ inFlight: state.inFlight("d1"), ended }, { inFlight: 0, ended: 1 });
    const second = await r.chatCompletion({ model: "m", messages: MESSAGES, stream: true });
    await second[Symbol.asyncIterator]().return?.();
    assert.equal(state.inFlight("d1"), 0);
  });
});
