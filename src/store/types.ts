/**
 * What the gateway keeps in a database: virtual keys, users, teams (each with a budget and
 * a running spend total) and one spend log per request. One small interface, two
 * implementations: embedded SQLite (the default; nothing to run) and Postgres (several
 * proxy instances sharing one database). Both pass the same test suite.
 *
 * Field names are snake_case, as LiteLLM's API spells them, so the key/user/team routes can
 * pass records through without renaming. Times are epoch milliseconds; money is in USD.
 *
 * A key is stored only by `token_hash` (the SHA-256 hex of the plaintext key): the
 * plaintext is shown once at generation and never reaches the store.
 */

/** A JSON value, as `metadata` holds. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export type JsonObject = { [key: string]: Json };

export interface KeyRecord {
  /** SHA-256 hex of the plaintext key: the primary key. */
  token_hash: string;
  /** The key's masked form, "sk-...abcd": recognisable, useless to whoever reads it. */
  key_name: string | null;
  /** The hash before the last regenerate: spend still arriving under it is added to this key. */
  previous_token_hash: string | null;
  key_alias: string | null;
  user_id: string | null;
  team_id: string | null;
  /** Models (or model groups) the key may call; empty means all. */
  models: string[];
  max_budget: number | null;
  /** Such as "30d"; null means the budget never resets. */
  budget_duration: string | null;
  budget_reset_at: number | null;
  rpm_limit: number | null;
  tpm_limit: number | null;
  max_parallel_requests: number | null;
  expires_at: number | null;
  blocked: boolean;
  metadata: JsonObject;
  /** USD spent since the last budget reset; only recordSpend (or a reset) changes it. */
  spend: number;
  created_at: number;
  updated_at: number;
}

export interface UserRecord {
  user_id: string;
  user_email: string | null;
  user_alias: string | null;
  /** LiteLLM's roles (proxy_admin, internal_user, ...): stored and shown; a key's rights do not depend on it. */
  user_role: string | null;
  max_budget: number | null;
  spend: number;
  budget_duration: string | null;
  budget_reset_at: number | null;
  models: string[];
  /** Stored and shown as LiteLLM's user rows have them; the limits enforced are the key's. */
  tpm_limit: number | null;
  rpm_limit: number | null;
  max_parallel_requests: number | null;
  metadata: JsonObject;
  created_at: number;
  updated_at: number;
}

export interface TeamRecord {
  team_id: string;
  team_alias: string | null;
  max_budget: number | null;
  spend: number;
  models: string[];
  budget_duration: string | null;
  budget_reset_at: number | null;
  /** A blocked team's keys are refused (401), as LiteLLM's /team/block does. */
  blocked: boolean;
  /** Stored and shown as LiteLLM's team rows have them; the limits enforced are the key's. */
  tpm_limit: number | null;
  rpm_limit: number | null;
  max_parallel_requests: number | null;
  metadata: JsonObject;
  created_at: number;
  updated_at: number;
}

/** One request's spend: written by the SpendWriter in batches, off the hot path. */
export interface SpendRecord {
  /** Unique per request: writing the same record twice counts it once. */
  request_id: string;
  key_hash: string;
  user_id: string | null;
  team_id: string | null;
  model_group: string;
  deployment_id: string | null;
  prompt_tokens: number;
  completion_tokens: number;
  cost: number;
  /** "success" or "failure" (LiteLLM's values); free text for the store. */
  status: string;
  start_time: number;
  end_time: number;
  cache_hit: boolean;
  /** The request body's `user` (LiteLLM's end user, a customer): charged when it has a row. */
  end_user: string | null;
  /** LiteLLM's `request_tags`: the request's tags merged with its key's and team's. */
  request_tags: string[];
  /** LiteLLM's spend log `metadata`: what the request's metadata said, secrets removed, bounded. */
  metadata: JsonObject;
}

/** What has a spend total and may have a budget window. */
export type BudgetHolder = "key" | "user" | "team" | "customer";

/** One member of a team, LiteLLM's `members_with_roles` entry. */
export interface TeamMemberRecord {
  team_id: string;
  user_id: string;
  user_email: string | null;
  /** "admin" or "user". */
  role: string;
  created_at: number;
}

/**
 * An end user (LiteLLM's customer): the `user` a completion request names. Its budget lives
 * in a budget row (`budget_id`); its spend and budget window are its own.
 */
export interface CustomerRecord {
  user_id: string;
  alias: string | null;
  blocked: boolean;
  spend: number;
  budget_id: string | null;
  budget_reset_at: number | null;
  /** Stored and shown; litegate routes no differently for them. */
  allowed_model_region: string | null;
  default_model: string | null;
  metadata: JsonObject;
  created_at: number;
  updated_at: number;
}

