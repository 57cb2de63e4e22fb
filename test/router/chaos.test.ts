/**
 * Chaos: two deployments of one model that each fail about 43% of calls the way real
 * providers do (500s, 429s with retry-after, connection resets, hangs, streams cut
 * mid-way), and a single-deployment group failing the same way. 1,000 requests, half of
 * them streamed, at concurrency 32, through the real proxy. The gateway must not amplify
 * the failures: every answer is a right 200, an OpenAI JSON error, or a stream ending in
 * [DONE] or an error event; at least 85% succeed (three independent tries at 57% give
 * about 92%, less the streams cut after their first byte, which cannot be retried); and a
 * single-deployment group never answers with the gateway's own cooldown error.
 */
import assert from "node:assert/strict";
import type { ServerResponse } from "node:http";
import { after, before, test } from "node:test";
import { Agent, fetch } from "undici";
import type { ModelEntry } from "../../src/config/index.js";
import { startGateway, type TestGateway } from "../helpers/gateway.js";
import { json, MockUpstream, type RecordedRequest } from "../helpers/mock-upstream.js";
import { seeded } from "../helpers/router.js";
import { chatAnswer } from "../helpers/fixtures.js";

const REQUESTS = 1_000;
const CONCURRENCY = 32;

type Fault = "ok" | "500" | "429" | "reset" | "hang" | "cut";

/** The failure mix of one upstream call: 12% 500, 10% 429, 8% reset, 5% hang, 8% cut, 57% fine. */
function faultOf(draw: number): Fault {
  if (draw < 0.12) return "500";
  if (draw < 0.22) return "429";
  if (draw < 0.3) return "reset";
  if (draw < 0.35) return "hang";
  if (draw < 0.43) return "cut";
  return "ok";
}

function chunk(content: string | undefined, finish: string | null): string {
  const delta = content === undefined ? {} : { content };
  return JSON.stringify({
    id: "chatcmpl-chaos",
    object: "chat.completion.chunk",
    created: 1_700_000_000,
    model: "gpt-4o-mini",
    choices: [{ index: 0, delta, finish_reason: finish }],
  });
}

/** A chat upstream failing at random (seeded, so every run draws the same faults). */
function chaotic(seed: number): (request: RecordedRequest, res: ServerResponse) => void {
  const random = seeded(seed);
  return (request, res) => {
    const fault = faultOf(random());
    const stream = (request.json as { stream?: boolean }).stream === true;
    switch (fault) {
      case "500":
        json(res, 500, {
          error: {
            message: "The server had an error while processing your request.",
            type: "server_error",
            param: null,
            code: null,
          },
        });
        return;
      case "429":
        json(
          res,
          429,
          {
            error: {
              message: "Rate limit reached for requests",
              type: "requests",
              param: null,
              code: "rate_limit_exceeded",
            },
          },
          { "retry-after": "1" },
        );
        return;
      case "reset":
        res.socket?.destroy();
        return;
      case "hang":
        return;
      case "cut":
        if (stream) {
          res.writeHead(200, { "content-type": "text/event-stream" });
          res.write(`data: ${chunk("still", null)}\n\n`);
          setTimeout(() => res.socket?.destroy(), 5);
        } else {
          res.writeHead(200, { "content-type": "application/json", "content-length": "400" });
          res.write(
            JSON.stringify(chatAnswer("still standing", { id: "chatcmpl-chaos", model: "gpt-4o-mini" })).slice(0, 60),
          );
          setTimeout(() => res.socket?.destroy(), 5);
        }
        return;
      case "ok":
        if (!stream) {
          json(res, 200, chatAnswer("still standing", { id: "chatcmpl-chaos", model: "gpt-4o-mini" }));
          return;
        }
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.end(
          `data: ${chunk("still", null)}\n\ndata: ${chunk(" standing", null)}\n\ndata: ${chunk(undefined, "stop")}\n\ndata: [DONE]\n\n`,
        );
        return;
    }
  };
}

let mocks: MockUpstream[];
let gateway: TestGateway;
// Enough sockets for every request at once: the client's pool is not what is under test.
const dispatcher = new Agent({ connections: CONCURRENCY * 2, keepAliveTimeout: 10_000 });

before(async () => {
  mocks = await Promise.all([MockUpstream.start(), MockUpstream.start(), MockUpstream.start()]);
  for (const [i, mock] of mocks.entries()) mock.always(chaotic(i + 1));
  const deployment = (group: string, id: string, mock: MockUpstream): ModelEntry => ({
    model_name: group,
    litellm_params: { model: "openai/gpt-4o-mini", api_base: `${mock.url}/v1`, api_key: "sk-chaos", timeout: 1 },
    model_info: { id },
  });
  gateway = await startGateway({
    modelList: [
      deployment("g", "a", mocks[0] as MockUpstream),
      deployment("g", "b", mocks[1] as MockUpstream),
      deployment("solo", "s", mocks[2] as MockUpstream),
    ],
    router: { num_retries: 2, allowed_fails: 100_000, cooldown_time: 1 },
  });
});

