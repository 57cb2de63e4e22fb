/**
 * The embedded store: one SQLite file (better-sqlite3), nothing to run. The default when
 * no database_url is set.
 *
 * better-sqlite3 is synchronous. Reads by primary key take microseconds; spend arrives in
 * batches from the SpendWriter, one transaction per batch, so the event loop is held for
 * about a millisecond per hundred records. WAL mode lets readers proceed during a write and
 * makes each commit one sequential append.
 */
import Database from "better-sqlite3";
import {
  CREATE_SCHEMA_VERSION,
  type Migration,
  MIGRATIONS,
  pendingMigrations,
  SCHEMA_VERSION_TABLE,
} from "./migrations.js";
import { type Row, SPEND_COLUMNS, SqlStore, spendTotals } from "./sql-store.js";
import type { SpendRecord } from "./types.js";

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
  private readonly insertLog: Database.Statement;
  private readonly writeSpend: (records: readonly SpendRecord[]) => void;

  private constructor(db: Database.Database, migrationsApplied: number) {
    super();
    this.db = db;
    this.migrationsApplied = migrationsApplied;
    const names = Object.keys(SPEND_COLUMNS);
    // A request_id already stored is skipped, and `changes` says so. Not OR IGNORE: that
    // would also silently skip rows breaking NOT NULL.
    this.insertLog = db.prepare(
      `INSERT INTO spend_logs (${names.join(", ")}) VALUES (${names.map(() => "?").join(", ")})
       ON CONFLICT (request_id) DO NOTHING`,
    );
    const addKey = db.prepare(
      "UPDATE api_keys SET spend = spend + @cost WHERE token_hash = @id OR previous_token_hash = @id",
    );
    const addUser = db.prepare("UPDATE users SET spend = spend + ? WHERE user_id = ?");
    const addTeam = db.prepare("UPDATE teams SET spend = spend + ? WHERE team_id = ?");
    this.writeSpend = db.transaction((records: readonly SpendRecord[]) => {
      const inserted = records.filter((record) => this.insertLog.run(...this.spendParams(record)).changes > 0);
      const totals = spendTotals(inserted);
      for (const [id, cost] of totals.keys) addKey.run({ cost, id });
      for (const [id, cost] of totals.users) addUser.run(cost, id);
      for (const [id, cost] of totals.teams) addTeam.run(cost, id);
    });
  }

  /** Opens (creating if needed) the database and applies pending migrations. */
  static open(options: SqliteStoreOptions): SqliteStore {
    const db = new Database(options.path);
    try {
      if (options.path !== ":memory:") db.pragma("journal_mode = WAL");
      // NORMAL is durable across process crashes in WAL mode; only an OS crash can lose
      // the last commits.
      db.pragma("synchronous = NORMAL");
      db.pragma("busy_timeout = 5000");
      const applied = migrate(db, options.migrations ?? MIGRATIONS);
      return new SqliteStore(db, applied);
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
    if (records.length > 0) this.writeSpend(records);
  }

  async close(): Promise<void> {
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
