/**
 * Hostile bodies through the real server, exact answers: JSON nested deeper than 64 levels and
 * bodies over the size limit on every route that takes a body, a malformed include_usage with
 * usage counting on (master key and store), and model names of megabytes (the error, the log
 * line and the spend record stay bounded). The mock upstream never hears of any of them.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { connect } from "node:net";
import { join } from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";
import OpenAI from "openai";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import { chatAnswer, completionAnswer } from "../helpers/fixtures.js";
import { startGateway, type TestGateway } from "../helpers/gateway.js";
import { MASTER_KEY } from "../helpers/keys.js";
import { json, MockUpstream } from "../helpers/mock-upstream.js";

const TEXT_ROUTES = [
  "/v1/completions",
  "/completions",
  "/engines/gpt-instruct/completions",
  "/openai/deployments/gpt-instruct/completions",
];
const CHAT_ROUTES = [
  "/v1/chat/completions",
  "/chat/completions",
  "/engines/chat-model/chat/completions",
  "/openai/deployments/chat-model/chat/completions",
];
const MANAGEMENT_ROUTES = [
  "/key/generate",
  "/key/update",
  "/key/delete",
  "/key/regenerate",
  "/key/block",
  "/key/unblock",
  "/user/new",
  "/user/update",
  "/team/new",
  "/team/update",
  "/team/delete",
  "/team/member_add",
  "/team/member_delete",
  "/team/block",
  "/team/unblock",
  "/user/delete",
  "/customer/new",
  "/customer/update",
  "/customer/delete",
  "/customer/block",
  "/customer/unblock",
  "/budget/new",
  "/budget/info",
  "/budget/update",
  "/budget/delete",
];
const BODY_ROUTES = [...TEXT_ROUTES, ...CHAT_ROUTES, ...MANAGEMENT_ROUTES];

const CHAT_ANSWER = chatAnswer("hi");

const dir = mkdtempSync(join(tmpdir(), "litegate-hostile-"));
let mock: MockUpstream;
/** Master key and an SQLite store: usage counting is on. */
let gateway: TestGateway;
/** The same with a 64 KB body limit. */
let small: TestGateway;

function modelList(upstream: string) {
  return [
    {
      model_name: "gpt-instruct",
      litellm_params: {
        model: "text-completion-openai/gpt-instruct",
        api_key: "sk-upstream",
        api_base: `${upstream}/v1`,
      },
    },
    {
      model_name: "chat-model",
      litellm_params: { model: "openai/chat-model", api_key: "sk-upstream", api_base: `${upstream}/v1` },
    },
  ];
}

before(async () => {
  mock = await MockUpstream.start();
  gateway = await startGateway({
    modelList: modelList(mock.url),
    masterKey: MASTER_KEY,
    store: SqliteStore.open({ path: join(dir, "gateway.db") }),
    spendWriter: { intervalMs: 20 },
  });
  small = await startGateway({
    modelList: modelList(mock.url),
    masterKey: MASTER_KEY,
    store: SqliteStore.open({ path: join(dir, "small.db") }),
    maxRequestSizeMb: 0.0625,
  });
});
after(async () => {
  await gateway.close();
  await small.close();
  await mock.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  mock.reset();
  mock.always((req, res) => json(res, 200, req.path.endsWith("/chat/completions") ? CHAT_ANSWER : completionAnswer()));
});

interface Answer {
  status: number;
  contentType: string | null;
  text: string;
  body: { error: { message: string; type: string; param: string | null; code: string | null } };
}

async function post(base: string, path: string, body: string, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(`${base}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${MASTER_KEY}`, "content-type": "application/json", ...headers },
    body,
  });
  const text = await response.text();
  return {
    status: response.status,
    contentType: response.headers.get("content-type"),
    text,
    body: JSON.parse(text) as Answer["body"],
  };
}

const TOO_DEEP = {
  error: {
    message: "The request body nests arrays and objects more than 64 levels deep; send a flatter body.",
    type: "invalid_request_error",
    param: null,
    code: "invalid_body",
  },
};

/** `{"model": ..., "x": [[...]]}` nested `depth` levels in all (the body object is the first). */
function nestedBody(depth: number): string {
  return `{"model":"gpt-instruct","prompt":"hi","messages":[],"x":${"[".repeat(depth - 1)}${"]".repeat(depth - 1)}}`;
}

