/**
 * LiteLLM's `litellm` command line, as litegate reads it, so a start command moves over
 * unchanged: the flags that mean something here are honoured; flags for machinery litegate
 * does not have (uvicorn, gunicorn, Prisma, hot reload) are accepted with a one-line note;
 * flags asking for something litegate would silently not do (TLS, a job queue) are refused.
 */
import type { GatewayConfig } from "./config/index.js";

/** LiteLLM flags that take no value and change nothing here, and why. */
const IGNORED_SWITCHES: Readonly<Record<string, string>> = {
  local: "a no-op in LiteLLM too",
  save: "litegate keeps no per-model config files",
  add_function_to_prompt: "functions go to providers as tools",
  run_gunicorn: "litegate's --num_workers runs Node processes sharing the port",
  run_hypercorn: "litegate serves HTTP/1.1 itself",
  run_granian: "litegate serves HTTP/1.1 itself",
  reload: "restart the process to load a changed config",
  use_prisma_db_push: "litegate migrates its own schema at start",
  enforce_prisma_migration_check: "litegate always exits when its database cannot be opened",
  use_v2_migration_resolver: "litegate migrates its own schema at start",
  use_legacy_migration_resolver: "litegate migrates its own schema at start",
  iam_token_db_auth: "put the credentials in database_url",
  azure_postgresql_auth: "put the credentials in database_url",
};

/** LiteLLM options that take a value and change nothing here. */
const IGNORED_OPTIONS: Readonly<Record<string, string>> = {
  telemetry: "litegate sends no telemetry",
  log_config: "litegate writes JSON log lines to stdout (pino)",
  granian_threads: "litegate serves HTTP/1.1 itself",
  limit_concurrency: "litegate applies backpressure per stream instead",
  max_requests_before_restart: "Node workers are not recycled",
  max_requests_before_restart_jitter: "Node workers are not recycled",
  timeout_worker_healthcheck: "a worker that exits is restarted at once",
  ciphers: "litegate serves plain HTTP; terminate TLS in front of it",
  prometheus_metrics_port: "litegate has no metrics endpoint yet",
  num_requests: "only used by LiteLLM's --test_async",
  headers: "set extra_headers in litellm_params",
  add_key: "create keys with POST /key/generate",
};

/** LiteLLM flags litegate refuses: accepting them would pretend to do what it does not. */
const REFUSED: Readonly<Record<string, string>> = {
  use_queue: "litegate has no job queue; send requests directly",
  ssl_keyfile_path: "litegate serves plain HTTP; terminate TLS in front of it (a load balancer or nginx)",
  ssl_certfile_path: "litegate serves plain HTTP; terminate TLS in front of it (a load balancer or nginx)",
  test: "start the gateway, then call it with curl or the OpenAI client",
  test_async: "litegate has no queue endpoints",
  health: "start the gateway, then GET /health with the master key",
  setup: "write config.yaml by hand; see examples/config.yaml",
  skip_server_startup: "litegate migrates its schema when it starts serving",
};

type Option = { type: "string" | "boolean"; short?: string };

/** The parseArgs options for every LiteLLM flag litegate knows. */
export function litellmOptions(): Record<string, Option> {
  const options: Record<string, Option> = {};
  for (const name of Object.keys(IGNORED_SWITCHES)) options[name] = { type: "boolean" };
  for (const name of Object.keys(IGNORED_OPTIONS)) options[name] = { type: "string" };
  for (const name of Object.keys(REFUSED)) {
    options[name] = { type: name.endsWith("_path") ? "string" : "boolean" };
  }
  return options;
}

/** The refusal for a flag litegate will not take, if one was given. */
export function refusal(given: Readonly<Record<string, unknown>>): string | undefined {
  for (const [name, why] of Object.entries(REFUSED)) {
    if (given[name] !== undefined && given[name] !== false) return `--${name} is not supported: ${why}.`;
  }
  return undefined;
}

/** One note per LiteLLM flag given that has no effect here. */
export function ignoredNotes(given: Readonly<Record<string, unknown>>): string[] {
  const notes: string[] = [];
  for (const [name, why] of Object.entries({ ...IGNORED_SWITCHES, ...IGNORED_OPTIONS })) {
    if (given[name] !== undefined && given[name] !== false)
      notes.push(`--${name} is accepted and has no effect (${why}).`);
  }
  return notes;
}

/** What LiteLLM's model flags set, beside the config. */
export interface ModelFlags {
  temperature?: number | undefined;
  max_tokens?: number | undefined;
  drop_params?: boolean | undefined;
  alias?: string | undefined;
}

/**
 * The config with LiteLLM's CLI settings applied: `--temperature`/`--max_tokens` forced on
 * every request (over the client's value, as LiteLLM does), `--drop_params` for every call,
 * `--alias` another name for the `--model` served (listed by /v1/models).
 */
export function withModelFlags(config: GatewayConfig, flags: ModelFlags): GatewayConfig {
  let result = config;
  if (flags.temperature !== undefined || flags.max_tokens !== undefined) {
    const overrides = { ...result.requestOverrides };
    if (flags.temperature !== undefined) overrides.temperature = flags.temperature;
    if (flags.max_tokens !== undefined) overrides.max_tokens = flags.max_tokens;
    result = { ...result, requestOverrides: overrides };
  }
  if (flags.drop_params === true)
    result = { ...result, litellmSettings: { ...result.litellmSettings, drop_params: true } };
  const target = result.userModel;
  if (flags.alias !== undefined && target !== undefined) {
    const aliases = { ...result.routerSettings.model_group_alias, [flags.alias]: target };
    result = { ...result, routerSettings: { ...result.routerSettings, model_group_alias: aliases } };
  }
  return result;
}
