/**
 * Stored responses on Postgres (TEST_DATABASE_URL; skipped loudly without it): two gateway
 * instances on one database continue each other's conversations, and a response deleted on
 * one is gone on the other.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import OpenAI from "openai";
import { PostgresStore } from "../../src/store/postgres-store.js";
import { startGateway, type TestGateway } from "../helpers/gateway.js";
import { call, MASTER_KEY } from "../helpers/keys.js";
import { json, MockUpstream } from "../helpers/mock-upstream.js";
import { dropSchemas, uniqueName, warnSkipped } from "../helpers/services.js";

const DATABASE_URL = process.env.TEST_DATABASE_URL;
const SKIP =
  DATABASE_URL === undefined ? "TEST_DATABASE_URL is not set: stored responses on Postgres skipped" : undefined;
warnSkipped(SKIP);

const CLAUDE = "claude-3-5-sonnet-20241022";
const schema = uniqueName("litegate_responses");

describe("stored responses on Postgres, shared by two instances", { skip: SKIP }, () => {
  let mock: MockUpstream;
  const gateways: TestGateway[] = [];

  before(async () => {
    mock = await MockUpstream.start();
    for (let i = 0; i < 2; i++) {
      const store = await PostgresStore.open({ connectionString: String(DATABASE_URL), schema, poolMax: 2 });
      gateways.push(
        await startGateway({
          modelList: [
            {
              model_name: "claude",
              litellm_params: { model: `anthropic/${CLAUDE}`, api_key: "k", api_base: mock.url },
            },
          ],
          masterKey: MASTER_KEY,
          store,
        }),
      );
    }
  });
  after(async () => {
    for (const gateway of gateways) await gateway.close();
    await mock.close();
    await dropSchemas(String(DATABASE_URL), [schema]);
  });

  test("a conversation begun on one instance continues on the other; DELETE on one is seen by both", async () => {
    const [one, two] = gateways as [TestGateway, TestGateway];
    const answer = (text: string) => ({
      id: "msg_1",
      type: "message",
      role: "assistant",
      model: CLAUDE,
      content: [{ type: "text", text }],
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: { input_tokens: 3, output_tokens: 2 },
    });
    mock.enqueue(
      (_req, res) => json(res, 200, answer("Paris.")),
      (_req, res) => json(res, 200, answer("About 2 million.")),
    );
    const client = (gateway: TestGateway) =>
      new OpenAI({ apiKey: MASTER_KEY, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
    const first = await client(one).responses.create({ model: "claude", input: "Capital of France?" });
    const second = await client(two).responses.create({
      model: "claude",
      input: "Its population?",
      previous_response_id: first.id,
    });
    assert.equal(second.output_text, "About 2 million.");
    assert.deepEqual(mock.requests[1]?.json, {
      model: CLAUDE,
      max_tokens: 8192,
      messages: [
        { role: "user", content: "Capital of France?" },
        { role: "assistant", content: "Paris." },
        { role: "user", content: "Its population?" },
      ],
    });
    assert.equal((await client(one).responses.retrieve(second.id)).output_text, "About 2 million.");
    const deleted = await call(two.url, "DELETE", `/v1/responses/${first.id}`, MASTER_KEY);
    assert.deepEqual(deleted.body, { id: first.id, object: "response", deleted: true });
    const gone = await call(one.url, "GET", `/v1/responses/${first.id}`, MASTER_KEY);
    assert.equal(gone.status, 404);
  });
});
