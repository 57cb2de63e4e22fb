/**
 * What changing the deployments at runtime must not disturb (Router.replaceDeployments): a
 * request in flight on a deployment that is deleted meanwhile finishes normally, and the
 * deployments that did not change keep their rpm counters and cooldowns.
 */
import assert from "node:assert/strict";
import type { ServerResponse } from "node:http";
import { after, before, describe, test } from "node:test";
// As an SDK user imports them.
import { deploymentsFromLiteLLM, Router } from "../../src/index.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import { BadRequestError } from "../../src/wire/errors.js";
import { chatAnswer } from "../helpers/fixtures.js";
import { startGateway, type TestGateway } from "../helpers/gateway.js";
import { call, MASTER_KEY } from "../helpers/keys.js";
import { json, MockUpstream } from "../helpers/mock-upstream.js";
import { eventually } from "../helpers/services.js";

const HI = [{ role: "user", content: "Hello!" }];

let upstream: MockUpstream;
let failing: MockUpstream;
let gateway: TestGateway;

before(async () => {
  upstream = await MockUpstream.start();
  failing = await MockUpstream.start();
  upstream.always((_request, res) => json(res, 200, chatAnswer("upstream")));
  failing.always((_request, res) => json(res, 500, { error: { message: "down", type: "server_error" } }));
  gateway = await startGateway({
    modelList: [
      {
        model_name: "limited",
        litellm_params: { model: "openai/gpt-4o", api_key: "sk-up", api_base: `${upstream.url}/v1`, rpm: 1 },
        model_info: { id: "limited-1" },
      },
      {
        model_name: "flaky",
        litellm_params: { model: "openai/gpt-4o", api_key: "sk-up", api_base: `${failing.url}/v1`, order: 1 },
        model_info: { id: "flaky-bad" },
      },
      {
        model_name: "flaky",
        litellm_params: { model: "openai/gpt-4o", mock_response: "the healthy one", order: 2 },
        model_info: { id: "flaky-good" },
      },
    ],
    masterKey: MASTER_KEY,
    store: SqliteStore.open({ path: ":memory:" }),
    storeModelInDb: true,
    modelRefreshSeconds: 3600,
    // A clock that stands mid-minute: the rpm window cannot roll over between two requests.
    router: { allowed_fails: 0, cooldown_time: 600, num_retries: 0, now: () => 1_800_000_030_000 },
  });
});
after(async () => {
  await gateway.close();
  await upstream.close();
  await failing.close();
});

const chat = (model: string) => call(gateway.url, "POST", "/v1/chat/completions", MASTER_KEY, { model, messages: HI });

async function addModel(name: string, id: string, apiBase: string): Promise<void> {
  const answer = await call(gateway.url, "POST", "/model/new", MASTER_KEY, {
    model_name: name,
    litellm_params: { model: "openai/gpt-4o", api_key: "sk-up", api_base: apiBase },
    model_info: { id },
  });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
}

describe("replacing the deployments at runtime", () => {
  test("a request in flight on a deployment deleted meanwhile still gets its answer", async () => {
    const slow = await MockUpstream.start();
    let release: (() => void) | undefined;
    slow.always((_request, res: ServerResponse) => {
      release = () => json(res, 200, chatAnswer("answered after the delete"));
    });
    try {
      await addModel("slow", "slow-1", `${slow.url}/v1`);
      const inFlight = chat("slow");
      await eventually(() => release !== undefined, "the upstream has the request");
      const deleted = await call(gateway.url, "POST", "/model/delete", MASTER_KEY, { id: "slow-1" });
      assert.equal(deleted.status, 200);
      assert.equal((await chat("slow")).status, 400);
      release?.();
      const answer = await inFlight;
      assert.equal(answer.status, 200);
      const [choice] = answer.body.choices as { message: { content: string } }[];
      assert.equal(choice?.message.content, "answered after the delete");
    } finally {
      await slow.close();
    }
  });

  test("an unchanged deployment keeps its rpm counter and its cooldown across a change", async () => {
    // rpm 1: the first request takes the minute's only slot.
    assert.equal((await chat("limited")).status, 200);
    // The failing deployment of `flaky` fails once and cools down for 10 minutes.
    assert.equal((await chat("flaky")).status, 500);
    const bad = gateway.server.router.deployments.find((d) => d.id === "flaky-bad");
    assert.ok(bad !== undefined && gateway.server.router.cooldownOf(bad) !== undefined);

    await addModel("extra", "extra-1", `${upstream.url}/v1`);
    await addModel("limited", "limited-db", `${failing.url}/v1`);
    assert.equal((await call(gateway.url, "POST", "/model/delete", MASTER_KEY, { id: "limited-db" })).status, 200);

    const limited = await chat("limited");
    assert.equal(limited.status, 429);
    assert.equal(limited.body.error?.code, "rate_limit_exceeded");
    const before = failing.requests.length;
    const flaky = await chat("flaky");
    assert.equal(flaky.status, 200);
    const [choice] = flaky.body.choices as { message: { content: string } }[];
    assert.equal(choice?.message.content, "the healthy one");
    assert.equal(failing.requests.length, before, "the cooling deployment got no request");
    const kept = gateway.server.router.deployments.find((d) => d.id === "flaky-bad");
    assert.ok(kept !== undefined && gateway.server.router.cooldownOf(kept) !== undefined);
    assert.equal((await chat("extra")).status, 200);
  });
});

describe("Router.replaceDeployments", () => {
  test("the model names, groups and patterns follow the new list; aliases stay", async () => {
    const entry = (name: string, answer: string) => ({
      model_name: name,
      litellm_params: { model: "openai/gpt-4o", mock_response: answer },
    });
    const router = Router.fromLiteLLM({ model_list: [entry("a", "from a")], model_group_alias: { alias: "b" } });
    assert.deepEqual(router.modelNames, ["a", "alias"]);
    router.replaceDeployments(
      deploymentsFromLiteLLM([
        entry("b", "from b"),
        { model_name: "openai/*", litellm_params: { model: "openai/*", mock_response: "from the pattern" } },
      ]),
    );
    assert.deepEqual(router.modelNames, ["b", "alias"]);
    const content = async (model: string) =>
      (await router.chatCompletion({ model, messages: [{ role: "user", content: "hi" }] })).choices[0]?.message.content;
    assert.equal(await content("alias"), "from b");
    assert.equal(await content("openai/gpt-4o-mini"), "from the pattern");
    await assert.rejects(content("a"), (error: unknown) => {
      assert.ok(error instanceof BadRequestError);
      assert.equal(error.message, "Unknown model 'a'. Available models: b, alias.");
      return true;
    });
    await router.close();
  });
});
