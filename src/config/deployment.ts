/**
 * A deployment: one `model_list` entry, resolved once — `os.environ/` read, its id fixed,
 * and what every request needs of it worked out when it is built (call options, limits,
 * price, a credential-free api_base). The Router routes to these; nothing reads
 * `litellm_params` again per request.
 */
import { createHash } from "node:crypto";
import { deploymentPrice, type Price } from "../cost/cost.js";
import { type CallOptions, DEPLOYMENT_OPTIONS } from "../sdk/options.js";
import { resolveEnvRefs } from "./env.js";
import {
  ConfigError,
  describeValue,
  formatPath,
  getAt,
  isPlainObject,
  isSensitivePath,
  type PathSegment,
} from "./errors.js";
import {
  type LitellmParams,
  type ModelEntry,
  modelEntrySchema,
  type ModelInfo,
  type NoNulls,
  REQUEST_DEFAULT_PARAMS,
} from "./schema.js";
import type { MissingEnv } from "./types.js";

/** What routing reads: limits, weight, priority tier, timeouts (seconds). */
export interface DeploymentLimits {
  rpm?: number;
  tpm?: number;
  weight?: number;
  /** Priority tier: lower first; the next tier serves only when none of the first can. */
  order?: number;
  timeout?: number;
  stream_timeout?: number;
}

export interface Deployment {
  /** model_info.id if given, else a hash of model_name + litellm_params as written. */
  readonly id: string;
  /** The public name clients send; several deployments may share one. */
  readonly modelName: string;
  /** The provider model string (`litellm_params.model`). */
  readonly model: string;
  /** litellm_params with `os.environ/` references resolved; unset ones are absent (see missingEnv). */
  readonly params: LitellmParams;
  /** model_info, with the id. */
  readonly info: ModelInfo & { id: string };
  /** api_base with any user, password and query removed: safe for headers, logs and /health. */
  readonly apiBase: string | undefined;
  /** The call options this deployment adds to every request. */
  readonly options: CallOptions;
  /**
   * Request params from litellm_params (`temperature`, `max_tokens`, `extra_body`'s params, ...):
   * every request to this deployment gets them unless it sets them itself.
   */
  readonly defaults: Readonly<Record<string, unknown>>;
  readonly limits: DeploymentLimits;
  /** `litellm_params.tags`: added to the request_tags of every request it answers, as LiteLLM does. */
  readonly tags: readonly string[];
  /** USD per token, from the price table or the deployment's own costs; undefined when unknown. */
  readonly price: Price | undefined;
  /**
   * Variables its `os.environ/NAME` values name but the environment lacks. Non-empty means
   * misconfigured: its requests get a 401 naming them, never a provider's default variable.
   */
  readonly missingEnv: readonly MissingEnv[];
}

/** litellm_params that are call options of the SDK, under the same names. */
const OPTION_PARAMS = DEPLOYMENT_OPTIONS satisfies readonly (keyof CallOptions & keyof LitellmParams)[];

const LIMIT_PARAMS = [
  "rpm",
  "tpm",
  "weight",
  "order",
  "timeout",
  "stream_timeout",
] as const satisfies readonly (keyof DeploymentLimits & keyof LitellmParams)[];

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

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (isPlainObject(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/**
 * sha256 of model_name + litellm_params *as written*: an `os.environ/` reference is
 * hashed, not the secret it names, so ids survive key rotation and no resolved secret
 * is ever an input. A literal key only enters a truncated one-way hash.
 */
export function deploymentHash(rawEntry: unknown): string {
  const input = { model_name: getAt(rawEntry, ["model_name"]), litellm_params: getAt(rawEntry, ["litellm_params"]) };
  return createHash("sha256").update(canonicalJson(input)).digest("hex").slice(0, 32);
}

// LiteLLM treats `key:` (null) as "not set"; drop such keys so `?? default` works.
export function dropNulls<T extends object>(value: T): NoNulls<T> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== null && v !== undefined) out[k] = v;
  return out as NoNulls<T>;
}

/** An entry validated (env already resolved), with where it came from. */
export interface ResolvedEntry {
  entry: ModelEntry;
  /** The entry as written, before env resolution: its id is hashed from this. */
  raw: unknown;
  missingEnv: MissingEnv[];
  /** For the duplicate-id message. */
  where: { file: string; index: number };
}

/**
 * The deployments of validated entries, in order. Ids: model_info.id, unique across the
 * list; else the hash of the entry as written, repeats of an identical entry numbered
 * (LiteLLM users repeat an entry to weight it).
 */
