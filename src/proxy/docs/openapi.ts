/**
 * The OpenAPI 3.1 document of the gateway, built once from the route table and the route
 * docs: every path and method, its summary, who may call it, its path parameter, and the
 * error body every route answers with.
 */
import { allRoutes } from "../routes.js";
import { type Access, ROUTE_DOCS } from "./route-docs.js";

type Json = Record<string, unknown>;

const ERROR_BODY: Json = {
  type: "object",
  required: ["error"],
  properties: {
    error: {
      type: "object",
      required: ["message", "type"],
      properties: {
        message: { type: "string" },
        type: { type: "string" },
        param: { type: ["string", "null"] },
        code: { type: ["string", "null"] },
      },
    },
  },
};

const ERROR_RESPONSE = (description: string): Json => ({
  description,
  content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
});

const SECURITY: Record<Access, Json[]> = {
  open: [],
  key: [{ bearer: [] }, { apiKey: [] }, { litellmKey: [] }],
  master: [{ bearer: [] }, { apiKey: [] }, { litellmKey: [] }],
};

function operation(method: string, path: string): Json {
  const doc = ROUTE_DOCS[`${method} ${path}`];
  if (doc === undefined) throw new Error(`route ${method} ${path} has no entry in ROUTE_DOCS`);
  const parameters = [...path.matchAll(/\{(\w+)\}/g)].map((match) => ({
    name: match[1],
    in: "path",
    required: true,
    schema: { type: "string" },
  }));
  const responses: Json = { "200": { description: "Success" }, "400": ERROR_RESPONSE("Invalid request") };
  if (doc.access !== "open") responses["401"] = ERROR_RESPONSE("No key, or a key this gateway does not accept");
  if (doc.access === "master") responses["403"] = ERROR_RESPONSE("A virtual key: only the master key may call this");
  return {
    summary: doc.summary,
    tags: [doc.tag],
    ...(doc.access === "master" ? { description: "Master key only." } : {}),
    security: SECURITY[doc.access],
    ...(parameters.length === 0 ? {} : { parameters }),
    ...(method === "POST"
      ? { requestBody: { required: true, content: { "application/json": { schema: { type: "object" } } } } }
      : {}),
    responses,
  };
}

function build(version: string): Json {
  const paths: Record<string, Json> = {};
  for (const route of allRoutes()) {
    const item: Json = {};
    for (const method of route.methods) item[method.toLowerCase()] = operation(method, route.path);
    paths[route.path] = item;
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "litegate",
      version,
      description:
        "An OpenAI-compatible LLM gateway: OpenAI's wire format for every provider, with LiteLLM's management routes.",
    },
    paths,
    components: {
      schemas: { Error: ERROR_BODY },
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer" },
        apiKey: { type: "apiKey", in: "header", name: "api-key" },
        litellmKey: { type: "apiKey", in: "header", name: "x-litellm-api-key" },
      },
    },
  };
}

let cached: string | undefined;

/** The document as JSON text, built on first use (the route table does not change while running). */
export function openApiText(version: string): string {
  cached ??= JSON.stringify(build(version));
  return cached;
}
