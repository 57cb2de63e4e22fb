/**
 * Where Google's model methods answer, for every endpoint (chat, `embedContent` /
 * `batchEmbedContents`, `predict`): the Gemini API under its key, Vertex AI under a
 * project and region, and `api_base` read as LiteLLM reads it (vertex_llm_base.py's
 * `_check_custom_proxy`: a custom base gets `:method` appended, and `?alt=sse` for a stream).
 */
import { AuthenticationError } from "../../wire/errors.js";
import { apiBase, type Endpoint, firstSet } from "../connection.js";
import type { Target } from "../types.js";
import { projectOf } from "./credentials.js";

export type GoogleMethod =
  | "generateContent"
  | "streamGenerateContent"
  | "rawPredict"
  | "streamRawPredict"
  | "embedContent"
  | "batchEmbedContents"
  | "predict";

export const GEMINI = {
  label: "Gemini",
  keyEnv: "GEMINI_API_KEY",
  baseEnv: "GEMINI_API_BASE",
  defaultBase: "https://generativelanguage.googleapis.com",
  // Google's own SDKs read GOOGLE_API_KEY.
  aliases: { key: ["GOOGLE_API_KEY"] },
} satisfies Endpoint;

/** What the README shows for vertex_ai/: no key, a base variable, the regional host. */
export const VERTEX = {
  label: "Vertex AI",
  keyEnv: "VERTEXAI_CREDENTIALS",
  baseEnv: "VERTEXAI_API_BASE",
  aliases: { base: ["VERTEX_API_BASE"] },
} satisfies Endpoint;

export const VERTEX_DEFAULT_LOCATION = "us-central1";

function streamQuery(stream: boolean): string {
  return stream ? "?alt=sse" : "";
}

/** A base URL with a path beyond `/`: LiteLLM's custom proxy form, to which only `:method` is added. */
function hasPath(base: string): boolean {
  try {
    return new URL(base).pathname.replace(/\/+$/, "") !== "";
  } catch {
    return false;
  }
}

/**
 * The Gemini API's URL for `method` of the target's model. A base with a path is used as
 * LiteLLM uses it (`{api_base}:method`); a host alone (the default, or a proxy in front of
 * Google) gets Google's `/v1beta/models/MODEL:method`, which LiteLLM would have left off.
 */
export function geminiUrl(target: Target, method: GoogleMethod, stream = false): string {
  const base = apiBase(target, GEMINI).replace(/\/+$/, "");
  const url = hasPath(base) ? `${base}:${method}` : `${base}/v1beta/models/${target.model}:${method}`;
  return url + streamQuery(stream);
}

export function vertexLocation(target: Target): string {
  return firstSet(target.options.vertex_location, target.env.VERTEXAI_LOCATION) ?? VERTEX_DEFAULT_LOCATION;
}

/** The project: vertex_project, else VERTEXAI_PROJECT, else the one the credentials name (LiteLLM's order). */
export function vertexProject(target: Target, provider: string): string {
  const project = firstSet(target.options.vertex_project, target.env.VERTEXAI_PROJECT) ?? projectOf(target, provider);
  if (project !== undefined) return project;
  throw new AuthenticationError(
    "No Vertex AI project: set vertex_project (or the VERTEXAI_PROJECT environment variable), or use service-account credentials, which name their project.",
    { provider, model: target.model, param: "vertex_project", code: "missing_vertex_project" },
  );
}

/**
 * Vertex AI's URL for `method` of a publisher's model (`google` for Gemini, `anthropic` for
 * Claude). With an api_base (a proxy in front of Vertex) it is `{api_base}:method`, as in
 * LiteLLM; otherwise the regional host (`global` has none) under the project and location.
 */
export function vertexUrl(
  target: Target,
  publisher: "google" | "anthropic",
  method: GoogleMethod,
  provider: string,
  stream = false,
): string {
  const custom = apiBase(target, VERTEX);
  if (custom !== undefined) return `${custom.replace(/\/+$/, "")}:${method}${streamQuery(stream)}`;
  const location = vertexLocation(target);
  const host = location === "global" ? "aiplatform.googleapis.com" : `${location}-aiplatform.googleapis.com`;
  const project = vertexProject(target, provider);
  const path = `/v1/projects/${project}/locations/${location}/publishers/${publisher}/models/${target.model}`;
  return `https://${host}${path}:${method}${streamQuery(stream)}`;
}
