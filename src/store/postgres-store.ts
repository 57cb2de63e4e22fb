/**
 * The shared store: Postgres, for several proxy instances on one database. The pool is
 * bounded (`database_connection_pool_limit`, default 10) so a burst of requests queues for
 * a connection instead of exhausting the server's, which is what LiteLLM's users hit.
 *
 * Connections the server drops (restart, pg_terminate_backend) are discarded by the pool
 * and replaced on the next query; the pool's error event is handled so an idle client's
 * error never crashes the process.
 */
import pg from "pg";
import {
  CREATE_SCHEMA_VERSION,
  type Migration,
  MIGRATIONS,
  pendingMigrations,
  SCHEMA_VERSION_TABLE,
} from "./migrations.js";
import { ADD_CUSTOMER_SPEND, numbered, type Row, SPEND_COLUMNS, SqlStore, spendTotals } from "./sql-store.js";
import type { SpendRecord, StoreLogger } from "./types.js";

export interface PostgresStoreOptions {
  connectionString: string;
  /** database_connection_pool_limit: the most connections this instance opens. */
  poolMax?: number | undefined;
  /**
   * A schema for the tables (created if missing), e.g. one per test run; default: the
   * connection's search_path (normally `public`).
   */
  schema?: string | undefined;
  /** Shown in pg_stat_activity (default "litegate"). */
  applicationName?: string | undefined;
  /** Ms to wait for a connection before a query fails (default 5000). */
  connectionTimeoutMillis?: number | undefined;
  /**
   * Ms a query may take before it fails (default 10 000): a database that hangs instead of
   * refusing must still count as unreachable, or spend would wait on it forever.
   */
  queryTimeoutMillis?: number | undefined;
  logger?: StoreLogger | undefined;
  migrations?: readonly Migration[] | undefined;
}

export const DEFAULT_POOL_MAX = 10;

/** Every store process takes this advisory lock while migrating, so two never race. */
const MIGRATION_LOCK = 0x6c697465; // "lite"

