/**
 * No spend record is lost when the process or the database goes away mid-load:
 *
 * - SIGTERM to the real CLI during 500 requests: every request the client got a 200 for
 *   has exactly one success row in the SQLite file, the key's spend is their sum, the
 *   process exits 0, and neither the virtual key nor the master key is in its output or
 *   the database file.
 * - Postgres unreachable (a relay cut in front of it) or its backends terminated: requests
 *   on a cached key keep being served (allow_requests_on_db_unavailable), the writer keeps
 *   the records and writes them all once the database is back.
 * - allow_requests_on_db_unavailable false: once a write has failed, completions get 503
 *   database_unavailable; once the writer recovers they are served again, nothing lost.
 *
 * The Postgres cases need TEST_DATABASE_URL (skipped loudly without it).
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { once } from "node:events";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import Database from "better-sqlite3";
import type { SpendWriter } from "../../src/store/spend-writer.js";
import { PostgresStore } from "../../src/store/postgres-store.js";
import { completionAnswer } from "../helpers/fixtures.js";
import { startGateway, type TestGateway } from "../helpers/gateway.js";
import { complete, generateKey, MASTER_KEY } from "../helpers/keys.js";
import { json, MockUpstream } from "../helpers/mock-upstream.js";
import { dropSchemas, eventually, sleep, uniqueName, warnSkipped, withAdmin } from "../helpers/services.js";
import { TcpRelay } from "../helpers/tcp-relay.js";

/** The CLI next to this compiled test (dist/src/cli.js from dist/test/proxy/, or any other outDir). */
const CLI = fileURLToPath(new URL("../../src/cli.js", import.meta.url));

const DATABASE_URL = process.env.TEST_DATABASE_URL;
const SKIP_PG =
  DATABASE_URL === undefined ? "TEST_DATABASE_URL is not set: Postgres spend-durability tests skipped" : undefined;
warnSkipped(SKIP_PG);

/** $0.01 per prompt token, $0.02 per completion token: the fixture's 5 + 7 tokens cost $0.19. */
const PRICES = { input_cost_per_token: 0.01, output_cost_per_token: 0.02 };
const ANSWER_COST = 5 * 0.01 + 7 * 0.02;
const MODEL = "gpt-instruct";

const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

const near = (actual: number, expected: number, what: string): void =>
  assert.ok(Math.abs(actual - expected) < 1e-9, `${what}: ${actual}, expected ${expected}`);

let mock: MockUpstream;
before(async () => {
  mock = await MockUpstream.start();
  // A little latency, varied, so requests overlap and finish out of order as under real load.
  mock.always(async (_req, res) => {
    await sleep(Math.floor(Math.random() * 21));
    json(res, 200, completionAnswer());
  });
});
after(() => mock.close());

/** What the client saw of one request: a full response, or a transport failure. */
type Outcome = { status: number; cost: number } | { error: string };