/** A shared budget (LiteLLM's budget table), which customers reference by id. */
export interface BudgetRecord {
  budget_id: string;
  max_budget: number | null;
  /** Stored and shown: LiteLLM only alerts on it. */
  soft_budget: number | null;
  max_parallel_requests: number | null;
  tpm_limit: number | null;
  rpm_limit: number | null;
  budget_duration: string | null;
  model_max_budget: JsonObject | null;
  created_at: number;
  updated_at: number;
}

export interface UserFilter {
  limit: number;
  offset: number;
  user_role?: string | undefined;
  user_ids?: readonly string[] | undefined;
  /** A part of the email, any case. */
  user_email?: string | undefined;
  /** Members of this team. */
  team_id?: string | undefined;
}

/** A Responses API response the gateway keeps (store: true), for previous_response_id, GET and DELETE. */
export interface ResponseRecord {
  /** The response's id (`resp_…`), as the client got it. */
  id: string;
  /** The hash of the key that made it (or "master_key", "no_key"): only that key may read it. */
  key_hash: string;
  /** The model group the client named. */
  model: string;
  /** The deployment that answered natively (OpenAI, Azure), which keeps its own copy; null when bridged. */
  deployment_id: string | null;
  /** The items the response answered: the earlier turns' items, then its own input. */
  input: Json[];
  output: Json[];
  /** The rest of the response object (its `output` is the column above). */
  response: JsonObject;
  created_at: number;
}

type Stamped = "spend" | "created_at" | "updated_at";

/** A new key: the hash is required; what is left out takes its default (null, [], {}, false). */
export type NewKey = Pick<KeyRecord, "token_hash"> & Partial<Omit<KeyRecord, "token_hash" | Stamped>>;
/**
 * Fields to change; `token_hash` changes the key itself (regenerate), `spend` is for budget
 * resets. `updated_at` is set by the store.
 */
export type KeyPatch = Partial<Omit<KeyRecord, "created_at" | "updated_at">>;

export type NewUser = Pick<UserRecord, "user_id"> & Partial<Omit<UserRecord, "user_id" | Stamped>>;
export type UserPatch = Partial<Omit<UserRecord, "user_id" | "created_at" | "updated_at">>;

export type NewTeam = Pick<TeamRecord, "team_id"> & Partial<Omit<TeamRecord, "team_id" | Stamped>>;
export type TeamPatch = Partial<Omit<TeamRecord, "team_id" | "created_at" | "updated_at">>;

export type NewCustomer = Pick<CustomerRecord, "user_id"> & Partial<Omit<CustomerRecord, "user_id" | Stamped>>;
export type CustomerPatch = Partial<Omit<CustomerRecord, "user_id" | "created_at" | "updated_at">>;

export type NewBudget = Pick<BudgetRecord, "budget_id"> & Partial<Omit<BudgetRecord, "budget_id" | Stamped>>;
export type BudgetPatch = Partial<Omit<BudgetRecord, "budget_id" | "created_at" | "updated_at">>;

/**
 * A deployment added through POST /model/new (general_settings.store_model_in_db). Its
 * litellm_params are kept as sent, `os.environ/NAME` references unresolved: each instance
 * resolves them from its own environment when it loads the model.
 */
export interface ModelRecord {
  /** The deployment's id (`model_info.id`). */
  model_id: string;
  model_name: string;
  litellm_params: JsonObject;
  /** Without the id, which is model_id. */
  model_info: JsonObject;
  created_at: number;
  updated_at: number;
}

export type NewModel = Omit<ModelRecord, "created_at" | "updated_at">;
export type ModelPatch = Partial<Pick<ModelRecord, "model_name" | "litellm_params" | "model_info">>;

/**
 * Pages are ordered by id. `cursor` (the previous page's `next_cursor`) is stable while rows
 * are added or removed; `offset` is there for LiteLLM's page-number style. With a cursor,
 * the offset is ignored.
 */
export interface ListOptions {
  limit: number;
  offset?: number | undefined;
  cursor?: string | undefined;
}

export interface KeyListOptions extends ListOptions {
  user_id?: string | undefined;
  team_id?: string | undefined;
  /** Exactly this alias (LiteLLM's `key_alias` filter). */
  key_alias?: string | undefined;
  /** Aliases containing this text, case-insensitively (the admin UI's search). */
  alias_contains?: string | undefined;
}

export interface Page<T> {
  data: T[];
  /** Pass as `cursor` for the next page; null on the last page. */
  next_cursor: string | null;
}

