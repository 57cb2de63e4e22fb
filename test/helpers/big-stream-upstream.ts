/**
 * A chat upstream on a worker thread of its own, for tests that measure the gateway's event
 * loop: its writes must not count against the loop under test, as a real provider's would
 * not. It streams `bytes` of one letter without a space, in 1 KB deltas paced by the socket,
 * with no usage, and posts its URL to the parent once listening.
 */
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { parentPort, workerData } from "node:worker_threads";

const { bytes } = (workerData ?? { bytes: 0 }) as { bytes: number };
const PIECE = "a".repeat(1024);
/** Events per write, as a provider's server batches them. */
const EVENTS_PER_WRITE = 32;

function event(content: string | undefined, finish: string | null): string {
  const delta = content === undefined ? {} : { content };
  return `data: ${JSON.stringify({ id: "chatcmpl-big", object: "chat.completion.chunk", created: 1, model: "gpt-4o-mini", choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
}

const server = createServer((req, res) => {
  req.resume();
  req.once("end", async () => {
    res.writeHead(200, { "content-type": "text/event-stream" });
    const batch = event(PIECE, null).repeat(EVENTS_PER_WRITE);
    for (let sent = 0; sent < bytes; sent += PIECE.length * EVENTS_PER_WRITE) {
      if (!res.write(batch)) await once(res, "drain");
    }
    res.end(`${event(undefined, "stop")}data: [DONE]\n\n`);
  });
});
// Only as a worker: the test runner also loads every helper file on its own, where this must do nothing.
const parent = parentPort;
if (parent !== null) {
  server.listen(0, "127.0.0.1", () => parent.postMessage(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  parent.on("message", (message) => {
    if (message === "close") {
      server.closeAllConnections();
      server.close(() => process.exit(0));
    }
  });
}