describe("JSON nesting", () => {
  for (const path of BODY_ROUTES) {
    test(`${path}: 65 and 100,000 levels are a 400 naming the limit, before any parsing`, async () => {
      for (const depth of [65, 100_000]) {
        const answer = await post(gateway.url, path, nestedBody(depth));
        assert.equal(answer.status, 400);
        assert.equal(answer.contentType, "application/json");
        assert.deepEqual(answer.body, TOO_DEEP);
      }
      // Nesting on the top level counts the same, and brackets inside strings do not count.
      assert.deepEqual((await post(gateway.url, path, "[".repeat(65) + "]".repeat(65))).body, TOO_DEEP);
      assert.notDeepEqual((await post(gateway.url, path, JSON.stringify({ model: "[".repeat(5000) }))).body, TOO_DEEP);
      assert.equal(mock.requests.length, 0);
    });
  }

  test("64 levels in all are within the limit: the body is forwarded as it came", async () => {
    const answer = await post(gateway.url, "/v1/completions", nestedBody(64));
    assert.equal(answer.status, 200);
    assert.equal(mock.requests.length, 1);
    let nested = (mock.requests[0]?.json as { x: unknown } | undefined)?.x;
    let depth = 1;
    while (Array.isArray(nested) && nested.length > 0) {
      nested = nested[0];
      depth += 1;
    }
    assert.equal(depth, 63);
  });
});

/**
 * POSTs a body that never ends (chunked, pulled as fast as the socket takes it, capped at 256 MB
 * so a broken server cannot hang the test); the answer, and whether the body was still open.
 */
async function unendingPost(
  base: string,
  path: string,
): Promise<{ status: number; body: unknown; stillSending: boolean }> {
  let ended = false;
  let sent = 0;
  const piece = new TextEncoder().encode(" ".repeat(65536));
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode('{"model":"gpt-instruct","prompt":"'));
    },
    pull(controller) {
      if (sent >= 256 * 1048576) {
        ended = true;
        controller.close();
        return;
      }
      sent += piece.length;
      controller.enqueue(piece);
    },
  });
  const response = await fetch(`${base}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${MASTER_KEY}`, "content-type": "application/json" },
    body,
    duplex: "half",
  } as RequestInit);
  const stillSending = !ended;
  return { status: response.status, body: await response.json(), stillSending };
}

describe("the size limit", () => {
  const TOO_LARGE = {
    error: {
      message:
        "The request body is larger than the gateway's limit of 0.0625 MB; raise general_settings.max_request_size_mb to allow it.",
      type: "invalid_request_error",
      param: null,
      code: "request_too_large",
    },
  };
  for (const path of BODY_ROUTES) {
    test(`${path}: 413 from the declared length, and from a chunked body that never ends (not read whole)`, async () => {
      const declared = await post(
        small.url,
        path,
        JSON.stringify({ model: "gpt-instruct", prompt: "x".repeat(70_000) }),
      );
      assert.equal(declared.status, 413);
      assert.equal(declared.contentType, "application/json");
      assert.deepEqual(declared.body, TOO_LARGE);
      const unending = await unendingPost(small.url, path);
      assert.equal(unending.status, 413);
      assert.deepEqual(unending.body, TOO_LARGE);
      assert.equal(unending.stillSending, true);
      assert.equal(mock.requests.length, 0);
    });
  }
});

