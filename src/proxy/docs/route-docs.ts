/**
 * What each route does and who may call it, for /routes and /openapi.json. Keyed by
 * "METHOD path" as the route table writes the path; a test holds the two tables to each
 * other, so a route cannot be added without saying what it is.
 */

/** Who may call a route: anyone, any valid key (open when the gateway has no master key), or the master key. */
export type Access = "open" | "key" | "master";

export interface RouteDoc {
  summary: string;
  /** The OpenAPI tag the route is listed under in /docs. */
  tag:
    | "LLM"
    | "Responses"
    | "Models"
    | "Keys"
    | "Users"
    | "Teams"
    | "Customers"
    | "Budgets"
    | "Spend"
    | "Health"
    | "Cache"
    | "Utilities";
  access: Access;
}

const llm = (summary: string): RouteDoc => ({ summary, tag: "LLM", access: "key" });
const master = (tag: RouteDoc["tag"], summary: string): RouteDoc => ({ summary, tag, access: "master" });

export const ROUTE_DOCS: Readonly<Record<string, RouteDoc>> = {
  "POST /completions": llm("Text completion (OpenAI's legacy completions)"),
  "POST /v1/completions": llm("Text completion (OpenAI's legacy completions)"),
  "POST /chat/completions": llm("Chat completion"),
  "POST /v1/chat/completions": llm("Chat completion"),
  "POST /engines/{model}/chat/completions": llm("Chat completion, the model named in the path"),
  "POST /openai/deployments/{model}/chat/completions": llm("Chat completion, Azure's path form"),
  "POST /engines/{model}/completions": llm("Text completion, the model named in the path"),
  "POST /openai/deployments/{model}/completions": llm("Text completion, Azure's path form"),
  "POST /embeddings": llm("Embeddings of a string, strings or token ids (float or base64)"),
  "POST /v1/embeddings": llm("Embeddings of a string, strings or token ids (float or base64)"),
  "POST /engines/{model}/embeddings": llm("Embeddings, the model named in the path"),
  "POST /openai/deployments/{model}/embeddings": llm("Embeddings, Azure's path form"),
  "POST /v1/responses": llm("Create a response (OpenAI's Responses API; bridged through chat for other providers)"),
  "POST /responses": llm("Create a response (OpenAI's Responses API; bridged through chat for other providers)"),
  "GET /v1/responses/{response_id}": { summary: "A stored response", tag: "Responses", access: "key" },
  "DELETE /v1/responses/{response_id}": { summary: "Delete a stored response", tag: "Responses", access: "key" },
  "GET /responses/{response_id}": { summary: "A stored response", tag: "Responses", access: "key" },
  "DELETE /responses/{response_id}": { summary: "Delete a stored response", tag: "Responses", access: "key" },
  "GET /v1/responses/{response_id}/input_items": {
    summary: "The input items of a stored response",
    tag: "Responses",
    access: "key",
  },
  "GET /responses/{response_id}/input_items": {
    summary: "The input items of a stored response",
    tag: "Responses",
    access: "key",
  },
  "GET /models": { summary: "The model names this key may call", tag: "Models", access: "key" },
  "GET /v1/models": { summary: "The model names this key may call", tag: "Models", access: "key" },
  "GET /models/{model}": { summary: "One model name, if this key may call it", tag: "Models", access: "key" },
  "GET /v1/models/{model}": { summary: "One model name, if this key may call it", tag: "Models", access: "key" },
  "GET /health": master(
    "Health",
    "A cheap real call to every deployment: which answer (with background_health_checks, the last background run's)",
  ),
  "GET /health/latest": master("Health", "Each deployment's latest health check, and the cooldowns now"),
  "GET /health/liveliness": { summary: "The process serves (for orchestrators)", tag: "Health", access: "open" },
  "GET /health/liveness": { summary: "The process serves (for orchestrators)", tag: "Health", access: "open" },
  "GET /health/readiness": {
    summary: "The process serves, and its database and Redis connections (503 while the database is down)",
    tag: "Health",
    access: "open",
  },
  "POST /key/generate": master("Keys", "Create a virtual key"),
  "GET /key/info": {
    summary: "One key's settings and spend; without ?key=, the calling key's",
    tag: "Keys",
    access: "key",
  },
  "POST /key/update": master("Keys", "Change a key's settings"),
  "POST /key/delete": master("Keys", "Delete keys"),
  "GET /key/list": master("Keys", "List keys"),
  "POST /key/regenerate": master("Keys", "Replace a key's secret, keeping its settings"),
  "POST /key/{key}/regenerate": master("Keys", "Replace a key's secret, keeping its settings"),
  "POST /key/block": master("Keys", "Block a key"),
  "POST /key/unblock": master("Keys", "Unblock a key"),
  "POST /user/new": master("Users", "Create a user (and their first key)"),
  "GET /user/info": {
    summary: "One user, their keys and spend; without ?user_id=, the calling key's user",
    tag: "Users",
    access: "key",
  },
  "POST /user/update": master("Users", "Change a user's budget or models"),
  "POST /team/new": master("Teams", "Create a team"),
  "POST /team/update": master("Teams", "Change a team's budget or models"),
  "GET /team/info": master("Teams", "One team, its keys and spend"),
  "GET /spend/logs": master("Spend", "One row per request: tokens, cost, who, when"),
  "GET /spend/logs/ui": {
    summary:
      "Spend logs filtered by key, team, model, status and time, newest first, a page at a time; a virtual key sees its own",
    tag: "Spend",
    access: "key",
  },
  "GET /global/spend/report": master(
    "Spend",
    "Spend, requests, tokens and failures per day or hour, per team, key or model",
  ),
  "GET /global/spend/keys": master("Spend", "The keys that spent most (last 30 days, or a date range)"),
  "GET /global/spend/models": master("Spend", "The model groups that spent most (last 30 days, or a date range)"),
  "GET /global/spend/teams": master("Spend", "Each team's spend per day, and the teams that spent most"),
  "GET /team/list": master("Teams", "Every team, with its members and keys"),
  "POST /team/delete": master("Teams", "Delete teams, their keys and memberships"),
  "POST /team/member_add": master("Teams", "Add members to a team"),
  "POST /team/member_delete": master("Teams", "Remove a member from a team"),
  "POST /team/block": master("Teams", "Block a team: its keys are refused"),
  "POST /team/unblock": master("Teams", "Unblock a team"),
  "GET /user/list": master("Users", "Users, a page at a time"),
  "POST /user/delete": master("Users", "Delete users and their keys"),
  "POST /customer/new": master("Customers", "Create an end user (the `user` of a request), with a budget"),
  "GET /customer/info": master("Customers", "One end user and its spend"),
  "POST /customer/update": master("Customers", "Change an end user's budget or settings"),
  "POST /customer/delete": master("Customers", "Delete end users"),
  "POST /customer/block": master("Customers", "Block end users"),
  "POST /customer/unblock": master("Customers", "Unblock end users"),
  "GET /customer/list": master("Customers", "Every end user"),
  "POST /end_user/new": master("Customers", "Create an end user (LiteLLM's older name)"),
  "GET /end_user/info": master("Customers", "One end user (LiteLLM's older name)"),
  "POST /end_user/update": master("Customers", "Change an end user (LiteLLM's older name)"),
  "POST /end_user/delete": master("Customers", "Delete end users (LiteLLM's older name)"),
  "POST /end_user/block": master("Customers", "Block end users (LiteLLM's older name)"),
  "POST /end_user/unblock": master("Customers", "Unblock end users (LiteLLM's older name)"),
  "GET /end_user/list": master("Customers", "Every end user (LiteLLM's older name)"),
  "POST /budget/new": master("Budgets", "Create a budget end users can share"),
  "POST /budget/info": master("Budgets", "The budgets named"),
  "POST /budget/update": master("Budgets", "Change a budget"),
  "POST /budget/delete": master("Budgets", "Delete a budget"),
  "GET /budget/list": master("Budgets", "Every budget"),
  "GET /model/info": { summary: "Every deployment, credentials removed", tag: "Models", access: "key" },
  "GET /v1/model/info": { summary: "Every deployment, credentials removed", tag: "Models", access: "key" },
  "GET /model_group/info": {
    summary: "Each public model name: providers, limits, prices",
    tag: "Models",
    access: "key",
  },
  "POST /model/new": master("Models", "Add a deployment at runtime (store_model_in_db)"),
  "POST /model/update": master("Models", "Change a deployment added at runtime"),
  "POST /model/delete": master("Models", "Remove a deployment added at runtime"),
  "GET /metrics": master("Health", "Prometheus metrics (LiteLLM's names), when the prometheus callback is on"),
  "GET /metrics/": master("Health", "The same as /metrics: the path LiteLLM's scrape configs use"),
  "GET /cache/ping": master("Cache", "Whether the response cache answers, and its type"),
  "POST /cache/delete": master("Cache", 'Delete response cache entries by key ({"keys": [...]})'),
  "POST /cache/flushall": master("Cache", "Delete every response cache entry"),
  "POST /utils/token_counter": {
    summary: "Count the tokens of a prompt or messages in a model's encoding",
    tag: "Utilities",
    access: "key",
  },
  "GET /routes": { summary: "Every route this gateway serves", tag: "Utilities", access: "key" },
  "GET /openapi.json": { summary: "This API, as an OpenAPI 3.1 document", tag: "Utilities", access: "open" },
  "GET /docs": { summary: "This API, rendered for reading in a browser", tag: "Utilities", access: "open" },
  "GET /docs/{file}": { summary: "The /docs page's script and styles", tag: "Utilities", access: "open" },
  "GET /ui": {
    summary: "The admin UI (sign in with the master key or a virtual key)",
    tag: "Utilities",
    access: "open",
  },
  "GET /ui/": { summary: "The admin UI", tag: "Utilities", access: "open" },
  "GET /ui/{path}": { summary: "The admin UI's assets and pages", tag: "Utilities", access: "open" },
  "POST /ui/login": {
    summary: 'Admin UI sign-in: {"key": ...} sets the session cookie and returns the CSRF token',
    tag: "Utilities",
    access: "open",
  },
  "POST /ui/logout": { summary: "Admin UI sign-out: ends the session", tag: "Utilities", access: "open" },
  "GET /ui/session": {
    summary: "The admin UI session: who is signed in, and its CSRF token",
    tag: "Utilities",
    access: "open",
  },
};

/** The routes that call a model ("METHOD path"): what request metrics count. */
const COMPLETION_ROUTES: ReadonlySet<string> = new Set(
  Object.entries(ROUTE_DOCS)
    .filter(([, doc]) => doc.tag === "LLM")
    .map(([route]) => route),
);

export function isCompletionRoute(method: string | undefined, route: string): boolean {
  return COMPLETION_ROUTES.has(`${method} ${route}`);
}
