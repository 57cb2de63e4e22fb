/**
 * The gateway's deployments: config.yaml's, plus those added at runtime through POST
 * /model/new and kept in the database (general_settings.store_model_in_db, as in LiteLLM).
 * Every instance loads the stored ones at start and keeps them current: at once when another
 * instance announces a change over Redis, else on a periodic refresh. Each change reaches the
 * Router through its one entry point, Router.replaceDeployments.
 */
import { randomUUID } from "node:crypto";
import { buildDeployments, type Deployment } from "../config/index.js";
import { resolveEnvRefs } from "../config/env.js";
import { describeValue, getAt, isPlainObject, isSensitivePath, type PathSegment } from "../config/errors.js";
import { nearMiss } from "../config/near-miss.js";
import { checkProvider } from "../config/providers.js";
import { KNOWN_KEYS, type ModelEntry, modelEntrySchema } from "../config/schema.js";
import type { ResolvedEntry } from "../config/deployment.js";
import type { Router } from "../router/router.js";
import type { ModelChanges } from "../state/model-changes.js";
import { type JsonObject, type ModelRecord, type Store, StoreConflictError } from "../store/types.js";
import { preloadEncoding } from "../usage/tokens.js";
import { BadRequestError } from "../wire/errors.js";
import { clip } from "../wire/validate.js";
import type { Logger } from "./logger.js";

/** How often an instance reads the stored models again; LiteLLM polls its database every 10 s too. */
export const DEFAULT_MODEL_REFRESH_SECONDS = 10;

interface ModelCatalogOptions {
  router: Router;
  /** config.yaml's deployments, resolved. */
  deployments: readonly Deployment[];
  store: Store | undefined;
  /** general_settings.store_model_in_db: stored models are loaded, and the write routes open. */
  storeModelInDb: boolean;
  /** Word from the other instances (Redis); without it the refresh alone carries changes. */
  changes: ModelChanges | undefined;
  refreshSeconds: number;
  logger: Logger;
  /** Where `os.environ/NAME` in stored litellm_params are read. */
  env: Readonly<Record<string, string | undefined>>;
}

/** A deployment as /model/new takes it: config.yaml's model_list entry shape. */
interface ModelInput {
  model_name: unknown;
  litellm_params: unknown;
  model_info?: unknown;
}

function badField(path: readonly PathSegment[], message: string, code = "invalid_value"): BadRequestError {
  const param = path.map(String).join(".");
  return new BadRequestError(`Invalid '${param}': ${message}`, { param, code });
}

/**
 * A model_list entry checked as config.yaml's are (the same schema), its `os.environ/`
 * references resolved from `env`; a 400 naming the first bad field. A litellm_params key
 * that is a near miss of a known one is refused ("did you mean"), as is a provider prefix
 * litegate does not serve: at runtime there is no start-up log to warn in.
 */
function checkEntry(raw: unknown, env: Readonly<Record<string, string | undefined>>): Omit<ResolvedEntry, "where"> {
  const { value, missing } = resolveEnvRefs(raw, env);
  const parsed = modelEntrySchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = (issue?.path ?? []).filter((p): p is PathSegment => typeof p !== "symbol");
    const found = getAt(value, path);
    const unset = missing.find((ref) => ref.path.join(".") === path.join("."));
    if (unset !== undefined) {
      throw badField(path, `it reads os.environ/${unset.variable}, which is not set on this gateway.`);
    }
    throw badField(
      path,
      found === undefined
        ? "it is required."
        : `${issue?.message ?? "invalid"}, got ${describeValue(found, isSensitivePath(path))}.`,
    );
  }
  const entry: ModelEntry = parsed.data;
  for (const key of Object.keys(entry.litellm_params)) {
    if (KNOWN_KEYS.litellm_params.has(key)) continue;
    const meant = nearMiss(key, KNOWN_KEYS.litellm_params);
    if (meant !== undefined) {
      throw badField(
        ["litellm_params", key],
        `not a setting litegate knows; did you mean '${meant}'?`,
        "unknown_field",
      );
    }
  }
  const provider = checkProvider(entry.litellm_params.model);
  if (provider.kind === "typo") {
    throw badField(
      ["litellm_params", "model"],
      `unknown provider '${clip(provider.provider)}'; did you mean '${provider.meant}'?`,
      "unknown_provider",
    );
  }
  if (provider.kind === "unserved") {
    throw badField(
      ["litellm_params", "model"],
      `litegate does not serve the provider '${clip(provider.provider)}' yet; requests to it could only fail.`,
      "provider_not_supported",
    );
  }
  const missingEnv = missing
    .filter((ref) => ref.path[0] === "litellm_params" && ref.path.length > 1)
    .map((ref) => ({ field: ref.path.slice(1).join("."), variable: ref.variable }));
  return { entry, raw, missingEnv };
}

