/**
 * How the management routes show stored records: LiteLLM's field names, times as ISO 8601
 * strings, and a key named by its hash (`token`) and masked form (`key_name`): the
 * plaintext is not stored, so no route can show it again.
 */
import type {
  BudgetRecord,
  CustomerRecord,
  KeyRecord,
  SpendLogRow,
  SpendRecord,
  TeamMemberRecord,
  TeamRecord,
  UserRecord,
} from "../../store/types.js";

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

export function keyView(key: KeyRecord) {
  return {
    token: key.token_hash,
    key_name: key.key_name,
    key_alias: key.key_alias,
    user_id: key.user_id,
    team_id: key.team_id,
    models: key.models,
    spend: key.spend,
    max_budget: key.max_budget,
    budget_duration: key.budget_duration,
    budget_reset_at: iso(key.budget_reset_at),
    rpm_limit: key.rpm_limit,
    tpm_limit: key.tpm_limit,
    max_parallel_requests: key.max_parallel_requests,
    expires: iso(key.expires_at),
    blocked: key.blocked,
    metadata: key.metadata,
    created_at: iso(key.created_at),
    updated_at: iso(key.updated_at),
  };
}

/** A user with the teams they are a member of (LiteLLM's `teams`). */
export function userView(user: UserRecord, teams: readonly string[] = []) {
  return {
    user_id: user.user_id,
    user_email: user.user_email,
    user_alias: user.user_alias,
    user_role: user.user_role,
    teams,
    models: user.models,
    spend: user.spend,
    max_budget: user.max_budget,
    budget_duration: user.budget_duration,
    budget_reset_at: iso(user.budget_reset_at),
    tpm_limit: user.tpm_limit,
    rpm_limit: user.rpm_limit,
    max_parallel_requests: user.max_parallel_requests,
    metadata: user.metadata,
    created_at: iso(user.created_at),
    updated_at: iso(user.updated_at),
  };
}

/** LiteLLM's `members_with_roles` entry. */
export function memberView(member: TeamMemberRecord) {
  return { user_id: member.user_id, user_email: member.user_email, role: member.role };
}

/** A team with its members (LiteLLM's `members_with_roles`). */
export function teamView(team: TeamRecord, members: readonly TeamMemberRecord[] = []) {
  return {
    team_id: team.team_id,
    team_alias: team.team_alias,
    members_with_roles: members.map(memberView),
    models: team.models,
    spend: team.spend,
    max_budget: team.max_budget,
    budget_duration: team.budget_duration,
    budget_reset_at: iso(team.budget_reset_at),
    tpm_limit: team.tpm_limit,
    rpm_limit: team.rpm_limit,
    max_parallel_requests: team.max_parallel_requests,
    blocked: team.blocked,
    metadata: team.metadata,
    created_at: iso(team.created_at),
    updated_at: iso(team.updated_at),
  };
}

/** A row of LiteLLM's budget table. */
export function budgetView(budget: BudgetRecord) {
  return {
    budget_id: budget.budget_id,
    max_budget: budget.max_budget,
    soft_budget: budget.soft_budget,
    max_parallel_requests: budget.max_parallel_requests,
    tpm_limit: budget.tpm_limit,
    rpm_limit: budget.rpm_limit,
    model_max_budget: budget.model_max_budget,
    budget_duration: budget.budget_duration,
    created_at: iso(budget.created_at),
    updated_at: iso(budget.updated_at),
  };
}

/** An end user as LiteLLM's customer routes show one: its budget row inlined as `litellm_budget_table`. */
export function customerView(customer: CustomerRecord, budget: BudgetRecord | undefined) {
  return {
    user_id: customer.user_id,
    alias: customer.alias,
    spend: customer.spend,
    allowed_model_region: customer.allowed_model_region,
    default_model: customer.default_model,
    budget_id: customer.budget_id,
    litellm_budget_table: budget === undefined ? null : budgetView(budget),
    blocked: customer.blocked,
    budget_reset_at: iso(customer.budget_reset_at),
    metadata: customer.metadata,
    created_at: iso(customer.created_at),
    updated_at: iso(customer.updated_at),
  };
}

/** A spend log as LiteLLM's /spend/logs shows one. */
export function spendView(log: SpendRecord) {
  return {
    request_id: log.request_id,
    api_key: log.key_hash,
    user: log.user_id,
    team_id: log.team_id,
    model_group: log.model_group,
    model_id: log.deployment_id,
    prompt_tokens: log.prompt_tokens,
    completion_tokens: log.completion_tokens,
    total_tokens: log.prompt_tokens + log.completion_tokens,
    spend: log.cost,
    status: log.status,
    startTime: iso(log.start_time),
    endTime: iso(log.end_time),
    cache_hit: log.cache_hit,
    end_user: log.end_user,
    request_tags: log.request_tags,
    metadata: log.metadata,
  };
}

/** A row of /spend/logs/ui: /spend/logs' fields, the key's alias (never the key) and the request's latency. */
export function spendLogUiView(log: SpendLogRow) {
  return { ...spendView(log), key_alias: log.key_alias, latency_ms: log.end_time - log.start_time };
}
