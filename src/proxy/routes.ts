/**
 * The route table: which handler serves a method and path. Paths with a model in them
 * (`/engines/{model}/completions`) take the model as the handler's param; a model name
 * may itself contain slashes.
 */
import type { Handler } from "./gateway.js";
import { chatCompletions, completions } from "./handlers/completions.js";
import { docsAsset, docsPage, listRoutes, openApi } from "./handlers/docs.js";
import { embeddings } from "./handlers/embeddings.js";
import { health, healthLatest, liveliness, readiness } from "./handlers/health.js";
import { metrics } from "./handlers/metrics.js";
import { cacheDelete, cacheFlushAll, cachePing } from "./handlers/cache.js";
import { getModel, listModels } from "./handlers/models.js";
import { tokenCounter } from "./handlers/token-counter.js";
import { uiPage } from "./ui/assets.js";
import { uiLogin, uiLogout, uiSession } from "./ui/session.js";
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
import { deleteModel, modelGroupInfo, modelInfo, newModel, updateModel } from "./management/models.js";
import { budgetInfo, deleteBudget, listBudgets, newBudget, updateBudget } from "./management/budgets.js";
import {
  blockCustomers,
  customerInfo,
  deleteCustomers,
  listCustomers,
  newCustomer,
  unblockCustomers,
  updateCustomer,
} from "./management/customers.js";
import { spendLogs } from "./management/spend.js";
import {
  globalSpendKeys,
  globalSpendModels,
  globalSpendReport,
  globalSpendTeams,
  spendLogsUi,
} from "./management/spend-reports.js";
import {
  blockTeam,
  deleteTeams,
  listTeams,
  newTeam,
  teamInfo,
  teamMemberAdd,
  teamMemberDelete,
  unblockTeam,
  updateTeam,
} from "./management/teams.js";
import { deleteUsers, listUsers, newUser, updateUser, userInfo } from "./management/users.js";

type Methods = Partial<Record<string, Handler>>;

const EXACT: Record<string, Methods> = {
  "/completions": { POST: completions },
  "/v1/completions": { POST: completions },
  "/chat/completions": { POST: chatCompletions },
  "/v1/chat/completions": { POST: chatCompletions },
  "/embeddings": { POST: embeddings },
  "/v1/embeddings": { POST: embeddings },
  "/models": { GET: listModels },
  "/v1/models": { GET: listModels },
  "/health": { GET: health },
  "/health/latest": { GET: healthLatest },
  "/health/liveliness": { GET: liveliness },
  "/health/liveness": { GET: liveliness },
  "/health/readiness": { GET: readiness },
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
  // The admin UI's Dashboard and Logs: spend summed by the database (LiteLLM's route names).
  "/spend/logs/ui": { GET: spendLogsUi },
  "/global/spend/report": { GET: globalSpendReport },
  "/global/spend/keys": { GET: globalSpendKeys },
  "/global/spend/models": { GET: globalSpendModels },
  "/global/spend/teams": { GET: globalSpendTeams },
  // Model info and runtime deployments (LiteLLM's /model/* and /model_group/info; issue 12).
  "/model/info": { GET: modelInfo },
  "/v1/model/info": { GET: modelInfo },
  "/model_group/info": { GET: modelGroupInfo },
  "/model/new": { POST: newModel },
  "/model/update": { POST: updateModel },
  "/model/delete": { POST: deleteModel },
  // About the gateway itself: what it serves and how to call it.
  "/utils/token_counter": { POST: tokenCounter },
  "/routes": { GET: listRoutes },
  "/openapi.json": { GET: openApi },
  "/docs": { GET: docsPage },
  "/metrics": { GET: metrics },
  // LiteLLM mounts its exporter at /metrics/: scrape configs written for it use that path.
  "/metrics/": { GET: metrics },
  "/cache/ping": { GET: cachePing },
  "/cache/delete": { POST: cacheDelete },
  "/cache/flushall": { POST: cacheFlushAll },
  // LiteLLM's organisation routes: teams and members, users, end users (customers), budgets.
  "/team/list": { GET: listTeams },
  "/team/delete": { POST: deleteTeams },
  "/team/member_add": { POST: teamMemberAdd },
  "/team/member_delete": { POST: teamMemberDelete },
  "/team/block": { POST: blockTeam },
  "/team/unblock": { POST: unblockTeam },
  "/user/list": { GET: listUsers },
  "/user/delete": { POST: deleteUsers },
  "/customer/new": { POST: newCustomer },
  "/customer/info": { GET: customerInfo },
  "/customer/update": { POST: updateCustomer },
  "/customer/delete": { POST: deleteCustomers },
  "/customer/block": { POST: blockCustomers },
  "/customer/unblock": { POST: unblockCustomers },
  "/customer/list": { GET: listCustomers },
  "/end_user/new": { POST: newCustomer },
  "/end_user/info": { GET: customerInfo },
  "/end_user/update": { POST: updateCustomer },
  "/end_user/delete": { POST: deleteCustomers },
  "/end_user/block": { POST: blockCustomers },
  "/end_user/unblock": { POST: unblockCustomers },
  "/end_user/list": { GET: listCustomers },
  "/budget/new": { POST: newBudget },
  "/budget/info": { POST: budgetInfo },
  "/budget/update": { POST: updateBudget },
  "/budget/delete": { POST: deleteBudget },
  "/budget/list": { GET: listBudgets },
  // The admin UI (issue 16): its page, and the sign-in that gives the browser a session cookie.
  "/ui": { GET: uiPage },
  "/ui/": { GET: uiPage },
  "/ui/login": { POST: uiLogin },
  "/ui/logout": { POST: uiLogout },
  "/ui/session": { GET: uiSession },
  // Responses API.
  "/v1/responses": { POST: createResponse },
  "/responses": { POST: createResponse },
};

