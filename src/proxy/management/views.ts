/**
 * How the management routes show stored records: LiteLLM's field names, times as ISO 8601
 * strings, and a key named by its hash (`token`) and masked form (`key_name`): the
 * plaintext is not stored, so no route can show it again.
 */
import type { KeyRecord, SpendRecord, TeamRecord, UserRecord } from "../../store/types.js";

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

export function userView(user: UserRecord) {
  return {
    user_id: user.user_id,
    models: user.models,
    spend: user.spend,
    max_budget: user.max_budget,
    budget_duration: user.budget_duration,
    budget_reset_at: iso(user.budget_reset_at),
    metadata: user.metadata,
    created_at: iso(user.created_at),
    updated_at: iso(user.updated_at),
  };
}

export function teamView(team: TeamRecord) {
  return {
    team_id: team.team_id,
    team_alias: team.team_alias,
    models: team.models,
    spend: team.spend,
    max_budget: team.max_budget,
    budget_duration: team.budget_duration,
    budget_reset_at: iso(team.budget_reset_at),
    metadata: team.metadata,
    created_at: iso(team.created_at),
    updated_at: iso(team.updated_at),
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
    request_tags: log.request_tags,
    metadata: log.metadata,
  };
}
