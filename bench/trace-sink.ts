/**
 * The OTLP/HTTP collector the traced gateway exports to: it reads each export whole and
 * answers 200, as a collector that keeps up would. It runs in the bench's own process (pinned
 * with the load generator), not beside the gateways: a real collector runs elsewhere, and the
 * gateway's cost of tracing is what is measured, serialising and sending each batch included.
 */
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface TraceSink {
  port: number;
  /** Exports received and their bytes, for the report. */
  exports: number;
  bytes: number;
  close(): Promise<void>;
}

export async function startTraceSink(): Promise<TraceSink> {
  const server: Server = createServer();
  const sink: TraceSink = {
    port: 0,
    exports: 0,
    bytes: 0,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
  server.on("request", (req, res) => {
    req.on("data", (part: Buffer) => {
      sink.bytes += part.length;
    });
    req.on("end", () => {
      sink.exports += 1;
      res.writeHead(200, { "content-type": "application/x-protobuf" });
      res.end();
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  sink.port = (server.address() as AddressInfo).port;
  return sink;
}
