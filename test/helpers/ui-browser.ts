/** What the admin UI's browser tests (and npm run screenshots) do on a page, said once. */
import assert from "node:assert/strict";
import type { Locator, Page } from "playwright-core";
import { UI_MODEL } from "./ui-gateway.js";

export const CHROMIUM = "/usr/bin/chromium";

export async function signIn(page: Page, url: string, key: string): Promise<void> {
  await page.goto(`${url}/ui`);
  await page.getByLabel("Master key").fill(key);
  await page.getByRole("button", { name: "Sign in" }).click();
}

export interface NewKey {
  alias: string;
  budget: string;
  rpm: string;
}

/** Creates a key for UI_MODEL through the Keys page (open already); returns its plaintext, shown once. */
export async function createKey(page: Page, key: NewKey): Promise<string> {
  await page.getByRole("button", { name: "Create key" }).click();
  await page.getByLabel("Alias").fill(key.alias);
  await page.getByLabel("Models").fill(UI_MODEL);
  await page.getByLabel("Max budget (USD)").fill(key.budget);
  await page.getByLabel("RPM limit").fill(key.rpm);
  await page.getByLabel("Expires in").fill("30d");
  await page.getByRole("button", { name: "Create", exact: true }).click();
  const plaintext = page.getByTestId("plaintext-key");
  await plaintext.waitFor();
  const text = (await plaintext.textContent()) ?? "";
  await page.getByText("it will not be shown again").waitFor();
  await page.getByRole("button", { name: "Copy" }).waitFor();
  await page.getByRole("button", { name: "Done" }).click();
  assert.equal(await plaintext.count(), 0);
  return text;
}

export async function noSidewaysScroll(page: Page, where: string): Promise<void> {
  // An expression, evaluated in the page (the tests are compiled without the DOM's types).
  const [scroll, client] = await page.evaluate<[number, number]>(
    "[document.documentElement.scrollWidth, document.documentElement.clientWidth]",
  );
  assert.ok(scroll <= client, `${where}: the page is ${scroll}px wide in a ${client}px window`);
}

/** The Dashboard's and Logs' routes came from another branch (issue 16's aggregates): checked where served. */
export async function reportsServed(url: string, masterKey: string): Promise<boolean> {
  const response = await fetch(`${url}/global/spend/report?start_date=2026-01-01&end_date=2026-01-02`, {
    headers: { authorization: `Bearer ${masterKey}` },
  });
  return response.status !== 404;
}

/**
 * Waits for a form's alert and checks it says `expected`: another message fails with the text
 * the form showed, not as a timeout that leaves it unknown.
 */
export async function formAlertSays(form: Locator, expected: string): Promise<void> {
  const alert = form.getByRole("alert");
  await alert.waitFor();
  const shown = (await alert.textContent()) ?? "";
  assert.ok(
    shown.includes(expected),
    `the form's alert says ${JSON.stringify(shown)}, not ${JSON.stringify(expected)}`,
  );
}
