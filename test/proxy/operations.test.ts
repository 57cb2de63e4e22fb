import assert from "node:assert/strict";
import { once } from "node:events";
import { type IncomingMessage, request as httpRequest } from "node:http";
import { after, before, beforeEach, describe, test } from "node:test";
import { completionAnswer, streamChunks } from "../helpers/fixtures.js";
import { readEvents, startGateway, type TestGateway } from "../helpers/gateway.js";
import { json, MockUpstream } from "../helpers/mock-upstream.js";

const MASTER_KEY = "sk-master-SECRET-0001";
const UPSTREAM_KEY = "sk-upstream-SECRET-0002";

let mock: MockUpstream;
let failing: MockUpstream;
before(async () => {
  mock = await MockUpstream.start();
  failing = await MockUpstream.start();
  failing.always((_req, res) =>
    json(res, 500, { error: { message: "down for maintenance", type: "server_error", param: null, code: null } }),
  );
});
after(async () => {
  await mock.close();
  await failing.close();
});
beforeEach(() => mock.reset());

function gatewayWith(debug = false): Promise<TestGateway> {
  return startGateway({
    modelList: [
      {
        model_name: "instruct",
        litellm_params: {
          model: "text-completion-openai/gpt-3.5-turbo-instruct",
          api_key: UPSTREAM_KEY,
          api_base: `${mock.url}/v1`,
        },
      },
      {
        model_name: "broken",
        litellm_params: {
          model: "text-completion-openai/davinci-002",
          api_key: UPSTREAM_KEY,
          api_base: `${failing.url}/v1`,
        },
      },
      { model_name: "mocked", litellm_params: { model: "text-completion-openai/x", mock_response: "ok" } },
    ],
    masterKey: MASTER_KEY,
    detailedDebug: debug,
  });
}

function post(gateway: TestGateway, body: unknown): Promise<Response> {
  return fetch(`${gateway.url}/v1/completions`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      authorization: `Bearer ${MASTER_KEY}`,
      "x-request-id": "log-test-1",
    },
    body: JSON.stringify(body),
  });
}