describe("stream_options with usage counting on (master key and store)", () => {
  const TEXT_RULE = 'It must be an object such as {"include_usage": true}.';
  const cases: [path: string, options: unknown, message: string][] = [
    [
      "/v1/completions",
      { include_usage: "yes" },
      `Invalid 'stream_options': got {"include_usage":"yes"}. ${TEXT_RULE}`,
    ],
    ["/v1/completions", { include_usage: 1 }, `Invalid 'stream_options': got {"include_usage":1}. ${TEXT_RULE}`],
    ["/v1/completions", { include_usage: null }, `Invalid 'stream_options': got {"include_usage":null}. ${TEXT_RULE}`],
    ["/v1/completions", "yes", `Invalid 'stream_options': got "yes". ${TEXT_RULE}`],
    ["/v1/completions", [true], `Invalid 'stream_options': got [true]. ${TEXT_RULE}`],
    [
      "/engines/gpt-instruct/completions",
      { include_usage: "yes" },
      `Invalid 'stream_options': got {"include_usage":"yes"}. ${TEXT_RULE}`,
    ],
    [
      "/v1/chat/completions",
      { include_usage: "yes" },
      `Invalid 'stream_options' (at stream_options.include_usage): got {"include_usage":"yes"}. ${TEXT_RULE}`,
    ],
    [
      "/openai/deployments/chat-model/chat/completions",
      { include_usage: 1 },
      `Invalid 'stream_options' (at stream_options.include_usage): got {"include_usage":1}. ${TEXT_RULE}`,
    ],
  ];
  for (const [path, options, message] of cases) {
    test(`${path} with stream_options ${JSON.stringify(options)}: 400, not replaced and forwarded`, async () => {
      const base = path.includes("chat")
        ? { model: "chat-model", messages: [{ role: "user", content: "hi" }] }
        : { model: "gpt-instruct", prompt: "hi" };
      const answer = await post(gateway.url, path, JSON.stringify({ ...base, stream: true, stream_options: options }));
      assert.equal(answer.status, 400);
      assert.deepEqual(answer.body, {
        error: { message, type: "invalid_request_error", param: "stream_options", code: "invalid_value" },
      });
      assert.equal(mock.requests.length, 0);
    });
  }

  test("the official client gets the same 400 as its BadRequestError", async () => {
    const client = new OpenAI({ apiKey: MASTER_KEY, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
    const error = await client.completions
      .create({
        model: "gpt-instruct",
        prompt: "hi",
        stream: true,
        stream_options: { include_usage: "yes" as unknown as boolean },
      })
      .catch((e: unknown) => e);
    assert.ok(error instanceof OpenAI.BadRequestError);
    assert.deepEqual(error.error, {
      message: `Invalid 'stream_options': got {"include_usage":"yes"}. ${TEXT_RULE}`,
      type: "invalid_request_error",
      param: "stream_options",
      code: "invalid_value",
    });
    assert.equal(mock.requests.length, 0);
  });

  test("include_usage false is still asked for on the client's behalf (a valid value may be replaced)", async () => {
    mock.always((_req, res) => json(res, 200, completionAnswer()));
    const response = await fetch(`${gateway.url}/v1/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${MASTER_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({
        model: "gpt-instruct",
        prompt: "hi",
        stream: true,
        stream_options: { include_usage: false },
      }),
    });
    await response.text();
    assert.deepEqual((mock.requests[0]?.json as { stream_options: unknown } | undefined)?.stream_options, {
      include_usage: true,
    });
  });
});

describe("nested chat params through the server", () => {
  test("a bad content part is a 400 naming its path, for the official client too", async () => {
    const client = new OpenAI({ apiKey: MASTER_KEY, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
    const error = await client.chat.completions
      .create({
        model: "chat-model",
        messages: [
          { role: "system", content: "Be brief." },
          { role: "user", content: "hi" },
          {
            role: "user",
            content: [
              { type: "text", text: "What is this?" },
              { type: "image_url", image_url: { url: 42 as unknown as string } },
            ],
          },
        ],
      })
      .catch((e: unknown) => e);
    assert.ok(error instanceof OpenAI.BadRequestError);
    assert.deepEqual(error.error, {
      message:
        "Invalid 'messages' (at messages.2.content.1.image_url.url): got 42. It must be a string (an https: or data: URL).",
      type: "invalid_request_error",
      param: "messages",
      code: "invalid_value",
    });
    assert.equal(mock.requests.length, 0);
  });
});

describe("model names of megabytes", () => {
  const huge = `hostile-model-${"m".repeat(5 * 1024 * 1024)}`;

  for (const path of ["/v1/completions", "/chat/completions"]) {
    test(`${path}: 400 quoting 80 characters; the log line and the spend record keep 256`, async () => {
      const requestId = `hostile-${path.replace(/\W/g, "")}`;
      const base = path.includes("chat") ? { messages: [{ role: "user", content: "hi" }] } : { prompt: "hi" };
      const answer = await post(gateway.url, path, JSON.stringify({ model: huge, ...base }), {
        "x-request-id": requestId,
      });
      assert.equal(answer.status, 400);
      assert.deepEqual(answer.body, {
        error: {
          message: `Invalid 'model': got a name of ${huge.length} characters, "${huge.slice(0, 76)}.... It must be a model name of at most 256 characters.`,
          type: "invalid_request_error",
          param: "model",
          code: "invalid_value",
        },
      });
      assert.equal(mock.requests.length, 0);
      const line = gateway.logs.find((log) => log.request_id === requestId);
      assert.equal(line?.model, huge.slice(0, 256));
      assert.ok(gateway.rawLogs.every((raw) => raw.length < 2000));
      await gateway.server.access.flushSpend(5000);
      const logs = await fetch(`${gateway.url}/spend/logs?page_size=1000`, {
        headers: { authorization: `Bearer ${MASTER_KEY}` },
      });
      const groups = ((await logs.json()) as { model_group: string }[])
        .map((log) => log.model_group)
        .filter((group) => group.startsWith("hostile-model-"));
      assert.ok(groups.length > 0);
      for (const group of groups) assert.equal(group, huge.slice(0, 256));
    });
  }

  test("a 300-character model in the path is the same 400", async () => {
    const answer = await post(gateway.url, `/engines/${"p".repeat(300)}/completions`, JSON.stringify({ prompt: "hi" }));
    assert.equal(answer.status, 400);
    assert.equal(
      answer.body.error.message,
      `Invalid 'model': got a name of 300 characters, "${"p".repeat(76)}.... It must be a model name of at most 256 characters.`,
    );
  });

  test("an unknown model within the bound is quoted cut in the router's 400", async () => {
    const name = `unknown-${"u".repeat(200)}`;
    const answer = await post(gateway.url, "/v1/completions", JSON.stringify({ model: name, prompt: "hi" }));
    assert.equal(answer.status, 400);
    assert.deepEqual(answer.body, {
      error: {
        message: `Unknown model '${name.slice(0, 77)}...'. Available models: gpt-instruct, chat-model.`,
        type: "invalid_request_error",
        param: "model",
        code: "model_not_found",
      },
    });
  });
});