/** Routes of the form PREFIX{param}SUFFIX. */
const PATTERNS: { prefix: string; param: string; suffix: string; methods: Methods }[] = [
  // The chat forms first: "/chat/completions" also ends in "/completions".
  { prefix: "/engines/", param: "{model}", suffix: "/chat/completions", methods: { POST: chatCompletions } },
  { prefix: "/openai/deployments/", param: "{model}", suffix: "/chat/completions", methods: { POST: chatCompletions } },
  { prefix: "/engines/", param: "{model}", suffix: "/completions", methods: { POST: completions } },
  { prefix: "/openai/deployments/", param: "{model}", suffix: "/completions", methods: { POST: completions } },
  { prefix: "/engines/", param: "{model}", suffix: "/embeddings", methods: { POST: embeddings } },
  { prefix: "/openai/deployments/", param: "{model}", suffix: "/embeddings", methods: { POST: embeddings } },
  { prefix: "/v1/models/", param: "{model}", suffix: "", methods: { GET: getModel } },
  { prefix: "/models/", param: "{model}", suffix: "", methods: { GET: getModel } },
  { prefix: "/key/", param: "{key}", suffix: "/regenerate", methods: { POST: regenerateKey } },
  { prefix: "/docs/", param: "{file}", suffix: "", methods: { GET: docsAsset } },
  // The admin UI's assets, and its client routes (/ui/keys), which get its page.
  { prefix: "/ui/", param: "{path}", suffix: "", methods: { GET: uiPage } },
  // Responses API: the input_items forms first, since "/v1/responses/" also starts them.
  { prefix: "/v1/responses/", param: "{response_id}", suffix: "/input_items", methods: { GET: listInputItems } },
  { prefix: "/responses/", param: "{response_id}", suffix: "/input_items", methods: { GET: listInputItems } },
  {
    prefix: "/v1/responses/",
    param: "{response_id}",
    suffix: "",
    methods: { GET: getResponse, DELETE: deleteResponse },
  },
  { prefix: "/responses/", param: "{response_id}", suffix: "", methods: { GET: getResponse, DELETE: deleteResponse } },
];

/** A pattern as OpenAPI writes a path: its variable part named. */
function patternPath(pattern: (typeof PATTERNS)[number]): string {
  return `${pattern.prefix}${pattern.param}${pattern.suffix}`;
}

/** Every route the gateway serves, with its methods, in table order: for /routes and /openapi.json. */
export function allRoutes(): { path: string; methods: string[] }[] {
  return [
    ...Object.entries(EXACT).map(([path, methods]) => ({ path, methods: Object.keys(methods) })),
    ...PATTERNS.map((pattern) => ({ path: patternPath(pattern), methods: Object.keys(pattern.methods) })),
  ];
}

/**
 * What an unknown path may have meant: the routes beside it (/team/update → the /team/
 * routes), else the completion route. For the 404's message.
 */
export function routesNear(path: string): string {
  const slash = path.indexOf("/", 1);
  const section = slash === -1 ? undefined : path.slice(0, slash + 1);
  const near = section === undefined ? [] : Object.entries(EXACT).filter(([route]) => route.startsWith(section));
  if (near.length === 0)
    return "Text completions are at POST /v1/completions, chat completions at POST /v1/chat/completions, embeddings at POST /v1/embeddings.";
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
      return select(pattern.methods, method, param, patternPath(pattern));
    }
  }
  return { kind: "not_found" };
}