export interface SpendLogFilter {
  key_hash?: string | undefined;
  user_id?: string | undefined;
  team_id?: string | undefined;
  /** A request's call id (x-litellm-call-id). */
  request_id?: string | undefined;
  /** start_time >= from (epoch ms). */
  from?: number | undefined;
  /** start_time < to (epoch ms). */
  to?: number | undefined;
  limit: number;
  offset?: number | undefined;
}

/**
 * What the admin UI's spend queries (/spend/logs/ui, /global/spend/*) filter on; each field
 * given narrows the rows, all together. Times are start times, epoch ms.
 */
export interface SpendQuery {
  /** start_time >= from. */
  from?: number | undefined;
  /** start_time < to. */
  to?: number | undefined;
  key_hash?: string | undefined;
  /** Logs of the keys with exactly this alias now (LiteLLM's `key_alias` filter on /spend/logs/ui). */
  key_alias?: string | undefined;
  user_id?: string | undefined;
  team_id?: string | undefined;
  model_group?: string | undefined;
  /** "success" or "failure". */
  status?: string | undefined;
  request_id?: string | undefined;
  end_user?: string | undefined;
}

export interface SpendLogPageQuery extends SpendQuery {
  limit: number;
  offset: number;
}

/** A spend log with its key's alias (from the key's row; null when it has none or is gone). */
export interface SpendLogRow extends SpendRecord {
  key_alias: string | null;
}

/** What spend is totalled by: the key's hash, the team, or the model group. */
export type SpendGroup = "key" | "team" | "model";

/** A time bucket of the totals, in UTC (a minute: the admin UI's last-hour chart). */
export type SpendBucket = "minute" | "hour" | "day";

/** Each bucket's length: its rows start at multiples of it from the epoch. */
export const SPEND_BUCKET_MS: Readonly<Record<SpendBucket, number>> = {
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
};

export interface SpendSummaryQuery extends SpendQuery {
  group_by: SpendGroup;
  /** Totals per time bucket and group when given; per group over the whole range when not. */
  bucket?: SpendBucket | undefined;
  /** Only the groups with the most spend (per bucket order: buckets, then spend); all when absent. */
  limit?: number | undefined;
}

/** The totals of one group (in one time bucket), computed by the database. */
export interface SpendSummaryRow {
  /** The bucket's start (epoch ms, UTC); null when the query has no bucket. */
  bucket: number | null;
  /** The key's hash, the team id or the model group; null for spend of no team. */
  id: string | null;
  /** The key's or team's alias, from its row; null for models, or when unset or the row is gone. */
  alias: string | null;
  /** A key's masked form (sk-...abcd); null otherwise. */
  key_name: string | null;
  /** A key's team, from its row; null otherwise. */
  team_id: string | null;
  total_spend: number;
  total_requests: number;
  prompt_tokens: number;
  completion_tokens: number;
  /** Requests whose status is "failure". */
  failed_requests: number;
}

export interface Store {
  /** How many migrations this open applied: 0 when the schema was already current. */
  readonly migrationsApplied: number;

  /** Throws StoreConflictError when the hash exists. */
  createKey(key: NewKey): Promise<KeyRecord>;
  getKey(token_hash: string): Promise<KeyRecord | undefined>;
  /** The updated key, or undefined when there is none. */
  updateKey(token_hash: string, patch: KeyPatch): Promise<KeyRecord | undefined>;
  /** True when a key was deleted. */
  deleteKey(token_hash: string): Promise<boolean>;
  listKeys(options: KeyListOptions): Promise<Page<KeyRecord>>;

  createUser(user: NewUser): Promise<UserRecord>;
  getUser(user_id: string): Promise<UserRecord | undefined>;
  updateUser(user_id: string, patch: UserPatch): Promise<UserRecord | undefined>;
  deleteUser(user_id: string): Promise<boolean>;
  listUsers(options: ListOptions): Promise<Page<UserRecord>>;

  createTeam(team: NewTeam): Promise<TeamRecord>;
  getTeam(team_id: string): Promise<TeamRecord | undefined>;
  updateTeam(team_id: string, patch: TeamPatch): Promise<TeamRecord | undefined>;
  deleteTeam(team_id: string): Promise<boolean>;
  listTeams(options: ListOptions): Promise<Page<TeamRecord>>;

  // Models stored in the database (POST /model/new, /model/update, /model/delete).
  /** Throws StoreConflictError when the id exists. */
  createModel(model: NewModel): Promise<ModelRecord>;
  getModel(model_id: string): Promise<ModelRecord | undefined>;
  updateModel(model_id: string, patch: ModelPatch): Promise<ModelRecord | undefined>;
  deleteModel(model_id: string): Promise<boolean>;
  /** Every stored model, oldest first: the order they join the config's deployments in. */
  listModels(): Promise<ModelRecord[]>;

