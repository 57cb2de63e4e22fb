/**
 * The admin UI end to end in Debian's Chromium (playwright-core, no browser download),
 * against a real gateway with SQLite and a mock provider: sign-in refused and accepted,
 * a key created with a budget and an rpm limit (its plaintext read once), used with the
 * openai client, then blocked from the UI and refused; the Playground's stream shown as it
 * arrives; every page without sideways scrolling at 1280×800 and 390×844; sign-out. The
 * browser never sends the master key after sign-in. Screenshots go to a temp dir.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import OpenAI from "openai";
import { type Browser, chromium, type Page } from "playwright-core";
import { warnSkipped } from "../helpers/services.js";
import { ANSWER_PIECES, startUiGateway, UI_MASTER_KEY, UI_MODEL, type UiGateway } from "../helpers/ui-gateway.js";

const CHROMIUM = "/usr/bin/chromium";
const skip = existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is missing: the admin UI browser tests are skipped`;
warnSkipped(skip);

const PAGES = ["Dashboard", "Keys", "Teams", "Users", "Models", "Logs", "Playground"] as const;
const shots = mkdtempSync(join(tmpdir(), "litegate-ui-shots-"));

let ui: UiGateway;
let browser: Browser;

before(async () => {
  if (skip !== undefined) return;
  ui = await startUiGateway();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
});
after(async () => {
  if (skip !== undefined) return;
  await browser.close();
  await ui.close();
  console.log(`admin UI screenshots: ${shots}`);
});

/** Every request the page sent, with its headers and body, to check none carries the master key. */
function recordRequests(page: Page): { url: string; headers: string; body: string }[] {
  const sent: { url: string; headers: string; body: string }[] = [];
  page.on("request", (request) => {
    sent.push({ url: request.url(), headers: JSON.stringify(request.headers()), body: request.postData() ?? "" });
  });
  return sent;
}

async function signIn(page: Page, key: string): Promise<void> {
  await page.goto(`${ui.gateway.url}/ui`);
  await page.getByLabel("Master key").fill(key);
  await page.getByRole("button", { name: "Sign in" }).click();
}

async function noSidewaysScroll(page: Page, where: string): Promise<void> {
  // An expression, evaluated in the page (this file is compiled without the DOM's types).
  const [scroll, client] = await page.evaluate<[number, number]>(
    "[document.documentElement.scrollWidth, document.documentElement.clientWidth]",
  );
  assert.ok(scroll <= client, `${where}: the page is ${scroll}px wide in a ${client}px window`);
}

/** The Dashboard's and Logs' routes come from another branch (issue 16's aggregates): checked once they are merged. */
async function reportsServed(): Promise<boolean> {
  const response = await fetch(`${ui.gateway.url}/global/spend/report?start_date=2026-01-01&end_date=2026-01-02`, {
    headers: { authorization: `Bearer ${UI_MASTER_KEY}` },
  });
  const served = response.status !== 404;
  warnSkipped(served ? undefined : "/global/spend/report is not served yet: the Dashboard and Logs checks are skipped");
  return served;
}

function openai(key: string): OpenAI {
  return new OpenAI({ apiKey: key, baseURL: `${ui.gateway.url}/v1`, maxRetries: 0 });
}

