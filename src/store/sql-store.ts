/**
 * What the SQLite and Postgres stores share: the tables' columns, turning records into
 * parameters and rows back into records, and the CRUD, list and spend-log queries, written
 * once with `?` placeholders. Each store supplies `query`/`execute` and its own
 * transactional `recordSpend` (SQLite's must be synchronous, Postgres's holds one client).
 */
import {
  type BudgetHolder,
  type BudgetPatch,
  type BudgetRecord,
  type CustomerPatch,
  type CustomerRecord,
  type KeyListOptions,
  type KeyPatch,
  type KeyRecord,
  type ListOptions,
  type ModelPatch,
  type ModelRecord,
  type NewModel,
  type NewBudget,
  type NewCustomer,
  type NewKey,
  type NewTeam,
  type NewUser,
  type Page,
  type ResponseRecord,
  type SpendLogFilter,
  type SpendLogPageQuery,
  type SpendLogRow,
  type SpendQuery,
  type SpendRecord,
  type SpendSummaryQuery,
  type SpendSummaryRow,
  type Store,
  SPEND_BUCKET_MS,
  StoreConflictError,
  type TeamMemberRecord,
  type TeamPatch,
  type TeamRecord,
  type UserFilter,
  type UserPatch,
  type UserRecord,
} from "./types.js";
import type { Dialect } from "./migrations.js";

export type Kind = "text" | "money" | "int" | "bool" | "json";
export type Row = Record<string, unknown>;

interface TableSpec {
  table: string;
  entity: StoreConflictError["entity"];
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
    user_email: "text",
    user_alias: "text",
    user_role: "text",
    max_budget: "money",
    spend: "money",
    budget_duration: "text",
    budget_reset_at: "int",
    models: "json",
    tpm_limit: "int",
    rpm_limit: "int",
    max_parallel_requests: "int",
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
    blocked: "bool",
    tpm_limit: "int",
    rpm_limit: "int",
    max_parallel_requests: "int",
    metadata: "json",
    created_at: "int",
    updated_at: "int",
  },
  defaults: { ...RECORD_DEFAULTS, blocked: false },
};

export const CUSTOMERS: TableSpec = {
  table: "customers",
  entity: "customer",
  id: "user_id",
  columns: {
    user_id: "text",
    alias: "text",
    blocked: "bool",
    spend: "money",
    budget_id: "text",
    budget_reset_at: "int",
    allowed_model_region: "text",
    default_model: "text",
    metadata: "json",
    created_at: "int",
    updated_at: "int",
  },
  defaults: { metadata: {}, spend: 0, blocked: false },
};

export const BUDGETS: TableSpec = {
  table: "budgets",
  entity: "budget",
  id: "budget_id",
  columns: {
    budget_id: "text",
    max_budget: "money",
    soft_budget: "money",
    max_parallel_requests: "int",
    tpm_limit: "int",
    rpm_limit: "int",
    budget_duration: "text",
    model_max_budget: "json",
    created_at: "int",
    updated_at: "int",
  },
  defaults: {},
};

const MEMBER_COLUMNS: Record<keyof TeamMemberRecord, Kind> = {
  team_id: "text",
  user_id: "text",
  user_email: "text",
  role: "text",
  created_at: "int",
};