  // Teams' members, end users (customers) and shared budgets (LiteLLM's team, end-user and budget tables).
  /** Members of the given teams, by team, then user id. */
  listTeamMembers(team_ids: readonly string[]): Promise<TeamMemberRecord[]>;
  /** Adds a member, or changes the role of one already there. */
  putTeamMember(member: Omit<TeamMemberRecord, "created_at">): Promise<TeamMemberRecord>;
  /** True when the member was there. */
  removeTeamMember(team_id: string, user_id: string): Promise<boolean>;
  /** The ids of the teams `user_id` is a member of, in order. */
  teamsOfUser(user_id: string): Promise<string[]>;
  /** Deletes every key of a user or team; how many. */
  deleteKeysOf(field: "user_id" | "team_id", id: string): Promise<number>;
  /** Drops every membership of a user or team. */
  removeMembershipsOf(field: "user_id" | "team_id", id: string): Promise<void>;
  getUserByEmail(user_email: string): Promise<UserRecord | undefined>;
  /** Users matching `filter`, a page of them, and how many match in all. */
  findUsers(filter: UserFilter): Promise<{ data: UserRecord[]; total: number }>;

  createCustomer(customer: NewCustomer): Promise<CustomerRecord>;
  getCustomer(user_id: string): Promise<CustomerRecord | undefined>;
  updateCustomer(user_id: string, patch: CustomerPatch): Promise<CustomerRecord | undefined>;
  deleteCustomer(user_id: string): Promise<boolean>;
  listCustomers(options: ListOptions): Promise<Page<CustomerRecord>>;

  createBudget(budget: NewBudget): Promise<BudgetRecord>;
  getBudget(budget_id: string): Promise<BudgetRecord | undefined>;
  updateBudget(budget_id: string, patch: BudgetPatch): Promise<BudgetRecord | undefined>;
  deleteBudget(budget_id: string): Promise<boolean>;
  listBudgets(options: ListOptions): Promise<Page<BudgetRecord>>;

  /**
   * Starts a new budget window for a key, user, team or customer: spend back to 0 and the next reset
   * at `to`, but only while its reset time is still `from`. Instances that see the same
   * window end together reset it once; spend committed after that first reset is kept.
   * True when this call did the reset.
   */
  resetBudget(entity: BudgetHolder, id: string, from: number, to: number): Promise<boolean>;

  /**
   * Inserts the logs and adds each new log's cost to its key's (found by its hash or its
   * previous hash), user's and team's spend,
   * all in one transaction: the totals always equal the sum of the logs. A request_id
   * already stored is skipped (and not counted again), so a batch retried after an
   * ambiguous failure cannot double-count. Users and teams without a row keep only logs;
   * an end user without one gets a row (as LiteLLM's end-user table fills itself).
   */
  recordSpend(records: readonly SpendRecord[]): Promise<void>;
  /** Logs ordered by start_time, then request_id. */
  spendLogs(filter: SpendLogFilter): Promise<SpendRecord[]>;
  /** A page of logs matching `query`, newest first (by start_time, then request_id), and how many match. */
  spendLogPage(query: SpendLogPageQuery): Promise<{ data: SpendLogRow[]; total: number }>;
  /**
   * Spend, requests, tokens and failures of the logs matching `query`, summed by the database
   * per group (and per time bucket): ordered by bucket, then spend (most first), then id.
   */
  spendSummary(query: SpendSummaryQuery): Promise<SpendSummaryRow[]>;
  /** Resolves when the database answers a trivial query (/health/readiness). */
  ping(): Promise<void>;

  // Responses API (issue 12): the conversations behind previous_response_id.
  /** Keeps a response; an id already stored is replaced. */
  saveResponse(record: ResponseRecord): Promise<void>;
  getResponse(id: string): Promise<ResponseRecord | undefined>;
  /** True when a response was deleted. */
  deleteResponse(id: string): Promise<boolean>;

  close(): Promise<void>;
}

/** A create whose id already exists (the routes answer 400/409 with it). */
export class StoreConflictError extends Error {
  constructor(
    readonly entity: "key" | "user" | "team" | "model" | "customer" | "budget",
    readonly id: string,
  ) {
    super(`${entity} already exists`);
    this.name = "StoreConflictError";
  }
}

/** Where stores report what an operator should see (pino's logger fits). */
export interface StoreLogger {
  warn(message: string): void;
  info(message: string): void;
}