/** A stored model as the model_list entry it was added as, its id in model_info. */
function entryOf(record: ModelRecord): Record<string, unknown> {
  return {
    model_name: record.model_name,
    litellm_params: record.litellm_params,
    model_info: { ...record.model_info, id: record.model_id },
  };
}

/** model_info as stored: the id is the row's key. */
function withoutId(info: Record<string, unknown>): JsonObject {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(info)) if (key !== "id") out[key] = value;
  return out as JsonObject;
}

/** `patch` over `base`, LiteLLM's /model/update way: a null or absent value keeps what was there. */
function merged(base: JsonObject, patch: unknown): JsonObject {
  if (!isPlainObject(patch)) return base;
  const out: JsonObject = { ...base };
  for (const [key, value] of Object.entries(patch))
    if (value !== null && value !== undefined) out[key] = value as never;
  return out;
}

export class ModelCatalog {
  private readonly configIds: ReadonlySet<string>;
  private storedIds: ReadonlySet<string> = new Set();
  /** Every deployment routed to, config.yaml's first, then the stored ones oldest first. */
  private current: readonly Deployment[];
  /** What the stored models were when last loaded: a refresh that finds the same replaces nothing. */
  private loaded = "";
  private timer: NodeJS.Timeout | undefined;
  /** Reloads run one after another, so an older list never replaces a newer one. */
  private reloading: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly options: ModelCatalogOptions) {
    this.configIds = new Set(options.deployments.map((d) => d.id));
    this.current = options.deployments;
    preloadEncodings(options.deployments);
  }

  /** Every deployment, in model_list order: config.yaml's, then those stored, oldest first. */
  get deployments(): readonly Deployment[] {
    return this.current;
  }

  /** The write routes are open (store_model_in_db and a database). */
  get writable(): boolean {
    return this.options.storeModelInDb && this.options.store !== undefined;
  }

  /** True for a deployment added through /model/new (LiteLLM's `model_info.db_model`). */
  isStored(id: string): boolean {
    return this.storedIds.has(id);
  }

  isConfigured(id: string): boolean {
    return this.configIds.has(id);
  }

  /**
   * Loads the stored models (a database that fails here leaves the config's serving, with a
   * warning), then keeps them current: on every change another instance announces, and every
   * refresh interval.
   */
  async start(): Promise<void> {
    if (!this.writable || this.timer !== undefined) return;
    await this.reload();
    this.timer = setInterval(() => void this.reload(), this.options.refreshSeconds * 1000);
    this.timer.unref();
    this.options.changes?.onChange(() => void this.reload());
  }

  /** Reads the stored models and routes to them with the config's. Never rejects. */
  reload(): Promise<void> {
    this.reloading = this.reloading
      .then(() => this.load())
      .catch((error: unknown) => {
        this.options.logger.warn(
          `Could not read the models stored in the database (${error instanceof Error ? error.message : String(error)}); serving the models loaded before until the next refresh.`,
        );
      });
    return this.reloading;
  }

  /** Adds a deployment (POST /model/new); every instance routes to it from its next reload. */
  async add(input: ModelInput): Promise<ModelRecord> {
    const store = this.requireStore();
    // A model_info without an id gets one; a malformed one is the schema's to refuse.
    const info = input.model_info ?? {};
    const given = isPlainObject(info) ? info : undefined;
    const model_info = given !== undefined && (given.id ?? null) === null ? { ...given, id: randomUUID() } : info;
    const { entry } = checkEntry({ ...input, model_info }, this.options.env);
    const id = String(entry.model_info?.id);
    if (this.configIds.has(id) || this.storedIds.has(id) || (await store.getModel(id)) !== undefined) {
      throw this.taken(id);
    }
    let record: ModelRecord;
    try {
      record = await store.createModel({
        model_id: id,
        model_name: entry.model_name,
        litellm_params: input.litellm_params as JsonObject,
        model_info: withoutId(given ?? {}),
      });
    } catch (error) {
      if (error instanceof StoreConflictError) throw this.taken(id);
      throw error;
    }
    await this.changed();
    return record;
  }

  /**
   * Updates a stored deployment (POST /model/update, by model_info.id): litellm_params and
   * model_info merged into what is stored (null keeps a value), model_name replaced if given.
   * Undefined when no stored model has the id.
   */
  async update(id: string, input: Partial<ModelInput>): Promise<ModelRecord | undefined> {
    const store = this.requireStore();
    const current = await store.getModel(id);
    if (current === undefined) return undefined;
    const info = isPlainObject(input.model_info) ? withoutId(input.model_info) : {};
    const next = {
      model_name: input.model_name ?? current.model_name,
      litellm_params: merged(current.litellm_params, input.litellm_params),
      model_info: merged(current.model_info, info),
    };
    const { entry } = checkEntry({ ...next, model_info: { ...next.model_info, id } }, this.options.env);
    const record = await store.updateModel(id, { ...next, model_name: entry.model_name });
    await this.changed();
    return record;
  }

  /** Removes a stored deployment (POST /model/delete); false when no stored model has the id. */
  async remove(id: string): Promise<boolean> {
    const removed = await this.requireStore().deleteModel(id);
    if (removed) await this.changed();
    return removed;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.reloading;
    await this.options.changes?.close();
  }

  private requireStore(): Store {
    const store = this.options.store;
    if (store === undefined || !this.writable) throw new Error("the model write routes are closed");
    return store;
  }

  private taken(id: string): BadRequestError {
    return new BadRequestError(
      `Model with id '${clip(id)}' already exists: give model_info.id another value, or leave it out to get a new one (POST /model/update changes a stored model).`,
      { param: "model_info.id", code: "model_exists" },
    );
  }

  /** This instance routes by the change at once; the others are told. */
  private async changed(): Promise<void> {
    await this.reload();
    this.options.changes?.announce();
  }

  private async load(): Promise<void> {
    if (this.closed) return;
    const store = this.options.store;
    if (store === undefined) return;
    const records = await store.listModels();
    // The rows themselves, not their updated_at: two updates within one millisecond differ too.
    const seen = JSON.stringify(records);
    if (seen === this.loaded) return;
    const entries: ResolvedEntry[] = [];
    records.forEach((record, index) => {
      // A stored id the config took since (config.yaml edited) stays the config's.
      if (this.configIds.has(record.model_id)) {
        this.options.logger.warn(
          `The model stored with id '${record.model_id}' is skipped: config.yaml has a deployment with that id.`,
        );
        return;
      }
      try {
        entries.push({ ...checkEntry(entryOf(record), this.options.env), where: { file: "database", index } });
      } catch (error) {
        this.options.logger.warn(
          `The model stored with id '${record.model_id}' is skipped: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    });
    const stored = buildDeployments(entries);
    preloadEncodings(stored);
    this.current = [...this.options.deployments, ...stored];
    this.options.router.replaceDeployments(this.current);
    this.storedIds = new Set(stored.map((d) => d.id));
    this.loaded = seen;
  }
}

/** mock_response answers count their tokens: the encoding is loaded now, not on the first request. */
function preloadEncodings(deployments: readonly Deployment[]): void {
  for (const deployment of deployments) {
    if (deployment.options.mock_response !== undefined) preloadEncoding(deployment.model);
  }
}
