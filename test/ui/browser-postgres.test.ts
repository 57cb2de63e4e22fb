/**
 * The admin UI's main path once more on Postgres (TEST_DATABASE_URL, a schema of its own):
 * sign in, create a key, use it with the openai client, see it on Dashboard and Logs, block
 * it and see its next request refused, sign out.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, before, test } from "node:test";
import OpenAI from "openai";
import { type Browser, chromium } from "playwright-core";
import { PostgresStore } from "../../src/store/postgres-store.js";
import { dropSchemas, uniqueName, warnSkipped } from "../helpers/services.js";
import { CHROMIUM, createKey, reportsServed, signIn } from "../helpers/ui-browser.js";
import { ANSWER_PIECES, startUiGateway, UI_MASTER_KEY, UI_MODEL, type UiGateway } from "../helpers/ui-gateway.js";

const DATABASE_URL = process.env.TEST_DATABASE_URL;
const skip =
  DATABASE_URL === undefined
    ? "TEST_DATABASE_URL is not set: the admin UI's Postgres browser test is skipped"
    : existsSync(CHROMIUM)
      ? undefined
      : `${CHROMIUM} is missing: the admin UI's Postgres browser test is skipped`;
warnSkipped(skip);

const schema = uniqueName("ui_browser");
let ui: UiGateway;
let browser: Browser;

before(async () => {
  if (skip !== undefined) return;
  ui = await startUiGateway(await PostgresStore.open({ connectionString: DATABASE_URL ?? "", schema, poolMax: 2 }));
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
});
after(async () => {
  if (skip !== undefined) return;
  await browser.close();
  await ui.close();
  await dropSchemas(DATABASE_URL ?? "", [schema]);
});

test("on Postgres: sign in, create and use a key, its totals, block it, sign out", { skip }, async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await signIn(page, ui.gateway.url, "sk-wrong");
  await page.getByRole("alert").filter({ hasText: "Invalid master key" }).waitFor();
  await signIn(page, ui.gateway.url, UI_MASTER_KEY);
  await page.getByRole("link", { name: "Keys", exact: true }).click();
  const key = await createKey(page, { alias: "pg-key", budget: "10", rpm: "30" });
  const row = page.getByRole("row").filter({ hasText: "pg-key" });
  assert.equal(await row.getByRole("cell").nth(4).textContent(), "30 / —");

  const client = new OpenAI({ apiKey: key, baseURL: `${ui.gateway.url}/v1`, maxRetries: 0 });
  for (let i = 0; i < 2; i++) {
    const answer = await client.chat.completions.create({
      model: UI_MODEL,
      messages: [{ role: "user", content: "hi" }],
    });
    assert.equal(answer.choices[0]?.message.content, ANSWER_PIECES.join(""));
  }

  const served = await reportsServed(ui.gateway.url, UI_MASTER_KEY);
  warnSkipped(served ? undefined : "/global/spend/report is not served yet: the Dashboard and Logs checks are skipped");
  if (served) {
    // Two requests of 17 tokens at gpt-4o-mini's prices: $0.0000048 each.
    await page.getByRole("link", { name: "Dashboard" }).click();
    await page.getByTestId("total-requests").filter({ hasText: /^2$/ }).waitFor();
    assert.equal(await page.getByTestId("total-tokens").textContent(), "34");
    assert.equal(await page.getByTestId("total-spend").textContent(), "$0.0000096");
    await page.getByRole("link", { name: "Logs" }).click();
    await page.getByText("2 requests", { exact: true }).waitFor();
    assert.equal(await page.getByRole("row").filter({ hasText: "pg-key" }).count(), 2);
    await page.getByRole("link", { name: "Keys", exact: true }).click();
  }

  await row.getByRole("button", { name: "Block" }).click();
  await row.getByText("blocked", { exact: true }).waitFor();
  await assert.rejects(
    client.chat.completions.create({ model: UI_MODEL, messages: [{ role: "user", content: "hi" }] }),
    {
      status: 401,
    },
  );
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByLabel("Master key").waitFor();
  await page.close();
});
