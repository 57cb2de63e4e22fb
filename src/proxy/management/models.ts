/**
 * LiteLLM's model routes. GET /model/info (and /v1/model/info) lists deployments with their
 * litellm_params (credentials removed) and model_info (the config's, with what litegate
 * knows of the model: prices, context window, mode, supported params); GET /model_group/info
 * describes each public model name. A virtual key sees only the models it may use. POST
 * /model/new, /model/update and /model/delete (master key, general_settings.store_model_in_db)
 * add, change and remove deployments at runtime; see model-catalog.ts.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { isAllowed } from "../../access/checks.js";
import type { Principal } from "../../access/grant.js";
import { type Deployment, safeApiBase } from "../../config/index.js";
import { envRefName } from "../../config/env.js";
import { isPlainObject, isSensitivePath } from "../../config/errors.js";
import { capabilitiesOf } from "../../sdk/capabilities.js";
import type { ModelRecord } from "../../store/types.js";
import { BadRequestError } from "../../wire/errors.js";
import { clip, describe } from "../../wire/validate.js";
import { readJsonBody } from "../body.js";
import type { RequestContext } from "../context.js";
import type { Gateway } from "../gateway.js";
import type { ModelCatalog } from "../model-catalog.js";
import { sendJson } from "../respond.js";
import { queryOf } from "./query.js";

/** Providers whose deployments answer text completions: their params are the completion params. */
const TEXT_PROVIDERS = ["text-completion-openai/", "azure_text/", "text-completion-codestral/"];

/**
 * litellm_params as a caller may see them: every credential (api_key, aws_secret_access_key,
 * azure_ad_token, extra_headers, ...) left out at any depth, and api_base without the user,
 * password or query a URL can carry. LiteLLM removes some and masks the rest to their first
 * and last characters; litegate shows none of a secret.
 */
function publicParams(params: Readonly<Record<string, unknown>>, path: string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(params)) {
    const at = [...path, key];
    if (isSensitivePath(at)) continue;
    if (key === "api_base" && path.length === 0 && typeof value === "string" && envRefName(value) === undefined) {
      const safe = safeApiBase(value);
      if (safe !== undefined) out[key] = safe;
      continue;
    }
    out[key] = isPlainObject(value) ? publicParams(value, at) : value;
  }
  return out;
}

function modeOf(deployment: Deployment): "chat" | "completion" | "embedding" {
  const mode = deployment.info.mode ?? deployment.price?.mode;
  if (mode === "chat" || mode === "completion" || mode === "embedding") return mode;
  return TEXT_PROVIDERS.some((prefix) => deployment.model.startsWith(prefix)) ? "completion" : "chat";
}

/**
 * What litegate knows of the deployment's model, under LiteLLM's model_info names: its price
 * table entry (or the deployment's own prices), context window and mode, its provider and the
 * OpenAI params its adapter takes. A field litegate does not know is left out.
 */
function knownInfo(deployment: Deployment): Record<string, unknown> {
  const known: Record<string, unknown> = {};
  const price = deployment.price;
  const caps = capabilitiesOf(deployment.model, modeOf(deployment));
  if (price !== undefined) {
    if (price.source !== "model_info" && price.source !== "self-hosted") known.key = price.source;
    if (price.max_output_tokens !== undefined) known.max_tokens = price.max_output_tokens;
    if (price.max_input_tokens !== undefined) known.max_input_tokens = price.max_input_tokens;
    if (price.max_output_tokens !== undefined) known.max_output_tokens = price.max_output_tokens;
    known.input_cost_per_token = price.input_cost_per_token;
    known.output_cost_per_token = price.output_cost_per_token;
    known.mode = price.mode;
  }
  if (caps !== undefined) {
    known.litellm_provider = caps.provider;
    known.supported_openai_params = caps.supported_openai_params;
  } else if (price !== undefined) {
    known.litellm_provider = price.provider;
  }
  return known;
}

/** One /model/info entry: the config's model_info wins over what litegate knows, as in LiteLLM. */
function deploymentView(catalog: ModelCatalog, deployment: Deployment) {
  return {
    model_name: deployment.modelName,
    litellm_params: publicParams({ ...deployment.params }),
    model_info: { ...knownInfo(deployment), ...deployment.info, db_model: catalog.isStored(deployment.id) },
  };
}

