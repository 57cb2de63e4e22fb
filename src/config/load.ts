/**
 * Loads a LiteLLM config.yaml (and its includes) into a GatewayConfig.
 *
 * Order, as in LiteLLM: read the root file and its `include:` files; apply every
 * `environment_variables` entry to `env`; resolve `os.environ/` references; validate.
 * Unlike LiteLLM, an unset variable is a warning plus a per-deployment record, so one
 * missing key does not keep the other models from being served.
 */
import { dirname, isAbsolute, join, resolve } from "node:path";
import type { z } from "zod";
import {
  ConfigError,
  describeValue,
  formatPath,
  getAt,
  isPlainObject,
  isSensitivePath,
  type PathSegment,
} from "./errors.js";
import { envRefName, resolveEnvRefs, type EnvRef } from "./env.js";
import { buildDeployments, dropNulls } from "./deployment.js";
import {
  environmentVariablesSchema,
  fileSchema,
  type GeneralSettings,
  includeSchema,
  KNOWN_KEYS,
  type LitellmSettings,
  MAPPING_SECTIONS,
  type NoNulls,
  type ParsedFile,
  type ParsedModelEntry,
  ROUTING_STRATEGIES,
  ROUTING_STRATEGY_SUBSTITUTES,
  type RouterSettings,
  type RoutingStrategy,
} from "./schema.js";
import type { ConfigMissingEnv, GatewayConfig, MasterKey, MissingEnv } from "./types.js";
import { readYamlFile } from "./yaml.js";
import { nearMiss } from "./near-miss.js";
import { checkProvider } from "./providers.js";

export const GENERAL_SETTINGS_DEFAULTS = {
  max_request_size_mb: 10,
  keepalive_interval_seconds: 15,
  graceful_shutdown_timeout_seconds: 30,
} as const;

export const DEFAULT_ROUTING_STRATEGY: RoutingStrategy = "simple-shuffle";

/** One YAML document as read, before anything is resolved. */
interface Source {
  file: string;
  raw: Record<string, unknown>;
  warnings: string[];
}

/**
 * Reads `file` (and the files it includes), applies `environment_variables` to `env`
 * (so the SDK's provider-key fallbacks see them too, as in LiteLLM), and returns the
 * typed config. Throws ConfigError for anything that would leave the proxy
 * half-configured; everything else is a warning.
 */
export async function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): Promise<GatewayConfig> {
  const sources: Source[] = [];
  await collectSources(file, [], sources);
  return buildConfig(file, sources, env);
}

export interface SingleModelOptions {
  env?: NodeJS.ProcessEnv;
  /** Further litellm_params from the command line (api_base, api_version, ...). */
  litellmParams?: Record<string, unknown>;
}

/**
 * The config `litegate --model PROVIDER/MODEL` runs with. As in LiteLLM, the model
 * name is the string given, and `userModel` tells the server to send every request
 * there whatever model the client names.
 */
export function singleModelConfig(model: string, options: SingleModelOptions = {}): GatewayConfig {
  const file = "--model";
  if (model.trim() === "") {
    throw new ConfigError(file, `${file}: expected a model like "openai/gpt-4o", got ""`);
  }
  const raw = {
    model_list: [{ model_name: model, litellm_params: { ...options.litellmParams, model } }],
  };
  const config = buildConfig(file, [{ file, raw, warnings: [] }], options.env ?? process.env);
  return { ...config, userModel: model };
}

async function collectSources(
  file: string,
  stack: string[],
  out: Source[],
  includedFrom?: { file: string; path: string },
): Promise<void> {
  const yaml = await readYamlFile(file, includedFrom);
  const raw = topLevelMapping(file, yaml.data);
  out.push({ file, raw, warnings: yaml.warnings });
  if (raw.include === undefined || raw.include === null) return;

  const parsed = includeSchema.safeParse(raw.include);
  if (!parsed.success) throw validationError(file, parsed.error, raw.include, ["include"], new Map(), new Map());
  const chain = [...stack, yaml.absolute];
  for (const [i, include] of parsed.data.entries()) {
    // Relative to the including file, not the working directory, as LiteLLM does.
    const target = isAbsolute(include) ? include : join(dirname(file), include);
    const site = { file, path: `include[${i}]` };
    if (chain.includes(resolve(target))) {
      throw new ConfigError(file, `${file}: ${site.path}: ${include} is already being loaded (include cycle)`, {
        path: site.path,
      });
    }
    await collectSources(target, chain, out, site);
  }
}