describe("what errors quote from the request, bounded", () => {
  test("a Content-Type of 8 KB is quoted in 80 characters", async () => {
    const type = `text/${"x".repeat(8000)}`;
    const answer = await post(gateway.url, "/v1/completions", JSON.stringify({ model: "gpt-instruct", prompt: "hi" }), {
      "content-type": type,
    });
    assert.equal(answer.status, 400);
    assert.equal(
      answer.body.error.message,
      `The request's Content-Type is '${type.slice(0, 77)}...'; send the JSON body with 'Content-Type: application/json'.`,
    );
    assert.equal(mock.requests.length, 0);
  });

  test("a management field named with 5 MB is quoted in 80 characters, in the message and in param", async () => {
    const field = "f".repeat(5 * 1024 * 1024);
    const answer = await post(gateway.url, "/key/generate", JSON.stringify({ [field]: 1 }));
    assert.equal(answer.status, 400);
    const cut = `${"f".repeat(77)}...`;
    assert.equal(answer.body.error.param, cut);
    assert.ok(
      answer.body.error.message.startsWith(
        `/key/generate does not take '${cut}' (a typo, or a field litegate does not support): remove it.`,
      ),
    );
    assert.ok(answer.text.length < 1000);
  });

  test("query strings of 8 KB on the management routes are quoted in 80 characters", async () => {
    const get = async (path: string) => {
      const response = await fetch(`${gateway.url}${path}`, { headers: { authorization: `Bearer ${MASTER_KEY}` } });
      return (await response.json()) as Answer["body"];
    };
    const long = "q".repeat(8000);
    const cut = `${"q".repeat(77)}...`;
    assert.equal(
      (await get(`/key/info?key=${long}`)).error.message,
      `No key '${cut}' exists on this gateway; GET /key/list lists them.`,
    );
    assert.equal(
      (await get(`/user/info?user_id=${long}`)).error.message,
      `No user '${cut}' exists on this gateway; create one with POST /user/new.`,
    );
    assert.equal(
      (await get(`/team/info?team_id=${long}`)).error.message,
      `No team '${cut}' exists on this gateway; create one with POST /team/new.`,
    );
    const unknown = await get(`/key/list?${long}=1`);
    assert.equal(unknown.error.param, cut);
    assert.equal(
      unknown.error.message,
      `/key/list does not take '${cut}' in the query string; it takes: page, size, user_id, team_id, key_alias, search, return_full_object.`,
    );
    assert.equal(
      (await get(`/key/list?page=${long}`)).error.message,
      `Invalid 'page': got '${cut}'. It must be a whole number from 1 to 1000000.`,
    );
    assert.equal(
      (await get(`/spend/logs?start_date=${long}`)).error.message,
      `Invalid 'start_date': got '${cut}'. It must be a date (2026-11-25) or a date-time (2026-11-25T13:45:00Z, or 2026-11-25 13:45:00 in UTC).`,
    );
  });

  test("a management list of a million numbers is refused at its first item", async () => {
    const answer = await post(
      gateway.url,
      "/key/generate",
      JSON.stringify({ models: Array.from({ length: 1_000_000 }, (_, i) => i) }),
    );
    assert.equal(answer.status, 400);
    assert.equal(
      answer.body.error.message,
      "Invalid 'models' in /key/generate: got [0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28.... It must be a list of model names (an empty list allows every model).",
    );
  });
});

