/** `os.environ/NAME` references, resolved the way LiteLLM does, but without failing. */
import { isPlainObject, type PathSegment } from "./errors.js";

export const ENV_PREFIX = "os.environ/";

export interface EnvRef {
  path: PathSegment[];
  variable: string;
}

export interface Resolved {
  value: unknown;
  /** References whose variable is unset; their keys are left out of `value`. */
  missing: EnvRef[];
  /** References that were resolved, so errors about them can avoid echoing the value. */
  resolved: EnvRef[];
}

export function envRefName(value: unknown): string | undefined {
  return typeof value === "string" && value.startsWith(ENV_PREFIX) ? value.slice(ENV_PREFIX.length).trim() : undefined;
}

/**
 * A deep copy of `value` with every string `os.environ/NAME` replaced by env[NAME].
 * Unset variables drop the key (or the list item) rather than becoming null, so a
 * missing optional setting looks unset and a missing required one is reported as such.
 */
export function resolveEnvRefs(value: unknown, env: NodeJS.ProcessEnv, basePath: PathSegment[] = []): Resolved {
  const missing: EnvRef[] = [];
  const resolved: EnvRef[] = [];
  const DROP = Symbol("drop");

  const walk = (node: unknown, path: PathSegment[]): unknown => {
    const variable = envRefName(node);
    if (variable !== undefined) {
      const found = env[variable];
      // Set but empty (`KEY=` in a compose file) is as good as unset: never an empty key, never an open gateway.
      if (found === undefined || found === "") {
        missing.push({ path, variable });
        return DROP;
      }
      resolved.push({ path, variable });
      return found;
    }
    if (Array.isArray(node)) {
      const out: unknown[] = [];
      node.forEach((item, i) => {
        const v = walk(item, [...path, i]);
        if (v !== DROP) out.push(v);
      });
      return out;
    }
    if (isPlainObject(node)) {
      const out: Record<string, unknown> = {};
      for (const [k, item] of Object.entries(node)) {
        const v = walk(item, [...path, k]);
        if (v !== DROP) out[k] = v;
      }
      return out;
    }
    return node;
  };

  const value_ = walk(value, basePath);
  return { value: value_ === DROP ? undefined : value_, missing, resolved };
}