/** One completion by fetch; a refused or dropped connection is an outcome, not a throw. */
async function attempt(url: string, key: string): Promise<Outcome> {
  try {
    const response = await fetch(`${url}/v1/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
      body: JSON.stringify({ model: MODEL, prompt: "Say this is a test" }),
    });
    // The body is read in full: only a complete answer counts as a 200 the client got.
    await response.arrayBuffer();
    return { status: response.status, cost: Number(response.headers.get("x-litellm-response-cost") ?? 0) };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

/** Sends `total` requests, `concurrency` at a time; `onSettled` sees the count settled so far. */
async function load(
  total: number,
  concurrency: number,
  send: () => Promise<Outcome>,
  onSettled: (settled: number) => void = () => {},
): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < total) {
      next += 1;
      outcomes.push(await send());
      onSettled(outcomes.length);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return outcomes;
}

function succeeded(outcomes: readonly Outcome[]): { count: number; cost: number } {
  const ok = outcomes.filter(
    (outcome): outcome is { status: number; cost: number } => "status" in outcome && outcome.status === 200,
  );
  return { count: ok.length, cost: ok.reduce((sum, outcome) => sum + outcome.cost, 0) };
}

interface Cli {
  child: ChildProcess;
  url: string;
  output: () => string;
}

/** Starts `litegate --config file` on a free port and waits for its "listening" line. */
async function startCli(config: string, cwd: string): Promise<Cli> {
  const child = spawn(process.execPath, [CLI, "--config", config, "--port", "0", "--host", "127.0.0.1"], {
    cwd,
    // Only PATH: no DATABASE_URL or LITELLM_MASTER_KEY from the developer's shell may leak in.
    env: { PATH: process.env.PATH ?? "" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stderr?.on("data", (data: Buffer) => (output += data.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on("data", (data: Buffer) => {
      output += data.toString();
      const match = /listening on (http:\/\/[\d.]+:\d+)/.exec(output);
      if (match) resolve(match[1] as string);
    });
    child.once("exit", (code) => reject(new Error(`litegate exited with ${code} before listening: ${output}`)));
  });
  return { child, url, output: () => output };
}

describe("SIGTERM during load (the real CLI, SQLite)", () => {
  const dir = mkdtempSync(join(tmpdir(), "litegate-durability-"));
  const dbPath = join(dir, "spend.db");
  let cli: Cli | undefined;

  after(async () => {
    // Only if the test failed before the process exited.
    if (cli !== undefined && cli.child.exitCode === null && cli.child.signalCode === null) {
      const exited = once(cli.child, "exit");
      cli.child.kill("SIGKILL");
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  test("every 200 the client got has its success row; the key's spend is their sum; exit 0; no key leaks", {
    timeout: 30_000,
  }, async () => {
    const config = join(dir, "config.yaml");
    writeFileSync(
      config,
      [
        "model_list:",
        `  - model_name: ${MODEL}`,
        "    litellm_params:",
        `      model: text-completion-openai/${MODEL}`,
        "      api_key: sk-upstream",
        `      api_base: ${mock.url}/v1`,
        "    model_info:",
        `      input_cost_per_token: ${PRICES.input_cost_per_token}`,
        `      output_cost_per_token: ${PRICES.output_cost_per_token}`,
        "general_settings:",
        `  master_key: ${MASTER_KEY}`,
        `  database_path: ${dbPath}`,
        "",
      ].join("\n"),
    );
    cli = await startCli(config, dir);
    const { child, url } = cli;
    const key = await generateKey(url);
    const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;

    let signalled = false;
    const outcomes = await load(
      500,
      50,
      () => attempt(url, key),
      (settled) => {
        if (settled >= 150 && !signalled) {
          signalled = true;
          child.kill("SIGTERM");
        }
      },
    );
    const [code, signal] = await exited;
    assert.deepEqual([code, signal], [0, null], cli.output());

    const ok = succeeded(outcomes);
    const answered = outcomes.filter((outcome) => "status" in outcome);
    // In-flight requests finish after SIGTERM; the rest find the port closed.
    assert.ok(ok.count >= 150 && ok.count < 500, `${ok.count} requests got 200`);
    assert.deepEqual(new Set(answered.map((outcome) => ("status" in outcome ? outcome.status : 0))), new Set([200]));
    near(ok.cost, ok.count * ANSWER_COST, "sum of the cost headers");

    const db = new Database(dbPath, { readonly: true, fileMustExist: true });
    try {
      const logs = db
        .prepare("SELECT status, COUNT(*) AS n, TOTAL(cost) AS cost FROM spend_logs WHERE key_hash = ? GROUP BY status")
        .all(sha256(key)) as { status: string; n: number; cost: number }[];
      // One row per answered request, all successes: none lost, none counted twice.
      assert.deepEqual(
        logs.map((row) => [row.status, row.n]),
        [["success", ok.count]],
      );
      const spend = db.prepare("SELECT spend FROM api_keys WHERE token_hash = ?").get(sha256(key)) as
        | { spend: number }
        | undefined;
      assert.ok(spend !== undefined, "the key's row is in the database");
      near(spend.spend, logs[0]?.cost ?? -1, "api_keys.spend vs the sum of its success rows");
      near(spend.spend, ok.cost, "api_keys.spend vs what the client was charged");
    } finally {
      db.close();
    }

    const output = cli.output();
    assert.ok(output.includes("shutting down"), "the process logged its shutdown");
    assert.ok(!output.includes(key), "the virtual key is in the process output");
    assert.ok(!output.includes(MASTER_KEY), "the master key is in the process output");
    // The database and whatever WAL/SHM files are left: the config.yaml is the only file allowed to hold the master key.
    const dbFiles = readdirSync(dir).filter((name) => name.startsWith("spend.db"));
    assert.ok(dbFiles.includes("spend.db"));
    for (const name of dbFiles) {
      const bytes = readFileSync(join(dir, name));
      assert.ok(!bytes.includes(key), `the virtual key is in ${name}`);
      assert.ok(!bytes.includes(MASTER_KEY), `the master key is in ${name}`);
    }
  });
});

describe("the database goes away mid-run (Postgres)", () => {
  const databaseUrl = DATABASE_URL ?? "";
  const run = uniqueName("litegate_durable");
  const schemas: string[] = [];
  const gateways: TestGateway[] = [];
  const relays: TcpRelay[] = [];

  after(async () => {
    // Relays back up first (a failed test may have left one cut), so each gateway's
    // shutdown flush reaches the database instead of waiting out its timeout.
    for (const relay of relays) {
      await relay.stop();
      await relay.restart();
    }
    for (const gateway of gateways) await gateway.close();
    for (const relay of relays) await relay.stop();
    await dropSchemas(databaseUrl, schemas);
  });

  interface Rig {
    gateway: TestGateway;
    writer: SpendWriter;
    relay: TcpRelay;
    schema: string;
    applicationName: string;
  }

  /** A gateway whose Postgres pool goes through a relay the test can cut, on a schema of its own. */
  async function rig(allowRequestsOnDbUnavailable: boolean): Promise<Rig> {
    const target = new URL(databaseUrl);
    const relay = await TcpRelay.start(target.hostname, Number(target.port || 5432));
    relays.push(relay);
    const viaRelay = new URL(databaseUrl);
    viaRelay.hostname = relay.host;
    viaRelay.port = String(relay.port);
    const schema = `${run}_${schemas.length}`;
    schemas.push(schema);
    // application_name tells this gateway's connections apart in pg_stat_activity.
    const applicationName = schema;
    const store = await PostgresStore.open({
      connectionString: viaRelay.toString(),
      schema,
      applicationName,
      poolMax: 4,
      // Small: a connection attempt through a cut relay must fail fast, not hold a batch.
      connectionTimeoutMillis: 500,
    });
    const gateway = await startGateway({
      modelList: [
        {
          model_name: MODEL,
          litellm_params: {
            model: `text-completion-openai/${MODEL}`,
            api_key: "sk-upstream",
            api_base: `${mock.url}/v1`,
          },
          model_info: PRICES,
        },
      ],
      masterKey: MASTER_KEY,
      store,
      allowRequestsOnDbUnavailable,
      spendWriter: { intervalMs: 20, initialBackoffMs: 20, maxBackoffMs: 100 },
    });
    gateways.push(gateway);
    const writer = gateway.server.access.writer;
    assert.ok(writer !== undefined, "a gateway with a store has a spend writer");
    return { gateway, writer, relay, schema, applicationName };
  }

  /** `n` completions one after another, each of which must get 200; their summed cost headers. */
  async function served(url: string, key: string, n: number): Promise<number> {
    let cost = 0;
    for (let i = 0; i < n; i++) {
      const answer = await complete(url, key, MODEL);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      cost += Number(answer.headers.get("x-litellm-response-cost"));
    }
    return cost;
  }

  /** Waits for the writer to have written everything, then checks the database directly (not through the relay). */
  async function assertAllRecorded(
    { writer, schema }: Rig,
    key: string,
    count: number,
    charged: number,
  ): Promise<void> {
    await eventually(() => writer.pending() === 0 && !writer.unavailable(), "the writer wrote every record", 10_000);
    assert.equal(writer.dropped(), 0);
    await withAdmin(databaseUrl, async (client) => {
      const logs = await client.query(
        `SELECT status, COUNT(*)::int AS n, SUM(cost) AS cost FROM "${schema}".spend_logs WHERE key_hash = $1 GROUP BY status`,
        [sha256(key)],
      );
      const rows = logs.rows as { status: string; n: number; cost: number }[];
      assert.deepEqual(
        rows.map((row) => [row.status, row.n]),
        [["success", count]],
      );
      const keyRow = await client.query(`SELECT spend FROM "${schema}".api_keys WHERE token_hash = $1`, [sha256(key)]);
      const spend = Number((keyRow.rows[0] as { spend: number } | undefined)?.spend);
      near(spend, rows[0]?.cost ?? -1, "api_keys.spend vs the sum of its spend_logs");
      near(spend, charged, "api_keys.spend vs the cost headers the client got");
      near(spend, count * ANSWER_COST, "api_keys.spend vs requests x $0.19");
    });
  }

  test("relay cut: cached keys keep being served, records wait, and all land when it is back", {
    skip: SKIP_PG,
    timeout: 20_000,
  }, async () => {
    const setup = await rig(true);
    const { gateway, writer, relay } = setup;
    const key = await generateKey(gateway.url);
    let charged = await served(gateway.url, key, 5);
    await eventually(() => writer.pending() === 0, "the first records written");

    // Existing connections destroyed, new ones refused.
    await relay.stop();
    charged += await served(gateway.url, key, 5);
    await eventually(() => writer.unavailable(), "the writer notices the database is gone");
    assert.equal(writer.pending(), 5, "the five records of the outage are kept");
    // Still served while the writer is failing (allow_requests_on_db_unavailable).
    charged += await served(gateway.url, key, 3);
    assert.equal(writer.pending(), 8);

    await relay.restart();
    await assertAllRecorded(setup, key, 13, charged);
  });

  test("pg_terminate_backend on the gateway's connections under load: no record lost", {
    skip: SKIP_PG,
    timeout: 20_000,
  }, async () => {
    const setup = await rig(true);
    const { gateway, applicationName } = setup;
    const key = await generateKey(gateway.url);
    const terminate = async (): Promise<number> =>
      withAdmin(databaseUrl, async (client) => {
        // The pool reconnects when it next writes: after the first kill it may hold no connection
        // for a moment (one CI run found none at the second kill), so wait until it has one again.
        await eventually(async () => {
          const open = await client.query("SELECT 1 FROM pg_stat_activity WHERE application_name = $1", [
            applicationName,
          ]);
          return (open.rowCount ?? 0) > 0;
        }, "the gateway's pool connected again");
        const killed = await client.query(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
          [applicationName],
        );
        return killed.rowCount ?? 0;
      });
    const terminations: Promise<number>[] = [];
    const outcomes = await load(
      120,
      8,
      () => attempt(gateway.url, key),
      (settled) => {
        // Twice mid-run: with batches in flight and with the pool refilled after the first kill.
        if (settled === 40 || settled === 80) terminations.push(terminate());
      },
    );
    const killed = await Promise.all(terminations);
    assert.equal(killed.length, 2);
    assert.ok(
      killed.every((count) => count > 0),
      `backends terminated per kill: ${killed.join(", ")}`,
    );
    const ok = succeeded(outcomes);
    assert.equal(
      ok.count,
      120,
      JSON.stringify(outcomes.filter((outcome) => !("status" in outcome) || outcome.status !== 200)),
    );
    await assertAllRecorded(setup, key, ok.count, ok.cost);
  });

  test("allow_requests_on_db_unavailable false: 503 database_unavailable while writes fail, served again after, nothing lost", {
    skip: SKIP_PG,
    timeout: 20_000,
  }, async () => {
    const setup = await rig(false);
    const { gateway, writer, relay } = setup;
    const key = await generateKey(gateway.url);
    let charged = await served(gateway.url, key, 3);
    await eventually(() => writer.pending() === 0, "the first records written");

    await relay.stop();
    // No write has failed yet, so the gateway cannot know: this one is served, its record waits.
    charged += await served(gateway.url, key, 1);
    await eventually(() => writer.unavailable(), "the writer notices the database is gone");
    const refused = await complete(gateway.url, key, MODEL);
    assert.equal(refused.status, 503);
    assert.deepEqual(refused.body, {
      error: {
        message:
          "The gateway's database is unreachable, so requests cannot be recorded. Try again shortly; an operator can set general_settings.allow_requests_on_db_unavailable to keep serving keys already known.",
        type: "api_error",
        param: null,
        code: "database_unavailable",
      },
    });
    assert.equal(writer.pending(), 1, "a refused request leaves no record");

    await relay.restart();
    await eventually(() => !writer.unavailable() && writer.pending() === 0, "the writer recovers", 10_000);
    charged += await served(gateway.url, key, 2);
    await assertAllRecorded(setup, key, 6, charged);
  });
});