describe("what never becomes a request", () => {
  /** Writes `raw` on a fresh connection and returns everything the gateway answers before it closes. */
  async function rawExchange(raw: string): Promise<string> {
    const { port } = new URL(gateway.url);
    const socket = connect(Number(port), "127.0.0.1");
    let received = "";
    socket.on("data", (data: Buffer) => (received += data.toString("utf8")));
    socket.write(raw);
    await once(socket, "close");
    return received;
  }

  function jsonAnswer(status: number, reason: string, message: string): string {
    const body = JSON.stringify({
      error: { message, type: "invalid_request_error", param: null, code: String(status) },
    });
    return `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`;
  }

  test("malformed HTTP: a JSON 400, not Node's bare one", async () => {
    assert.equal(
      await rawExchange("NOT HTTP AT ALL\r\n\r\n"),
      jsonAnswer(400, "Bad Request", "The request is not valid HTTP."),
    );
  });

  test("headers over Node's 16 KB: a JSON 431", async () => {
    const raw = `GET /health/liveliness HTTP/1.1\r\nhost: gateway\r\nx-big: ${"a".repeat(20_000)}\r\n\r\n`;
    assert.equal(
      await rawExchange(raw),
      jsonAnswer(431, "Request Header Fields Too Large", "The request's headers are larger than the gateway accepts."),
    );
  });

  test("an unknown path of 10 KB is quoted cut to 200 characters, in the 404 and the log line", async () => {
    const path = `/v1/${"x".repeat(10_000)}`;
    const response = await fetch(`${gateway.url}${path}`, { headers: { authorization: `Bearer ${MASTER_KEY}` } });
    assert.equal(response.status, 404);
    const { error } = (await response.json()) as { error: { message: string } };
    assert.ok(error.message.startsWith(`No route GET ${path.slice(0, 200)}....`), error.message);
    assert.ok(error.message.length < 400, `${error.message.length} characters`);
    const line = gateway.logs.find((log) => typeof log.route === "string" && log.route.startsWith("/v1/xxx"));
    assert.equal(line?.route, `${path.slice(0, 200)}...`);
  });

  test("a client gone mid-body is logged 499, never as the gateway's own failure", async () => {
    const { port } = new URL(gateway.url);
    const socket = connect(Number(port), "127.0.0.1");
    socket.write(
      `POST /v1/completions HTTP/1.1\r\nhost: gateway\r\nauthorization: Bearer ${MASTER_KEY}\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"model": "gpt-ins`,
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    const before = gateway.logs.length;
    socket.destroy();
    const started = Date.now();
    while (gateway.logs.length === before && Date.now() - started < 2_000)
      await new Promise((resolve) => setTimeout(resolve, 10));
    const lines = gateway.logs.slice(before);
    assert.deepEqual(
      lines.map((line) => [line.msg === "unexpected failure" ? "unexpected failure" : line.status, line.route]),
      [[499, "/v1/completions"]],
    );
  });
});
