/**
 * A zod failure of a request body as the 400 a client can act on: the top-level field it is
 * about, and, when a rule is known for a nested place (`messages.*.content`), that place and
 * what it must be. Shared by every endpoint whose body is checked with a zod schema.
 */
import type { z } from "zod";
import { BadRequestError } from "./errors.js";
import { clip, describe } from "./validate.js";

type Path = readonly PropertyKey[];

/** What each field, and each nested place (`*` for any array index), must be. */
export interface FieldRules {
  top: Readonly<Record<string, string>>;
  nested: ReadonlyMap<string, string>;
}

/**
 * The issue inside a union's failure that got furthest into the value: the branch the client
 * meant (content given as parts fails inside a part, not at "is it a string").
 */
function deepest(issue: z.core.$ZodIssue): z.core.$ZodIssue {
  if (issue.code !== "invalid_union") return issue;
  let best: z.core.$ZodIssue = issue;
  for (const branch of issue.errors) {
    const first = branch[0];
    if (first === undefined) continue;
    const inner = deepest({ ...first, path: [...issue.path, ...first.path] });
    if (inner.path.length > best.path.length) best = inner;
  }
  return best;
}

function valueAt(body: Record<string, unknown>, path: Path): unknown {
  let value: unknown = body;
  for (const key of path) {
    if (typeof value !== "object" || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** `messages.2.content.0.text`; cut like any quoted value (a path can hold a client's keys). */
function pathText(path: Path): string {
  return clip(path.map(String).join("."));
}

export function schemaRejection(
  body: Record<string, unknown>,
  found: z.core.$ZodIssue | undefined,
  rules: FieldRules,
): BadRequestError {
  const path: Path = found === undefined ? [] : deepest(found).path;
  const param = String(path[0] ?? "body");
  for (let end = path.length; end > 1; end--) {
    const at = path.slice(0, end);
    const rule = rules.nested.get(at.map((key) => (typeof key === "number" ? "*" : String(key))).join("."));
    if (rule === undefined) continue;
    const value = valueAt(body, at);
    const where = pathText(at);
    const received = value === undefined ? `'${where}' is required` : `got ${describe(value)}`;
    return new BadRequestError(`Invalid '${param}' (at ${where}): ${received}. It must be ${rule}.`, {
      param,
      code: "invalid_value",
    });
  }
  const value = body[param];
  const where = path.length > 1 ? ` (at ${pathText(path)})` : "";
  const received = value === undefined ? `'${param}' is required` : `got ${describe(value)}`;
  return new BadRequestError(`Invalid '${param}'${where}: ${received}. It must be ${rules.top[param] ?? "valid"}.`, {
    param,
    code: "invalid_value",
  });
}
