/**
 * The route table: which handler serves a method and path. Paths with a model in them
 * (`/engines/{model}/completions`) take the model as the handler's param; a model name
 * may itself contain slashes.
 */
import type { Handler } from "./gateway.js";
import { chatCompletions, completions } from "./handlers/completions.js";
import { health, liveliness } from "./handlers/health.js";
import { getModel, listModels } from "./handlers/models.js";
import { createResponse, deleteResponse, getResponse, listInputItems } from "./handlers/responses.js";
import {
  blockKey,
  deleteKeys,
  generateKey,
  keyInfo,
  listKeys,
  regenerateKey,
  unblockKey,
  updateKey,
} from "./management/keys.js";
import { spendLogs } from "./management/spend.js";
import { newTeam, teamInfo, updateTeam } from "./management/teams.js";
import { newUser, updateUser, userInfo } from "./management/users.js";

type Methods = Partial<Record<string, Handler>>;

const EXACT: Record<string, Methods> = {
  "/completions": { POST: completions },
  "/v1/completions": { POST: completions },
  "/chat/completions": { POST: chatCompletions },
  "/v1/chat/completions": { POST: chatCompletions },
  "/models": { GET: listModels },
  "/v1/models": { GET: listModels },
  "/health": { GET: health },
  "/health/liveliness": { GET: liveliness },
  "/health/liveness": { GET: liveliness },
  "/health/readiness": { GET: liveliness },
  "/key/generate": { POST: generateKey },
  "/key/info": { GET: keyInfo },
  "/key/update": { POST: updateKey },
  "/key/delete": { POST: deleteKeys },
  "/key/list": { GET: listKeys },
  "/key/regenerate": { POST: regenerateKey },
  "/key/block": { POST: blockKey },
  "/key/unblock": { POST: unblockKey },
  "/user/new": { POST: newUser },
  "/user/info": { GET: userInfo },
  "/user/update": { POST: updateUser },
  "/team/new": { POST: newTeam },
  "/team/update": { POST: updateTeam },
  "/team/info": { GET: teamInfo },
  "/spend/logs": { GET: spendLogs },
  // Responses API (issue 12)
  "/v1/responses": { POST: createResponse },
  "/responses": { POST: createResponse },
};

/** Routes of the form PREFIX{param}SUFFIX; `name` is how logs show the param ({model} unless said). */
const PATTERNS: { prefix: string; suffix: string; methods: Methods; name?: string }[] = [
  // The chat forms first: "/chat/completions" also ends in "/completions".
  { prefix: "/engines/", suffix: "/chat/completions", methods: { POST: chatCompletions } },
  { prefix: "/openai/deployments/", suffix: "/chat/completions", methods: { POST: chatCompletions } },
  { prefix: "/engines/", suffix: "/completions", methods: { POST: completions } },
  { prefix: "/openai/deployments/", suffix: "/completions", methods: { POST: completions } },
  { prefix: "/v1/models/", suffix: "", methods: { GET: getModel } },
  { prefix: "/models/", suffix: "", methods: { GET: getModel } },
  { prefix: "/key/", suffix: "/regenerate", methods: { POST: regenerateKey }, name: "{key}" },
  // Responses API (issue 12): the input_items forms first, since "/v1/responses/" also starts them.
  { prefix: "/v1/responses/", suffix: "/input_items", methods: { GET: listInputItems }, name: "{response_id}" },
  { prefix: "/responses/", suffix: "/input_items", methods: { GET: listInputItems }, name: "{response_id}" },
  {
    prefix: "/v1/responses/",
    suffix: "",
    methods: { GET: getResponse, DELETE: deleteResponse },
    name: "{response_id}",
  },
  { prefix: "/responses/", suffix: "", methods: { GET: getResponse, DELETE: deleteResponse }, name: "{response_id}" },
];

/**
 * What an unknown path may have meant: the routes beside it (/team/update → the /team/
 * routes), else the completion route. For the 404's message.
 */
export function routesNear(path: string): string {
  const slash = path.indexOf("/", 1);
  const section = slash === -1 ? undefined : path.slice(0, slash + 1);
  const near = section === undefined ? [] : Object.entries(EXACT).filter(([route]) => route.startsWith(section));
  if (near.length === 0)
    return "Text completions are at POST /v1/completions, chat completions at POST /v1/chat/completions.";
  return `The ${section} routes are: ${near.map(([route, methods]) => `${Object.keys(methods).join("/")} ${route}`).join(", ")}.`;
}

export type RouteMatch =
  | { kind: "handler"; handler: Handler; param: string | undefined; route: string }
  | { kind: "not_found" }
  | { kind: "method_not_allowed"; allowed: string[]; route: string };

function select(methods: Methods, method: string, param: string | undefined, route: string): RouteMatch {
  const handler = methods[method];
  if (handler !== undefined) return { kind: "handler", handler, param, route };
  return { kind: "method_not_allowed", allowed: Object.keys(methods), route };
}

export function matchRoute(method: string, url: string): RouteMatch {
  const query = url.indexOf("?");
  const path = query === -1 ? url : url.slice(0, query);
  const exact = EXACT[path];
  if (exact !== undefined) return select(exact, method, undefined, path);
  for (const pattern of PATTERNS) {
    if (
      path.length > pattern.prefix.length + pattern.suffix.length &&
      path.startsWith(pattern.prefix) &&
      path.endsWith(pattern.suffix)
    ) {
      const raw = path.slice(pattern.prefix.length, path.length - pattern.suffix.length);
      let param: string;
      try {
        param = decodeURIComponent(raw);
      } catch {
        param = raw;
      }
      const name = pattern.name ?? "{model}";
      return select(pattern.methods, method, param, `${pattern.prefix}${name}${pattern.suffix}`);
    }
  }
  return { kind: "not_found" };
}
