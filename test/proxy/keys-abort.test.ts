/**
 * Requests that end early still settle what they hold and what they spent: a client that
 * leaves while its key is being admitted, or while the provider is answering, and a
 * provider that refuses a stream.
 */
import assert from "node:assert/strict";
import { request } from "node:http";
import { after, before, beforeEach, test } from "node:test";
import type { Admission, KeyLimits, KeyState, SpendEntry } from "../../src/state/key-state.js";
import { MemoryKeyState } from "../../src/state/memory-key-state.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import { completionAnswer } from "../helpers/fixtures.js";
import { startGateway, type TestGateway } from "../helpers/gateway.js";
import { call, complete, generateKey, MASTER_KEY } from "../helpers/keys.js";
import { json, MockUpstream } from "../helpers/mock-upstream.js";
import { eventually } from "../helpers/services.js";

/** MemoryKeyState whose admissions answer after `delayMs`, as Redis would under load. */
class SlowKeyState implements KeyState {
  delayMs = 0;
  private readonly memory = new MemoryKeyState();

  admit(
    keyHash: string,
    limits: KeyLimits,
    requestId: string,
    spendIds: readonly string[],
    now: number,
  ): Admission | Promise<Admission> {
    const admission = this.memory.admit(keyHash, limits, requestId, spendIds, now);
    if (this.delayMs === 0) return admission;
    return new Promise((resolve) => setTimeout(() => resolve(admission), this.delayMs));
  }

  finish(keyHash: string, limits: KeyLimits, requestId: string, tokens: number, now: number): void {
    this.memory.finish(keyHash, limits, requestId, tokens, now);
  }

  addSpend(entries: readonly SpendEntry[]): void {
    this.memory.addSpend(entries);
  }

  markFlushed(entries: readonly SpendEntry[]): void {
    this.memory.markFlushed(entries);
  }

  flushed(ids: readonly string[]): number[] {
    return this.memory.flushed(ids);
  }

  announceChange(): void {}

  onChange(): void {}

  async close(): Promise<void> {}
}

const state = new SlowKeyState();
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
    masterKey: MASTER_KEY,
    store: SqliteStore.open({ path: ":memory:" }),
    keyState: state,
    spendWriter: { intervalMs: 20 },
  });
});
after(async () => {
  await gateway.close();
  await mock.close();
});
beforeEach(() => {
  mock.reset();
  state.delayMs = 0;
});

type Log = { prompt_tokens: number; completion_tokens: number; spend: number; status: string };

async function logsOf(key: string): Promise<Log[]> {
  return (await call(gateway.url, "GET", `/spend/logs?api_key=${key}`, MASTER_KEY)).body as unknown as Log[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends a completion, closes the connection after `ms`, and waits until the gateway has logged it as 499. */
async function abandon(key: string, ms: number): Promise<void> {
  const logged = gateway.logs.length;
  const req = request(`${gateway.url}/v1/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
  });
  req.on("error", () => undefined);
  req.end(JSON.stringify({ model: "m", prompt: "Say this is a test" }));
  await sleep(ms);
  req.destroy();
  await eventually(
    () => gateway.logs.slice(logged).some((line) => line.route === "/v1/completions" && line.status === 499),
    "the abandoned request logged as 499",
  );
}

test("a client gone while its key is admitted: no upstream call, no lease left behind", async () => {
  mock.always((_req, res) => json(res, 200, completionAnswer()));
  const key = await generateKey(gateway.url, { max_parallel_requests: 1 });
  state.delayMs = 150;
  await abandon(key, 30);
  // The admission answers after the client left; then nothing more may happen.
  await sleep(200);
  state.delayMs = 0;
  assert.equal(mock.requests.length, 0);
  // The lease taken after the client left was released: the key's one slot is free.
  assert.equal((await complete(gateway.url, key, "m")).status, 200);
  assert.deepEqual(
    (await logsOf(key)).map((log) => log.status),
    ["failure", "success"],
  );
});

test("a client gone while the provider answers: its prompt is still counted", async () => {
  mock.always(async (_req, res) => {
    await new Promise((resolve) => setTimeout(resolve, 300));
    json(res, 200, completionAnswer());
  });
  const key = await generateKey(gateway.url, { tpm_limit: 1000 });
  await abandon(key, 50);
  const [log] = await logsOf(key);
  // cl100k: "Say this is a test" is 5 tokens; nothing generated reached the client.
  assert.deepEqual([log?.prompt_tokens, log?.completion_tokens, log?.status], [5, 0, "failure"]);
  assert.ok(Math.abs(Number(log?.spend) - 0.05) < 1e-9);
  // Its log line carries what its spend record is charged (written once the tokens are counted).
  const line = gateway.logs.findLast((l) => l.route === "/v1/completions" && l.status === 499);
  assert.deepEqual([line?.prompt_tokens, line?.completion_tokens], [5, 0]);
  assert.ok(Math.abs(Number(line?.cost) - 0.05) < 1e-9);
});

test("a request running while its key is regenerated still charges the key", async () => {
  mock.always(async (_req, res) => {
    await sleep(200);
    json(res, 200, completionAnswer());
  });
  const key = await generateKey(gateway.url, { max_budget: 0.3 });
  const running = complete(gateway.url, key, "m");
  await sleep(50);
  const fresh = String((await call(gateway.url, "POST", "/key/regenerate", MASTER_KEY, { key })).body.key);
  assert.equal((await running).status, 200);
  const info = await call(gateway.url, "GET", `/key/info?key=${fresh}`, MASTER_KEY);
  assert.ok(Math.abs(Number((info.body.info as { spend: number }).spend) - 0.19) < 1e-9);
  mock.always((_req, res) => json(res, 200, completionAnswer()));
  // $0.19 of $0.30 spent: one more answer, then the budget is gone.
  assert.equal((await complete(gateway.url, fresh, "m")).status, 200);
  assert.equal((await complete(gateway.url, fresh, "m")).body.error?.type, "budget_exceeded");
});

test("a stream the provider refuses costs nothing", async () => {
  mock.always((_req, res) =>
    json(res, 400, { error: { message: "bad prompt", type: "invalid_request_error", param: null, code: null } }),
  );
  const key = await generateKey(gateway.url);
  const refused = await complete(gateway.url, key, "m", { stream: true });
  assert.equal(refused.status, 400);
  assert.deepEqual(await logsOf(key), [
    { ...(await logsOf(key))[0], prompt_tokens: 0, completion_tokens: 0, spend: 0, status: "failure" },
  ]);
});