/** Postgres allows 65535 parameters per statement; 14 per log keeps a chunk well under it. */
const LOGS_PER_INSERT = 1000;

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export class PostgresStore extends SqlStore {
  protected readonly dialect = "postgres" as const;
  readonly migrationsApplied: number;
  private closed = false;

  private constructor(
    private readonly pool: pg.Pool,
    migrationsApplied: number,
  ) {
    super();
    this.migrationsApplied = migrationsApplied;
  }

  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
    const schema = options.schema;
    if (schema !== undefined && !SCHEMA_NAME.test(schema)) throw new RangeError(`invalid schema name: ${schema}`);
    const logger = options.logger;
    const pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.poolMax ?? DEFAULT_POOL_MAX,
      connectionTimeoutMillis: options.connectionTimeoutMillis ?? 5000,
      query_timeout: options.queryTimeoutMillis ?? 10_000,
      application_name: options.applicationName ?? "litegate",
      // Set on every connection by the server at startup, before any query runs on it.
      ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
    });
    pool.on("error", (error) => {
      logger?.warn(`Postgres connection lost (${error.message}); the pool opens a new one on the next query`);
    });
    try {
      if (schema !== undefined) await pool.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
      const applied = await migrate(pool, options.migrations ?? MIGRATIONS);
      return new PostgresStore(pool, applied);
    } catch (error) {
      await pool.end();
      throw error;
    }
  }

  protected async query(sql: string, params: readonly unknown[]): Promise<Row[]> {
    return (await this.pool.query(numbered(sql), [...params])).rows as Row[];
  }

  protected async execute(sql: string, params: readonly unknown[]): Promise<number> {
    return (await this.pool.query(numbered(sql), [...params])).rowCount ?? 0;
  }

  protected isUniqueViolation(error: unknown): boolean {
    return (error as { code?: unknown } | null)?.code === "23505";
  }

  async recordSpend(records: readonly SpendRecord[]): Promise<void> {
    if (records.length === 0) return;
    await transaction(this.pool, async (client) => {
      const names = Object.keys(SPEND_COLUMNS);
      const inserted: Pick<SpendRecord, "key_hash" | "user_id" | "team_id" | "cost" | "end_user">[] = [];
      for (let start = 0; start < records.length; start += LOGS_PER_INSERT) {
        const chunk = records.slice(start, start + LOGS_PER_INSERT);
        const params = chunk.flatMap((record) => this.spendParams(record));
        const tuples = chunk.map(
          (_, row) => `(${names.map((_, col) => `$${row * names.length + col + 1}`).join(", ")})`,
        );
        // DO NOTHING: a request_id already stored (a retried batch) is neither inserted
        // nor counted again; RETURNING lists only the rows actually inserted.
        const result = await client.query(
          `INSERT INTO spend_logs (${names.join(", ")}) VALUES ${tuples.join(", ")}
           ON CONFLICT (request_id) DO NOTHING RETURNING key_hash, user_id, team_id, cost, end_user`,
          params,
        );
        for (const row of result.rows as Row[]) {
          inserted.push({
            key_hash: String(row.key_hash),
            user_id: row.user_id === null ? null : String(row.user_id),
            team_id: row.team_id === null ? null : String(row.team_id),
            cost: Number(row.cost),
            end_user: row.end_user === null ? null : String(row.end_user),
          });
        }
      }
      const totals = spendTotals(inserted);
      for (const [table, where, entries] of [
        ["api_keys", "token_hash = $2 OR previous_token_hash = $2", totals.keys],
        ["users", "user_id = $2", totals.users],
        ["teams", "team_id = $2", totals.teams],
      ] as const) {
        for (const [id, cost] of entries) {
          await client.query(`UPDATE ${table} SET spend = spend + $1 WHERE ${where}`, [cost, id]);
        }
      }
      const now = Date.now();
      for (const [id, cost] of totals.customers) {
        await client.query(numbered(ADD_CUSTOMER_SPEND), [id, cost, now, now, cost]);
      }
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}

/**
 * Runs `body` in a transaction on one pooled client. A client whose query failed is
 * destroyed rather than returned: after a dropped connection it is unusable.
 *
 * While a client is checked out the pool stops listening for its 'error' event, and pg
 * emits one when the server ends the connection mid-query (a restart,
 * pg_terminate_backend): unheard, it would crash the process and every buffered spend
 * record with it. The failed query rejects anyway, so the listener only has to exist.
 */
async function transaction<T>(pool: pg.Pool, body: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  const ignore = (): void => undefined;
  client.on("error", ignore);
  const release = (destroy: boolean): void => {
    // A destroyed client may still report its socket's end: it keeps the listener.
    if (!destroy) client.off("error", ignore);
    client.release(destroy);
  };
  try {
    await client.query("BEGIN");
    const result = await body(client);
    await client.query("COMMIT");
    release(false);
    return result;
  } catch (error) {
    try {
      await client.query("ROLLBACK");
      release(false);
    } catch {
      release(true);
    }
    throw error;
  }
}

async function migrate(pool: pg.Pool, migrations: readonly Migration[]): Promise<number> {
  return transaction(pool, async (client) => {
    // Instances starting together wait here; the second then sees the versions applied.
    await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
    await client.query(CREATE_SCHEMA_VERSION);
    const current = await client.query(`SELECT MAX(version) AS version FROM ${SCHEMA_VERSION_TABLE}`);
    const version = Number((current.rows[0] as Row | undefined)?.version ?? 0);
    let applied = 0;
    for (const migration of pendingMigrations(version, migrations)) {
      // Savepoint-free: the whole batch commits together with its schema_version rows.
      for (const statement of migration.postgres) await client.query(statement);
      await client.query(`INSERT INTO ${SCHEMA_VERSION_TABLE} (version, name, applied_at) VALUES ($1, $2, $3)`, [
        migration.version,
        migration.name,
        Date.now(),
      ]);
      applied += 1;
    }
    return applied;
  });
}
