/**
 * Spend written to SQLite: the logs inserted (a request_id already stored is skipped, and
 * `changes` says so) and the totals of what was inserted added to keys, users, teams and end users,
 * all in one transaction, so totals always equal the sum of the logs. Used on the spend
 * worker's own connection (sqlite-spend-worker.ts), and in-thread for an in-memory database.
 */
import type Database from "better-sqlite3";
import { ADD_CUSTOMER_SPEND, SPEND_COLUMNS, spendRow, spendTotals } from "./sql-store.js";
import type { SpendRecord } from "./types.js";

/** Settings every connection to the file gets. */
export function configure(db: Database.Database, file: boolean): void {
  if (file) db.pragma("journal_mode = WAL");
  // NORMAL is durable across process crashes in WAL mode; only an OS crash can lose the last commits.
  db.pragma("synchronous = NORMAL");
  // The spend worker and the main thread each hold a connection: a write waits for the other's.
  db.pragma("busy_timeout = 5000");
}

export function spendTransaction(db: Database.Database): (records: readonly SpendRecord[]) => void {
  const names = Object.keys(SPEND_COLUMNS);
  // Not OR IGNORE: that would also silently skip rows breaking NOT NULL.
  const insertLog = db.prepare(
    `INSERT INTO spend_logs (${names.join(", ")}) VALUES (${names.map(() => "?").join(", ")})
     ON CONFLICT (request_id) DO NOTHING`,
  );
  const addKey = db.prepare(
    "UPDATE api_keys SET spend = spend + @cost WHERE token_hash = @id OR previous_token_hash = @id",
  );
  const addUser = db.prepare("UPDATE users SET spend = spend + ? WHERE user_id = ?");
  const addTeam = db.prepare("UPDATE teams SET spend = spend + ? WHERE team_id = ?");
  const addCustomer = db.prepare(ADD_CUSTOMER_SPEND);
  return db.transaction((records: readonly SpendRecord[]) => {
    const inserted = records.filter((record) => insertLog.run(...spendRow(record, "sqlite")).changes > 0);
    const totals = spendTotals(inserted);
    for (const [id, cost] of totals.keys) addKey.run({ cost, id });
    for (const [id, cost] of totals.users) addUser.run(cost, id);
    for (const [id, cost] of totals.teams) addTeam.run(cost, id);
    const now = Date.now();
    for (const [id, cost] of totals.customers) addCustomer.run(id, cost, now, now, cost);
  });
}