function topLevelMapping(file: string, data: unknown): Record<string, unknown> {
  if (data === null || data === undefined) {
    throw new ConfigError(file, `${file}: the file is empty; expected a mapping with model_list and settings`);
  }
  if (!isPlainObject(data)) {
    throw new ConfigError(
      file,
      `${file}: expected a mapping at the top level (model_list, general_settings, ...), got ${describeValue(data, true)}`,
    );
  }
  return data;
}

interface ParsedSource {
  source: Source;
  parsed: ParsedFile;
  missing: EnvRef[];
}

interface ModelEntry {
  entry: ParsedModelEntry;
  raw: unknown;
  file: string;
  index: number;
  missingEnv: MissingEnv[];
}

function buildConfig(file: string, sources: Source[], env: NodeJS.ProcessEnv): GatewayConfig {
  const warnings: string[] = [];
  const missingAll: ConfigMissingEnv[] = [];
  const environmentVariableNames = applyEnvironmentVariables(sources, env, warnings, missingAll);

  const parsedSources: ParsedSource[] = [];
  for (const source of sources) {
    // environment_variables were applied above and include was consumed while reading.
    const { environment_variables: _ev, include: _inc, ...rest } = source.raw;
    const { value, missing, resolved } = resolveEnvRefs(rest, env);
    const missingByPath = new Map(missing.map((m) => [formatPath(m.path), m.variable]));
    const resolvedByPath = new Map(resolved.map((r) => [formatPath(r.path), r.variable]));
    const result = fileSchema.safeParse(value);
    if (!result.success) throw validationError(source.file, result.error, value, [], missingByPath, resolvedByPath);
    warnings.push(...source.warnings, ...unknownKeyWarnings(source));
    parsedSources.push({ source, parsed: result.data, missing });
  }

  const entries: ModelEntry[] = [];
  for (const { source, parsed, missing } of parsedSources) {
    const fileEntries = (parsed.model_list ?? []).map(
      (entry, index): ModelEntry => ({
        entry,
        raw: getAt(source.raw, ["model_list", index]),
        file: source.file,
        index,
        missingEnv: [],
      }),
    );
    for (const ref of missing) {
      missingAll.push({ file: source.file, path: formatPath(ref.path), variable: ref.variable });
      warnings.push(missingEnvWarning(source.file, ref, fileEntries, env));
    }
    entries.push(...fileEntries);
  }

  const general = mergeSection(parsedSources, "general_settings", warnings);
  const router = mergeSection(parsedSources, "router_settings", warnings);
  const litellm = mergeSection(parsedSources, "litellm_settings", warnings);

  const generalSettings: GeneralSettings = {
    ...general.value,
    max_request_size_mb: general.value.max_request_size_mb ?? GENERAL_SETTINGS_DEFAULTS.max_request_size_mb,
    keepalive_interval_seconds:
      general.value.keepalive_interval_seconds ?? GENERAL_SETTINGS_DEFAULTS.keepalive_interval_seconds,
    graceful_shutdown_timeout_seconds:
      general.value.graceful_shutdown_timeout_seconds ?? GENERAL_SETTINGS_DEFAULTS.graceful_shutdown_timeout_seconds,
  };
  const routerSettings: RouterSettings = {
    ...router.value,
    routing_strategy: routingStrategy(router.value.routing_strategy, router.origin.get("routing_strategy"), warnings),
  };
  const litellmSettings: LitellmSettings = litellm.value;
  warnings.push(...cacheWarnings(litellmSettings, litellm.origin.get("cache_params") ?? file));
  for (const list of ["callbacks", "success_callback", "failure_callback"] as const) {
    for (const name of litellmSettings[list] ?? []) {
      if (SERVED_CALLBACKS.has(name)) continue;
      const where = `${litellm.origin.get(list) ?? file}: litellm_settings.${list}`;
      // A near miss of a served name is a typo (`promethus`), not one of LiteLLM's other callbacks.
      const meant = nearMiss(name, SERVED_CALLBACKS);
      warnings.push(
        meant === undefined
          ? `${where}: '${name}' is not served by litegate yet (ignored); served: ${[...SERVED_CALLBACKS].join(", ")}`
          : `${where}: '${name}' is not a callback litegate knows (ignored); did you mean '${meant}'?`,
      );
    }
  }

  for (const e of entries) {
    const path = formatPath(["model_list", e.index, "litellm_params", "model"]);
    const check = checkProvider(e.entry.litellm_params.model);
    if (check.kind === "typo") {
      throw new ConfigError(
        e.file,
        `${e.file}: ${path}: unknown provider '${check.provider}'; did you mean '${check.meant}'? (${e.entry.litellm_params.model})`,
        { path },
      );
    }
    if (check.kind === "unserved") {
      warnings.push(
        `${e.file}: ${path}: litegate does not serve the provider '${check.provider}' yet: '${e.entry.model_name}' is left out of /v1/models and its requests get a 400`,
      );
    }
  }
  const modelList = buildDeployments(
    entries.map((e) => ({
      entry: e.entry,
      raw: e.raw,
      missingEnv: e.missingEnv,
      where: { file: e.file, index: e.index },
    })),
  );
  if (modelList.length === 0 && file !== "--model") {
    warnings.push(`${file}: no models configured (model_list is empty or missing); every model request will fail`);
  }

  return {
    file,
    files: sources.map((s) => s.file),
    modelList,
    generalSettings,
    routerSettings,
    litellmSettings,
    masterKey: masterKey(generalSettings, missingAll, env),
    environmentVariableNames,
    missingEnv: missingAll,
    warnings,
  };
}

