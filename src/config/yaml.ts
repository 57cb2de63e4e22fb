/** Reading one YAML file into plain data, with errors that name the file and line. */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { LineCounter, parseDocument, type DocumentOptions, type ParseOptions, type SchemaOptions } from "yaml";
import { ConfigError } from "./errors.js";

export interface YamlFile {
  /** The path as the user wrote it (or as joined from an include), for messages. */
  file: string;
  /** Absolute path, for include cycles. */
  absolute: string;
  data: unknown;
  warnings: string[];
}

// YAML 1.2 core schema, not yaml's 1.1 mode: 1.1 there reads keys such as `n` and `y`
// as booleans (PyYAML does not), and `n` is an OpenAI param. Merge keys (`<<: *base`)
// stay on because PyYAML supports them and configs use them.
const BASE_OPTIONS: ParseOptions & DocumentOptions & SchemaOptions = { merge: true, prettyErrors: false };

/** `includedFrom` words a missing include as the including file's problem. */
export async function readYamlFile(file: string, includedFrom?: { file: string; path: string }): Promise<YamlFile> {
  const absolute = resolve(file);
  let text: string;
  try {
    text = await readFile(absolute, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      if (includedFrom) {
        const { file: parent, path } = includedFrom;
        throw new ConfigError(parent, `${parent}: ${path}: file not found: ${file} (looked for ${absolute})`, { path });
      }
      throw new ConfigError(file, `${file}: file not found (looked for ${absolute})`);
    }
    if (code === "EISDIR") throw new ConfigError(file, `${file}: is a directory, expected a YAML file`);
    throw new ConfigError(file, `${file}: cannot read the file (${code ?? String(err)})`);
  }
  return { file, absolute, ...parseYaml(file, text) };
}

export function parseYaml(file: string, text: string): { data: unknown; warnings: string[] } {
  const warnings: string[] = [];
  let lines = new LineCounter();
  let doc = parseDocument(text, { ...BASE_OPTIONS, lineCounter: lines, uniqueKeys: true });

  // PyYAML lets a later duplicate key win; do the same, but say so, since it is
  // almost always a copy-paste mistake.
  if (doc.errors.length > 0 && doc.errors.every((e) => e.code === "DUPLICATE_KEY")) {
    for (const e of doc.errors) {
      const { line } = lines.linePos(e.pos[0]);
      // The error marks only the key's start; the key runs to the `:` on that line.
      const rest = text.slice(e.pos[0]).split(/\r?\n/, 1)[0] ?? "";
      const key = (/^\s*([^:]*?)\s*:/.exec(rest)?.[1] ?? rest).replace(/^["']|["']$/g, "");
      warnings.push(`${file}: line ${line}: duplicate key ${key} (the last one wins, as in LiteLLM)`);
    }
    lines = new LineCounter();
    doc = parseDocument(text, { ...BASE_OPTIONS, lineCounter: lines, uniqueKeys: false });
  }

  const first = doc.errors[0];
  if (first) {
    const { line, col } = lines.linePos(first.pos[0]);
    throw new ConfigError(file, `${file}: YAML syntax error at line ${line}, column ${col}: ${first.message}`);
  }
  for (const w of doc.warnings) {
    const { line } = lines.linePos(w.pos[0]);
    warnings.push(`${file}: line ${line}: ${w.message}`);
  }
  return { data: doc.toJS({ maxAliasCount: 10_000 }), warnings };
}
