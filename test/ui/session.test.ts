/**
 * The admin UI's server side: its page and assets with their security headers, sign-in
 * (cookie flags, "Invalid master key"), the session as a credential on the existing routes,
 * CSRF, expiry, sign-out, a virtual key's read-only session, and ui_disabled.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Sessions } from "../../src/access/sessions.js";
import { CONTENT_SECURITY_POLICY } from "../../src/proxy/ui/security.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import { startGateway, type TestGateway } from "../helpers/gateway.js";

const MASTER_KEY = "sk-ui-master";
const MODELS = [{ model_name: "mock-chat", litellm_params: { model: "openai/gpt-4o", mock_response: "Hello there." } }];
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const dir = mkdtempSync(join(tmpdir(), "litegate-ui-session-"));
let gateway: TestGateway;

before(async () => {
  gateway = await startGateway({
    modelList: MODELS,
    masterKey: MASTER_KEY,
    store: SqliteStore.open({ path: join(dir, "ui.db") }),
    keyCacheTtlMs: 0,
  });
});
after(async () => {
  await gateway.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

async function call(
  method: string,
  path: string,
  options: { body?: unknown; cookie?: string; csrf?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.body !== undefined) headers["content-type"] = "application/json";
  if (options.cookie !== undefined) headers.cookie = options.cookie;
  if (options.csrf !== undefined) headers["x-csrf-token"] = options.csrf;
  const response = await fetch(`${gateway.url}${path}`, {
    method,
    headers,
    body: options.body === undefined ? null : JSON.stringify(options.body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === "" ? {} : JSON.parse(text) };
}

interface SignedIn {
  cookie: string;
  csrf: string;
  setCookie: string;
  body: Record<string, unknown>;
}

async function signIn(key: string, headers: Record<string, string> = {}): Promise<SignedIn> {
  const answer = await call("POST", "/ui/login", { body: { key }, headers });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  const setCookie = answer.headers.get("set-cookie") ?? "";
  return {
    cookie: setCookie.split(";")[0] ?? "",
    csrf: String(answer.body.csrf_token),
    setCookie,
    body: answer.body,
  };
}

function assertSecurityHeaders(headers: Headers): void {
  assert.equal(headers.get("content-security-policy"), CSP);
  assert.equal(headers.get("x-frame-options"), "DENY");
  assert.equal(headers.get("x-content-type-options"), "nosniff");
  assert.equal(headers.get("referrer-policy"), "no-referrer");
}

describe("the page and its assets", () => {
  test("GET /ui and every client route answer index.html, never stored, under the CSP", async () => {
    assert.equal(CONTENT_SECURITY_POLICY, CSP);
    for (const path of ["/ui", "/ui/", "/ui/keys", "/ui/playground"]) {
      const response = await fetch(`${gateway.url}${path}`);
      assert.equal(response.status, 200, path);
      assert.equal(response.headers.get("content-type"), "text/html; charset=utf-8");
      assert.equal(response.headers.get("cache-control"), "no-store");
      assertSecurityHeaders(response.headers);
      const html = await response.text();
      assert.match(html, /<script type="module" crossorigin src="\/ui\/assets\/index-[\w-]+\.js"><\/script>/);
      // No inline script: the CSP would refuse it.
      assert.doesNotMatch(html, /<script(?![^>]*src=)[^>]*>/);
    }
  });

  test("hashed assets are kept a year; unknown files are 404s, not the page", async () => {
    const built = readdirSync(new URL("../../ui/assets/", import.meta.url));
    const script = built.find((name) => name.endsWith(".js"));
    assert.ok(script !== undefined);
    const response = await fetch(`${gateway.url}/ui/assets/${script}`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "text/javascript; charset=utf-8");
    assert.equal(response.headers.get("cache-control"), "public, max-age=31536000, immutable");
    assertSecurityHeaders(response.headers);
    for (const path of ["/ui/assets/index-nothere.js", "/ui/..%2Fpackage.json", "/ui/assets/..%2F..%2Fsrc%2Fcli.js"]) {
      const answer = await call("GET", path);
      assert.equal(answer.status, 404, path);
    }
  });
});

describe("sign-in", () => {
  test("a wrong key is 'Invalid master key', with no cookie", async () => {
    for (const key of ["sk-wrong", `sk-${"a".repeat(43)}`]) {
      const answer = await call("POST", "/ui/login", { body: { key } });
      assert.equal(answer.status, 401);
      assert.deepEqual(answer.body, {
        error: { message: "Invalid master key", type: "authentication_error", param: null, code: "invalid_master_key" },
      });
      assert.equal(answer.headers.get("set-cookie"), null);
    }
  });

  test("a malformed body is a 400 that does not echo it", async () => {
    const answer = await call("POST", "/ui/login", { body: { key: 12345, extra: "sk-secret" } });
    assert.equal(answer.status, 400);
    assert.doesNotMatch(JSON.stringify(answer.body), /12345|sk-secret/);
  });

  test("the master key gets an HttpOnly, SameSite=Strict session cookie (Secure over https)", async () => {
    const plain = await signIn(MASTER_KEY);
    assert.match(plain.setCookie, /^litegate_session=[\w-]{43}; HttpOnly; SameSite=Strict; Path=\/; Max-Age=43200$/);
    assert.equal(plain.body.role, "admin");
    assert.equal(plain.body.key_name, null);
    assert.match(String(plain.body.csrf_token), /^[\w-]{43}$/);
    assert.doesNotMatch(JSON.stringify(plain.body), new RegExp(MASTER_KEY));
    const https = await signIn(MASTER_KEY, { "x-forwarded-proto": "https" });
    assert.match(https.setCookie, /; HttpOnly; SameSite=Strict; Path=\/; Max-Age=43200; Secure$/);
    const session = await call("GET", "/ui/session", { cookie: plain.cookie });
    assert.equal(session.status, 200);
    assert.deepEqual(session.body, plain.body);
  });
});

describe("the session as a credential", () => {
  test("authenticates the management routes as the master key; writes need the CSRF token", async () => {
    const { cookie, csrf } = await signIn(MASTER_KEY);
    assert.equal((await call("GET", "/key/list", { cookie })).status, 200);
    assert.equal((await call("GET", "/health", { cookie })).status, 200);
    const refused = await call("POST", "/key/generate", { cookie, body: { key_alias: "x" } });
    assert.equal(refused.status, 403);
    assert.equal((refused.body.error as { code: string }).code, "csrf_token_invalid");
    const wrong = await call("POST", "/key/generate", { cookie, csrf: `${csrf}x`, body: { key_alias: "x" } });
    assert.equal(wrong.status, 403);
    const made = await call("POST", "/key/generate", { cookie, csrf, body: { key_alias: "made-in-ui" } });
    assert.equal(made.status, 200);
    assert.equal(made.body.key_alias, "made-in-ui");
  });

  test("an unknown session id is a 401; a key in the header wins over a cookie", async () => {
    const unknown = await call("GET", "/key/list", { cookie: "litegate_session=nothing" });
    assert.equal(unknown.status, 401);
    const { cookie } = await signIn(MASTER_KEY);
    const header = await call("GET", "/key/list", { cookie, headers: { authorization: "Bearer sk-wrong" } });
    assert.equal(header.status, 401);
  });

  test("sign-out needs the CSRF token, ends the session and clears the cookie", async () => {
    const { cookie, csrf } = await signIn(MASTER_KEY);
    assert.equal((await call("POST", "/ui/logout", { cookie, body: {} })).status, 403);
    const out = await call("POST", "/ui/logout", { cookie, csrf, body: {} });
    assert.equal(out.status, 200);
    assert.equal(out.headers.get("set-cookie"), "litegate_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
    assert.equal((await call("GET", "/ui/session", { cookie })).status, 401);
    assert.equal((await call("GET", "/key/list", { cookie })).status, 401);
  });

  test("a virtual key's session reads its own key and calls completions, and nothing else", async () => {
    const made = await call("POST", "/key/generate", {
      headers: { authorization: `Bearer ${MASTER_KEY}` },
      body: { key_alias: "reader" },
    });
    const key = String(made.body.key);
    const { cookie, csrf, body } = await signIn(key);
    assert.equal(body.role, "key");
    assert.equal(body.key_name, `sk-...${key.slice(-4)}`);
    const own = await call("GET", "/key/info", { cookie });
    assert.equal(own.status, 200);
    assert.equal((own.body.info as { key_alias: string }).key_alias, "reader");
    assert.equal((await call("GET", "/key/list", { cookie })).status, 403);
    const write = await call("POST", "/key/generate", { cookie, csrf, body: {} });
    assert.equal(write.status, 403);
    assert.equal((write.body.error as { code: string }).code, "read_only_session");
    const chat = await call("POST", "/v1/chat/completions", {
      cookie,
      csrf,
      body: { model: "mock-chat", messages: [{ role: "user", content: "hi" }] },
    });
    assert.equal(chat.status, 200);
    assert.equal((chat.body.choices as { message: { content: string } }[])[0]?.message.content, "Hello there.");
    // Blocked since sign-in: its session is refused from the next request.
    await call("POST", "/key/block", { headers: { authorization: `Bearer ${MASTER_KEY}` }, body: { key } });
    assert.equal((await call("GET", "/key/info", { cookie })).status, 401);
  });
});

describe("sessions expire", () => {
  const request = (cookie: string) => ({ headers: { cookie: `a=b; litegate_session=${cookie}` } }) as IncomingMessage;

  test("a session is found until its expiry, and forgotten after", () => {
    const sessions = new Sessions(60_000);
    const session = sessions.create({ role: "admin" }, 1_000);
    assert.equal(session.expiresAt, 61_000);
    assert.equal(sessions.fromRequest(request(session.id), 60_999), session);
    assert.equal(sessions.fromRequest(request(session.id), 61_000), undefined);
    // Forgotten, not only hidden: even an earlier clock finds nothing now.
    assert.equal(sessions.fromRequest(request(session.id), 2_000), undefined);
    assert.equal(sessions.fromRequest(request("other"), 2_000), undefined);
  });

  test("one key signing in again and again keeps 20 sessions, its own oldest going; others' stay", () => {
    const sessions = new Sessions(60_000);
    const admin = sessions.create({ role: "admin" }, 1_000);
    const flood = Array.from({ length: 50 }, () =>
      sessions.create({ role: "key", keyHash: "h1", keyName: "sk-...h1" }, 1_000),
    );
    assert.equal(sessions.fromRequest(request(admin.id), 2_000), admin);
    const live = flood.filter((session) => sessions.fromRequest(request(session.id), 2_000) !== undefined);
    assert.deepEqual(live, flood.slice(30));
  });
});

describe("ui_disabled", () => {
  test("every /ui route is a 404", async () => {
    const off = await startGateway({
      modelList: MODELS,
      masterKey: MASTER_KEY,
      store: SqliteStore.open({ path: join(dir, "off.db") }),
      uiDisabled: true,
    });
    try {
      for (const [method, path] of [
        ["GET", "/ui"],
        ["GET", "/ui/keys"],
        ["POST", "/ui/login"],
        ["GET", "/ui/session"],
      ] as const) {
        const response = await fetch(`${off.url}${path}`, {
          method,
          headers: { "content-type": "application/json" },
          body: method === "POST" ? JSON.stringify({ key: MASTER_KEY }) : null,
        });
        assert.equal(response.status, 404, path);
        const body = (await response.json()) as { error: { code: string } };
        assert.equal(body.error.code, "ui_disabled");
      }
    } finally {
      await off.close();
    }
  });
});
