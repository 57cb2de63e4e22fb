/**
 * `npm run screenshots`: the README's pictures of the admin UI (docs/screenshots/), taken in
 * Debian's Chromium from a gateway like the browser tests' (SQLite in a temp dir, a mock
 * provider): three keys, a few real requests through the mock, and a day of earlier traffic
 * written to the store as the spend writer would (a daily curve, some failures), so the
 * Dashboard, Keys, Models and Logs pages look like a gateway in use; then a health check.
 * Never run by npm test: tests write nothing into the repository.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { chromium } from "playwright-core";
import { hashKey } from "../src/access/key-token.js";
import { SqliteStore } from "../src/store/sqlite-store.js";
import type { SpendRecord } from "../src/store/types.js";
import { startUiGateway, UI_MASTER_KEY, UI_MODEL } from "../test/helpers/ui-gateway.js";

const OUT = new URL("../../docs/screenshots/", import.meta.url);
const KEYS = [
  { alias: "web-app", budget: "50", rpm: "600", requests: 5, share: 0.6 },
  { alias: "batch-jobs", budget: "200", rpm: "60", requests: 3, share: 0.3 },
  { alias: "intern-sandbox", budget: "5", rpm: "10", requests: 1, share: 0.1 },
];

/** gpt-4o-mini's prices per token, as the gateway charges them. */
const PRICE = { input: 0.15e-6, output: 0.6e-6 };
const HOUR = 3_600_000;

/** The same pictures on every run: a small fixed-seed generator, not Math.random. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

/** The key whose share of the traffic `at` (0 to 1) falls in. */
function pickKey<K extends { share: number }>(keys: readonly K[], at: number): K | undefined {
  let left = at;
  for (const key of keys) {
    left -= key.share;
    if (left < 0) return key;
  }
  return keys.at(-1);
}

/**
 * The day before now, as spend logs: busier in the working hours, each key's share of it,
 * a failure now and then (no cost). Written before the real requests, so those are the newest.
 */
function earlierTraffic(
  keys: { alias: string; hash: string; share: number }[],
  deployment: string | null,
): SpendRecord[] {
  const random = seeded(7);
  const now = Date.now();
  const records: SpendRecord[] = [];
  for (let hour = 24; hour >= 1; hour--) {
    const start = now - hour * HOUR;
    const local = new Date(start).getUTCHours();
    const busy = local >= 8 && local <= 18 ? 1 : 0.25;
    const count = Math.round((8 + random() * 10) * busy);
    for (let i = 0; i < count; i++) {
      const at = start + Math.floor(random() * HOUR);
      const key = pickKey(keys, random());
      if (key === undefined) continue;
      const failed = random() < 0.04;
      const prompt = failed ? 0 : 200 + Math.floor(random() * 1800);
      const completion = failed ? 0 : 50 + Math.floor(random() * 600);
      records.push({
        request_id: `seed-${hour}-${i}`,
        key_hash: key.hash,
        user_id: null,
        team_id: null,
        model_group: UI_MODEL,
        deployment_id: deployment,
        prompt_tokens: prompt,
        completion_tokens: completion,
        cost: prompt * PRICE.input + completion * PRICE.output,
        status: failed ? "failure" : "success",
        start_time: at,
        end_time: at + 300 + Math.floor(random() * (failed ? 200 : 2500)),
        cache_hit: false,
        end_user: null,
        request_tags: [],
        metadata: {},
      });
    }
  }
  return records;
}

const dir = mkdtempSync(join(tmpdir(), "litegate-screenshots-"));
const store = await SqliteStore.open({ path: join(dir, "ui.db") });
const ui = await startUiGateway(store);
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
try {
  mkdirSync(OUT, { recursive: true });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(`${ui.gateway.url}/ui`);
  await page.getByLabel("Master key").fill(UI_MASTER_KEY);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("link", { name: "Keys", exact: true }).click();
  const made: { alias: string; hash: string; share: number }[] = [];
  const plaintexts: string[] = [];
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
    made.push({ alias: key.alias, hash: hashKey(plaintext), share: key.share });
    plaintexts.push(plaintext);
  }
  const info = await fetch(`${ui.gateway.url}/model/info`, { headers: { authorization: `Bearer ${UI_MASTER_KEY}` } });
  const deployment = ((await info.json()) as { data: { model_info: { id: string } }[] }).data[0]?.model_info.id;
  const earlier = earlierTraffic(made, deployment ?? null);
  await store.recordSpend(earlier);
  for (const [index, key] of KEYS.entries()) {
    const plaintext = plaintexts[index] ?? "";
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
  // A health check run, as an admin's button or the background loop would: the Models page shows its result.
  const checked = await fetch(`${ui.gateway.url}/health`, { headers: { authorization: `Bearer ${UI_MASTER_KEY}` } });
  if (!checked.ok) throw new Error(`/health answered ${checked.status}`);
  await page.getByRole("link", { name: "Models", exact: true }).click();
  await page.getByText("checked just now").waitFor();
  await page.screenshot({ path: new URL("models.png", OUT).pathname });
  await page.getByRole("link", { name: "Logs", exact: true }).click();
  const total = earlier.length + KEYS.reduce((sum, key) => sum + key.requests, 0);
  await page.getByText(`${total.toLocaleString("en-US")} requests`, { exact: true }).waitFor();
  await page.screenshot({ path: new URL("logs.png", OUT).pathname });
  console.log(`screenshots written to ${OUT.pathname}`);
} finally {
  await browser.close();
  await ui.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
