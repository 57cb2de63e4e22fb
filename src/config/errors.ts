/**
 * ConfigError and the helpers that keep config messages one line, LiteLLM-pathed and
 * free of secrets.
 */

export type PathSegment = string | number;

/** A config that cannot be used. `message` is one line: `file: path: what is wrong`. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  readonly file: string;
  /** LiteLLM-style path of the first bad field (`model_list[2].litellm_params.model`), if any. */
  readonly path: string | undefined;
  /** Every problem found in the file, one line each; `message` is the first. */
  readonly problems: string[];

  constructor(file: string, message: string, options: { path?: string; problems?: string[] } = {}) {
    super(message);
    this.file = file;
    this.path = options.path;
    this.problems = options.problems ?? [message];
  }
}

const PLAIN_KEY = /^[A-Za-z_][\w-]*$/;

/** `["model_list", 2, "litellm_params", "model"]` → `model_list[2].litellm_params.model`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (PLAIN_KEY.test(seg)) out += out === "" ? seg : `.${seg}`;
    // Model names carry dots and slashes; quote them so the path stays unambiguous.
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

const SECRET_SEGMENT = /(^|_)(key|keys|token|secret|password|passwd|credential|credentials|dsn)$|^authorization$|url$/i;
// Cost and limit fields end in "_token" but are not secrets; showing them helps.
const NOT_SECRET = /_per_token$/i;
const SECRET_CONTAINERS = new Set(["extra_headers", "headers", "environment_variables"]);

/**
 * Whether a value at this path may be a secret. URLs count: database and Redis URLs
 * embed passwords. Errors at such paths describe the value's type, never the value.
 */
export function isSensitivePath(path: readonly PathSegment[]): boolean {
  return path.some(
    (seg) =>
      typeof seg === "string" && ((SECRET_SEGMENT.test(seg) && !NOT_SECRET.test(seg)) || SECRET_CONTAINERS.has(seg)),
  );
}

/** What was found, for `expected X, got Y`. */
export function describeValue(value: unknown, sensitive: boolean): string {
  if (value === null || value === undefined) return "nothing";
  if (Array.isArray(value)) return "a list";
  switch (typeof value) {
    case "string":
      if (sensitive) return "a string";
      return value.length <= 60 ? JSON.stringify(value) : `a string of ${value.length} characters`;
    case "number":
      return sensitive ? "a number" : String(value);
    case "boolean":
      return sensitive ? "a boolean" : String(value);
    case "object":
      return "a mapping";
    default:
      return `a ${typeof value}`;
  }
}

export function getAt(root: unknown, path: readonly PathSegment[]): unknown {
  let cur = root;
  for (const seg of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[String(seg)];
  }
  return cur;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
