/**
 * The thread that writes spend to a SQLite file, on a connection of its own: a batch's
 * transaction (about 10-25 µs a record) never holds the event loop. The connection opens
 * when the thread starts; a failure to open fails every batch, which the SpendWriter keeps
 * and retries.
 */
import Database from "better-sqlite3";
import { workerData } from "node:worker_threads";
import { configure, spendTransaction } from "./sqlite-spend.js";
import type { SpendRecord } from "./types.js";

const db = new Database((workerData as { path: string }).path);
configure(db, true);
const write = spendTransaction(db);

export default function writeSpend(records: readonly SpendRecord[]): void {
  write(records);
}
