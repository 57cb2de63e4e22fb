/**
 * What the SQLite and Postgres stores share: the tables' columns, turning records into
 * parameters and rows back into records, and the CRUD, list and spend-log queries, written
 * once with `?` placeholders. Each store supplies `query`/`execute` and its own
 * transactional `recordSpend` (SQLite's must be synchronous, Postgres's holds one client).
 */
import {
  type KeyListOptions,
  type KeyPatch,
  type KeyRecord,
  type ListOptions,
  type NewKey,
  type NewTeam,
  type NewUser,
  type Page,
  type ResponseRecord,
  type SpendLogFilter,
  type SpendRecord,
  type Store,
  StoreConflictError,
  type TeamPatch,
  type TeamRecord,
  type UserPatch,
  type UserRecord,
} from "./types.js";
import type { Dialect } from "./migrations.js";

export type Kind = "text" | "money" | "int" | "bool" | "json";
export type Row = Record<string, unknown>;

interface TableSpec {
  table: string;
  entity: "key" | "user" | "team";
  id: string;
  columns: Record<string, Kind>;
  /** Values a new row takes for columns the caller left out (null otherwise). */
  defaults: Record<string, unknown>;
}

const RECORD_DEFAULTS = { models: [], metadata: {}, spend: 0 };

export const KEYS: TableSpec = {
  table: "api_keys",
  entity: "key",
  id: "token_hash",
  columns: {
    token_hash: "text",
    key_name: "text",
    previous_token_hash: "text",
    key_alias: "text",
    user_id: "text",
    team_id: "text",
    models: "json",
    max_budget: "money",
    budget_duration: "text",
    budget_reset_at: "int",
    rpm_limit: "int",
    tpm_limit: "int",
    max_parallel_requests: "int",
    expires_at: "int",
    blocked: "bool",
    metadata: "json",
    spend: "money",
    created_at: "int",
    updated_at: "int",
  },
  defaults: { ...RECORD_DEFAULTS, blocked: false },
};

export const USERS: TableSpec = {
  table: "users",
  entity: "user",
  id: "user_id",
  columns: {
    user_id: "text",
    max_budget: "money",
    spend: "money",
    budget_duration: "text",
    budget_reset_at: "int",
    models: "json",
    metadata: "json",
    created_at: "int",
    updated_at: "int",
  },
  defaults: RECORD_DEFAULTS,
};

export const TEAMS: TableSpec = {
  table: "teams",
  entity: "team",
  id: "team_id",
  columns: {
    team_id: "text",
    team_alias: "text",
    max_budget: "money",
    spend: "money",
    models: "json",
    budget_duration: "text",
    budget_reset_at: "int",
    metadata: "json",
    created_at: "int",
    updated_at: "int",
  },
  defaults: RECORD_DEFAULTS,
};

export const SPEND_COLUMNS: Record<keyof SpendRecord, Kind> = {
  request_id: "text",
  key_hash: "text",
  user_id: "text",
  team_id: "text",
  model_group: "text",
  deployment_id: "text",
  prompt_tokens: "int",
  completion_tokens: "int",
  cost: "money",
  status: "text",
  start_time: "int",
  end_time: "int",
  cache_hit: "bool",
};

const RESPONSE_COLUMNS: Record<keyof ResponseRecord, Kind> = {
  id: "text",
  key_hash: "text",
  model: "text",
  deployment_id: "text",
  input: "json",
  output: "json",
  response: "json",
  created_at: "int",
};

export function toParam(kind: Kind, value: unknown, dialect: Dialect): unknown {
  if (value === undefined || value === null) return null;
  switch (kind) {
    case "json":
      // Also for Postgres: pg would turn a JS array into a Postgres array, not JSON.
      return JSON.stringify(value);
    case "bool":
      return dialect === "sqlite" ? (value ? 1 : 0) : Boolean(value);
    default:
      return value;
  }
}

