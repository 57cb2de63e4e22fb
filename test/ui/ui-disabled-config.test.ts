/** general_settings.ui_disabled read from config.yaml, else LiteLLM's DISABLE_ADMIN_UI; the config wins. */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { loadConfig } from "../../src/config/index.js";
import { uiDisabled } from "../../src/proxy/start.js";

const dir = mkdtempSync(join(tmpdir(), "litegate-ui-config-"));
after(() => rmSync(dir, { recursive: true, force: true }));

async function configWith(name: string, general: string) {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `model_list:\n  - model_name: m\n    litellm_params: { model: openai/gpt-4o, mock_response: hi }\ngeneral_settings:\n${general}`,
  );
  return loadConfig(file, {});
}

test("ui_disabled comes from general_settings, else DISABLE_ADMIN_UI", async () => {
  const unset = await configWith("unset", "  master_key: sk-1\n");
  assert.equal(uiDisabled(unset, {}), false);
  assert.equal(uiDisabled(unset, { DISABLE_ADMIN_UI: "True" }), true);
  assert.equal(uiDisabled(unset, { DISABLE_ADMIN_UI: "false" }), false);
  const on = await configWith("on", "  master_key: sk-1\n  ui_disabled: true\n");
  assert.equal(uiDisabled(on, {}), true);
  const off = await configWith("off", "  master_key: sk-1\n  ui_disabled: false\n");
  assert.equal(uiDisabled(off, { DISABLE_ADMIN_UI: "True" }), false);
  const typo = await configWith("typo", "  master_key: sk-1\n  ui_disabled: maybe\n").catch(
    (error: Error) => error.message,
  );
  assert.match(String(typo), /general_settings\.ui_disabled: expected true or false, got "maybe"/);
});