export const MODELS: TableSpec = {
  table: "proxy_models",
  entity: "model",
  id: "model_id",
  columns: {
    model_id: "text",
    model_name: "text",
    litellm_params: "json",
    model_info: "json",
    created_at: "int",
    updated_at: "int",
  },
  defaults: { model_info: {} },
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
  end_user: "text",
  request_tags: "json",
  metadata: "json",
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

/**
 * Adds an end user's spend, creating its row when there is none (LiteLLM's end-user table
 * fills itself from the requests' `user`). The same statement in both dialects; the cost
 * is given twice, for the insert and for the update.
 */
export const ADD_CUSTOMER_SPEND = `INSERT INTO customers (user_id, spend, created_at, updated_at) VALUES (?, ?, ?, ?)
  ON CONFLICT (user_id) DO UPDATE SET spend = customers.spend + ?`;

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
    // Spend starts at zero; only recordSpend adds to it (budgets have no spend of their own).
    if ("spend" in spec.columns) row.spend = 0;
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

  private async list(
    spec: TableSpec,
    options: ListOptions,
    filters: Row = {},
    contains?: { column: string; text: string },
  ): Promise<Page<Row>> {
    checkLimit(options.limit, options.offset);
    const where: string[] = [];
    const params: unknown[] = [];
    if (contains !== undefined) {
      // LIKE with the text's own % and _ escaped; ILIKE on Postgres, where LIKE is case-sensitive.
      where.push(`${contains.column} ${this.dialect === "postgres" ? "ILIKE" : "LIKE"} ? ESCAPE '\\'`);
      params.push(`%${contains.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    }
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

  async resetBudget(entity: BudgetHolder, id: string, from: number, to: number): Promise<boolean> {
    const spec = { key: KEYS, user: USERS, team: TEAMS, customer: CUSTOMERS }[entity];
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
    const filters = { user_id: options.user_id, team_id: options.team_id, key_alias: options.key_alias };
    const contains =
      options.alias_contains === undefined ? undefined : { column: "key_alias", text: options.alias_contains };
    return this.list(KEYS, options, filters, contains) as Promise<unknown> as Promise<Page<KeyRecord>>;
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

  createModel(model: NewModel): Promise<ModelRecord> {
    return this.create(MODELS, { ...model }) as Promise<unknown> as Promise<ModelRecord>;
  }
  getModel(model_id: string): Promise<ModelRecord | undefined> {
    return this.get(MODELS, model_id) as Promise<unknown> as Promise<ModelRecord | undefined>;
  }
  updateModel(model_id: string, patch: ModelPatch): Promise<ModelRecord | undefined> {
    return this.update(MODELS, model_id, { ...patch }) as Promise<unknown> as Promise<ModelRecord | undefined>;
  }
  deleteModel(model_id: string): Promise<boolean> {
    return this.remove(MODELS, model_id);
  }
  async listModels(): Promise<ModelRecord[]> {
    const rows = await this.query("SELECT * FROM proxy_models ORDER BY created_at, model_id", []);
    return rows.map((row) => fromRow(MODELS.columns, row, this.dialect) as unknown as ModelRecord);
  }

  async listTeamMembers(team_ids: readonly string[]): Promise<TeamMemberRecord[]> {
    if (team_ids.length === 0) return [];
    const rows = await this.query(
      `SELECT * FROM team_members WHERE team_id IN (${team_ids.map(() => "?").join(", ")}) ORDER BY team_id, user_id`,
      team_ids,
    );
    return rows.map((row) => fromRow(MEMBER_COLUMNS, row, this.dialect) as unknown as TeamMemberRecord);
  }

  async putTeamMember(member: Omit<TeamMemberRecord, "created_at">): Promise<TeamMemberRecord> {
    const rows = await this.query(
      `INSERT INTO team_members (team_id, user_id, user_email, role, created_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (team_id, user_id) DO UPDATE SET role = excluded.role, user_email = excluded.user_email RETURNING *`,
      [member.team_id, member.user_id, member.user_email, member.role, Date.now()],
    );
    return fromRow(MEMBER_COLUMNS, rows[0] ?? {}, this.dialect) as unknown as TeamMemberRecord;
  }

  async removeTeamMember(team_id: string, user_id: string): Promise<boolean> {
    return (await this.execute("DELETE FROM team_members WHERE team_id = ? AND user_id = ?", [team_id, user_id])) > 0;
  }

  async teamsOfUser(user_id: string): Promise<string[]> {
    const rows = await this.query("SELECT team_id FROM team_members WHERE user_id = ? ORDER BY team_id", [user_id]);
    return rows.map((row) => String(row.team_id));
  }

  deleteKeysOf(field: "user_id" | "team_id", id: string): Promise<number> {
    // `field` is one of two literals, never the client's text.
    return this.execute(`DELETE FROM api_keys WHERE ${field} = ?`, [id]);
  }

  async removeMembershipsOf(field: "user_id" | "team_id", id: string): Promise<void> {
    await this.execute(`DELETE FROM team_members WHERE ${field} = ?`, [id]);
  }

  async getUserByEmail(user_email: string): Promise<UserRecord | undefined> {
    const rows = await this.query("SELECT * FROM users WHERE user_email = ? ORDER BY user_id LIMIT 1", [user_email]);
    return rows[0] === undefined ? undefined : (fromRow(USERS.columns, rows[0], this.dialect) as unknown as UserRecord);
  }

  async findUsers(filter: UserFilter): Promise<{ data: UserRecord[]; total: number }> {
    checkLimit(filter.limit, filter.offset);
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.user_role !== undefined) {
      where.push("user_role = ?");
      params.push(filter.user_role);
    }
    if (filter.user_ids !== undefined && filter.user_ids.length > 0) {
      where.push(`user_id IN (${filter.user_ids.map(() => "?").join(", ")})`);
      params.push(...filter.user_ids);
    }
    if (filter.user_email !== undefined) {
      // LIKE's wildcards in the client's text are matched literally.
      where.push("LOWER(user_email) LIKE ? ESCAPE '\\'");
      params.push(`%${filter.user_email.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    }
    if (filter.team_id !== undefined) {
      where.push("user_id IN (SELECT user_id FROM team_members WHERE team_id = ?)");
      params.push(filter.team_id);
    }
    const clause = where.length > 0 ? ` WHERE ${where.join(" AND ")}` : "";
    const [count] = await this.query(`SELECT COUNT(*) AS n FROM users${clause}`, params);
    const rows = await this.query(`SELECT * FROM users${clause} ORDER BY user_id LIMIT ? OFFSET ?`, [
      ...params,
      filter.limit,
      filter.offset,
    ]);
    return {
      data: rows.map((row) => fromRow(USERS.columns, row, this.dialect) as unknown as UserRecord),
      total: Number(count?.n ?? 0),
    };
  }

  createCustomer(customer: NewCustomer): Promise<CustomerRecord> {
    return this.create(CUSTOMERS, { ...customer }) as Promise<unknown> as Promise<CustomerRecord>;
  }
  getCustomer(user_id: string): Promise<CustomerRecord | undefined> {
    return this.get(CUSTOMERS, user_id) as Promise<unknown> as Promise<CustomerRecord | undefined>;
  }
  updateCustomer(user_id: string, patch: CustomerPatch): Promise<CustomerRecord | undefined> {
    return this.update(CUSTOMERS, user_id, { ...patch }) as Promise<unknown> as Promise<CustomerRecord | undefined>;
  }
  deleteCustomer(user_id: string): Promise<boolean> {
    return this.remove(CUSTOMERS, user_id);
  }
  listCustomers(options: ListOptions): Promise<Page<CustomerRecord>> {
    return this.list(CUSTOMERS, options) as Promise<unknown> as Promise<Page<CustomerRecord>>;
  }

  createBudget(budget: NewBudget): Promise<BudgetRecord> {
    return this.create(BUDGETS, { ...budget }) as Promise<unknown> as Promise<BudgetRecord>;
  }
  getBudget(budget_id: string): Promise<BudgetRecord | undefined> {
    return this.get(BUDGETS, budget_id) as Promise<unknown> as Promise<BudgetRecord | undefined>;
  }
  updateBudget(budget_id: string, patch: BudgetPatch): Promise<BudgetRecord | undefined> {
    return this.update(BUDGETS, budget_id, { ...patch }) as Promise<unknown> as Promise<BudgetRecord | undefined>;
  }
  deleteBudget(budget_id: string): Promise<boolean> {
    return this.remove(BUDGETS, budget_id);
  }
  listBudgets(options: ListOptions): Promise<Page<BudgetRecord>> {
    return this.list(BUDGETS, options) as Promise<unknown> as Promise<Page<BudgetRecord>>;
  }

  async ping(): Promise<void> {
    await this.query("SELECT 1", []);
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
    for (const name of ["key_hash", "user_id", "team_id", "request_id"] as const) {
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

  async spendLogPage(query: SpendLogPageQuery): Promise<{ data: SpendLogRow[]; total: number }> {
    checkLimit(query.limit, query.offset);
    const { clause, params } = spendWhere(query);
    const [count] = await this.query(`SELECT COUNT(*) AS n FROM spend_logs s${clause}`, params);
    // Newest first: the (…, start_time) indexes are read backwards and stop after the page.
    const rows = await this.query(
      `SELECT s.*, k.key_alias AS key_alias FROM spend_logs s LEFT JOIN api_keys k ON k.token_hash = s.key_hash${clause}
       ORDER BY s.start_time DESC, s.request_id DESC LIMIT ? OFFSET ?`,
      [...params, query.limit, query.offset],
    );
    return {
      data: rows.map(
        (row) =>
          ({
            ...fromRow(SPEND_COLUMNS, row, this.dialect),
            key_alias: fromColumn("text", row.key_alias, this.dialect),
          }) as unknown as SpendLogRow,
      ),
      total: Number(count?.n ?? 0),
    };
  }

  async spendSummary(query: SpendSummaryQuery): Promise<SpendSummaryRow[]> {
    if (query.limit !== undefined) checkLimit(query.limit, undefined);
    const { clause, params } = spendWhere(query);
    const group = SUMMARY_GROUPS[query.group_by];
    // Epoch ms divided as integers in both dialects: the start of the UTC hour or day.
    const size = query.bucket === undefined ? undefined : SPEND_BUCKET_MS[query.bucket];
    const bucket = size === undefined ? "CAST(NULL AS BIGINT)" : `(s.start_time / ${size}) * ${size}`;
    const limit = query.limit === undefined ? "" : " LIMIT ?";
    // Totalled first, then joined: one lookup of the alias per group, not per log.
    const rows = await this.query(
      `SELECT g.*, ${group.joined} FROM (
         SELECT ${bucket} AS bucket, s.${group.column} AS id, SUM(s.cost) AS total_spend, COUNT(*) AS total_requests,
           SUM(s.prompt_tokens) AS prompt_tokens, SUM(s.completion_tokens) AS completion_tokens,
           SUM(CASE WHEN s.status = 'failure' THEN 1 ELSE 0 END) AS failed_requests
         FROM spend_logs s${clause} GROUP BY ${size === undefined ? "2" : "1, 2"}
       ) g${group.join}
       ORDER BY g.bucket, g.total_spend DESC, COALESCE(g.id, '')${limit}`,
      query.limit === undefined ? params : [...params, query.limit],
    );
    const text = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));
    return rows.map((row) => ({
      bucket: row.bucket === null ? null : Number(row.bucket),
      id: text(row.id),
      alias: text(row.alias),
      key_name: text(row.key_name),
      team_id: text(row.key_team_id),
      // pg returns SUM and COUNT of integers as strings (numeric, bigint).
      total_spend: Number(row.total_spend),
      total_requests: Number(row.total_requests),
      prompt_tokens: Number(row.prompt_tokens),
      completion_tokens: Number(row.completion_tokens),
      failed_requests: Number(row.failed_requests),
    }));
  }
}

/** Per group: the spend log column totalled by, and the row its alias comes from. */
const SUMMARY_GROUPS = {
  key: {
    column: "key_hash",
    join: " LEFT JOIN api_keys k ON k.token_hash = g.id",
    joined: "k.key_alias AS alias, k.key_name AS key_name, k.team_id AS key_team_id",
  },
  team: {
    column: "team_id",
    join: " LEFT JOIN teams t ON t.team_id = g.id",
    joined: "t.team_alias AS alias, NULL AS key_name, NULL AS key_team_id",
  },
  model: { column: "model_group", join: "", joined: "NULL AS alias, NULL AS key_name, NULL AS key_team_id" },
} as const;

/** The WHERE clause of a spend query over `spend_logs s`; the column names are fixed here, never the client's. */
function spendWhere(query: SpendQuery): { clause: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  const equal = {
    key_hash: query.key_hash,
    user_id: query.user_id,
    team_id: query.team_id,
    model_group: query.model_group,
    status: query.status,
    request_id: query.request_id,
    end_user: query.end_user,
  };
  for (const [column, value] of Object.entries(equal)) {
    if (value === undefined) continue;
    where.push(`s.${column} = ?`);
    params.push(value);
  }
  if (query.key_alias !== undefined) {
    // The logs keep the key's hash, not its alias: the alias is the key's row's, as the page shows it.
    where.push("s.key_hash IN (SELECT token_hash FROM api_keys WHERE key_alias = ?)");
    params.push(query.key_alias);
  }
  if (query.from !== undefined) {
    where.push("s.start_time >= ?");
    params.push(query.from);
  }
  if (query.to !== undefined) {
    where.push("s.start_time < ?");
    params.push(query.to);
  }
  return { clause: where.length > 0 ? ` WHERE ${where.join(" AND ")}` : "", params };
}

/** A spend record's values in SPEND_COLUMNS order, as `dialect` stores them. */
export function spendRow(record: SpendRecord, dialect: Dialect): unknown[] {
  return Object.entries(SPEND_COLUMNS).map(([name, kind]) => toParam(kind, record[name as keyof SpendRecord], dialect));
}

/**
 * The spend each owner gets from the logs actually inserted, sorted by owner so concurrent
 * writers (two proxies on one Postgres) take row locks in the same order and cannot deadlock.
 */
export function spendTotals(
  inserted: readonly Pick<SpendRecord, "key_hash" | "user_id" | "team_id" | "cost" | "end_user">[],
): {
  keys: [string, number][];
  users: [string, number][];
  teams: [string, number][];
  customers: [string, number][];
} {
  const keys = new Map<string, number>();
  const users = new Map<string, number>();
  const teams = new Map<string, number>();
  const customers = new Map<string, number>();
  const add = (map: Map<string, number>, id: string | null, cost: number): void => {
    if (id !== null) map.set(id, (map.get(id) ?? 0) + cost);
  };
  for (const record of inserted) {
    add(keys, record.key_hash, record.cost);
    add(users, record.user_id, record.cost);
    add(teams, record.team_id, record.cost);
    add(customers, record.end_user, record.cost);
  }
  const sorted = (map: Map<string, number>): [string, number][] =>
    [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return { keys: sorted(keys), users: sorted(users), teams: sorted(teams), customers: sorted(customers) };
}