/** Sets each `environment_variables` entry into env, in file order (later files win). */
function applyEnvironmentVariables(
  sources: Source[],
  env: NodeJS.ProcessEnv,
  warnings: string[],
  missingAll: ConfigMissingEnv[],
): string[] {
  const names: string[] = [];
  for (const { file, raw } of sources) {
    const section = raw.environment_variables;
    if (section === undefined || section === null) continue;
    const parsed = environmentVariablesSchema.safeParse(section);
    if (!parsed.success) {
      throw validationError(file, parsed.error, section, ["environment_variables"], new Map(), new Map());
    }
    for (const [name, value] of Object.entries(parsed.data)) {
      const variable = envRefName(value);
      const path = formatPath(["environment_variables", name]);
      if (variable !== undefined) {
        const found = env[variable];
        if (found === undefined) {
          missingAll.push({ file, path, variable });
          warnings.push(`${file}: ${path} reads os.environ/${variable}, which is not set (${name} left as it was)`);
          continue;
        }
        env[name] = found;
      } else {
        env[name] = value;
      }
      if (!names.includes(name)) names.push(name);
    }
  }
  return names;
}

/**
 * litellm_params whose provider has a default or needs none when they are absent: an unset
 * variable leaves them out (as LiteLLM reads it as None), e.g. a session token next to
 * long-term AWS keys. Credentials and api_base stay required: without them a request would
 * fail, or go to the provider's public default instead of the host meant.
 */
const OPTIONAL_PARAMS: ReadonlySet<string> = new Set([
  "aws_session_token",
  "aws_region_name",
  "aws_bedrock_runtime_endpoint",
  "organization",
  "api_version",
  "vertex_project",
  "vertex_location",
]);

function missingEnvWarning(file: string, ref: EnvRef, entries: ModelEntry[], env: NodeJS.ProcessEnv): string {
  const [section, index, group, ...rest] = ref.path;
  const reads = `reads os.environ/${ref.variable}, which is not set`;
  if (section === "model_list" && typeof index === "number") {
    const entry = entries[index];
    const label = `model_list[${index}]${entry ? ` (${entry.entry.model_name})` : ""}`;
    const field = formatPath(rest);
    if (group === "litellm_params" && entry && rest.length > 0 && !OPTIONAL_PARAMS.has(field)) {
      entry.missingEnv.push({ field, variable: ref.variable });
      return `${file}: ${label}: ${formatPath([group, ...rest])} ${reads}; requests to this deployment will fail with 401 until it is`;
    }
    return `${file}: ${label}: ${formatPath(ref.path.slice(2))} ${reads} (left unset)`;
  }
  const path = formatPath(ref.path);
  if (path === "general_settings.master_key") {
    return env.LITELLM_MASTER_KEY
      ? `${file}: ${path} ${reads}; using LITELLM_MASTER_KEY instead`
      : `${file}: ${path} ${reads}; requests that need a key will fail with 401 until it is`;
  }
  return `${file}: ${path} ${reads} (left unset)`;
}