after(async () => {
  await gateway.close();
  await Promise.all(mocks.map((mock) => mock.close()));
  await dispatcher.close();
});

type Outcome = "ok" | "error" | "stream-error";

interface Seen {
  outcome: Outcome;
  status: number;
  code: string | null;
}

/** Reads one answer and checks it is one of the right shapes; returns what it was. */
async function send(index: number, model: string): Promise<Seen> {
  const stream = index % 2 === 1;
  const chat = index % 4 < 2;
  const body = chat
    ? { model, messages: [{ role: "user", content: "Are you there?" }], stream }
    : { model, prompt: "Are you there?", max_tokens: 5, stream };
  const response = await fetch(`${gateway.url}${chat ? "/v1/chat/completions" : "/v1/completions"}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    dispatcher,
  });
  const text = await response.text();
  const type = response.headers.get("content-type") ?? "";
  if (response.status !== 200) {
    assert.match(type, /^application\/json/, `status ${response.status} without JSON`);
    const error = (JSON.parse(text) as { error: { message: string; type: string; code: string | null } }).error;
    assert.equal(typeof error.message, "string");
    if (response.status === 429 || response.status === 503)
      assert.match(response.headers.get("retry-after") ?? "", /^\d+$/, "a 429/503 without retry-after");
    return { outcome: "error", status: response.status, code: error.code };
  }
  if (!stream) {
    assert.match(type, /^application\/json/);
    const answer = JSON.parse(text) as { object: string; choices: { text?: string; message?: { content: string } }[] };
    assert.equal(answer.object, chat ? "chat.completion" : "text_completion");
    assert.equal(chat ? answer.choices[0]?.message?.content : answer.choices[0]?.text, "still standing");
    return { outcome: "ok", status: 200, code: null };
  }
  assert.match(type, /^text\/event-stream/);
  const events = text
    .split("\n\n")
    .filter((block) => block.startsWith("data: "))
    .map((block) => block.slice(6));
  const last = events.at(-1);
  if (last === "[DONE]") {
    const pieces = events.slice(0, -1).map((data) => {
      const parsed = JSON.parse(data) as { choices: { text?: string; delta?: { content?: string } }[] };
      return chat ? (parsed.choices[0]?.delta?.content ?? "") : (parsed.choices[0]?.text ?? "");
    });
    assert.equal(pieces.join(""), "still standing");
    return { outcome: "ok", status: 200, code: null };
  }
  assert.ok(last !== undefined, "a stream without any event");
  const error = (JSON.parse(last) as { error?: { message: string; code: string | null } }).error;
  assert.ok(
    error !== undefined && typeof error.message === "string",
    `a stream ending neither in [DONE] nor an error event: ${last}`,
  );
  return { outcome: "stream-error", status: 200, code: error.code };
}

test(`chaos: ${REQUESTS} requests (half streamed) at concurrency ${CONCURRENCY} against upstreams failing 43% of calls`, async () => {
  const seen: { model: string; result: Seen }[] = [];
  let next = 0;
  async function worker(): Promise<void> {
    while (next < REQUESTS) {
      const index = next++;
      // One request in ten goes to the single-deployment group.
      const model = index % 10 === 9 ? "solo" : "g";
      seen.push({ model, result: await send(index, model) });
    }
  }
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = (performance.now() - started) / 1000;

  const grouped = seen.filter(({ model }) => model === "g");
  const ok = grouped.filter(({ result }) => result.outcome === "ok").length;
  const rate = ok / grouped.length;
  const attempts = (mocks[0]?.requests.length ?? 0) + (mocks[1]?.requests.length ?? 0);
  const solo = seen.filter(({ model }) => model === "solo");
  const soloOk = solo.filter(({ result }) => result.outcome === "ok").length;
  console.log(
    `chaos: ${ok}/${grouped.length} succeeded on the two-deployment group (${(rate * 100).toFixed(1)}%), ` +
      `${(attempts / grouped.length).toFixed(2)} upstream attempts per request; single-deployment group ${soloOk}/${solo.length}; ${seconds.toFixed(1)} s`,
  );
  assert.equal(seen.length, REQUESTS);
  assert.ok(rate >= 0.85, `success rate ${(rate * 100).toFixed(1)}% is under 85%`);
  const ownRefusals = seen.filter(({ result }) => result.code === "no_deployment_available");
  assert.deepEqual(ownRefusals, [], "the gateway answered with its own cooldown error");
});
