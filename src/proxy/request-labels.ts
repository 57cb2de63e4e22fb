/**
 * A request's tags and metadata, as LiteLLM's proxy reads them for its spend logs:
 * `request_tags` is `metadata.tags`, then the key's and the team's `metadata.tags`, then the
 * body's `tags` (or, without them, the `x-litellm-tags` header), merged without repeats in
 * that order; `metadata` is the body's `metadata` with `litellm_metadata`'s keys added where
 * absent, and the key's and team's `spend_logs_metadata` under its `spend_logs_metadata`
 * (the request's own values win). Secrets are removed and the result is bounded, since it
 * is stored with every spend record and written on every log line.
 */
import type { IncomingMessage } from "node:http";
import type { Principal } from "../access/grant.js";
import type { Json, JsonObject } from "../store/types.js";
import { BadRequestError } from "../wire/errors.js";
import { MAX_JSON_DEPTH, nestsDeeperThan } from "./body.js";

/** At most this many tags a request, each at most MAX_TAG_LENGTH characters. */
export const MAX_TAGS = 32;
export const MAX_TAG_LENGTH = 128;
/**
 * The most a request's stored metadata takes, as JSON text; keys past it are left out. With
 * the tag limits, a spend record stays under about 7 KB, so the spend writer's buffer of
 * 100 000 records (held while the database is down) stays bounded.
 */
export const MAX_METADATA_CHARS = 2048;
/** The key that lists what metadata was cut, and the characters kept for its list of names. */
const TRUNCATED = "litegate_truncated";
const MARKER_NAMES_ROOM = 300;

export interface RequestLabels {
  tags: string[];
  metadata: JsonObject;
}

export const NO_LABELS: RequestLabels = { tags: [], metadata: {} };

/**
 * Key names whose values are credentials, at any depth: never stored or logged. (A client's
 * metadata is free-form; a copied header or a provider key must not end up in the spend table.)
 */
const SECRET_NAME =
  /api[_-]?key|secret|password|passwd|authorization|cookie|credential|(access|refresh|session)[_-]?token|(^|[^a-z0-9])id[_-]?token|private[_-]?key|^(token|key|auth|bearer|jwt)$/i;
/** A camelCase name split at its humps (googleIdToken → google_Id_Token), so SECRET_NAME sees its words. */
const words = (name: string): string => name.replace(/([a-z0-9])([A-Z])/g, "$1_$2");
/** A value shaped like an API key (OpenAI's, Anthropic's, litegate's virtual keys). */
const SECRET_VALUE = /^(sk|pk|rk)-[\w-]{16,}$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function tagList(value: unknown, field: string): string[] {
  const problem = (what: string) =>
    new BadRequestError(`Invalid '${field}': ${what}. Send a list of strings, e.g. ["prod", "team-a"].`, {
      param: field,
      code: "invalid_tags",
    });
  if (!Array.isArray(value)) throw problem(`expected a list of strings, got ${value === null ? "null" : typeof value}`);
  if (value.length > MAX_TAGS) throw problem(`${value.length} tags; at most ${MAX_TAGS} are taken`);
  value.forEach((tag, i) => {
    if (typeof tag !== "string") throw problem(`item ${i} is ${tag === null ? "null" : typeof tag}, not a string`);
    if (tag.length > MAX_TAG_LENGTH) throw problem(`item ${i} is longer than ${MAX_TAG_LENGTH} characters`);
  });
  return value as string[];
}

/** LiteLLM takes metadata as an object, or as JSON text of one (multipart forms send it so). */
function metadataObject(value: unknown, field: string): Record<string, unknown> | undefined {
  if (value === undefined || value === null) return undefined;
  let parsed: unknown = value;
  if (typeof value === "string") {
    // JSON in a string escaped the body's depth check: one too deep would overflow the scrub below.
    if (nestsDeeperThan(value, MAX_JSON_DEPTH)) {
      throw new BadRequestError(
        `Invalid '${field}': its JSON nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep; send a flatter object.`,
        { param: field, code: "invalid_metadata" },
      );
    }
    try {
      parsed = JSON.parse(value) as unknown;
    } catch {
      parsed = undefined;
    }
  }
  if (!isRecord(parsed)) {
    throw new BadRequestError(
      `Invalid '${field}': expected an object of your own key-value pairs, e.g. {"trace_id": "abc"}.`,
      { param: field, code: "invalid_metadata" },
    );
  }
  return parsed;
}

/** `metadata` without secrets, at any depth; undefined for a value that holds nothing else. */
function scrub(value: unknown): Json | undefined {
  if (typeof value === "string") return SECRET_VALUE.test(value) ? undefined : value;
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (typeof value === "boolean" || value === null) return value;
  if (Array.isArray(value)) {
    const items: Json[] = [];
    for (const item of value) {
      const clean = scrub(item);
      if (clean !== undefined) items.push(clean);
    }
    return items;
  }
  if (isRecord(value)) {
    const object: JsonObject = {};
    for (const [name, item] of Object.entries(value)) {
      if (SECRET_NAME.test(words(name))) continue;
      const clean = scrub(item);
      if (clean !== undefined) object[name] = clean;
    }
    return object;
  }
  return undefined;
}

