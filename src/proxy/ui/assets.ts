/**
 * GET /ui and /ui/…: the admin UI's built files (dist/ui, made by `npm run build`). Hashed
 * assets may be kept by browsers for a year (their name changes with their content);
 * index.html is never stored, so a new version is picked up at once. Any other path under
 * /ui/ is one of the UI's client routes (/ui/keys) and gets index.html. Only the files
 * listed at the first request are ever read: a name from the URL never reaches the file
 * system.
 */
import { readdir, readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { extname } from "node:path";
import { NotFoundError } from "../../wire/errors.js";
import type { RequestContext } from "../context.js";
import type { Gateway } from "../gateway.js";
import { assertUiEnabled, withUiHeaders } from "./security.js";

/** dist/ui, beside dist/src where this file runs from. */
const BUILT = new URL("../../../ui/", import.meta.url);

const TYPES: Readonly<Record<string, string>> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".woff2": "font/woff2",
};

interface Built {
  index: Buffer;
  /** "assets/<name>" → its content type. */
  assets: Map<string, string>;
}

let built: Promise<Built> | undefined;

async function load(): Promise<Built> {
  const index = await readFile(new URL("index.html", BUILT));
  const assets = new Map<string, string>();
  for (const name of await readdir(new URL("assets/", BUILT))) {
    const type = TYPES[extname(name)];
    if (type !== undefined) assets.set(`assets/${name}`, type);
  }
  return { index, assets };
}

function files(): Promise<Built> {
  built ??= load().catch((error: unknown) => {
    // Built later (a developer's `npm run build` while it runs): looked for again next time.
    built = undefined;
    throw new NotFoundError("The admin UI is not built: run `npm run build` (npm ci does it) and reload.", {
      code: "ui_not_built",
      cause: error,
    });
  });
  return built;
}

function send(res: ServerResponse, ctx: RequestContext, type: string, cache: string, body: Buffer): void {
  const headers = withUiHeaders(ctx.headers());
  headers["content-type"] = type;
  headers["content-length"] = String(body.length);
  headers["cache-control"] = cache;
  res.writeHead(200, headers);
  res.end(body);
}

export async function uiPage(
  gateway: Gateway,
  _req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
  path: string | undefined,
): Promise<void> {
  assertUiEnabled(gateway);
  const { index, assets } = await files();
  const type = path === undefined ? undefined : assets.get(path);
  if (path !== undefined && type !== undefined) {
    send(res, ctx, type, "public, max-age=31536000, immutable", await readFile(new URL(path, BUILT)));
    return;
  }
  // A file name that is not one of the build's is a 404, not the page (a stale hashed asset must not parse as HTML).
  if (path !== undefined && extname(path) !== "") {
    throw new NotFoundError(`No file /ui/${path}: the admin UI is at GET /ui.`, { code: "not_found" });
  }
  send(res, ctx, "text/html; charset=utf-8", "no-store", index);
}