export function fromColumn(kind: Kind, value: unknown, dialect: Dialect): unknown {
  if (value === null || value === undefined) return null;
  switch (kind) {
    case "json":
      // pg parses JSONB itself; SQLite keeps the text.
      return dialect === "sqlite" && typeof value === "string" ? JSON.parse(value) : value;
    case "bool":
      return dialect === "sqlite" ? value !== 0 : Boolean(value);
    case "int":
    case "money":
      // pg returns BIGINT as a string (it may exceed 2^53; epoch ms and token counts do not).
      return typeof value === "number" ? value : Number(value);
    default:
      return value;
  }
}

export function fromRow(columns: Record<string, Kind>, row: Row, dialect: Dialect): Row {
  const record: Row = {};
  for (const [name, kind] of Object.entries(columns)) record[name] = fromColumn(kind, row[name], dialect);
  return record;
}

/** `?` placeholders to Postgres's `$1, $2, …` (no statement here has a literal `?`). */
export function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

function checkLimit(limit: number, offset: number | undefined): void {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError("limit must be a positive integer");
  if (offset !== undefined && (!Number.isInteger(offset) || offset < 0)) {
    throw new RangeError("offset must be a non-negative integer");
  }
}

export abstract class SqlStore implements Store {
  abstract readonly migrationsApplied: number;
  protected abstract readonly dialect: Dialect;
  protected abstract query(sql: string, params: readonly unknown[]): Promise<Row[]>;
  /** Resolves with the number of rows changed. */
  protected abstract execute(sql: string, params: readonly unknown[]): Promise<number>;
  protected abstract isUniqueViolation(error: unknown): boolean;
  abstract recordSpend(records: readonly SpendRecord[]): Promise<void>;
  abstract close(): Promise<void>;

  protected spendParams(record: SpendRecord): unknown[] {
    return spendRow(record, this.dialect);
  }

  private async create(spec: TableSpec, input: Row): Promise<Row> {
    const now = Date.now();
    const row: Row = { ...spec.defaults, created_at: now, updated_at: now };
    // A field given as undefined is left out, as the types say: it takes its default.
    for (const [name, value] of Object.entries(input)) if (value !== undefined) row[name] = value;
    row.spend = 0; // spend starts at zero; only recordSpend adds to it
    const names = Object.keys(spec.columns);
    const params = names.map((name) => toParam(spec.columns[name] ?? "text", row[name], this.dialect));
    const sql = `INSERT INTO ${spec.table} (${names.join(", ")}) VALUES (${names.map(() => "?").join(", ")}) RETURNING *`;
    try {
      const rows = await this.query(sql, params);
      return fromRow(spec.columns, rows[0] ?? {}, this.dialect);
    } catch (error) {
      if (this.isUniqueViolation(error)) throw new StoreConflictError(spec.entity, String(input[spec.id]));
      throw error;
    }
  }

  private async get(spec: TableSpec, id: string): Promise<Row | undefined> {
    const rows = await this.query(`SELECT * FROM ${spec.table} WHERE ${spec.id} = ?`, [id]);
    return rows[0] === undefined ? undefined : fromRow(spec.columns, rows[0], this.dialect);
  }

  private async update(spec: TableSpec, id: string, patch: Row): Promise<Row | undefined> {
    const sets: string[] = [];
    const params: unknown[] = [];
    for (const [name, value] of Object.entries(patch)) {
      const kind = spec.columns[name];
      // Unknown fields and stamps are ignored rather than spliced into SQL.
      if (kind === undefined || value === undefined || name === "created_at" || name === "updated_at") continue;
      sets.push(`${name} = ?`);
      params.push(toParam(kind, value, this.dialect));
    }
    sets.push("updated_at = ?");
    params.push(Date.now(), id);
    try {
      const rows = await this.query(
        `UPDATE ${spec.table} SET ${sets.join(", ")} WHERE ${spec.id} = ? RETURNING *`,
        params,
      );
      return rows[0] === undefined ? undefined : fromRow(spec.columns, rows[0], this.dialect);
    } catch (error) {
      if (this.isUniqueViolation(error)) throw new StoreConflictError(spec.entity, id);
      throw error;
    }
  }

