/**
 * The embedded store: one SQLite file (better-sqlite3), nothing to run. The default when
 * no database_url is set.
 *
 * better-sqlite3 is synchronous. Reads by primary key take microseconds. Spend arrives in
 * batches from the SpendWriter and is written by a worker thread on a connection of its
 * own, so no request waits on its transaction (an in-memory database, which a second
 * connection cannot share, writes in-thread). WAL mode lets readers proceed during a write
 * and makes each commit one sequential append.
 */
import Database from "better-sqlite3";
import { Piscina } from "piscina";
import {
  CREATE_SCHEMA_VERSION,
  type Migration,
  MIGRATIONS,
  pendingMigrations,
  SCHEMA_VERSION_TABLE,
} from "./migrations.js";
import { type Row, SqlStore } from "./sql-store.js";
import { configure, spendTransaction } from "./sqlite-spend.js";
import type { SpendRecord } from "./types.js";

/** The spend thread ends after this long without a batch, and starts again with the next. */
const SPEND_THREAD_IDLE_MS = 60_000;

export interface SqliteStoreOptions {
  /** A file path, or ":memory:" (tests). */
  path: string;
  /** Tests pass extra migrations; the default is every released one. */
  migrations?: readonly Migration[];
}

export class SqliteStore extends SqlStore {
  protected readonly dialect = "sqlite" as const;
  readonly migrationsApplied: number;
  private readonly db: Database.Database;
  /** Writes spend in-thread (in-memory databases), or on the spend thread. */
  private readonly writeSpend: (records: readonly SpendRecord[]) => Promise<void>;
  private readonly spendThread: Piscina<readonly SpendRecord[], void> | undefined;

  private constructor(db: Database.Database, path: string, migrationsApplied: number) {
    super();
    this.db = db;
    this.migrationsApplied = migrationsApplied;
    if (path === ":memory:") {
      const write = spendTransaction(db);
      this.writeSpend = async (records) => write(records);
      return;
    }
    const thread = new Piscina<readonly SpendRecord[], void>({
      filename: new URL("./sqlite-spend-worker.js", import.meta.url).href,
      workerData: { path },
      minThreads: 0,
      // One writer: batches commit in the order the SpendWriter sends them.
      maxThreads: 1,
      idleTimeout: SPEND_THREAD_IDLE_MS,
    });
    this.spendThread = thread;
    this.writeSpend = (records) => thread.run(records);
  }

  /** Opens (creating if needed) the database and applies pending migrations. */
  static open(options: SqliteStoreOptions): SqliteStore {
    const db = new Database(options.path);
    try {
      configure(db, options.path !== ":memory:");
      const applied = migrate(db, options.migrations ?? MIGRATIONS);
      return new SqliteStore(db, options.path, applied);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /** Prepared statements by SQL text: the queries come from a small fixed set. */
  private readonly statements = new Map<string, Database.Statement>();

  private statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  protected async query(sql: string, params: readonly unknown[]): Promise<Row[]> {
    return this.statement(sql).all(...params) as Row[];
  }

  protected async execute(sql: string, params: readonly unknown[]): Promise<number> {
    return this.statement(sql).run(...params).changes;
  }

  protected isUniqueViolation(error: unknown): boolean {
    const code = (error as { code?: unknown } | null)?.code;
    return code === "SQLITE_CONSTRAINT_PRIMARYKEY" || code === "SQLITE_CONSTRAINT_UNIQUE";
  }

  async recordSpend(records: readonly SpendRecord[]): Promise<void> {
    if (records.length > 0) await this.writeSpend(records);
  }

  async close(): Promise<void> {
    await this.spendThread?.destroy();
    if (this.db.open) this.db.close();
  }
}

/** Applies pending migrations, each in its own IMMEDIATE transaction; returns how many. */
function migrate(db: Database.Database, migrations: readonly Migration[]): number {
  db.exec(CREATE_SCHEMA_VERSION);
  let applied = 0;
  const apply = db.transaction((migration: Migration) => {
    // Re-read inside the write lock: another process may have applied it meanwhile.
    const row = db.prepare(`SELECT MAX(version) AS version FROM ${SCHEMA_VERSION_TABLE}`).get() as {
      version: number | null;
    };
    if ((row.version ?? 0) >= migration.version) return;
    for (const statement of migration.sqlite) db.exec(statement);
    db.prepare(`INSERT INTO ${SCHEMA_VERSION_TABLE} (version, name, applied_at) VALUES (?, ?, ?)`).run(
      migration.version,
      migration.name,
      Date.now(),
    );
    applied += 1;
  });
  const current = db.prepare(`SELECT MAX(version) AS version FROM ${SCHEMA_VERSION_TABLE}`).get() as {
    version: number | null;
  };
  for (const migration of pendingMigrations(current.version ?? 0, migrations)) apply.immediate(migration);
  return applied;
}
