/**
 * The real Postgres (TEST_DATABASE_URL) and Redis (TEST_REDIS_URL) for tests that need
 * them: unique names per run, direct admin access that bypasses the gateway, and cleanup
 * that leaves nothing behind (schemas dropped, the run's Redis keys deleted).
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import pg from "pg";

/** A name no other run uses: letters, digits and underscores, valid as a Postgres schema. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(5).toString("hex")}`;
}

/** Runs `body` on a fresh connection straight to Postgres (never through a relay under test). */
export async function withAdmin<T>(databaseUrl: string, body: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return await body(client);
  } finally {
    await client.end();
  }
}

export async function dropSchemas(databaseUrl: string, schemas: readonly string[]): Promise<void> {
  if (schemas.length === 0) return;
  await withAdmin(databaseUrl, async (client) => {
    for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  });
}

/** Deletes every key RedisKeyState/RedisState wrote under `keyPrefix` (they are `litegate:<prefix>:...`). */
export async function removeRedisKeys(redisUrl: string, keyPrefix: string): Promise<void> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `litegate:${keyPrefix}:*`, "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}

/** Polls until `check` holds; fails naming `what` after `timeoutMs`. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 5_000,
): Promise<void> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeoutMs) assert.fail(`not within ${timeoutMs} ms: ${what}`);
    await sleep(10);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Says loudly that a group of tests is skipped, and why (an unset variable must never look like a pass). */
export function warnSkipped(reason: string | undefined): void {
  if (reason !== undefined) console.warn(`\n*** ${reason} ***\n`);
}

/** What a Redis-backed state told its logger. */
export interface Logged {
  warnings: string[];
  infos: string[];
}

/** A logger for a Redis-backed state that keeps what it was told, for the test to assert. */
export function recordingLogger(): {
  log: Logged;
  logger: { warn(message: string): void; info(message: string): void };
} {
  const log: Logged = { warnings: [], infos: [] };
  return { log, logger: { warn: (message) => log.warnings.push(message), info: (message) => log.infos.push(message) } };
}