  private async remove(spec: TableSpec, id: string): Promise<boolean> {
    return (await this.execute(`DELETE FROM ${spec.table} WHERE ${spec.id} = ?`, [id])) > 0;
  }

  private async list(spec: TableSpec, options: ListOptions, filters: Row = {}): Promise<Page<Row>> {
    checkLimit(options.limit, options.offset);
    const where: string[] = [];
    const params: unknown[] = [];
    for (const [name, value] of Object.entries(filters)) {
      if (value === undefined) continue;
      where.push(`${name} = ?`);
      params.push(value);
    }
    if (options.cursor !== undefined) {
      where.push(`${spec.id} > ?`);
      params.push(options.cursor);
    }
    // One row more than asked says whether there is a next page.
    params.push(options.limit + 1, options.cursor === undefined ? (options.offset ?? 0) : 0);
    const sql = `SELECT * FROM ${spec.table}${where.length > 0 ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY ${spec.id} LIMIT ? OFFSET ?`;
    const rows = await this.query(sql, params);
    const more = rows.length > options.limit;
    const data = rows.slice(0, options.limit).map((row) => fromRow(spec.columns, row, this.dialect));
    const last = data[data.length - 1];
    return { data, next_cursor: more && last !== undefined ? String(last[spec.id]) : null };
  }

  async resetBudget(entity: "key" | "user" | "team", id: string, from: number, to: number): Promise<boolean> {
    const spec = { key: KEYS, user: USERS, team: TEAMS }[entity];
    const changed = await this.execute(
      `UPDATE ${spec.table} SET spend = 0, budget_reset_at = ?, updated_at = ? WHERE ${spec.id} = ? AND budget_reset_at = ?`,
      [to, Date.now(), id, from],
    );
    return changed > 0;
  }

  createKey(key: NewKey): Promise<KeyRecord> {
    return this.create(KEYS, { ...key }) as Promise<unknown> as Promise<KeyRecord>;
  }
  getKey(token_hash: string): Promise<KeyRecord | undefined> {
    return this.get(KEYS, token_hash) as Promise<unknown> as Promise<KeyRecord | undefined>;
  }
  updateKey(token_hash: string, patch: KeyPatch): Promise<KeyRecord | undefined> {
    return this.update(KEYS, token_hash, { ...patch }) as Promise<unknown> as Promise<KeyRecord | undefined>;
  }
  deleteKey(token_hash: string): Promise<boolean> {
    return this.remove(KEYS, token_hash);
  }
  listKeys(options: KeyListOptions): Promise<Page<KeyRecord>> {
    const filters = { user_id: options.user_id, team_id: options.team_id };
    return this.list(KEYS, options, filters) as Promise<unknown> as Promise<Page<KeyRecord>>;
  }

  createUser(user: NewUser): Promise<UserRecord> {
    return this.create(USERS, { ...user }) as Promise<unknown> as Promise<UserRecord>;
  }
  getUser(user_id: string): Promise<UserRecord | undefined> {
    return this.get(USERS, user_id) as Promise<unknown> as Promise<UserRecord | undefined>;
  }
  updateUser(user_id: string, patch: UserPatch): Promise<UserRecord | undefined> {
    return this.update(USERS, user_id, { ...patch }) as Promise<unknown> as Promise<UserRecord | undefined>;
  }
  deleteUser(user_id: string): Promise<boolean> {
    return this.remove(USERS, user_id);
  }
  listUsers(options: ListOptions): Promise<Page<UserRecord>> {
    return this.list(USERS, options) as Promise<unknown> as Promise<Page<UserRecord>>;
  }