/**
 * The LiteLLM callbacks litegate has: `prometheus` serves /metrics, `otel` exports OpenTelemetry
 * traces, `generic_api` posts each request's log.
 */
const SERVED_CALLBACKS: ReadonlySet<string> = new Set(["prometheus", "otel", "generic_api"]);

function unknownKeyWarnings({ file, raw }: Source): string[] {
  const out: string[] = [];
  const check = (value: unknown, known: ReadonlySet<string>, path: PathSegment[]): void => {
    if (!isPlainObject(value)) return;
    for (const key of Object.keys(value)) {
      if (known.has(key)) continue;
      const meant = nearMiss(key, known);
      // Ignoring a misspelled master key would start the gateway open to anyone.
      if (meant === "master_key" && path.length === 1 && path[0] === "general_settings") {
        throw new ConfigError(
          file,
          `${file}: general_settings.${key}: not a setting litegate knows; did you mean \`master_key\`? (ignoring it would start the gateway without a master key, open to anyone)`,
          { path: `general_settings.${key}` },
        );
      }
      const hint = meant === undefined ? "" : `; did you mean \`${meant}\`?`;
      out.push(`${file}: unknown key ${formatPath([...path, key])} (ignored${hint})`);
    }
  };
  // A misspelled section would be ignored whole: without its master key the gateway would run
  // open, without its database settings on another store. That is an error, not a warning.
  for (const key of Object.keys(raw)) {
    if (KNOWN_KEYS.top.has(key)) continue;
    const meant = nearMiss(key, KNOWN_KEYS.top);
    if (meant !== undefined) {
      throw new ConfigError(
        file,
        `${file}: ${key}: not a section litegate knows; did you mean \`${meant}\`? (ignoring it would drop every setting in it)`,
        { path: key },
      );
    }
  }
  check(raw, KNOWN_KEYS.top, []);
  if (Array.isArray(raw.model_list)) {
    raw.model_list.forEach((entry, i) => {
      check(entry, KNOWN_KEYS.model_entry, ["model_list", i]);
      const params = getAt(entry, ["litellm_params"]);
      check(params, KNOWN_KEYS.litellm_params, ["model_list", i, "litellm_params"]);
      // Accepted for LiteLLM's sake, but the Router is the only retry loop: each attempt is one call.
      if (isPlainObject(params) && params.max_retries !== undefined && params.max_retries !== null) {
        out.push(
          `${file}: ${formatPath(["model_list", i, "litellm_params", "max_retries"])} is not used: retries go through the Router, across deployments (router_settings.num_retries)`,
        );
      }
    });
  }
  for (const section of MAPPING_SECTIONS) check(raw[section], KNOWN_KEYS[section], [section]);
  check(getAt(raw, ["litellm_settings", "cache_params"]), KNOWN_KEYS.cache_params, [
    "litellm_settings",
    "cache_params",
  ]);
  return out;
}

/** The call types litegate caches (LiteLLM's names); the others are accepted with a warning. */
const CACHED_CALL_TYPES: ReadonlySet<string> = new Set([
  "completion",
  "acompletion",
  "text_completion",
  "atext_completion",
]);

/** What an operator must know of cache_params: set without `cache: true`, or naming call types litegate does not cache. */
function cacheWarnings(settings: LitellmSettings, file: string): string[] {
  const params = settings.cache_params;
  if (params === undefined) return [];
  if (settings.cache !== true) {
    return [
      `${file}: litellm_settings.cache_params is set but litellm_settings.cache is not true: no response is cached (as in LiteLLM)`,
    ];
  }
  const unserved = (params.supported_call_types ?? []).filter((type) => !CACHED_CALL_TYPES.has(type));
  return unserved.length === 0
    ? []
    : [
        `${file}: litellm_settings.cache_params.supported_call_types: ${unserved.join(", ")} not cached by litegate (it caches text and chat completions)`,
      ];
}