test("sign in, create a key, use it, block it, run the Playground, sign out", { skip }, async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const sent = recordRequests(page);
  const refused: string[] = [];
  page.on("console", (message) => {
    if (message.text().includes("Content Security Policy")) refused.push(message.text());
  });
  page.on("pageerror", (error) => refused.push(error.message));

  // A wrong key: refused, and no session.
  await signIn(page, "sk-not-the-master-key");
  await page.getByRole("alert").filter({ hasText: "Invalid master key" }).waitFor();
  assert.deepEqual(await context.cookies(), []);
  await page.screenshot({ path: join(shots, "sign-in.png") });

  // The right key, typed and submitted from the keyboard.
  await page.getByLabel("Master key").fill(UI_MASTER_KEY);
  await page.getByLabel("Master key").press("Enter");
  for (const name of [...PAGES, "Sign out"]) {
    await page.getByRole(name === "Sign out" ? "button" : "link", { name, exact: true }).waitFor();
  }
  const [cookie] = await context.cookies();
  assert.equal(cookie?.name, "litegate_session");
  assert.equal(cookie?.httpOnly, true);
  assert.equal(cookie?.sameSite, "Strict");

  // Create a key with a budget and an rpm limit; its plaintext is shown once.
  await page.getByRole("link", { name: "Keys", exact: true }).click();
  await page.getByRole("button", { name: "Create key" }).click();
  await page.getByLabel("Alias").fill("browser-key");
  await page.getByLabel("Models").fill(UI_MODEL);
  await page.getByLabel("Max budget (USD)").fill("5");
  await page.getByLabel("RPM limit").fill("100");
  await page.getByLabel("TPM limit").fill("");
  await page.getByLabel("Expires in").fill("30d");
  await page.getByRole("button", { name: "Create", exact: true }).click();
  const plaintext = page.getByTestId("plaintext-key");
  await plaintext.waitFor();
  const key = (await plaintext.textContent()) ?? "";
  assert.match(key, /^sk-[0-9A-Za-z]{43}$/);
  await page.getByText("it will not be shown again").waitFor();
  await page.getByRole("button", { name: "Copy" }).waitFor();
  await page.getByRole("button", { name: "Done" }).click();
  assert.equal(await plaintext.count(), 0);
  const row = page.getByRole("row").filter({ hasText: "browser-key" });
  await row.getByText(`sk-...${key.slice(-4)}`).waitFor();
  assert.equal(await row.getByRole("cell").nth(3).textContent(), "$0.00 / $5.00");
  assert.equal(await row.getByRole("cell").nth(4).textContent(), "100 / —");
  assert.equal(await row.getByRole("cell").nth(6).textContent(), "active");
  await page.screenshot({ path: join(shots, "keys-created.png"), fullPage: true });

  // The key works with the official client.
  const client = openai(key);
  for (let i = 0; i < 3; i++) {
    const answer = await client.chat.completions.create({
      model: UI_MODEL,
      messages: [{ role: "user", content: `hello ${i}` }],
    });
    assert.equal(answer.choices[0]?.message.content, ANSWER_PIECES.join(""));
  }

  // Blocked from its row: its next request is a 401.
  await row.getByRole("button", { name: "Block" }).click();
  await row.getByText("blocked", { exact: true }).waitFor();
  await row.getByRole("button", { name: "Unblock" }).waitFor();
  await assert.rejects(
    client.chat.completions.create({ model: UI_MODEL, messages: [{ role: "user", content: "still there?" }] }),
    (error: unknown) => error instanceof OpenAI.AuthenticationError && error.status === 401,
  );

  // The Playground streams through the session cookie: the first word shows before the rest is sent.
  await page.getByRole("link", { name: "Playground" }).click();
  await page.getByLabel("Model").selectOption(UI_MODEL);
  await page.getByLabel("Prompt").fill("Say hello");
  const release = ui.hold();
  await page.getByRole("button", { name: "Send" }).click();
  const answer = page.getByTestId("answer");
  await answer.filter({ hasText: /^Hello$/ }).waitFor();
  release();
  await answer.filter({ hasText: ANSWER_PIECES.join("") }).waitFor();
  assert.equal(await answer.textContent(), ANSWER_PIECES.join(""));
  const stats = page.getByTestId("call-stats");
  await stats.waitFor();
  assert.match((await stats.textContent()) ?? "", /Tokens12 \+ 5 = 17Cost\$\d/);
  await page.screenshot({ path: join(shots, "playground-streamed.png"), fullPage: true });

  // Dashboard and Logs: the key's three requests and the Playground's stream, 17 tokens each at
  // gpt-4o-mini's prices ($0.15 and $0.60 per million tokens: $0.0000048 each).
  if (await reportsServed()) {
    await page.getByRole("link", { name: "Dashboard" }).click();
    await page.getByTestId("total-requests").filter({ hasText: /^4$/ }).waitFor();
    assert.equal(await page.getByTestId("total-tokens").textContent(), "68");
    assert.equal(await page.getByTestId("total-spend").textContent(), "$0.000019");
    assert.equal(await page.getByTestId("error-rate").textContent(), "0%");
    const topKeys = page.getByRole("region", { name: "Top keys" });
    await topKeys.getByRole("row").filter({ hasText: "browser-key" }).getByText("3", { exact: true }).waitFor();
    await page.screenshot({ path: join(shots, "dashboard-totals.png"), fullPage: true });
    await page.getByRole("link", { name: "Logs" }).click();
    await page.getByText("4 requests").waitFor();
    assert.equal(await page.getByRole("row").filter({ hasText: "browser-key" }).count(), 3);
    await page.getByLabel("Status").selectOption("failure");
    await page.getByText("0 requests").waitFor();
    await page.getByLabel("Status").selectOption("success");
    await page.getByText("4 requests").waitFor();
  }

  // The other pages load, and none scrolls sideways.
  for (const name of PAGES) {
    await page.getByRole("link", { name, exact: true }).click();
    await page.getByRole("heading", { name, level: 1 }).waitFor();
    await noSidewaysScroll(page, `${name} at 1280×800`);
    await page.screenshot({ path: join(shots, `${name.toLowerCase()}.png`), fullPage: true });
  }

  // Nothing the page sent after sign-in carried the master key: only the sign-in body did.
  const carrying = sent.filter((request) => `${request.headers}${request.body}`.includes(UI_MASTER_KEY));
  assert.deepEqual(
    carrying.map((request) => new URL(request.url).pathname),
    ["/ui/login"],
  );

  // The page ran whole under its CSP: nothing was refused, nothing threw.
  assert.deepEqual(refused, []);

  // Sign out: back to the sign-in page, and the old cookie is worth nothing.
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByLabel("Master key").waitFor();
  const after = await fetch(`${ui.gateway.url}/ui/session`, {
    headers: { cookie: `${cookie?.name}=${cookie?.value}` },
  });
  assert.equal(after.status, 401);
  await context.close();
});

test("every page fits a 390×844 phone without sideways scrolling", { skip }, async () => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
  const page = await context.newPage();
  await signIn(page, UI_MASTER_KEY);
  await page.getByRole("button", { name: "Sign out" }).waitFor();
  await noSidewaysScroll(page, "Dashboard at 390×844");
  for (const name of PAGES) {
    await page.getByRole("link", { name, exact: true }).click();
    await page.getByRole("heading", { name, level: 1 }).waitFor();
    await noSidewaysScroll(page, `${name} at 390×844`);
    await page.screenshot({ path: join(shots, `phone-${name.toLowerCase()}.png`), fullPage: true });
  }
  await context.close();
});
