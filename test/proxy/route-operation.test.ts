/** Every model route is named for what it does, in traces (gen_ai.operation.name) and webhook payloads (call_type). */
import assert from "node:assert/strict";
import { test } from "node:test";
import { isCompletionRoute } from "../../src/proxy/docs/route-docs.js";
import { routeOperation } from "../../src/proxy/route-operation.js";
import { allRoutes } from "../../src/proxy/routes.js";

test("each model route's operation: chat, text completion, embeddings, responses", () => {
  const named: Record<string, string> = {};
  for (const { path, methods } of allRoutes()) {
    if (!methods.some((method) => isCompletionRoute(method, path))) continue;
    const { genAi, callType } = routeOperation(path);
    named[path] = `${genAi} ${callType}`;
  }
  const expected = (path: string): string => {
    if (path.endsWith("/chat/completions")) return "chat acompletion";
    if (path.endsWith("/completions")) return "text_completion atext_completion";
    if (path.endsWith("/embeddings")) return "embeddings aembedding";
    return "responses aresponses";
  };
  assert.ok(Object.keys(named).length >= 12, `model routes found: ${Object.keys(named).join(", ")}`);
  for (const [path, operation] of Object.entries(named)) assert.equal(operation, expected(path), path);
  assert.equal(named["/v1/embeddings"], "embeddings aembedding");
  assert.equal(named["/openai/deployments/{model}/embeddings"], "embeddings aembedding");
  assert.equal(named["/v1/responses"], "responses aresponses");
});
