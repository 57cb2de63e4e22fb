/**
 * The request log on stdout: lines are gathered into batches before SonicBoom writes them, so
 * none may wait long, and none may be lost when the gateway stops or the process exits.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { startCli } from "../helpers/cli.js";

const LOGGER = fileURLToPath(new URL("../../src/proxy/logger.js", import.meta.url));

/** The request lines (JSON with a `status`) of route `path` in `stdout`. */
function requestLines(stdout: string, path: string): unknown[] {
  return stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.route === path && typeof line.status === "number");
}

describe("request log on stdout", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "litegate-logger-"));
    writeFileSync(
      join(dir, "config.yaml"),
      "model_list:\n  - model_name: m\n    litellm_params: {model: openai/gpt-4o, mock_response: hi}\n",
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("a few lines, far from a batch, are written within the flush interval; the rest at SIGTERM", async () => {
    const cli = await startCli(["--config", "config.yaml"], dir);
    try {
      for (let i = 0; i < 3; i++) await (await fetch(`${cli.url}/health/liveliness`)).text();
      const deadline = Date.now() + 3000;
      while (requestLines(cli.stdout(), "/health/liveliness").length < 3 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.equal(requestLines(cli.stdout(), "/health/liveliness").length, 3);
      // Then lines just gathered when the gateway is told to stop.
      for (let i = 0; i < 5; i++) await (await fetch(`${cli.url}/health/readiness`)).text();
    } finally {
      await cli.stop();
    }
    assert.equal(requestLines(cli.stdout(), "/health/readiness").length, 5);
  });

  test("lines still gathered when the process exits are written", async () => {
    // process.exit() right after logging: no timer, no flush, only the exit hooks run.
    const script = `
      const { createLoggers } = await import(${JSON.stringify(LOGGER)});
      const { log } = createLoggers({ debug: false });
      for (let i = 0; i < 3; i++) log.info({ line: i }, "gathered");
      process.exit(0);
    `;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const [code] = (await once(child, "exit")) as [number | null];
    assert.equal(code, 0, stderr);
    const lines = stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { line: number; msg: string });
    assert.deepEqual(
      lines.map((line) => [line.line, line.msg]),
      [
        [0, "gathered"],
        [1, "gathered"],
        [2, "gathered"],
      ],
    );
  });
});
