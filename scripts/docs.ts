/** `npm run docs`: rewrites the README's provider table from the adapters. */
import { readFileSync, writeFileSync } from "node:fs";
import { withProviderTable } from "../src/docs/provider-table.js";

const path = new URL("../../README.md", import.meta.url);
writeFileSync(path, withProviderTable(readFileSync(path, "utf8")));
process.stdout.write("README.md: provider table regenerated\n");
