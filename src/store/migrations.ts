/**
 * Versioned schema migrations for both stores. Each migration is an ordered list of SQL
 * statements per dialect; `schema_version` records which versions are applied. At open,
 * a store applies the versions it has not seen inside a transaction together with their
 * schema_version rows (SQLite: one transaction per version; Postgres: all pending versions
 * in one, under an advisory lock so instances starting together do not race), so a crash
 * mid-migration leaves the previous version intact and re-opening is a no-op.
 *
 * Never edit a released migration: add a new version. Versions are dense from 1.
 */

export type Dialect = "sqlite" | "postgres";

export interface Migration {
  version: number;
  name: string;
  sqlite: readonly string[];
  postgres: readonly string[];
}

export const SCHEMA_VERSION_TABLE = "schema_version";

/** Created before anything else; the same statement in both dialects. */
export const CREATE_SCHEMA_VERSION = `CREATE TABLE IF NOT EXISTS ${SCHEMA_VERSION_TABLE} (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at BIGINT NOT NULL
)`;

/** Column types per dialect, so one table definition serves both. */
const TYPES: Record<
  Dialect,
  Record<"money" | "int" | "bool" | "json" | "false" | "emptyArray" | "emptyObject", string>
> = {
  sqlite: {
    money: "REAL",
    int: "INTEGER",
    bool: "INTEGER",
    json: "TEXT",
    false: "0",
    emptyArray: "'[]'",
    emptyObject: "'{}'",
  },
  postgres: {
    money: "DOUBLE PRECISION",
    int: "BIGINT",
    bool: "BOOLEAN",
    json: "JSONB",
    false: "FALSE",
    emptyArray: "'[]'::jsonb",
    emptyObject: "'{}'::jsonb",
  },
};

function initial(dialect: Dialect): string[] {
  const t = TYPES[dialect];
  return [
    `CREATE TABLE api_keys (
      token_hash TEXT PRIMARY KEY,
      key_alias TEXT,
      user_id TEXT,
      team_id TEXT,
      models ${t.json} NOT NULL DEFAULT ${t.emptyArray},
      max_budget ${t.money},
      budget_duration TEXT,
      budget_reset_at ${t.int},
      rpm_limit ${t.int},
      tpm_limit ${t.int},
      max_parallel_requests ${t.int},
      expires_at ${t.int},
      blocked ${t.bool} NOT NULL DEFAULT ${t.false},
      metadata ${t.json} NOT NULL DEFAULT ${t.emptyObject},
      spend ${t.money} NOT NULL DEFAULT 0,
      created_at ${t.int} NOT NULL,
      updated_at ${t.int} NOT NULL
    )`,
    "CREATE INDEX api_keys_user_id ON api_keys (user_id)",
    "CREATE INDEX api_keys_team_id ON api_keys (team_id)",
    `CREATE TABLE users (
      user_id TEXT PRIMARY KEY,
      max_budget ${t.money},
      spend ${t.money} NOT NULL DEFAULT 0,
      budget_duration TEXT,
      budget_reset_at ${t.int},
      models ${t.json} NOT NULL DEFAULT ${t.emptyArray},
      metadata ${t.json} NOT NULL DEFAULT ${t.emptyObject},
      created_at ${t.int} NOT NULL,
      updated_at ${t.int} NOT NULL
    )`,
    `CREATE TABLE teams (
      team_id TEXT PRIMARY KEY,
      team_alias TEXT,
      max_budget ${t.money},
      spend ${t.money} NOT NULL DEFAULT 0,
      models ${t.json} NOT NULL DEFAULT ${t.emptyArray},
      budget_duration TEXT,
      budget_reset_at ${t.int},
      metadata ${t.json} NOT NULL DEFAULT ${t.emptyObject},
      created_at ${t.int} NOT NULL,
      updated_at ${t.int} NOT NULL
    )`,
    `CREATE TABLE spend_logs (
      request_id TEXT PRIMARY KEY,
      key_hash TEXT NOT NULL,
      user_id TEXT,
      team_id TEXT,
      model_group TEXT NOT NULL,
      deployment_id TEXT,
      prompt_tokens ${t.int} NOT NULL,
      completion_tokens ${t.int} NOT NULL,
      cost ${t.money} NOT NULL,
      status TEXT NOT NULL,
      start_time ${t.int} NOT NULL,
      end_time ${t.int} NOT NULL,
      cache_hit ${t.bool} NOT NULL
    )`,
    // /spend/logs filters by one of key, user or team over a time range.
    "CREATE INDEX spend_logs_key_time ON spend_logs (key_hash, start_time)",
    "CREATE INDEX spend_logs_user_time ON spend_logs (user_id, start_time)",
    "CREATE INDEX spend_logs_team_time ON spend_logs (team_id, start_time)",
    "CREATE INDEX spend_logs_time ON spend_logs (start_time)",
  ];
}

/**
 * The masked form of each key (sk-...abcd), so a listing names keys a person can recognise;
 * and the hash a regenerated key had before, so spend of requests still running under it
 * lands on the key's row.
 */
const KEY_NAMES = [
  "ALTER TABLE api_keys ADD COLUMN key_name TEXT",
  "ALTER TABLE api_keys ADD COLUMN previous_token_hash TEXT",
  "CREATE INDEX api_keys_previous_token_hash ON api_keys (previous_token_hash)",
];

/** Each request's tags and metadata, as LiteLLM's spend logs keep them (`request_tags`, `metadata`). */
function spendLabels(dialect: Dialect): string[] {
  const t = TYPES[dialect];
  return [
    `ALTER TABLE spend_logs ADD COLUMN request_tags ${t.json} NOT NULL DEFAULT ${t.emptyArray}`,
    `ALTER TABLE spend_logs ADD COLUMN metadata ${t.json} NOT NULL DEFAULT ${t.emptyObject}`,
  ];
}