describe("request logs", () => {
  test("one JSON line per request with id, route, model, deployment, status, timings and tokens", async () => {
    const gateway = await gatewayWith();
    try {
      mock.always((_req, res) => json(res, 200, completionAnswer()));
      const response = await post(gateway, { model: "instruct", prompt: "hi" });
      await response.json();
      await new Promise((resolve) => setImmediate(resolve));
      const lines = gateway.logs.filter((line) => line.request_id === "log-test-1");
      assert.equal(lines.length, 1);
      const line = lines[0] as Record<string, unknown>;
      assert.equal(line.route, "/v1/completions");
      assert.equal(line.method, "POST");
      assert.equal(line.model, "instruct");
      assert.equal(line.deployment_id, response.headers.get("x-litellm-model-id"));
      assert.equal(line.status, 200);
      assert.equal(line.prompt_tokens, 5);
      assert.equal(line.completion_tokens, 7);
      assert.equal(line.cost, 0.0000215);
      for (const field of ["duration_ms", "upstream_ms", "overhead_ms"])
        assert.equal(typeof line[field], "number", field);
    } finally {
      await gateway.close();
    }
  });

  test("every route's line says who called: the model list, /health and /metrics as the model routes do", async () => {
    const gateway = await gatewayWith();
    try {
      mock.always((_req, res) => json(res, 200, completionAnswer()));
      const asked = async (path: string, key: string, id: string) => {
        const response = await fetch(`${gateway.url}${path}`, {
          headers: { authorization: `Bearer ${key}`, "x-request-id": id },
        });
        await response.arrayBuffer();
        return response.status;
      };
      assert.equal(await asked("/v1/models", MASTER_KEY, "who-1"), 200);
      assert.equal(await asked("/health", MASTER_KEY, "who-2"), 200);
      assert.equal(await asked("/health", "sk-wrong", "who-3"), 401);
      await new Promise((resolve) => setImmediate(resolve));
      const who = (id: string) => {
        const line = gateway.logs.find((l) => l.request_id === id);
        return [line?.route, line?.key_hash];
      };
      assert.deepEqual(who("who-1"), ["/v1/models", "master_key"]);
      assert.deepEqual(who("who-2"), ["/health", "master_key"]);
      // A refused key is nobody: as on the model routes, no key_hash.
      assert.deepEqual(who("who-3"), ["/health", undefined]);
    } finally {
      await gateway.close();
    }
  });

  test("a stream's upstream time runs to its last chunk: the gaps between chunks are not overhead", async () => {
    const gateway = await gatewayWith();
    try {
      const chunks = streamChunks(["a", "b", "c"]);
      mock.always((_req, res) => {
        res.writeHead(200, { "content-type": "text/event-stream" });
        const events: (string | object)[] = [...chunks, "[DONE]"];
        // 60 ms between chunks: some 240 ms of the provider's after the first.
        const next = () => {
          const event = events.shift();
          if (event === undefined) return void res.end();
          res.write(`data: ${typeof event === "string" ? event : JSON.stringify(event)}\n\n`);
          setTimeout(next, 60);
        };
        next();
      });
      const response = await post(gateway, { model: "instruct", prompt: "hi", stream: true });
      await response.text();
      await new Promise((resolve) => setImmediate(resolve));
      const line = gateway.logs.find((l) => l.request_id === "log-test-1") as {
        upstream_ms: number;
        overhead_ms: number;
        duration_ms: number;
      };
      assert.ok(line.upstream_ms >= 230, `upstream_ms ${line.upstream_ms}`);
      assert.ok(line.overhead_ms < 50, `overhead_ms ${line.overhead_ms}`);
      // Each is rounded to the microsecond on its own.
      assert.ok(Math.abs(line.upstream_ms + line.overhead_ms - line.duration_ms) < 0.01);
    } finally {
      await gateway.close();
    }
  });

  test("--detailed_debug logs bodies with secrets redacted; no key appears in any log line", async () => {
    const gateway = await gatewayWith(true);
    try {
      mock.always((_req, res) => json(res, 200, completionAnswer()));
      await (
        await post(gateway, {
          model: "instruct",
          prompt: "hi",
          api_key: "sk-client-SECRET-0003",
          metadata: { token: "meta-SECRET-0004", run: "r1" },
        })
      ).json();
      mock.always((_req, res) =>
        json(res, 401, {
          error: {
            message: `Incorrect API key provided: ${UPSTREAM_KEY}`,
            type: "invalid_request_error",
            param: null,
            code: "invalid_api_key",
          },
        }),
      );
      const failed = await post(gateway, { model: "instruct", prompt: "hi" });
      assert.equal(failed.status, 401);
      assert.ok(!(await failed.text()).includes(UPSTREAM_KEY));
      await new Promise((resolve) => setImmediate(resolve));
      const debug = gateway.logs.find((line) => line.msg === "request body") as
        | { request: Record<string, unknown> }
        | undefined;
      // Free-form metadata is logged as it is stored: without the entries that look like secrets.
      assert.deepEqual(debug?.request, {
        model: "instruct",
        prompt: "hi",
        api_key: "[redacted]",
        metadata: { run: "r1" },
      });
      assert.ok(gateway.logs.some((line) => line.msg === "response body"));
      const all = gateway.rawLogs.join("");
      for (const secret of [MASTER_KEY, UPSTREAM_KEY, "sk-client-SECRET-0003", "meta-SECRET-0004"])
        assert.ok(!all.includes(secret), `${secret} leaked into the logs`);
    } finally {
      await gateway.close();
    }
  });
});

describe("GET /health", () => {
  test("a real cheap call per deployment: healthy and unhealthy endpoints with api_base, never a key", async () => {
    const gateway = await gatewayWith();
    try {
      mock.always((_req, res) => json(res, 200, completionAnswer()));
      const response = await fetch(`${gateway.url}/health`, { headers: { authorization: `Bearer ${MASTER_KEY}` } });
      const text = await response.text();
      assert.ok(!text.includes(UPSTREAM_KEY));
      const body = JSON.parse(text) as {
        healthy_endpoints: { model_name: string; api_base: string | null }[];
        unhealthy_endpoints: { model_name: string; error: string }[];
        healthy_count: number;
        unhealthy_count: number;
      };
      assert.deepEqual(
        body.healthy_endpoints.map((e) => [e.model_name, e.api_base]),
        [
          ["instruct", `${mock.url}/v1`],
          ["mocked", null],
        ],
      );
      assert.deepEqual(
        body.unhealthy_endpoints.map((e) => [e.model_name, e.error]),
        [["broken", "down for maintenance"]],
      );
      assert.equal(body.healthy_count, 2);
      assert.equal(body.unhealthy_count, 1);
      assert.deepEqual(mock.requests[0]?.json, { model: "gpt-3.5-turbo-instruct", prompt: "ping", max_tokens: 1 });
    } finally {
      await gateway.close();
    }
  });
});