type Section<K extends (typeof MAPPING_SECTIONS)[number]> = NoNulls<NonNullable<ParsedFile[K]>>;

/**
 * Key-by-key merge, later files winning. (LiteLLM replaces a whole section when an
 * included file has it; merging keys is a superset that surprises nobody.)
 */
function mergeSection<K extends (typeof MAPPING_SECTIONS)[number]>(
  sources: ParsedSource[],
  section: K,
  warnings: string[],
): { value: Section<K>; origin: Map<string, string> } {
  const value: Record<string, unknown> = {};
  const origin = new Map<string, string>();
  for (const { source, parsed } of sources) {
    const part = parsed[section];
    if (!part) continue;
    for (const [key, v] of Object.entries(dropNulls(part))) {
      const previous = origin.get(key);
      if (previous !== undefined && previous !== source.file) {
        warnings.push(`${source.file}: ${formatPath([section, key])} overrides the value from ${previous}`);
      }
      value[key] = v;
      origin.set(key, source.file);
    }
  }
  return { value: value as Section<K>, origin };
}

function isRoutingStrategy(value: string): value is RoutingStrategy {
  return (ROUTING_STRATEGIES as readonly string[]).includes(value);
}

function routingStrategy(value: string | undefined, file: string | undefined, warnings: string[]): RoutingStrategy {
  if (value === undefined) return DEFAULT_ROUTING_STRATEGY;
  if (isRoutingStrategy(value)) return value;
  // Validation admitted only the known strategies and the substitutable ones.
  const substitute = ROUTING_STRATEGY_SUBSTITUTES[value] ?? DEFAULT_ROUTING_STRATEGY;
  warnings.push(
    `${file ?? "config"}: router_settings.routing_strategy ${JSON.stringify(value)} is served by litegate as ${JSON.stringify(substitute)}`,
  );
  return substitute;
}

function masterKey(general: GeneralSettings, missing: ConfigMissingEnv[], env: NodeJS.ProcessEnv): MasterKey {
  if (general.master_key) return { state: "set", value: general.master_key, source: "general_settings.master_key" };
  const fromEnv = env.LITELLM_MASTER_KEY;
  if (fromEnv) return { state: "set", value: fromEnv, source: "LITELLM_MASTER_KEY" };
  const unresolved = missing.find((m) => m.path === "general_settings.master_key");
  if (unresolved) return { state: "missing-env", variable: unresolved.variable };
  return { state: "none" };
}

/** One line per zod issue: `file: path: expected X, got Y`, or `file: path is required`. */
function validationError(
  file: string,
  error: z.ZodError,
  root: unknown,
  basePath: PathSegment[],
  missingByPath: ReadonlyMap<string, string>,
  resolvedByPath: ReadonlyMap<string, string>,
): ConfigError {
  const problems = error.issues.map((issue) => {
    const local = issue.path.filter((p): p is PathSegment => typeof p !== "symbol");
    const fullPath = [...basePath, ...local];
    const path = formatPath(fullPath);
    const value = getAt(root, local);
    if (value === undefined) {
      const variable = missingByPath.get(path);
      return variable !== undefined
        ? { path, line: `${file}: ${path} reads os.environ/${variable}, which is not set` }
        : { path, line: `${file}: ${path} is required` };
    }
    const variable = resolvedByPath.get(path);
    // A value read from the environment may be a secret, whatever the key is called.
    const got =
      variable !== undefined ? `the value of os.environ/${variable}` : describeValue(value, isSensitivePath(fullPath));
    const where = path === "" ? file : `${file}: ${path}`;
    return { path, line: `${where}: ${issue.message}, got ${got}` };
  });
  const first = problems[0] ?? { path: "", line: `${file}: invalid config` };
  return new ConfigError(file, first.line, { path: first.path, problems: problems.map((p) => p.line) });
}