/** A stored model as the write routes answer it (LiteLLM's proxy model table row, credentials removed). */
function recordView(record: ModelRecord) {
  return {
    model_id: record.model_id,
    model_name: record.model_name,
    litellm_params: publicParams(record.litellm_params),
    model_info: { ...record.model_info, id: record.model_id, db_model: true },
    created_at: new Date(record.created_at).toISOString(),
    updated_at: new Date(record.updated_at).toISOString(),
  };
}

/** The deployments the caller may see: every one for the master key, a virtual key's allowed models' only. */
function visibleDeployments(gateway: Gateway, principal: Principal): readonly Deployment[] {
  const all = gateway.models.deployments;
  if (principal.kind !== "key") return all;
  const offered = new Set(gateway.router.modelNames);
  return all.filter((d) => offered.has(d.modelName) && isAllowed(principal.grant, d.modelName));
}

export async function modelInfo(
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
): Promise<void> {
  const principal = await gateway.access.authenticate(req);
  ctx.principal = principal;
  const id = queryOf(req, ctx.route, ["litellm_model_id"]).get("litellm_model_id");
  let deployments = visibleDeployments(gateway, principal);
  if (id !== null) {
    deployments = deployments.filter((d) => d.id === id);
    if (deployments.length === 0) {
      throw new BadRequestError(
        `Model id = '${clip(id)}' not found on this gateway (or not one this key may use). GET ${ctx.route} lists the ids.`,
        { param: "litellm_model_id", code: "model_not_found" },
      );
    }
  }
  sendJson(res, 200, { data: deployments.map((d) => deploymentView(gateway.models, d)) }, ctx.headers());
}

/** The largest of the values given, or null when none is (LiteLLM keeps a group's largest). */
function largest(values: readonly (number | undefined)[]): number | null {
  const known = values.filter((v): v is number => v !== undefined);
  return known.length === 0 ? null : Math.max(...known);
}

function total(values: readonly (number | undefined)[]): number | null {
  const known = values.filter((v): v is number => v !== undefined);
  return known.length === 0 ? null : known.reduce((a, b) => a + b, 0);
}

/** One /model_group/info entry: LiteLLM's ModelGroupInfo over the group's deployments. */
function groupView(name: string, members: readonly Deployment[]) {
  const infos = members.map(knownInfo);
  const number = (info: Record<string, unknown>, key: string): number | undefined =>
    typeof info[key] === "number" ? (info[key] as number) : undefined;
  const params = new Set<string>();
  for (const info of infos) {
    const list = info.supported_openai_params;
    if (Array.isArray(list)) for (const param of list) params.add(String(param));
  }
  const providers = [...new Set(infos.map((info) => info.litellm_provider).filter((p) => typeof p === "string"))];
  const modes = members.map((d) => d.info.mode ?? d.price?.mode).filter((m) => m !== undefined);
  return {
    model_group: name,
    providers,
    max_input_tokens: largest(infos.map((i) => number(i, "max_input_tokens"))),
    max_output_tokens: largest(infos.map((i) => number(i, "max_output_tokens"))),
    input_cost_per_token: largest(infos.map((i) => number(i, "input_cost_per_token"))),
    output_cost_per_token: largest(infos.map((i) => number(i, "output_cost_per_token"))),
    mode: modes[0] ?? "chat",
    tpm: total(members.map((d) => d.limits.tpm)),
    rpm: total(members.map((d) => d.limits.rpm)),
    supports_parallel_function_calling: params.has("parallel_tool_calls"),
    supports_vision: false,
    supports_function_calling: params.has("tools"),
    supported_openai_params: [...params].sort(),
  };
}

export async function modelGroupInfo(
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
): Promise<void> {
  const principal = await gateway.access.authenticate(req);
  ctx.principal = principal;
  const wanted = queryOf(req, ctx.route, ["model_group"]).get("model_group");
  const groups = new Map<string, Deployment[]>();
  for (const deployment of visibleDeployments(gateway, principal)) {
    if (!gateway.router.modelNames.includes(deployment.modelName)) continue;
    if (wanted !== null && deployment.modelName !== wanted) continue;
    const members = groups.get(deployment.modelName);
    if (members === undefined) groups.set(deployment.modelName, [deployment]);
    else members.push(deployment);
  }
  const data = [...groups].map(([name, members]) => groupView(name, members));
  sendJson(res, 200, { data }, ctx.headers());
}

