/** The `litegate` command as an operator runs it: a real process, real signals. */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { completionAnswer, streamChunks } from "./helpers/fixtures.js";
import { type RunningCli, startCli } from "./helpers/cli.js";
import { readEvents } from "./helpers/gateway.js";
import { json, MockUpstream } from "./helpers/mock-upstream.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
/** Node flags that load the CLI's process tuning before a script (src/process-tuning.ts). */
const TUNED = ["--import", join(ROOT, "dist/src/process-tuning.js")];

/** Runs an ES module script in a node of its own with `flags`; what it printed once it exited 0. */
async function runScript(flags: string[], script: string): Promise<string> {
  const child = spawn(process.execPath, [...flags, "--input-type=module", "-e", script], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  const [code] = (await once(child, "exit")) as [number | null];
  assert.equal(code, 0);
  return out;
}
const CLI = join(ROOT, "dist/src/cli.js");

/** Starts the CLI in a temp directory of its own unless told where (a relative database_path lands there). */
function start(
  args: string[],
  env: Record<string, string> = {},
  cwd = mkdtempSync(join(tmpdir(), "litegate-cli-")),
): Promise<RunningCli> {
  return startCli(args, cwd, env);
}

async function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const [code] = (await once(child, "exit")) as [number | null];
  return { code, stdout, stderr };
}

let mock: MockUpstream;
let dir: string;
before(async () => {
  mock = await MockUpstream.start();
  dir = mkdtempSync(join(tmpdir(), "litegate-cli-"));
});
after(() => mock.close());

