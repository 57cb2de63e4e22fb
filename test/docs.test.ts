import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { withProviderTable } from "../src/docs/provider-table.js";

test("the README's provider table is the one generated from the adapters (run npm run docs)", () => {
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  assert.equal(readme, withProviderTable(readme));
});