  createTeam(team: NewTeam): Promise<TeamRecord> {
    return this.create(TEAMS, { ...team }) as Promise<unknown> as Promise<TeamRecord>;
  }
  getTeam(team_id: string): Promise<TeamRecord | undefined> {
    return this.get(TEAMS, team_id) as Promise<unknown> as Promise<TeamRecord | undefined>;
  }
  updateTeam(team_id: string, patch: TeamPatch): Promise<TeamRecord | undefined> {
    return this.update(TEAMS, team_id, { ...patch }) as Promise<unknown> as Promise<TeamRecord | undefined>;
  }
  deleteTeam(team_id: string): Promise<boolean> {
    return this.remove(TEAMS, team_id);
  }
  listTeams(options: ListOptions): Promise<Page<TeamRecord>> {
    return this.list(TEAMS, options) as Promise<unknown> as Promise<Page<TeamRecord>>;
  }

  async saveResponse(record: ResponseRecord): Promise<void> {
    const names = Object.keys(RESPONSE_COLUMNS) as (keyof ResponseRecord)[];
    const params = names.map((name) => toParam(RESPONSE_COLUMNS[name], record[name], this.dialect));
    const updates = names.filter((name) => name !== "id").map((name) => `${name} = excluded.${name}`);
    await this.execute(
      `INSERT INTO responses (${names.join(", ")}) VALUES (${names.map(() => "?").join(", ")}) ON CONFLICT (id) DO UPDATE SET ${updates.join(", ")}`,
      params,
    );
  }

  async getResponse(id: string): Promise<ResponseRecord | undefined> {
    const rows = await this.query("SELECT * FROM responses WHERE id = ?", [id]);
    return rows[0] === undefined
      ? undefined
      : (fromRow(RESPONSE_COLUMNS, rows[0], this.dialect) as unknown as ResponseRecord);
  }

  async deleteResponse(id: string): Promise<boolean> {
    return (await this.execute("DELETE FROM responses WHERE id = ?", [id])) > 0;
  }

  async spendLogs(filter: SpendLogFilter): Promise<SpendRecord[]> {
    checkLimit(filter.limit, filter.offset);
    const where: string[] = [];
    const params: unknown[] = [];
    for (const name of ["key_hash", "user_id", "team_id"] as const) {
      const value = filter[name];
      if (value === undefined) continue;
      where.push(`${name} = ?`);
      params.push(value);
    }
    if (filter.from !== undefined) {
      where.push("start_time >= ?");
      params.push(filter.from);
    }
    if (filter.to !== undefined) {
      where.push("start_time < ?");
      params.push(filter.to);
    }
    params.push(filter.limit, filter.offset ?? 0);
    const sql = `SELECT * FROM spend_logs${where.length > 0 ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY start_time, request_id LIMIT ? OFFSET ?`;
    const rows = await this.query(sql, params);
    return rows.map((row) => fromRow(SPEND_COLUMNS, row, this.dialect) as unknown as SpendRecord);
  }
}

/**
 * The spend each owner gets from the logs actually inserted, sorted by owner so concurrent
 * writers (two proxies on one Postgres) take row locks in the same order and cannot deadlock.
 */
/** A spend record's values in SPEND_COLUMNS order, as `dialect` stores them. */
export function spendRow(record: SpendRecord, dialect: Dialect): unknown[] {
  return Object.entries(SPEND_COLUMNS).map(([name, kind]) => toParam(kind, record[name as keyof SpendRecord], dialect));
}

export function spendTotals(inserted: readonly Pick<SpendRecord, "key_hash" | "user_id" | "team_id" | "cost">[]): {
  keys: [string, number][];
  users: [string, number][];
  teams: [string, number][];
} {
  const keys = new Map<string, number>();
  const users = new Map<string, number>();
  const teams = new Map<string, number>();
  const add = (map: Map<string, number>, id: string | null, cost: number): void => {
    if (id !== null) map.set(id, (map.get(id) ?? 0) + cost);
  };
  for (const record of inserted) {
    add(keys, record.key_hash, record.cost);
    add(users, record.user_id, record.cost);
    add(teams, record.team_id, record.cost);
  }
  const sorted = (map: Map<string, number>): [string, number][] =>
    [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return { keys: sorted(keys), users: sorted(users), teams: sorted(teams) };
}
