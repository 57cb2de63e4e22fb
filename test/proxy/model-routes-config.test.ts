/**
 * general_settings.store_model_in_db read from config.yaml (or LiteLLM's STORE_MODEL_IN_DB)
 * by the real start-up path: the write routes open, a model added survives a restart, and
 * the store opens even on a gateway without a master key.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { loadConfig } from "../../src/config/index.js";
import { createGateway, openStore, storeModelInDb } from "../../src/proxy/start.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import { call, MASTER_KEY } from "../helpers/keys.js";

const dir = mkdtempSync(join(tmpdir(), "litegate-models-config-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const MODELS = "model_list:\n  - model_name: base\n    litellm_params: { model: openai/gpt-4o, mock_response: hi }\n";

async function configWith(name: string, general: string) {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, `${MODELS}general_settings:\n${general}`);
  return loadConfig(file, {});
}

test("store_model_in_db comes from general_settings, else STORE_MODEL_IN_DB; the config wins", async () => {
  const unset = await configWith("unset", "  master_key: sk-1\n");
  assert.equal(storeModelInDb(unset, {}), false);
  assert.equal(storeModelInDb(unset, { STORE_MODEL_IN_DB: "True" }), true);
  assert.equal(storeModelInDb(unset, { STORE_MODEL_IN_DB: "false" }), false);
  const on = await configWith("on", "  master_key: sk-1\n  store_model_in_db: yes\n");
  assert.equal(storeModelInDb(on, {}), true);
  const off = await configWith("off", "  master_key: sk-1\n  store_model_in_db: false\n");
  assert.equal(storeModelInDb(off, { STORE_MODEL_IN_DB: "True" }), false);
  const typo = await configWith("typo", "  master_key: sk-1\n  store_model_in_db: sometimes\n").catch(
    (error: Error) => error.message,
  );
  assert.match(String(typo), /general_settings\.store_model_in_db: expected true or false, got "sometimes"/);
});

test("without a master key, store_model_in_db still opens the SQLite store (./litegate.db)", async () => {
  const cwd = process.cwd();
  const here = mkdtempSync(join(dir, "cwd-"));
  process.chdir(here);
  try {
    const store = await openStore(await configWith("open", "  store_model_in_db: true\n"), undefined, {});
    assert.ok(store instanceof SqliteStore);
    assert.ok(existsSync(join(here, "litegate.db")));
    await store.close();
  } finally {
    process.chdir(cwd);
  }
});

test("a model added through the API is loaded again when the gateway restarts", async () => {
  const config = await configWith(
    "restart",
    `  master_key: ${MASTER_KEY}\n  store_model_in_db: true\n  database_path: ${join(dir, "restart.db")}\n`,
  );
  const quiet = { logDestination: { write: () => true } };
  const first = await createGateway(config, quiet);
  const firstUrl = `http://127.0.0.1:${(await first.listen(0, "127.0.0.1")).port}`;
  const created = await call(firstUrl, "POST", "/model/new", MASTER_KEY, {
    model_name: "added",
    litellm_params: { model: "openai/gpt-4o", mock_response: "from the database" },
    model_info: { id: "added-1" },
  });
  assert.equal(created.status, 200);
  await first.shutdown(1000);

  const second = await createGateway(config, quiet);
  const url = `http://127.0.0.1:${(await second.listen(0, "127.0.0.1")).port}`;
  try {
    const models = await call(url, "GET", "/v1/models", MASTER_KEY);
    assert.deepEqual(
      (models.body.data as { id: string }[]).map((m) => m.id),
      ["base", "added"],
    );
    const answer = await call(url, "POST", "/v1/chat/completions", MASTER_KEY, {
      model: "added",
      messages: [{ role: "user", content: "Hello!" }],
    });
    assert.equal(answer.status, 200);
    const [choice] = answer.body.choices as { message: { content: string } }[];
    assert.equal(choice?.message.content, "from the database");
  } finally {
    await second.shutdown(1000);
  }
});
