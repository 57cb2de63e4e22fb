/**
 * `npm run screenshots`: the README's pictures of the admin UI (docs/screenshots/), taken in
 * Debian's Chromium from a gateway like the browser tests' (SQLite in a temp dir, a mock
 * provider), after a few requests so the Dashboard and Keys pages have something to show.
 * Never run by npm test: tests write nothing into the repository.
 */
import { mkdirSync } from "node:fs";
import OpenAI from "openai";
import { chromium } from "playwright-core";
import { startUiGateway, UI_MASTER_KEY, UI_MODEL } from "../test/helpers/ui-gateway.js";

const OUT = new URL("../../docs/screenshots/", import.meta.url);
const KEYS = [
  { alias: "web-app", budget: "50", rpm: "600", requests: 5 },
  { alias: "batch-jobs", budget: "200", rpm: "60", requests: 3 },
  { alias: "intern-sandbox", budget: "5", rpm: "10", requests: 1 },
];

const ui = await startUiGateway();
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
try {
  mkdirSync(OUT, { recursive: true });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(`${ui.gateway.url}/ui`);
  await page.getByLabel("Master key").fill(UI_MASTER_KEY);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("link", { name: "Keys", exact: true }).click();
  for (const key of KEYS) {
    await page.getByRole("button", { name: "Create key" }).click();
    await page.getByLabel("Alias").fill(key.alias);
    await page.getByLabel("Models").fill(UI_MODEL);
    await page.getByLabel("Max budget (USD)").fill(key.budget);
    await page.getByLabel("RPM limit").fill(key.rpm);
    await page.getByLabel("Expires in").fill("30d");
    await page.getByRole("button", { name: "Create", exact: true }).click();
    const plaintext = (await page.getByTestId("plaintext-key").textContent()) ?? "";
    await page.getByRole("button", { name: "Done" }).click();
    const client = new OpenAI({ apiKey: plaintext, baseURL: `${ui.gateway.url}/v1`, maxRetries: 0 });
    for (let i = 0; i < key.requests; i++) {
      await client.chat.completions.create({ model: UI_MODEL, messages: [{ role: "user", content: `hello ${i}` }] });
    }
  }
  await page.getByRole("row").filter({ hasText: "intern-sandbox" }).getByRole("button", { name: "Block" }).click();
  await page.getByRole("row").filter({ hasText: "intern-sandbox" }).getByText("blocked", { exact: true }).waitFor();
  await page.reload();
  await page.getByRole("row").filter({ hasText: "web-app" }).waitFor();
  await page.screenshot({ path: new URL("keys.png", OUT).pathname });
  await page.getByRole("link", { name: "Dashboard" }).click();
  await page.getByRole("region", { name: "Top keys" }).getByText("web-app").waitFor();
  await page.screenshot({ path: new URL("dashboard.png", OUT).pathname, fullPage: true });
  console.log(`screenshots written to ${OUT.pathname}`);
} finally {
  await browser.close();
  await ui.close();
}
