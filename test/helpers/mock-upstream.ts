/**
 * A provider played by a local HTTP server: it records every request exactly as it
 * arrived (method, path, query, headers, body) and answers with whatever the test
 * scripts. It also reports when a client connection closes, so tests can check that
 * aborts and timeouts really tear down the upstream socket.
 */
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

export type Handler = (request: RecordedRequest, res: ServerResponse, raw: IncomingMessage) => void | Promise<void>;

export class MockUpstream {
  readonly requests: RecordedRequest[] = [];
  /** Count of client sockets that have closed. */
  closedSockets = 0;
  private handlers: Handler[] = [];
  private fallback: Handler = (_req, res) => json(res, 500, { error: { message: "no handler scripted" } });
  private readonly sockets = new Set<Socket>();
  private readonly closeWaiters: (() => void)[] = [];

  private constructor(private readonly server: Server) {}

  static async start(): Promise<MockUpstream> {
    const server = createServer({ keepAliveTimeout: 60_000 });
    const mock = new MockUpstream(server);
    server.on("connection", (socket: Socket) => {
      mock.sockets.add(socket);
      socket.on("close", () => {
        mock.sockets.delete(socket);
        mock.closedSockets += 1;
        for (const wake of mock.closeWaiters.splice(0)) wake();
      });
    });
    server.on("request", (req: IncomingMessage, res: ServerResponse) => void mock.handle(req, res));
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    return mock;
  }

  get url(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** Answers the next requests, one handler each, in order; then the default handler. */
  enqueue(...handlers: Handler[]): this {
    this.handlers.push(...handlers);
    return this;
  }

  /** Answers every request not taken by an enqueued handler. */
  always(handler: Handler): this {
    this.fallback = handler;
    return this;
  }

  reset(): void {
    this.requests.length = 0;
    this.handlers = [];
    this.closedSockets = 0;
  }

  /** Resolves once a client socket has closed (immediately if `closedSockets` already exceeds `seen`). */
  async socketClosed(seen = 0): Promise<void> {
    while (this.closedSockets <= seen) {
      await new Promise<void>((resolve) => this.closeWaiters.push(resolve));
    }
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.server.close();
    await once(this.server, "close");
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const parts: Buffer[] = [];
    for await (const part of req) parts.push(part as Buffer);
    const body = Buffer.concat(parts).toString("utf8");
    const url = new URL(req.url ?? "/", "http://mock");
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      parsed = undefined;
    }
    const recorded: RecordedRequest = {
      method: req.method ?? "",
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body,
      json: parsed,
    };
    this.requests.push(recorded);
    const handler = this.handlers.shift() ?? this.fallback;
    await handler(recorded, res, req);
  }
}

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

/** Writes an SSE response: each item becomes `data: <item>\n\n` (strings as they are). */
export function sse(res: ServerResponse, events: (string | object)[], headers: Record<string, string> = {}): void {
  res.writeHead(200, { "content-type": "text/event-stream", ...headers });
  for (const event of events) res.write(`data: ${typeof event === "string" ? event : JSON.stringify(event)}\n\n`);
  res.end();
}