/** The master key, and store_model_in_db: what the write routes need before they read a body. */
async function writableCatalog(
  gateway: Gateway,
  req: IncomingMessage,
  ctx: RequestContext,
  route: string,
): Promise<ModelCatalog> {
  await gateway.access.requireKeyManagement(req, ctx);
  if (!gateway.models.writable) {
    throw new BadRequestError(
      `${route} needs models stored in the database: set general_settings.store_model_in_db: true (or STORE_MODEL_IN_DB=True) and restart the gateway. Until then models come from config.yaml only.`,
      { param: "store_model_in_db", code: "store_model_in_db_disabled" },
    );
  }
  return gateway.models;
}

/** The JSON object body of a write route, refusing top-level fields it does not take. */
async function objectBody(
  gateway: Gateway,
  req: IncomingMessage,
  route: string,
  fields: readonly string[],
): Promise<Record<string, unknown>> {
  const body = await readJsonBody(req, gateway.maxBodyBytes);
  if (!isPlainObject(body)) {
    throw new BadRequestError(`The body of ${route} must be a JSON object; got ${describe(body)}.`, {
      code: "invalid_body",
    });
  }
  for (const key of Object.keys(body)) {
    if (!fields.includes(key)) {
      throw new BadRequestError(`${route} does not take '${clip(key)}': remove it. It takes: ${fields.join(", ")}.`, {
        param: clip(key),
        code: "unsupported_field",
      });
    }
  }
  return body;
}

/** The model id a write route names: model_info.id (/model/update) or id (/model/delete). */
function modelId(value: unknown, param: string, route: string): string {
  if ((typeof value === "string" && value !== "") || typeof value === "number") return String(value);
  throw new BadRequestError(
    `${route} needs '${param}', the model's id (model_info.id, as GET /model/info lists it); got ${describe(value)}.`,
    { param, code: value === undefined ? "missing_param" : "invalid_value" },
  );
}

function configModel(id: string, verb: string): BadRequestError {
  return new BadRequestError(
    `Model '${clip(id)}' is defined in config.yaml and cannot be ${verb} through the API (as in LiteLLM): change config.yaml, or add the model with POST /model/new to manage it here.`,
    { param: "id", code: "model_in_config" },
  );
}

function notStored(id: string): BadRequestError {
  return new BadRequestError(`Model with id '${clip(id)}' not found in the database. GET /model/info lists the ids.`, {
    param: "id",
    code: "model_not_found",
  });
}

const ENTRY_FIELDS = ["model_name", "litellm_params", "model_info"] as const;

export async function newModel(
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
): Promise<void> {
  const catalog = await writableCatalog(gateway, req, ctx, "/model/new");
  const body = await objectBody(gateway, req, "/model/new", ENTRY_FIELDS);
  const record = await catalog.add({
    model_name: body.model_name,
    litellm_params: body.litellm_params,
    model_info: body.model_info,
  });
  sendJson(res, 200, recordView(record), ctx.headers());
}

export async function updateModel(
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
): Promise<void> {
  const catalog = await writableCatalog(gateway, req, ctx, "/model/update");
  const body = await objectBody(gateway, req, "/model/update", ENTRY_FIELDS);
  const id = modelId(isPlainObject(body.model_info) ? body.model_info.id : undefined, "model_info.id", "/model/update");
  for (const field of ["litellm_params", "model_info"] as const) {
    const value = body[field];
    if (value !== undefined && value !== null && !isPlainObject(value)) {
      throw new BadRequestError(
        `Invalid '${field}' in /model/update: got ${describe(value)}. It must be a JSON object.`,
        {
          param: field,
          code: "invalid_value",
        },
      );
    }
  }
  if (catalog.isConfigured(id)) throw configModel(id, "edited");
  const record = await catalog.update(id, body);
  if (record === undefined) throw notStored(id);
  sendJson(res, 200, recordView(record), ctx.headers());
}

export async function deleteModel(
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
): Promise<void> {
  const catalog = await writableCatalog(gateway, req, ctx, "/model/delete");
  const body = await objectBody(gateway, req, "/model/delete", ["id"]);
  const id = modelId(body.id, "id", "/model/delete");
  if (catalog.isConfigured(id)) throw configModel(id, "deleted");
  if (!(await catalog.remove(id))) throw notStored(id);
  sendJson(res, 200, { message: `Model: ${id} deleted successfully` }, ctx.headers());
}