export function buildDeployments(entries: readonly ResolvedEntry[]): Deployment[] {
  const explicit = new Map<string, ResolvedEntry>();
  for (const e of entries) {
    const id = e.entry.model_info?.id;
    if (id === undefined || id === null) continue;
    const first = explicit.get(id);
    if (first !== undefined) {
      const where = first.where.file === e.where.file ? "" : ` in ${first.where.file}`;
      const path = `model_list[${e.where.index}].model_info.id`;
      throw new ConfigError(
        e.where.file,
        `${e.where.file}: ${path}: ${JSON.stringify(id)} is already used by model_list[${first.where.index}]${where}`,
        {
          path,
        },
      );
    }
    explicit.set(id, e);
  }
  const taken = new Set(explicit.keys());
  return entries.map((e) => {
    let id = e.entry.model_info?.id ?? undefined;
    if (id === undefined) {
      const base = deploymentHash(e.raw);
      id = base;
      for (let n = 2; taken.has(id); n++) id = `${base}-${n}`;
    }
    taken.add(id);
    return deploymentOf(e.entry, id, e.missingEnv);
  });
}

/** Custom prices may sit in litellm_params (LiteLLM's older place) or model_info; litellm_params win. */
function costsOf(params: LitellmParams, info: ModelInfo) {
  return {
    ...info,
    input_cost_per_token: params.input_cost_per_token ?? info.input_cost_per_token,
    output_cost_per_token: params.output_cost_per_token ?? info.output_cost_per_token,
  };
}

/**
 * The price of a call to `model` on `deployment`: its own, or for a wildcard deployment
 * (`openai/*`) the price of the model its `*` was filled with, its custom costs still winning.
 */
export function callPrice(deployment: Deployment, model: string): Price | undefined {
  return model === deployment.model
    ? deployment.price
    : deploymentPrice(model, costsOf(deployment.params, deployment.info));
}

function deploymentOf(entry: ModelEntry, id: string, missingEnv: MissingEnv[]): Deployment {
  const params = dropNulls(entry.litellm_params) as LitellmParams;
  const info = { ...dropNulls(entry.model_info ?? {}), id } as ModelInfo & { id: string };
  const options: Record<string, unknown> = {};
  for (const key of OPTION_PARAMS) if (params[key] !== undefined) options[key] = params[key];
  const defaults: Record<string, unknown> = { ...params.extra_body };
  for (const key of REQUEST_DEFAULT_PARAMS) if (params[key] !== undefined) defaults[key] = params[key];
  const limits: DeploymentLimits = {};
  for (const key of LIMIT_PARAMS) if (params[key] !== undefined) limits[key] = params[key];
  // LiteLLM's Router takes a deployment's rpm/tpm from the entry, then litellm_params, then model_info.
  for (const key of ["rpm", "tpm"] as const) {
    const limit = entry[key] ?? params[key] ?? info[key];
    if (limit !== undefined && limit !== null) limits[key] = limit;
  }
  return {
    id,
    modelName: entry.model_name,
    model: params.model,
    params,
    info,
    apiBase: safeApiBase(params.api_base),
    options: options as CallOptions,
    defaults,
    limits,
    tags: params.tags ?? [],
    price: deploymentPrice(params.model, costsOf(params, info)),
    missingEnv,
  };
}

/**
 * `model_list` entries as an SDK user writes them, resolved as the config loader does:
 * `os.environ/` references read from `env` (an unset one leaves its deployment answering
 * 401 naming it), each entry validated against the config schema.
 */
export function deploymentsFromLiteLLM(
  modelList: readonly unknown[],
  env: Readonly<Record<string, string | undefined>> = process.env,
): Deployment[] {
  const entries = modelList.map((raw, index): ResolvedEntry => {
    const base: PathSegment[] = ["model_list", index];
    const { value, missing } = resolveEnvRefs(raw, env);
    const parsed = modelEntrySchema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const local = (issue?.path ?? []).filter((p): p is PathSegment => typeof p !== "symbol");
      const path = formatPath([...base, ...local]);
      const found = getAt(value, local);
      const line =
        found === undefined
          ? `${path} is required`
          : `${path}: ${issue?.message ?? "invalid"}, got ${describeValue(found, isSensitivePath(local))}`;
      throw new ConfigError("model_list", line, { path });
    }
    const missingEnv = missing
      .filter((ref) => ref.path[0] === "litellm_params" && ref.path.length > 1)
      .map((ref) => ({ field: formatPath(ref.path.slice(1)), variable: ref.variable }));
    return { entry: parsed.data, raw, missingEnv, where: { file: "model_list", index } };
  });
  return buildDeployments(entries);
}