/**
 * A request body as --detailed_debug logs it: its free-form metadata without secrets, as stored
 * (the logger censors the known credential fields by name).
 */
export function loggableBody(body: Record<string, unknown>): Record<string, unknown> {
  if (body.metadata === undefined && body.litellm_metadata === undefined) return body;
  const shown: Record<string, unknown> = { ...body };
  for (const field of ["metadata", "litellm_metadata"])
    if (shown[field] !== undefined) shown[field] = scrub(shown[field]);
  return shown;
}

/** Keeps top-level entries in order while the JSON stays within MAX_METADATA_CHARS; says which were left out. */
function bounded(metadata: JsonObject): JsonObject {
  if (JSON.stringify(metadata).length <= MAX_METADATA_CHARS) return metadata;
  const kept: JsonObject = {};
  const dropped: string[] = [];
  // Room for the marker naming what was dropped: its key and a few names, cut short.
  const marker = `,${JSON.stringify(TRUNCATED)}:[]`.length;
  let size = 2 + marker + MARKER_NAMES_ROOM;
  for (const [name, value] of Object.entries(metadata)) {
    const entry = JSON.stringify(name).length + JSON.stringify(value).length + 2;
    if (size + entry <= MAX_METADATA_CHARS) {
      kept[name] = value;
      size += entry;
    } else dropped.push(name.slice(0, 40));
  }
  // As many dropped names as fit the room kept for them (a name's JSON may be longer than its text).
  const named: string[] = [];
  let room = MARKER_NAMES_ROOM;
  for (const name of dropped) {
    const entry = JSON.stringify(name).length + 1;
    if (entry > room) break;
    named.push(name);
    room -= entry;
  }
  kept[TRUNCATED] = named;
  return kept;
}

function merge(target: string[], tags: readonly string[]): void {
  for (const tag of tags) if (!target.includes(tag)) target.push(tag);
}

/** Tags a key or team carries in its metadata (set by an admin; anything else there is ignored). */
function ownerTags(metadata: JsonObject | undefined): string[] {
  const tags = metadata?.tags;
  return Array.isArray(tags) ? tags.filter((tag): tag is string => typeof tag === "string") : [];
}

function ownerSpendMetadata(metadata: JsonObject | undefined): JsonObject {
  const value = metadata?.spend_logs_metadata;
  return isRecord(value) ? (value as JsonObject) : {};
}

/** The header's comma-separated tags, trimmed (LiteLLM's `x-litellm-tags`). */
function headerTags(req: IncomingMessage): string[] | undefined {
  const header = req.headers["x-litellm-tags"];
  if (typeof header !== "string" || header === "") return undefined;
  return tagList(
    header.split(",").map((tag) => tag.trim()),
    "x-litellm-tags",
  );
}

/** The request's labels; throws BadRequestError naming the field when tags or metadata are malformed. */
export function requestLabels(
  body: Record<string, unknown>,
  req: IncomingMessage,
  principal: Principal,
): RequestLabels {
  // Most requests carry none and have no key metadata to merge: nothing to build.
  if (
    body.metadata == null &&
    body.litellm_metadata == null &&
    body.tags == null &&
    req.headers["x-litellm-tags"] === undefined &&
    principal.kind !== "key"
  )
    return NO_LABELS;
  const metadata = metadataObject(body.metadata, "metadata");
  const litellmMetadata = metadataObject(body.litellm_metadata, "litellm_metadata");
  const tags: string[] = [];
  if (metadata?.tags !== undefined && metadata.tags !== null) merge(tags, tagList(metadata.tags, "metadata.tags"));
  else if (litellmMetadata?.tags !== undefined && litellmMetadata.tags !== null)
    merge(tags, tagList(litellmMetadata.tags, "litellm_metadata.tags"));
  const grant = principal.kind === "key" ? principal.grant : undefined;
  merge(tags, ownerTags(grant?.key.metadata));
  merge(tags, ownerTags(grant?.team?.metadata));
  const bodyTags = body.tags === undefined || body.tags === null ? headerTags(req) : tagList(body.tags, "tags");
  if (bodyTags !== undefined) merge(tags, bodyTags);
  // LiteLLM's merged metadata: litellm_metadata fills in what metadata leaves out.
  const combined: Record<string, unknown> = { ...litellmMetadata, ...metadata };
  delete combined.tags;
  // Fields LiteLLM fills in from the key itself: a client must not forge them.
  for (const name of Object.keys(combined)) if (name.startsWith("user_api_key")) delete combined[name];
  const spendLogs = {
    ...ownerSpendMetadata(grant?.team?.metadata),
    ...ownerSpendMetadata(grant?.key.metadata),
    ...(isRecord(combined.spend_logs_metadata) ? combined.spend_logs_metadata : {}),
  };
  if (Object.keys(spendLogs).length > 0) combined.spend_logs_metadata = spendLogs;
  const clean = scrub(combined) as JsonObject;
  if (tags.length === 0 && Object.keys(clean).length === 0) return NO_LABELS;
  return { tags, metadata: bounded(clean) };
}
