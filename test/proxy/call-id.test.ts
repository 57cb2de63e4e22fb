/**
 * A request's call id (x-litellm-call-id) is made by the gateway, unique, and keys its spend
 * log, so a response's header finds the row (`/spend/logs?request_id=`, as in LiteLLM); a
 * client's own x-request-id is kept beside it, on the response, the log line and the webhook.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import { completionAnswer } from "../helpers/fixtures.js";
import { startGateway, type TestGateway } from "../helpers/gateway.js";
import { call, generateKey, MASTER_KEY } from "../helpers/keys.js";
import { json, MockUpstream } from "../helpers/mock-upstream.js";

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Polls `check` until it holds (a finished request's log line and spend record come after its answer). */
async function eventually(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  const end = Date.now() + 5000;
  while (!(await check())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The milliseconds since the epoch a version 7 UUID's first 48 bits hold. */
const uuidTime = (id: string): number => Number.parseInt(id.replaceAll("-", "").slice(0, 12), 16);

describe("call ids", () => {
  const dir = mkdtempSync(join(tmpdir(), "litegate-call-id-"));
  let mock: MockUpstream;
  let gateway: TestGateway;
  let key: string;

  before(async () => {
    mock = await MockUpstream.start();
    mock.always((_req, res) => json(res, 200, completionAnswer()));
    gateway = await startGateway({
      modelList: [
        {
          model_name: "instruct",
          litellm_params: { model: "text-completion-openai/instruct", api_key: "sk-up", api_base: `${mock.url}/v1` },
        },
      ],
      masterKey: MASTER_KEY,
      store: SqliteStore.open({ path: join(dir, "spend.db") }),
      spendWriter: { intervalMs: 20 },
    });
    key = await generateKey(gateway.url, { key_alias: "calls" });
  });
  after(async () => {
    await gateway?.close();
    await mock?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function complete(headers: Record<string, string> = {}): Promise<Response> {
    return fetch(`${gateway.url}/v1/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${key}`, ...headers },
      body: JSON.stringify({ model: "instruct", prompt: "Say this is a test" }),
    });
  }

  /** The spend logs `/spend/logs?request_id=` finds for `id`. */
  async function logsOf(id: string): Promise<Record<string, unknown>[]> {
    const logs = await call(gateway.url, "GET", `/spend/logs?request_id=${id}`, MASTER_KEY);
    assert.equal(logs.status, 200);
    return logs.body as unknown as Record<string, unknown>[];
  }

  test("without a client id: one id, a version 7 UUID of now, finds the spend log", async () => {
    const before = Date.now();
    const response = await complete();
    assert.equal(response.status, 200);
    await response.text();
    const callId = String(response.headers.get("x-litellm-call-id"));
    assert.match(callId, UUID_V7);
    assert.equal(response.headers.get("x-request-id"), callId);
    // Ids are made a few at a time, never more than a second before they are used.
    assert.ok(uuidTime(callId) >= before - 1000 && uuidTime(callId) <= Date.now(), `${uuidTime(callId)} ${before}`);
    await eventually("its spend log", async () => (await logsOf(callId)).length > 0);
    const logs = await logsOf(callId);
    assert.deepEqual(
      logs.map((row) => [row.request_id, row.status, row.total_tokens]),
      [[callId, "success", 12]],
    );
    const ui = await call(gateway.url, "GET", `/spend/logs/ui?request_id=${callId}`, MASTER_KEY);
    assert.equal(ui.status, 200);
    assert.deepEqual(
      (ui.body.data as Record<string, unknown>[]).map((row) => row.request_id),
      [callId],
    );
    const lineOf = () => gateway.logs.find((l) => l.request_id === callId && l.route === "/v1/completions");
    await eventually("its log line", () => lineOf() !== undefined);
    assert.equal(lineOf()?.call_id, undefined);
  });

  test("a client's x-request-id, sent twice: kept on both, each its own call id and spend log", async () => {
    const answers = [
      await complete({ "x-request-id": "client-run-1" }),
      await complete({ "x-request-id": "client-run-1" }),
    ];
    const callIds: string[] = [];
    for (const response of answers) {
      assert.equal(response.status, 200);
      await response.text();
      assert.equal(response.headers.get("x-request-id"), "client-run-1");
      const callId = String(response.headers.get("x-litellm-call-id"));
      assert.match(callId, UUID_V7);
      callIds.push(callId);
    }
    assert.notEqual(callIds[0], callIds[1]);
    for (const callId of callIds) {
      await eventually("its spend log", async () => (await logsOf(callId)).length > 0);
      assert.deepEqual(
        (await logsOf(callId)).map((row) => row.request_id),
        [callId],
      );
    }
    // The client's id finds no spend log: it is not a call id.
    assert.deepEqual(await logsOf("client-run-1"), []);
    const lines = () => gateway.logs.filter((l) => l.request_id === "client-run-1");
    await eventually("both log lines", () => lines().length === 2);
    assert.deepEqual(
      lines().map((l) => l.call_id),
      callIds,
    );
  });

  test("/spend/logs?request_id= of an id no request had: an empty list", async () => {
    assert.deepEqual(await logsOf("0190f3c2-0000-7000-8000-000000000000"), []);
  });
});