describe("litegate CLI", () => {
  test("--help and --version", async () => {
    const help = await run(["--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^litegate — an OpenAI-compatible LLM gateway/);
    assert.match(help.stdout, /--num_workers N/);
    const version = await run(["--version"]);
    assert.equal(version.code, 0);
    assert.match(version.stdout, /^litegate \d+\.\d+\.\d+\n$/);
  });

  test("a database that cannot be opened exits 1 with one line naming it, never its password", async () => {
    const file = join(dir, "unreachable-db.yaml");
    writeFileSync(
      file,
      "model_list:\n  - model_name: m\n    litellm_params: {model: openai/x, mock_response: hi}\ngeneral_settings:\n  master_key: sk-1\n  database_url: postgres://u:secretpw@127.0.0.1:1/db\n",
    );
    const { code, stdout, stderr } = await run(["--config", file]);
    assert.equal(code, 1);
    assert.equal(stdout, "");
    assert.equal(
      stderr,
      "litegate: cannot open the database at postgres://127.0.0.1:1/db: connect ECONNREFUSED 127.0.0.1:1\n",
    );
  });

  test("a port in use exits 1 with one line naming it, not a stack", async () => {
    const taken = createServer();
    taken.listen(0, "127.0.0.1");
    await once(taken, "listening");
    const { port } = taken.address() as AddressInfo;
    try {
      const file = join(dir, "port.yaml");
      writeFileSync(file, "model_list:\n  - model_name: m\n    litellm_params: {model: openai/x, mock_response: hi}\n");
      const result = await run(["--config", file, "--host", "127.0.0.1", "--port", String(port)]);
      assert.equal(result.code, 1);
      assert.equal(result.stderr, `litegate: cannot listen on 127.0.0.1:${port}: it is in use\n`);
    } finally {
      taken.close();
    }
  });

  test("a bad config exits 1 with one line naming the file and the field, before listening", async () => {
    const file = join(dir, "bad.yaml");
    writeFileSync(file, "model_list:\n  - model_name: a\n    litellm_params:\n      model: 42\n");
    const result = await run(["--config", file, "--port", "0"]);
    assert.equal(result.code, 1);
    assert.equal(result.stdout, "");
    assert.equal(result.stderr.trim().split("\n").length, 1);
    assert.match(result.stderr, /bad\.yaml: model_list\[0\]\.litellm_params\.model: /);
  });

  test("npm start's config answers the README's curl with a mock text_completion", async () => {
    // Started in a scratch directory: the example's ./litegate.db lands there, not in the repository.
    const gateway = await start(["--config", join(ROOT, "examples", "config.yaml")], {}, dir);
    try {
      const response = await fetch(`${gateway.url}/v1/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: "Bearer sk-1234" },
        body: JSON.stringify({ model: "mock-instruct", prompt: "Say this is a test", max_tokens: 7, temperature: 0 }),
      });
      assert.equal(response.status, 200);
      const body = (await response.json()) as { object: string; id: string; choices: { text: string }[] };
      assert.equal(body.object, "text_completion");
      assert.match(body.id, /^cmpl-mock-/);
      assert.equal(body.choices[0]?.text, "This is a mock answer from litegate's example config: no model was called.");
    } finally {
      gateway.child.kill("SIGTERM");
      await once(gateway.child, "exit");
    }
  });

  test("an unset os.environ/ key is a start-up warning naming it; the proxy starts and answers 401", async () => {
    const file = join(dir, "unset.yaml");
    writeFileSync(
      file,
      "model_list:\n  - model_name: m\n    litellm_params:\n      model: text-completion-openai/davinci-002\n      api_key: os.environ/LITEGATE_TEST_UNSET_KEY\n",
    );
    const gateway = await start(["--config", file]);
    try {
      assert.match(gateway.stdout(), /LITEGATE_TEST_UNSET_KEY/);
      const response = await fetch(`${gateway.url}/v1/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "m", prompt: "x" }),
      });
      assert.equal(response.status, 401);
      assert.match(
        ((await response.json()) as { error: { message: string } }).error.message,
        /LITEGATE_TEST_UNSET_KEY/,
      );
    } finally {
      gateway.child.kill("SIGTERM");
      await once(gateway.child, "exit");
    }
  });

  test("--model quick start: every request goes to that model; SIGTERM lets a stream finish, then exits 0", async () => {
    const chunks = streamChunks(["one", " two"]);
    mock.always(async (_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      for (const chunk of chunks) {
        res.write(`data: ${JSON.stringify(chunk)}\n\n`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      res.end("data: [DONE]\n\n");
    });
    const gateway = await start(["--model", "text-completion-openai/gpt-3.5-turbo-instruct"], {
      OPENAI_API_KEY: "sk-cli-test",
      OPENAI_BASE_URL: `${mock.url}/v1`,
    });
    const response = await fetch(`${gateway.url}/v1/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "whatever-the-client-says", prompt: "hi", stream: true }),
    });
    assert.equal(response.status, 200);
    const exited = once(gateway.child, "exit");
    gateway.child.kill("SIGTERM");
    const { data } = await readEvents(response);
    assert.deepEqual(data, [...chunks.map((c) => JSON.stringify(c)), "[DONE]"]);
    const [code] = (await exited) as [number | null];
    assert.equal(code, 0);
    assert.equal((mock.requests.at(-1)?.json as { model: string } | undefined)?.model, "gpt-3.5-turbo-instruct");
    assert.equal(mock.requests.at(-1)?.headers.authorization, "Bearer sk-cli-test");
  });

  test("LiteLLM's model flags: --api_base, --temperature and --max_tokens over the client's, --alias, --drop_params", async () => {
    mock.always((_req, res) => json(res, 200, completionAnswer()));
    const gateway = await start(
      [
        "-m",
        "text-completion-openai/gpt-3.5-turbo-instruct",
        "--api_base",
        `${mock.url}/v1`,
        "--temperature",
        "0.2",
        "--max_tokens",
        "20",
        "--alias",
        "instruct",
        "--drop_params",
      ],
      { OPENAI_API_KEY: "sk-cli-flags" },
    );
    try {
      const response = await fetch(`${gateway.url}/v1/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "instruct", prompt: "hi", temperature: 1, max_tokens: 5 }),
      });
      assert.equal(response.status, 200);
      assert.deepEqual(mock.requests.at(-1)?.json, {
        model: "gpt-3.5-turbo-instruct",
        prompt: "hi",
        temperature: 0.2,
        max_tokens: 20,
      });
      assert.equal(mock.requests.at(-1)?.path, "/v1/completions");
      const models = (await (await fetch(`${gateway.url}/v1/models`)).json()) as { data: { id: string }[] };
      assert.deepEqual(
        models.data.map((model) => model.id),
        ["text-completion-openai/gpt-3.5-turbo-instruct", "instruct"],
      );
    } finally {
      await gateway.stop();
    }
  });

  test("LiteLLM's server flags: accepted with one note each, or refused with the reason; --validate_config", async () => {
    const config = join(dir, "flags.yaml");
    writeFileSync(config, "model_list:\n  - model_name: m\n    litellm_params: {model: openai/x, mock_response: hi}\n");
    const gateway = await start([
      "-c",
      config,
      "--debug",
      "--telemetry",
      "False",
      "--run_gunicorn",
      "--max_budget",
      "10",
    ]);
    try {
      assert.equal((await fetch(`${gateway.url}/v1/models`)).status, 200);
      const notes = gateway
        .stderr()
        .split("\n")
        .filter((line) => line.startsWith("litegate: note: "));
      assert.deepEqual(notes, [
        "litegate: note: --run_gunicorn is accepted and has no effect (litegate's --num_workers runs Node processes sharing the port).",
        "litegate: note: --telemetry is accepted and has no effect (litegate sends no telemetry).",
        "litegate: note: --debug is accepted: every request already gets a log line (--detailed_debug adds bodies).",
        "litegate: note: --max_budget is accepted and not enforced: give virtual keys, users or teams a max_budget instead.",
      ]);
    } finally {
      await gateway.stop();
    }
    const queue = await run(["-c", config, "--use_queue"]);
    assert.equal(queue.code, 1);
    assert.equal(
      queue.stderr,
      "litegate: --use_queue is not supported: litegate has no job queue; send requests directly.\n",
    );
    const tls = await run(["-c", config, "--ssl_certfile_path", "cert.pem"]);
    assert.equal(tls.code, 1);
    assert.match(
      tls.stderr,
      /^litegate: --ssl_certfile_path is not supported: litegate serves plain HTTP; terminate TLS/,
    );
    const misplaced = await run(["-c", config, "--api_base", "http://127.0.0.1:1"]);
    assert.equal(misplaced.code, 1);
    assert.equal(
      misplaced.stderr,
      "litegate: --api_base goes with --model; with --config, set it in litellm_params.\n",
    );
    const valid = await run(["-c", config, "--validate_config"]);
    assert.deepEqual(valid, {
      code: 0,
      stdout: "litegate: config OK (1 deployment)\n",
      // The start-up warnings an operator would see, and nothing else.
      stderr:
        "litegate: warning: No master key is configured (general_settings.master_key or LITELLM_MASTER_KEY): the gateway accepts every request without a key.\n",
    });
    const short = await run(["-h"]);
    assert.equal(short.code, 0);
    assert.match(short.stdout, /--validate_config/);
  });

  test("the gateway's process never pretenures: no allocation site is tenured while it serves", async () => {
    // A tenured per-request allocation site keeps every later request's objects alive through
    // scavenges (src/process-tuning.ts). V8 logs each decision under the two flags below. Slow
    // answers keep many requests alive across young-generation collections, as at a start under
    // load: without the setting, this load tenured sites (27 to 133 such lines in three runs).
    mock.always((_req, res) => void setTimeout(() => json(res, 200, completionAnswer()), 100));
    const file = join(dir, "pretenuring.yaml");
    writeFileSync(
      file,
      `model_list:\n  - model_name: m\n    litellm_params:\n      model: text-completion-openai/gpt-3.5-turbo-instruct\n      api_key: sk-x\n      api_base: ${mock.url}/v1\n`,
    );
    const gateway = await startCli(["--config", file], mkdtempSync(join(tmpdir(), "litegate-cli-")), {}, [
      "--trace-pretenuring",
      // Without this one the first logs nothing.
      "--trace-pretenuring-statistics",
    ]);
    let served = 0;
    try {
      const body = JSON.stringify({ model: "m", prompt: "x", max_tokens: 7 });
      const client = async () => {
        for (let i = 0; i < 12; i++) {
          const response = await fetch(`${gateway.url}/v1/completions`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body,
          });
          await response.arrayBuffer();
          if (response.status === 200) served += 1;
        }
      };
      await Promise.all(Array.from({ length: 128 }, client));
    } finally {
      // V8 writes its trace through C's stdio, flushed at a clean exit.
      await gateway.stop();
    }
    assert.equal(served, 128 * 12);
    const tenured = gateway.stdout().match(/pretenuring: .*=> tenure\b.*/g) ?? [];
    assert.deepEqual(tenured, []);
  });

  test("the gateway's process grows its young generation back to full size at once, not by doubling", async () => {
    // After an idle spell V8 shrinks the young generation to its least; src/process-tuning.ts makes
    // it grow back in one step. The script keeps objects alive across scavenges, as requests in
    // flight are, and prints each size the space had: V8's own doubling without the module.
    const script = `
      import { getHeapSpaceStatistics } from "node:v8";
      const size = () => getHeapSpaceStatistics().find((s) => s.space_name === "new_space").space_size;
      const seen = [size()];
      const live = [];
      for (let i = 0; i < 200000; i++) {
        live.push({ i, text: "x" + i });
        if (live.length > 20000) live.shift();
        if (size() !== seen.at(-1)) seen.push(size());
      }
      console.log(JSON.stringify(seen));`;
    const sizes = async (flags: string[]): Promise<number[]> => JSON.parse(await runScript(flags, script)) as number[];
    const doubling = await sizes([]);
    const tuned = await sizes(TUNED);
    // V8's maximum depends on the machine's memory (1 MB to 32 MB in five doublings on CI's).
    const [least, first] = doubling;
    assert.deepEqual(
      doubling.slice(1).map((size, i) => size / (doubling[i] as number)),
      Array.from({ length: doubling.length - 1 }, () => 2),
    );
    assert.ok(doubling.length >= 4, `V8 doubled its young generation only ${doubling.length - 1} times`);
    // The first step is V8's own (the same with the flag on node's command line); the next is to the same maximum.
    assert.deepEqual(tuned, [least, first, doubling.at(-1)]);
  });

  test("the gateway's process keeps nextTick's literal monomorphic through a collection that keeps no dead shape", async () => {
    // src/process-tuning.ts: a collection that reduces memory keeps no unused shape (map). With
    // `--retain-maps-for-n-gc=0` every full collection does the same, so `gc()` makes one at a
    // known moment. The script makes ticks, then collects once none is alive, eight times over (one
    // such turn left the shapes alive in some runs), and prints the state of the feedback slots
    // that define the literal's properties.
    const script = `
      const noop = () => {};
      for (let turn = 0; turn < 8; turn++) {
        for (let round = 0; round < 10; round++)
          await new Promise((resolve) => { for (let i = 0; i < 2000; i++) process.nextTick(noop, i); setImmediate(resolve); });
        await new Promise((resolve) => setTimeout(resolve, 10));
        globalThis.gc();
        globalThis.gc();
      }
      %DebugPrint(process.nextTick);`;
    const slots = async (flags: string[]): Promise<string[]> => {
      const out = await runScript(
        ["--expose-gc", "--retain-maps-for-n-gc=0", "--allow-natives-syntax", ...flags],
        script,
      );
      return [...out.matchAll(/DefineKeyedOwnPropertyInLiteral (\w+)/g)].map((m) => m[1] as string);
    };
    // Without the module, the literal's later three definitions meet new shapes and stay megamorphic.
    assert.deepEqual(await slots([]), ["MONOMORPHIC", "MEGAMORPHIC", "MEGAMORPHIC", "MEGAMORPHIC"]);
    const tuned = await slots(TUNED);
    assert.deepEqual(tuned, ["MONOMORPHIC", "MONOMORPHIC", "MONOMORPHIC", "MONOMORPHIC"]);
  });

  test("--num_workers 2 serves from two processes on one port and stops cleanly", async () => {
    mock.always((_req, res) => json(res, 200, completionAnswer()));
    const file = join(dir, "workers.yaml");
    writeFileSync(
      file,
      `model_list:\n  - model_name: m\n    litellm_params:\n      model: text-completion-openai/gpt-3.5-turbo-instruct\n      api_key: sk-x\n      api_base: ${mock.url}/v1\n`,
    );
    const gateway = await start(["--config", file, "--num_workers", "2"]);
    try {
      // Both workers announce themselves; wait for the second.
      while ((gateway.stdout().match(/listening on/g) ?? []).length < 2)
        await new Promise((resolve) => setTimeout(resolve, 50));
      const pids = new Set([...gateway.stdout().matchAll(/"pid":(\d+)[^\n]*listening on/g)].map((m) => m[1]));
      assert.equal(pids.size, 2);
      for (let i = 0; i < 4; i++) {
        const response = await fetch(`${gateway.url}/v1/completions`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ model: "m", prompt: "x" }),
        });
        assert.equal(response.status, 200);
      }
    } finally {
      gateway.child.kill("SIGTERM");
      const [code] = (await once(gateway.child, "exit")) as [number | null];
      assert.equal(code, 0);
    }
  });
});
