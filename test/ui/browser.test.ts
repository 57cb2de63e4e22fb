/**
 * The admin UI end to end in Debian's Chromium (playwright-core, no browser download),
 * against a real gateway with SQLite and a mock provider: sign-in refused and accepted,
 * a key created with a budget and an rpm limit (its plaintext read once), used with the
 * openai client, then blocked from the UI and refused; the Playground's stream shown as it
 * arrives; the Logs filtered by key alias or hash (a plaintext key refused, in no URL); Teams
 * paged and Users searched; focus back on a key's button after its confirmation is cancelled;
 * the Models page showing the last health check unasked; every page without sideways scrolling at 1280×800 and 390×844; sign-out. The
 * browser never sends the master key after sign-in. Screenshots go to a temp dir.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import OpenAI from "openai";
import { type Browser, chromium, type Page } from "playwright-core";
import { hashKey } from "../../src/access/key-token.js";
import { warnSkipped } from "../helpers/services.js";
import { CHROMIUM, createKey, formAlertSays, noSidewaysScroll, reportsServed, signIn } from "../helpers/ui-browser.js";
import { ANSWER_PIECES, startUiGateway, UI_MASTER_KEY, UI_MODEL, type UiGateway } from "../helpers/ui-gateway.js";

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

function openai(key: string): OpenAI {
  return new OpenAI({ apiKey: key, baseURL: `${ui.gateway.url}/v1`, maxRetries: 0 });
}

/**
 * Waits for focus on the element whose `property` (text by default) is `value`: focus moves
 * after rendering. Polled from here: waitForFunction would eval the test in the page, which
 * the UI's CSP (no 'unsafe-eval') refuses.
 */
