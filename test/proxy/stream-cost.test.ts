/** litellm_settings.include_cost_in_streaming_usage: a stream's usage chunk carries `cost`, every other chunk is untouched. */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { streamChunks } from "../helpers/fixtures.js";
import { readEvents, startGateway, type TestGateway } from "../helpers/gateway.js";
import { MockUpstream, sse } from "../helpers/mock-upstream.js";

let mock: MockUpstream;
let gateway: TestGateway;

before(async () => {
  mock = await MockUpstream.start();
  gateway = await startGateway({
    modelList: [
      {
        model_name: "m",
        litellm_params: { model: "text-completion-openai/m", api_key: "sk-upstream", api_base: `${mock.url}/v1` },
        model_info: { input_cost_per_token: 0.01, output_cost_per_token: 0.02 },
      },
    ],
    includeCostInStreamingUsage: true,
  });
});
after(async () => {
  await gateway.close();
  await mock.close();
});

test("the usage chunk gains cost in USD; the text chunks are forwarded byte for byte", async () => {
  const chunks = streamChunks(["Hi", " there"]);
  const usageChunk = { ...chunks[0], choices: [], usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 } };
  mock.always((_req, res) => sse(res, [...chunks, usageChunk, "[DONE]"]));
  const response = await fetch(`${gateway.url}/v1/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "m", prompt: "hi", stream: true, stream_options: { include_usage: true } }),
  });
  const { data } = await readEvents(response);
  assert.deepEqual(
    data.slice(0, 2),
    chunks.map((chunk) => JSON.stringify(chunk)),
  );
  assert.deepEqual(JSON.parse(data[2] ?? ""), {
    ...usageChunk,
    usage: { ...usageChunk.usage, cost: 5 * 0.01 + 7 * 0.02 },
  });
  assert.equal(data[3], "[DONE]");
});
