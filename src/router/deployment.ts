/**
 * A deployment: one `model_list` entry of LiteLLM's config — a public model name, the
 * provider model behind it and how to call it. What can be worked out once (its id,
 * its call options, a credential-free api_base) is worked out when it is created.
 */
import { createHash } from "node:crypto";
import type { CallOptions } from "../sdk/options.js";

/** LiteLLM's `litellm_params`. Keys not listed are accepted and ignored. */
export interface LitellmParams {
  /** `provider/model`, e.g. `text-completion-openai/gpt-3.5-turbo-instruct`. */
  model: string;
  api_key?: string;
  api_base?: string;
  api_version?: string;
  organization?: string;
  azure_ad_token?: string;
  extra_headers?: Record<string, string>;
  /** Seconds. */
  timeout?: number;
  max_retries?: number;
  drop_params?: boolean;
  mock_response?: string;
  rpm?: number;
  tpm?: number;
  weight?: number;
  /** Priority tier: lower first; the next tier serves only when none of the first can. */
  order?: number;
  /** Seconds to the first chunk of a stream. */
  stream_timeout?: number;
  [extra: string]: unknown;
}

export interface ModelInfo {
  id?: string;
  mode?: string;
  [extra: string]: unknown;
}

/** One entry of `model_list`, as written in config.yaml. */
export interface DeploymentConfig {
  model_name: string;
  litellm_params: LitellmParams;
  model_info?: ModelInfo;
}

export interface Deployment {
  id: string;
  modelName: string;
  /** The provider model string (`litellm_params.model`). */
  model: string;
  info: ModelInfo;
  /** api_base with any user, password and query removed: safe for headers, logs and /health. */
  apiBase: string | undefined;
  /** The call options this deployment adds to every request. */
  options: CallOptions;
  /** Environment variables its `os.environ/NAME` values name but the environment lacks. */
  missingEnv: string[];
  /** What routing reads: limits, weight, priority tier, timeouts (seconds). */
  limits: { rpm?: number; tpm?: number; weight?: number; order?: number; timeout?: number; stream_timeout?: number };
}

const ENV_PREFIX = "os.environ/";
const SECRET_PARAMS = new Set(["api_key", "azure_ad_token"]);

/** Strips credentials that may ride in a URL. */
export function safeApiBase(apiBase: string | undefined): string | undefined {
  if (apiBase === undefined) return undefined;
  try {
    const url = new URL(apiBase);
    url.username = "";
    url.password = "";
    url.search = "";
    return url.toString().replace(/\/$/, "");
  } catch {
    return undefined;
  }
}

/** A stable id that changes when the deployment does, computed without its secrets. */
function deploymentId(config: DeploymentConfig): string {
  const visible = Object.entries(config.litellm_params).filter(([key]) => !SECRET_PARAMS.has(key));
  return createHash("sha256").update(JSON.stringify([config.model_name, visible])).digest("hex").slice(0, 16);
}

/** Replaces `os.environ/NAME` strings (nested in objects too) with their values; unset names are collected. */
function resolveEnv(value: unknown, env: Readonly<Record<string, string | undefined>>, missing: string[]): unknown {
  if (typeof value === "string" && value.startsWith(ENV_PREFIX)) {
    const name = value.slice(ENV_PREFIX.length);
    const resolved = env[name];
    if (resolved === undefined || resolved === "") missing.push(name);
    return resolved === "" ? undefined : resolved;
  }
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      const resolved = resolveEnv(inner, env, missing);
      if (resolved !== undefined) out[key] = resolved;
    }
    return out;
  }
  return value;
}

export function createDeployment(config: DeploymentConfig, env: Readonly<Record<string, string | undefined>>): Deployment {
  const missingEnv: string[] = [];
  const p = resolveEnv(config.litellm_params, env, missingEnv) as LitellmParams;
  const options: CallOptions = {};
  if (p.api_key !== undefined) options.api_key = p.api_key;
  if (p.api_base !== undefined) options.api_base = p.api_base;
  if (p.api_version !== undefined) options.api_version = p.api_version;
  if (p.organization !== undefined) options.organization = p.organization;
  if (p.azure_ad_token !== undefined) options.azure_ad_token = p.azure_ad_token;
  if (p.extra_headers !== undefined) options.extra_headers = p.extra_headers;
  if (p.timeout !== undefined) options.timeout = p.timeout;
  if (p.max_retries !== undefined) options.num_retries = p.max_retries;
  if (p.drop_params !== undefined) options.drop_params = p.drop_params;
  if (Array.isArray(p.additional_drop_params)) options.additional_drop_params = p.additional_drop_params as string[];
  if (p.mock_response !== undefined) options.mock_response = p.mock_response;
  const limits: Deployment["limits"] = {};
  for (const key of ["rpm", "tpm", "weight", "order", "timeout", "stream_timeout"] as const) {
    const value = p[key];
    if (typeof value === "number") limits[key] = value;
  }
  return {
    id: config.model_info?.id ?? deploymentId(config),
    modelName: config.model_name,
    model: p.model,
    info: config.model_info ?? {},
    apiBase: safeApiBase(p.api_base),
    options,
    missingEnv,
    limits,
  };
}