async function focused(page: Page, value: string | null, property: "textContent" | "id" = "textContent") {
  const deadline = Date.now() + 5000;
  for (;;) {
    const at = await page.evaluate(`document.activeElement?.${property} ?? null`);
    if (at === value) return;
    if (Date.now() > deadline) assert.fail(`Focus is on ${JSON.stringify(at)}, not ${JSON.stringify(value)}.`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * A time zone whose date is not UTC's now (14 hours ahead from 10:00 UTC, 11 behind before
 * 11:00), and that date: Logs' day filters are the browser's days.
 */
function awayZone(): { timezoneId: string; today: string } {
  const timezoneId = new Date().getUTCHours() >= 10 ? "Pacific/Kiritimati" : "Pacific/Pago_Pago";
  return { timezoneId, today: new Intl.DateTimeFormat("en-CA", { timeZone: timezoneId }).format(new Date()) };
}

test("sign in, create a key, use it, block it, run the Playground, sign out", { skip }, async () => {
  const zone = awayZone();
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, timezoneId: zone.timezoneId });
  const page = await context.newPage();
  const sent = recordRequests(page);
  const refused: string[] = [];
  page.on("console", (message) => {
    if (message.text().includes("Content Security Policy")) refused.push(message.text());
  });
  page.on("pageerror", (error) => refused.push(error.message));

  // A wrong key: refused, and no session.
  await signIn(page, ui.gateway.url, "sk-not-the-master-key");
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
  const key = await createKey(page, { alias: "browser-key", budget: "5", rpm: "100" });
  assert.match(key, /^sk-[0-9A-Za-z]{43}$/);
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
  const served = await reportsServed(ui.gateway.url, UI_MASTER_KEY);
  warnSkipped(served ? undefined : "/global/spend/report is not served yet: the Dashboard and Logs checks are skipped");
  if (served) {
    await page.getByRole("link", { name: "Dashboard" }).click();
    await page.getByTestId("total-requests").filter({ hasText: /^4$/ }).waitFor();
    assert.equal(await page.getByTestId("total-tokens").textContent(), "68");
    assert.equal(await page.getByTestId("total-spend").textContent(), "$0.000019");
    assert.equal(await page.getByTestId("error-rate").textContent(), "0%");
    for (const range of ["Last hour", "Last 30 days (UTC days)"]) {
      await page.getByLabel("Range").selectOption(range);
      await page.getByTestId("total-requests").filter({ hasText: /^4$/ }).waitFor();
      assert.equal(await page.getByTestId("total-spend").textContent(), "$0.000019");
    }
    const topKeys = page.getByRole("region", { name: "Top keys" });
    await topKeys.getByRole("row").filter({ hasText: "browser-key" }).getByText("3", { exact: true }).waitFor();
    await page.screenshot({ path: join(shots, "dashboard-totals.png"), fullPage: true });
    await page.getByRole("link", { name: "Logs" }).click();
    await page.getByText("4 requests", { exact: true }).waitFor();
    await page.getByText(`Days and times are the browser's, in ${zone.timezoneId}.`).waitFor();
    assert.equal(await page.getByRole("row").filter({ hasText: "browser-key" }).count(), 3);
    // Today in the browser's zone (another date than UTC's) holds them all.
    await page.getByLabel("From").fill(zone.today);
    await page.getByLabel("To").fill(zone.today);
    await page.getByText("4 requests").waitFor();
    const time = (await page.getByRole("cell").first().textContent()) ?? "";
    assert.equal(time.slice(0, 10), zone.today);
    await page.getByLabel("Status").selectOption("failure");
    await page.getByText("0 requests").waitFor();
    await page.getByLabel("Status").selectOption("success");
    await page.getByText("4 requests").waitFor();
    // By the key's alias or its hash, exactly; its plaintext is refused in the page, never sent.
    const keyFilter = page.getByLabel("Key alias or hash");
    await keyFilter.fill("browser-key");
    await page.getByText("3 requests").waitFor();
    await keyFilter.fill(hashKey(key));
    await page.getByText("3 requests").waitFor();
    await keyFilter.fill(key);
    await page
      .getByRole("alert")
      .filter({ hasText: "That is a key itself (it starts with sk-), so it was not sent" })
      .waitFor();
    assert.equal(await page.getByRole("row").filter({ hasText: "browser-key" }).count(), 0);
    await keyFilter.fill("browser");
    await page.getByText("0 requests").waitFor();
    await keyFilter.fill("");
    await page.getByText("4 requests").waitFor();
    // The model filter is exact, and offers the served names.
    assert.deepEqual(
      await page
        .locator("datalist#log-models option")
        .evaluateAll((options) => options.map((option) => option.getAttribute("value"))),
      [UI_MODEL],
    );
    assert.equal(await page.getByLabel("Model").getAttribute("list"), "log-models");
  }

  // The Models page shows the last check's health on opening, without its button: the server
  // kept the result of a /health run (another admin's, or the background loop's).
  const checked = await fetch(`${ui.gateway.url}/health`, { headers: { authorization: `Bearer ${UI_MASTER_KEY}` } });
  assert.equal(((await checked.json()) as { healthy_count: number }).healthy_count, 1);
  await page.getByRole("link", { name: "Models", exact: true }).click();
  const deployment = page.getByRole("row").filter({ hasText: `openai/${UI_MODEL}` });
  await deployment.getByText("healthy", { exact: true }).waitFor();
  await deployment.getByText("checked just now").waitFor();

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
  // No URL the page asked for held a key, though one was typed in the Logs' key filter.
  assert.deepEqual(
    sent.filter((request) => request.url.includes(key) || request.url.includes(UI_MASTER_KEY)),
    [],
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

test("key forms: a 4xx shown, Escape closing, limits edited, regenerate and delete confirmed, search, copy", {
  skip,
}, async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  // No clipboard, as on a page served over plain http from another host: Copy selects the key.
  await context.addInitScript("Object.defineProperty(navigator, 'clipboard', { value: undefined })");
  const page = await context.newPage();
  await signIn(page, ui.gateway.url, UI_MASTER_KEY);
  await page.getByRole("link", { name: "Keys", exact: true }).click();

  // The gateway's 400 is shown in the form, which stays open; Escape closes it, focus back on its button.
  await page.getByRole("button", { name: "Create key" }).click();
  const create = page.getByRole("form", { name: "Create key" });
  await focused(page, await create.getByLabel("Alias").getAttribute("id"), "id");
  await create.getByLabel("Expires in").fill("30x");
  await create.getByRole("button", { name: "Create" }).click();
  await formAlertSays(create, "Invalid 'duration' in /key/generate: got \"30x\".");
  await create.getByLabel("Expires in").press("Escape");
  await create.waitFor({ state: "detached" });
  await focused(page, "Create key");

  const first = await createKey(page, { alias: "rotating-key", budget: "1", rpm: "10" });
  const other = await fetch(`${ui.gateway.url}/key/generate`, {
    method: "POST",
    headers: { authorization: `Bearer ${UI_MASTER_KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ key_alias: "other-key", max_budget: 9 }),
  });
  assert.equal(other.status, 200);
  const row = page.getByRole("row").filter({ hasText: "rotating-key" });

  // Search: the server's, with LIKE's wildcards taken literally.
  const search = page.getByRole("searchbox");
  await search.fill("%");
  await page.getByText(`No key's alias contains "%".`).waitFor();
  await search.fill("rotating");
  await row.waitFor();
  assert.equal(await page.getByRole("row").count(), 2);

  // Another row's Edit limits: that key's values, not the open form's.
  await search.fill("");
  await row.getByRole("button", { name: "Edit limits" }).click();
  const edit = page.getByRole("form", { name: "Edit limits" });
  assert.equal(await edit.getByLabel("Max budget (USD)").inputValue(), "1");
  await page.getByRole("row").filter({ hasText: "other-key" }).getByRole("button", { name: "Edit limits" }).click();
  await edit.getByText("Limits of other-key").waitFor();
  assert.equal(await edit.getByLabel("Max budget (USD)").inputValue(), "9");
  await search.fill("rotating");
  await row.getByRole("button", { name: "Edit limits" }).click();
  await edit.getByText("Limits of rotating-key").waitFor();
  await edit.getByLabel("Max budget (USD)").fill("2.5");
  await edit.getByLabel("RPM limit").fill("20");
  await edit.getByLabel("TPM limit").fill("1000");
  await edit.getByRole("button", { name: "Save" }).click();
  await row.getByRole("cell", { name: "20 / 1,000" }).waitFor();
  assert.equal(await row.getByRole("cell").nth(3).textContent(), "$0.00 / $2.50");

  // Regenerating ends the current plaintext: asked first (Cancel focused, Escape cancels).
  await row.getByRole("button", { name: "Regenerate" }).click();
  await row.getByText("Regenerate this key? The current one stops working.").waitFor();
  await focused(page, "Cancel");
  await page.keyboard.press("Escape");
  await focused(page, "Regenerate");
  await row.getByRole("button", { name: "Regenerate" }).click();
  await row.getByRole("button", { name: "Confirm regenerate" }).click();
  const plaintext = page.getByTestId("plaintext-key");
  await plaintext.waitFor();
  const second = (await plaintext.textContent()) ?? "";
  assert.match(second, /^sk-[0-9A-Za-z]{43}$/);
  assert.notEqual(second, first);
  await page.getByRole("button", { name: "Copy" }).click();
  await page.getByRole("status").filter({ hasText: "Selected: press Ctrl+C" }).waitFor();
  assert.equal(await page.evaluate("getSelection().toString()"), second);
  await page.getByRole("button", { name: "Done" }).click();
  const message = [{ role: "user" as const, content: "hi" }];
  await assert.rejects(openai(first).chat.completions.create({ model: UI_MODEL, messages: message }), {
    status: 401,
  });
  const answer = await openai(second).chat.completions.create({ model: UI_MODEL, messages: message });
  assert.equal(answer.choices[0]?.message.content, ANSWER_PIECES.join(""));

  await row.getByRole("button", { name: "Delete" }).click();
  await row.getByText("Delete this key?").waitFor();
  await row.getByRole("button", { name: "Cancel" }).click();
  // Focus back on the button that asked, not lost to the page.
  await focused(page, "Delete");
  await row.getByRole("button", { name: "Delete" }).click();
  await row.getByRole("button", { name: "Confirm delete" }).click();
  await page.getByRole("row").filter({ hasText: "rotating-key" }).waitFor({ state: "detached" });
  await assert.rejects(openai(second).chat.completions.create({ model: UI_MODEL, messages: message }), {
    status: 401,
  });
  await context.close();
});

test("Teams and Users: created from their forms, a 4xx shown in the form, paged, searched", { skip }, async () => {
  // With the one made from the form, 26 teams: a page of 25 and a page of 1.
  const aliases = Array.from({ length: 25 }, (_, i) => `paged-team-${String(i).padStart(2, "0")}`);
  for (const team_alias of aliases) {
    const made = await fetch(`${ui.gateway.url}/team/new`, {
      method: "POST",
      headers: { authorization: `Bearer ${UI_MASTER_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ team_alias }),
    });
    assert.equal(made.status, 200);
  }
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await signIn(page, ui.gateway.url, UI_MASTER_KEY);
  await page.getByRole("link", { name: "Teams", exact: true }).click();
  await page.getByRole("button", { name: "Create team" }).click();
  const team = page.getByRole("form", { name: "Create team" });
  await team.getByLabel("Max budget (USD)").fill("-1");
  await team.getByRole("button", { name: "Create" }).click();
  await formAlertSays(team, "Invalid 'max_budget' in /team/new: got -1.");
  // No alias: the team has none (not ""), shown as "—".
  await team.getByLabel("Max budget (USD)").fill("7");
  await team.getByLabel("RPM limit").fill("30");
  await team.getByRole("button", { name: "Create" }).click();
  await team.waitFor({ state: "detached" });
  const teamRow = page.getByRole("row").filter({ hasText: "$0.00 / $7.00" });
  assert.deepEqual(
    [await teamRow.getByRole("cell").nth(0).textContent(), await teamRow.getByRole("cell").nth(5).textContent()],
    ["—", "30 / —"],
  );
  await page.getByText("Page 1 of 2").waitFor();
  const firstCells = () =>
    page.getByRole("row").evaluateAll((rows) => rows.slice(1).map((row) => row.children[0]?.textContent ?? ""));
  const firstPage = await firstCells();
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByText("Page 2 of 2").waitFor();
  const secondPage = await firstCells();
  assert.deepEqual([firstPage.length, secondPage.length], [25, 1]);
  assert.deepEqual([...firstPage, ...secondPage].sort(), [...aliases, "—"].sort());
  assert.equal(await page.getByRole("button", { name: "Next" }).isDisabled(), true);

  await page.getByRole("link", { name: "Users", exact: true }).click();
  await page.getByRole("button", { name: "Create user" }).click();
  const user = page.getByRole("form", { name: "Create user" });
  await user.getByLabel("Email").fill("ops@example.com");
  await user.getByLabel("Max budget (USD)").fill("-2");
  await user.getByRole("button", { name: "Create" }).click();
  await formAlertSays(user, "Invalid 'max_budget' in /user/new: got -2.");
  await user.getByLabel("Max budget (USD)").fill("4");
  await user.getByRole("button", { name: "Create" }).click();
  const userRow = page.getByRole("row").filter({ hasText: "ops@example.com" });
  assert.equal(await userRow.getByRole("cell").nth(5).textContent(), "$0.00 / $4.00");
  // Searched by email on the server: a part of it, any case.
  const other = await fetch(`${ui.gateway.url}/user/new`, {
    method: "POST",
    headers: { authorization: `Bearer ${UI_MASTER_KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ user_email: "finance@example.com", auto_create_key: false }),
  });
  assert.equal(other.status, 200);
  const search = page.getByRole("searchbox");
  await search.fill("FINANCE@");
  await page.getByRole("row").filter({ hasText: "ops@example.com" }).waitFor({ state: "detached" });
  assert.deepEqual(
    await page.getByRole("row").evaluateAll((rows) => rows.slice(1).map((row) => row.children[1]?.textContent)),
    ["finance@example.com"],
  );
  await search.fill("nobody");
  await page.getByText(`No user's email contains "nobody".`).waitFor();
  await context.close();
});

test("a virtual key signs in to its own usage, read-only, and its Playground", { skip }, async () => {
  const made = await fetch(`${ui.gateway.url}/key/generate`, {
    method: "POST",
    headers: { authorization: `Bearer ${UI_MASTER_KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ key_alias: "reader-key", max_budget: 3 }),
  });
  const key = ((await made.json()) as { key: string }).key;
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await signIn(page, ui.gateway.url, key);
  await page.getByRole("button", { name: "Sign out" }).waitFor();
  const links = await page.getByRole("navigation", { name: "Main" }).getByRole("link").allTextContents();
  assert.deepEqual(links, ["Dashboard", "Keys", "Logs", "Playground"]);
  await page.getByText(`sk-...${key.slice(-4)}`, { exact: true }).waitFor();
  assert.equal(await page.getByTestId("total-spend").textContent(), "$0.00");

  await page.getByRole("link", { name: "Keys", exact: true }).click();
  const rows = page.getByRole("row").filter({ hasText: "reader-key" });
  await rows.waitFor();
  assert.equal(await page.getByRole("row").count(), 2);
  assert.equal(await page.getByRole("button", { name: "Create key" }).count(), 0);
  assert.equal(await page.getByRole("searchbox").count(), 0);
  assert.equal(await rows.getByRole("button").count(), 0);

  await page.getByRole("link", { name: "Playground" }).click();
  await page.getByLabel("Model").selectOption(UI_MODEL);
  await page.getByLabel("Text completion").check();
  await page.getByLabel("Prompt").fill("Say hello");
  await page.getByRole("button", { name: "Send" }).click();
  await page
    .getByTestId("answer")
    .filter({ hasText: ANSWER_PIECES.join("") })
    .waitFor();

  // A key for no model this gateway serves: its Playground offers none, and says so.
  const narrow = await fetch(`${ui.gateway.url}/key/generate`, {
    method: "POST",
    headers: { authorization: `Bearer ${UI_MASTER_KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ models: ["some-other-model"] }),
  });
  await page.getByRole("button", { name: "Sign out" }).click();
  await signIn(page, ui.gateway.url, ((await narrow.json()) as { key: string }).key);
  await page.getByRole("link", { name: "Playground" }).click();
  await page.getByRole("alert").filter({ hasText: "This key may use no model of this gateway" }).waitFor();
  assert.equal(await page.getByLabel("Model").locator("option").count(), 0);
  assert.equal(await page.getByRole("button", { name: "Send" }).isDisabled(), true);
  await context.close();
});

test("every page fits a 390×844 phone without sideways scrolling", { skip }, async () => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
  const page = await context.newPage();
  await signIn(page, ui.gateway.url, UI_MASTER_KEY);
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
