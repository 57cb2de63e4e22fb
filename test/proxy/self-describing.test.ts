/**
 * The gateway describing itself: /utils/token_counter, /routes, /openapi.json and /docs
 * (rendered in a real browser), with the master key, a virtual key and no key.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { chromium } from "playwright-core";
import { ROUTE_DOCS } from "../../src/proxy/docs/route-docs.js";
import { allRoutes } from "../../src/proxy/routes.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import { startGateway, type TestGateway } from "../helpers/gateway.js";
import { call, generateKey, MASTER_KEY } from "../helpers/keys.js";
import { warnSkipped } from "../helpers/services.js";

const CHROMIUM = "/usr/bin/chromium";
const dir = mkdtempSync(join(tmpdir(), "litegate-describe-"));
let gateway: TestGateway;
let url: string;
let virtualKey: string;

before(async () => {
  gateway = await startGateway({
    modelList: [{ model_name: "smart", litellm_params: { model: "openai/gpt-4o", api_key: "sk-upstream-secret" } }],
    masterKey: MASTER_KEY,
    store: SqliteStore.open({ path: join(dir, "describe.db") }),
  });
  url = gateway.url;
  virtualKey = await generateKey(url);
});
after(async () => {
  await gateway.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("POST /utils/token_counter", () => {
  const tokenizerFields = { tokenizer_type: "openai_tokenizer", original_response: null, error: false };

  test("a prompt, in the encoding of the model the group calls, named without its provider", async () => {
    const answer = await call(url, "POST", "/utils/token_counter", virtualKey, { model: "smart", prompt: "Hi there" });
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body, {
      total_tokens: 2,
      request_model: "smart",
      model_used: "gpt-4o",
      ...tokenizerFields,
      error_message: null,
      status_code: null,
    });
  });

  test("chat messages framed as OpenAI counts them: 3 a message, 1 a name, 3 for the reply", async () => {
    const answer = await call(url, "POST", "/utils/token_counter", MASTER_KEY, {
      model: "smart",
      messages: [
        { role: "system", content: "You are terse." },
        { role: "user", name: "bob", content: [{ type: "text", text: "Hello, world" }] },
      ],
    });
    assert.equal(answer.status, 200);
    // (3 + system 1 + 4) + (3 + user 1 + 3 + bob 1 + 1) + 3
    assert.equal(answer.body.total_tokens, 20);
  });

  test("a model no group serves is counted under its own name", async () => {
    const answer = await call(url, "POST", "/utils/token_counter", virtualKey, { model: "gpt-4", prompt: "Hi there" });
    assert.equal(answer.status, 200);
    assert.equal(answer.body.total_tokens, 2);
    assert.equal(answer.body.model_used, "gpt-4");
  });

  test("nothing to count, an unknown field, no key: clear errors", async () => {
    const empty = await call(url, "POST", "/utils/token_counter", virtualKey, { model: "smart" });
    assert.equal(empty.status, 400);
    assert.deepEqual(empty.body.error, {
      message: "Send the text to count as 'prompt' (a string) or 'messages' (chat messages).",
      type: "invalid_request_error",
      param: "prompt",
      code: "invalid_request",
    });
    const unknown = await call(url, "POST", "/utils/token_counter", virtualKey, { model: "smart", contents: [] });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.error?.param, "contents");
    const noKey = await call(url, "POST", "/utils/token_counter", undefined, { model: "smart", prompt: "x" });
    assert.equal(noKey.status, 401);
  });
});

describe("GET /routes", () => {
  test("every route with its methods, for any key; 401 without one", async () => {
    const answer = await call(url, "GET", "/routes", virtualKey);
    assert.equal(answer.status, 200);
    const routes = answer.body.routes as { path: string; methods: string[]; summary: string }[];
    assert.equal(routes.length, allRoutes().length);
    assert.deepEqual(
      routes.find((route) => route.path === "/v1/chat/completions"),
      { path: "/v1/chat/completions", methods: ["POST"], summary: "Chat completion" },
    );
    assert.ok(routes.some((route) => route.path === "/key/{key}/regenerate"));
    assert.equal((await call(url, "GET", "/routes", MASTER_KEY)).status, 200);
    assert.equal((await call(url, "GET", "/routes", undefined)).status, 401);
  });

  test("the route table and the route docs name the same routes", () => {
    const served = allRoutes().flatMap(({ path, methods }) => methods.map((method) => `${method} ${path}`));
    assert.deepEqual([...served].sort(), Object.keys(ROUTE_DOCS).sort());
  });
});

describe("GET /openapi.json", () => {
  test("open, OpenAPI 3.1, every route with its summary, access and path parameter", async () => {
    const response = await fetch(`${url}/openapi.json`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "application/json");
    const doc = (await response.json()) as {
      openapi: string;
      info: { title: string; version: string };
      paths: Record<string, Record<string, Record<string, unknown>>>;
    };
    assert.equal(doc.openapi, "3.1.0");
    assert.equal(doc.info.title, "litegate");
    assert.deepEqual(Object.keys(doc.paths).sort(), [...new Set(allRoutes().map((route) => route.path))].sort());
    const chat = doc.paths["/v1/chat/completions"]?.post;
    assert.equal(chat?.summary, "Chat completion");
    assert.deepEqual(chat?.tags, ["LLM"]);
    assert.deepEqual(Object.keys(chat?.responses ?? {}), ["200", "400", "401"]);
    const generate = doc.paths["/key/generate"]?.post;
    assert.equal(generate?.description, "Master key only.");
    assert.deepEqual(Object.keys(generate?.responses ?? {}), ["200", "400", "401", "403"]);
    assert.deepEqual(doc.paths["/v1/models/{model}"]?.get?.parameters, [
      { name: "model", in: "path", required: true, schema: { type: "string" } },
    ]);
    assert.deepEqual(doc.paths["/health/liveliness"]?.get?.security, []);
    assert.ok(!JSON.stringify(doc).includes("sk-upstream-secret"));
  });
});

describe("GET /docs", () => {
  test("only Swagger UI's two files are served under /docs/", async () => {
    const css = await fetch(`${url}/docs/swagger-ui.css`);
    assert.equal(css.status, 200);
    assert.equal(css.headers.get("content-type"), "text/css; charset=utf-8");
    assert.ok((await css.text()).length > 1000);
    for (const path of ["/docs/package.json", "/docs/constructor", "/docs/..%2Fpackage.json", "/docs/index.html"]) {
      const answer = await call(url, "GET", path, undefined);
      assert.equal(answer.status, 404, path);
      assert.equal(answer.body.error?.message, "No such file under /docs/: the API reference is at GET /docs.");
    }
  });

  const skip = existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is missing: the /docs browser test is skipped`;
  warnSkipped(skip);
  test("renders the OpenAPI document in a real browser", { skip }, async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    try {
      const page = await browser.newPage();
      const failed: string[] = [];
      page.on("requestfailed", (request) => failed.push(request.url()));
      await page.goto(`${url}/docs`);
      await page.locator(".opblock-summary-path", { hasText: "/v1/chat/completions" }).first().waitFor();
      const title = await page.locator(".info .title").first().textContent();
      assert.ok(title?.startsWith("litegate"), String(title));
      const tags = await page.locator(".opblock-tag").allInnerTexts();
      for (const tag of ["LLM", "Models", "Keys", "Utilities"])
        assert.ok(
          tags.some((t) => t.startsWith(tag)),
          tag,
        );
      assert.deepEqual(failed, []);
    } finally {
      await browser.close();
    }
  });
});
