/**
 * The floor: the least a Node reverse proxy can do. Reads the request body, forwards it
 * to the upstream over one undici Pool (created once, keep-alive, unlimited connections
 * like litegate's own transport), and pipes status, content-type and body back,
 * streaming included. No parsing, validation, logging or header rewriting: whatever
 * litegate costs beyond this is the price of its features.
 *
 * Usage: node dist/bench/floor-proxy.js --port <port> --upstream http://127.0.0.1:<port>
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { parseArgs } from "node:util";
import { Pool } from "undici";

const { values } = parseArgs({
  options: { port: { type: "string" }, upstream: { type: "string" } },
});
const port = Number(values.port);
const upstream = values.upstream;
if (!Number.isInteger(port) || port <= 0 || upstream === undefined) {
  throw new Error("--port <port> and --upstream <origin> are required");
}

const pool = new Pool(upstream, { keepAliveTimeout: 120_000, keepAliveMaxTimeout: 120_000 });

async function forward(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
  try {
    const headers: Record<string, string> = {};
    const ct = req.headers["content-type"];
    const auth = req.headers.authorization;
    if (ct !== undefined) headers["content-type"] = ct;
    if (auth !== undefined) headers.authorization = auth;
    const up = await pool.request({ path: req.url ?? "/", method: "POST", headers, body });
    const upCt = up.headers["content-type"];
    res.writeHead(up.statusCode, typeof upCt === "string" ? { "content-type": upCt } : {});
    // pipe(), not stream/promises' pipeline(): on Node 20 pipeline() aborts an AbortController when it
    // finishes, building a DOMException with a stack trace per request (~10 % of this proxy's CPU).
    up.body.once("error", () => res.destroy());
    res.once("close", () => up.body.destroy());
    up.body.pipe(res);
  } catch (err) {
    if (!res.headersSent) {
      res.writeHead(502, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: `floor proxy: ${String(err)}` } }));
    } else {
      res.destroy();
    }
  }
}

const server = createServer((req, res) => {
  if (req.method !== "POST") {
    req.resume();
    res.writeHead(405).end();
    return;
  }
  const parts: Buffer[] = [];
  req.on("data", (c: Buffer) => parts.push(c));
  req.on("end", () => void forward(req, res, Buffer.concat(parts)));
});
server.keepAliveTimeout = 120_000;
server.headersTimeout = 121_000;
server.requestTimeout = 0;
server.listen(port, "127.0.0.1");
// Exit normally on SIGTERM so that --cpu-prof (BENCH_PROFILE) writes its profile.
process.once("SIGTERM", () => process.exit(0));