/**
 * Deployments added through POST /model/new (general_settings.store_model_in_db), as sent:
 * `os.environ/` references are kept and resolved by each instance when it loads them.
 */
function proxyModels(dialect: Dialect): string[] {
  const t = TYPES[dialect];
  return [
    `CREATE TABLE proxy_models (
      model_id TEXT PRIMARY KEY,
      model_name TEXT NOT NULL,
      litellm_params ${t.json} NOT NULL,
      model_info ${t.json} NOT NULL DEFAULT ${t.emptyObject},
      created_at ${t.int} NOT NULL,
      updated_at ${t.int} NOT NULL
    )`,
  ];
}

/**
 * Responses API conversations kept for `previous_response_id`, GET and DELETE: who made each
 * (its key's hash; only that key may read it), the model group, the deployment that answered
 * natively (null when bridged through chat), the input items it continued from (earlier turns
 * included) and its output items, and the rest of the response object.
 */
function responses(dialect: Dialect): string[] {
  const t = TYPES[dialect];
  return [
    `CREATE TABLE responses (
      id TEXT PRIMARY KEY,
      key_hash TEXT NOT NULL,
      model TEXT NOT NULL,
      deployment_id TEXT,
      input ${t.json} NOT NULL,
      output ${t.json} NOT NULL,
      response ${t.json} NOT NULL,
      created_at ${t.int} NOT NULL
    )`,
  ];
}

/**
 * Teams' members, blocked teams, users' email/alias/role and limits as LiteLLM shows them,
 * end users (customers) with their own spend, shared budgets, and the end user on each spend log.
 */
function organisation(dialect: Dialect): string[] {
  const t = TYPES[dialect];
  return [
    `ALTER TABLE teams ADD COLUMN blocked ${t.bool} NOT NULL DEFAULT ${t.false}`,
    `ALTER TABLE teams ADD COLUMN tpm_limit ${t.int}`,
    `ALTER TABLE teams ADD COLUMN rpm_limit ${t.int}`,
    `ALTER TABLE teams ADD COLUMN max_parallel_requests ${t.int}`,
    "ALTER TABLE users ADD COLUMN user_email TEXT",
    "ALTER TABLE users ADD COLUMN user_alias TEXT",
    "ALTER TABLE users ADD COLUMN user_role TEXT",
    `ALTER TABLE users ADD COLUMN tpm_limit ${t.int}`,
    `ALTER TABLE users ADD COLUMN rpm_limit ${t.int}`,
    `ALTER TABLE users ADD COLUMN max_parallel_requests ${t.int}`,
    "CREATE INDEX users_user_email ON users (user_email)",
    `CREATE TABLE team_members (
      team_id TEXT NOT NULL,
      user_id TEXT NOT NULL,
      user_email TEXT,
      role TEXT NOT NULL,
      created_at ${t.int} NOT NULL,
      PRIMARY KEY (team_id, user_id)
    )`,
    "CREATE INDEX team_members_user_id ON team_members (user_id)",
    `CREATE TABLE budgets (
      budget_id TEXT PRIMARY KEY,
      max_budget ${t.money},
      soft_budget ${t.money},
      max_parallel_requests ${t.int},
      tpm_limit ${t.int},
      rpm_limit ${t.int},
      budget_duration TEXT,
      model_max_budget ${t.json},
      created_at ${t.int} NOT NULL,
      updated_at ${t.int} NOT NULL
    )`,
    `CREATE TABLE customers (
      user_id TEXT PRIMARY KEY,
      alias TEXT,
      blocked ${t.bool} NOT NULL DEFAULT ${t.false},
      spend ${t.money} NOT NULL DEFAULT 0,
      budget_id TEXT,
      budget_reset_at ${t.int},
      allowed_model_region TEXT,
      default_model TEXT,
      metadata ${t.json} NOT NULL DEFAULT ${t.emptyObject},
      created_at ${t.int} NOT NULL,
      updated_at ${t.int} NOT NULL
    )`,
    "CREATE INDEX customers_budget_id ON customers (budget_id)",
    "ALTER TABLE spend_logs ADD COLUMN end_user TEXT",
  ];
}

/**
 * The admin UI's logs page filters by model over a time range, newest first: without this
 * index that reads every log of the range to find one model's.
 */
const SPEND_MODEL_TIME = ["CREATE INDEX spend_logs_model_time ON spend_logs (model_group, start_time)"];

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: "keys, users, teams, spend logs", sqlite: initial("sqlite"), postgres: initial("postgres") },
  { version: 2, name: "key names, previous key hashes", sqlite: KEY_NAMES, postgres: KEY_NAMES },
  { version: 3, name: "spend log tags and metadata", sqlite: spendLabels("sqlite"), postgres: spendLabels("postgres") },
  { version: 4, name: "responses", sqlite: responses("sqlite"), postgres: responses("postgres") },
  {
    version: 5,
    name: "models stored in the database",
    sqlite: proxyModels("sqlite"),
    postgres: proxyModels("postgres"),
  },
  {
    version: 6,
    name: "team members, blocked teams, customers, budgets",
    sqlite: organisation("sqlite"),
    postgres: organisation("postgres"),
  },
  { version: 7, name: "spend logs by model and time", sqlite: SPEND_MODEL_TIME, postgres: SPEND_MODEL_TIME },
];

/** The migrations after `current`, in order. */
export function pendingMigrations(current: number, migrations: readonly Migration[] = MIGRATIONS): Migration[] {
  return migrations.filter((migration) => migration.version > current).sort((a, b) => a.version - b.version);
}