describe("graceful shutdown", () => {
  test("a stream in flight finishes with [DONE]; new connections are refused", async () => {
    const gateway = await gatewayWith();
    const chunks = streamChunks(["slow", " but", " complete"]);
    mock.always(async (_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      for (const chunk of chunks) {
        res.write(`data: ${JSON.stringify(chunk)}\n\n`);
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
      res.end("data: [DONE]\n\n");
    });
    const response = await post(gateway, { model: "instruct", prompt: "hi", stream: true });
    assert.equal(response.status, 200);
    const stopped = gateway.server.shutdown(5000);
    const events = readEvents(response);
    await assert.rejects(fetch(`${gateway.url}/health/liveliness`));
    assert.deepEqual((await events).data, [...chunks.map((c) => JSON.stringify(c)), "[DONE]"]);
    await stopped;
  });

  test("the grace period bounds the wait", async () => {
    const gateway = await gatewayWith();
    mock.always((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(
        `data: ${JSON.stringify({ ...streamChunks(["a"])[0], choices: [{ text: "a", index: 0, logprobs: null, finish_reason: null }] })}\n\n`,
      );
      // never ends
    });
    const response = await post(gateway, { model: "instruct", prompt: "hi", stream: true });
    const reader = response.body?.getReader();
    await reader?.read();
    await gateway.server.shutdown(200);
    await assert.rejects(async () => {
      for (;;) {
        const { done } = (await reader?.read()) ?? { done: true };
        if (done) throw new Error("ended");
      }
    });
    await mock.socketClosed();
  });
});

describe("mock_response under the proxy", () => {
  test("the SSE stream of a mock deployment ends with [DONE]", async () => {
    const gateway = await gatewayWith();
    try {
      const { data } = await readEvents(await post(gateway, { model: "mocked", prompt: "hi", stream: true }));
      assert.equal(data.at(-1), "[DONE]");
      assert.equal(JSON.parse(data[0] as string).choices[0].text, "ok");
    } finally {
      await gateway.close();
    }
  });
});

describe("backpressure", () => {
  test("a client that does not read stops the upstream read instead of growing the gateway's memory", async () => {
    const gateway = await gatewayWith();
    const TOTAL = 5000;
    let written = 0;
    const text = "x".repeat(4096);
    mock.always(async (_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      for (let i = 0; i < TOTAL; i++) {
        const chunk = {
          id: "cmpl-bp",
          object: "text_completion",
          created: 1,
          model: "m",
          choices: [{ text, index: 0, logprobs: null, finish_reason: i === TOTAL - 1 ? "stop" : null }],
        };
        written += 1;
        if (!res.write(`data: ${JSON.stringify(chunk)}\n\n`)) await once(res, "drain");
      }
      res.end("data: [DONE]\n\n");
    });
    try {
      const response = await new Promise<IncomingMessage>((resolve, reject) => {
        const req = httpRequest(
          `${gateway.url}/v1/completions`,
          { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${MASTER_KEY}` } },
          resolve,
        );
        req.on("error", reject);
        req.end(JSON.stringify({ model: "instruct", prompt: "hi", stream: true }));
      });
      response.pause();
      await new Promise((resolve) => setTimeout(resolve, 1000));
      // About 20 MB were on offer; socket buffers hold a few MB at most.
      assert.ok(written < TOTAL / 2, `the upstream wrote ${written} of ${TOTAL} chunks while the client read nothing`);
      let events = 0;
      let tail = "";
      response.setEncoding("utf8");
      response.on("data", (part: string) => {
        const text = tail + part;
        const blocks = text.split("\n\n");
        tail = blocks.pop() ?? "";
        events += blocks.length;
      });
      response.resume();
      await once(response, "end");
      assert.equal(events, TOTAL + 1);
      assert.equal(written, TOTAL);
    } finally {
      await gateway.close();
    }
  });
});
