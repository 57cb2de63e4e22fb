/**
 * Mock OpenAI upstream: `POST /v1/completions` answering a fixed, realistic
 * `text_completion`, or with `"stream": true` an SSE stream of 8 chunks then
 * `data: [DONE]`. Responses are built once at startup so the mock costs as little CPU
 * as possible: it shares a core with the proxy under test, and every microsecond it
 * spends is one the proxy cannot.
 *
 * Chunks are written back to back with no artificial delay by default (each frame is a
 * separate write, as a real server flushing tokens would do). `--chunk-gap-ms N` spaces
 * them N ms apart, which makes time-to-first-byte expose a gateway that buffers the
 * whole stream instead of relaying it.
 *
 * Usage: node dist/bench/mock-upstream.js --port <port> [--chunk-gap-ms <ms>]
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    port: { type: "string" },
    "chunk-gap-ms": { type: "string", default: "0" },
  },
});
const port = Number(values.port);
const chunkGapMs = Number(values["chunk-gap-ms"]);
if (!Number.isInteger(port) || port <= 0) throw new Error("--port <port> is required");

const ID = "cmpl-8WbEnchMarkR3sp0nse00000000";
const CREATED = 1_700_000_000;
const MODEL = "gpt-3.5-turbo-instruct";
const USAGE = { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 };

const COMPLETION = Buffer.from(
  JSON.stringify({
    id: ID,
    object: "text_completion",
    created: CREATED,
    model: MODEL,
    choices: [{ text: "\n\nThis is indeed a test.", index: 0, logprobs: null, finish_reason: "length" }],
    usage: USAGE,
  }),
);

const PIECES = ["\n\n", "This", " is", " indeed", " a", " test", ".", ""];
const frame = (payload: unknown): Buffer => Buffer.from(`data: ${JSON.stringify(payload)}\n\n`);
const CHUNK_FRAMES: Buffer[] = PIECES.map((text, i) =>
  frame({
    id: ID,
    object: "text_completion",
    created: CREATED,
    choices: [{ text, index: 0, logprobs: null, finish_reason: i === PIECES.length - 1 ? "length" : null }],
    model: MODEL,
  }),
);
// Sent only when the client asks for it, as OpenAI does (`stream_options.include_usage`).
const USAGE_FRAME = frame({
  id: ID,
  object: "text_completion",
  created: CREATED,
  choices: [],
  model: MODEL,
  usage: USAGE,
});
const DONE_FRAME = Buffer.from("data: [DONE]\n\n");

const JSON_HEADERS = {
  "content-type": "application/json",
  "content-length": String(COMPLETION.length),
  "x-request-id": "req_bench",
  "openai-processing-ms": "1",
};
const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
  "x-request-id": "req_bench",
};

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function sendError(res: ServerResponse, status: number, message: string): void {
  const body = JSON.stringify({ error: { message, type: "invalid_request_error", param: null, code: null } });
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

function stream(res: ServerResponse, includeUsage: boolean): void {
  const frames = includeUsage ? [...CHUNK_FRAMES, USAGE_FRAME] : CHUNK_FRAMES;
  res.writeHead(200, SSE_HEADERS);
  if (chunkGapMs <= 0) {
    for (const f of frames) res.write(f);
    res.end(DONE_FRAME);
    return;
  }
  let i = 0;
  const next = (): void => {
    if (res.destroyed) return;
    const f = frames[i++];
    if (f === undefined) {
      res.end(DONE_FRAME);
      return;
    }
    res.write(f);
    setTimeout(next, chunkGapMs);
  };
  next();
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? "").split("?", 1)[0];
  if (req.method !== "POST" || path !== "/v1/completions") {
    req.resume();
    sendError(res, 404, `mock upstream serves POST /v1/completions only, got ${req.method} ${req.url}`);
    return;
  }
  const parts: Buffer[] = [];
  req.on("data", (c: Buffer) => parts.push(c));
  req.on("end", () => {
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(parts).toString("utf8"));
    } catch {
      sendError(res, 400, "body is not JSON");
      return;
    }
    // Parsing is needed anyway to see `stream`; a real upstream parses too.
    if (isRecord(body) && body.stream === true) {
      const opts = body.stream_options;
      stream(res, isRecord(opts) && opts.include_usage === true);
    } else {
      res.writeHead(200, JSON_HEADERS);
      res.end(COMPLETION);
    }
  });
}

const server = createServer(handle);
// Keep-alive longer than any run so no target pays for reconnects mid-measurement.
server.keepAliveTimeout = 120_000;
server.headersTimeout = 121_000;
server.requestTimeout = 0;
server.listen(port, "127.0.0.1");
