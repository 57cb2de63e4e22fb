/**
 * The gateway describing itself: GET /routes (what it serves), GET /openapi.json (the
 * OpenAPI document) and GET /docs (that document rendered by Swagger UI, whose script and
 * styles are served from the swagger-ui-dist package: no CDN, works offline). /openapi.json
 * and /docs are open, as LiteLLM's are; /routes needs a key.
 */
import { readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { packageVersion } from "../../version.js";
import { NotFoundError } from "../../wire/errors.js";
import type { RequestContext } from "../context.js";
import { ROUTE_DOCS } from "../docs/route-docs.js";
import { openApiText } from "../docs/openapi.js";
import type { Gateway } from "../gateway.js";
import { type Headers, sendJson, sendJsonText } from "../respond.js";
import { allRoutes } from "../routes.js";

export async function listRoutes(
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
): Promise<void> {
  ctx.principal = await gateway.access.authenticate(req);
  const routes = allRoutes().map(({ path, methods }) => ({
    path,
    methods,
    summary: ROUTE_DOCS[`${methods[0]} ${path}`]?.summary ?? null,
  }));
  sendJson(res, 200, { routes }, ctx.headers());
}

export async function openApi(
  _gateway: Gateway,
  _req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
): Promise<void> {
  sendJsonText(res, 200, openApiText(packageVersion()), ctx.headers());
}

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>litegate API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui" });</script>
</body>
</html>
`;

function send(res: ServerResponse, headers: Headers, type: string, body: string | Buffer): void {
  headers["content-type"] = type;
  headers["content-length"] = String(Buffer.byteLength(body));
  res.writeHead(200, headers);
  res.end(body);
}

export async function docsPage(
  _gateway: Gateway,
  _req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
): Promise<void> {
  send(res, ctx.headers(), "text/html; charset=utf-8", PAGE);
}

/** The only files /docs/ serves: a name from the URL never reaches the file system otherwise. */
const ASSETS: Readonly<Record<string, string>> = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
};

const assetDir = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
const loaded = new Map<string, Promise<Buffer>>();

export async function docsAsset(
  _gateway: Gateway,
  _req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
  file: string | undefined,
): Promise<void> {
  const type = file !== undefined && Object.hasOwn(ASSETS, file) ? ASSETS[file] : undefined;
  if (file === undefined || type === undefined) {
    throw new NotFoundError("No such file under /docs/: the API reference is at GET /docs.", {
      code: "not_found",
    });
  }
  let body = loaded.get(file);
  if (body === undefined) {
    body = readFile(join(assetDir, file));
    loaded.set(file, body);
  }
  const headers = ctx.headers();
  // The package's files change only with its version: browsers may keep them a day.
  headers["cache-control"] = "public, max-age=86400";
  send(res, headers, type, await body);
}
