/**
 * A TCP relay for tests that need a server to go away, hang and come back on the same port
 * (Redis outages), without touching the server itself.
 */
import net from "node:net";

/** A TCP relay to a server (Redis) that a test can cut, hang and restore, to simulate outages. */
export class TcpRelay {
  private server: net.Server | undefined;
  /** Client socket -> its upstream socket to the server. */
  private readonly pairs = new Map<net.Socket, net.Socket>();
  private frozen = false;
  readonly host = "127.0.0.1";
  port = 0;

  private constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  static async start(targetHost: string, targetPort: number): Promise<TcpRelay> {
    const relay = new TcpRelay(targetHost, targetPort);
    await relay.restart();
    return relay;
  }

  async restart(): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(this.targetPort, this.targetHost);
      this.pairs.set(client, upstream);
      const drop = (): void => {
        this.pairs.delete(client);
        client.destroy();
        upstream.destroy();
      };
      for (const socket of [client, upstream]) {
        socket.on("close", drop);
        socket.on("error", drop);
      }
      upstream.pipe(client);
      if (!this.frozen) client.pipe(upstream);
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, this.host, () => resolve());
    });
    const address = server.address();
    if (address !== null && typeof address === "object") this.port = address.port;
    this.server = server;
  }

  /** The server hangs: connections stay open, requests get no answer (they wait in the relay). */
  freeze(): void {
    this.frozen = true;
    for (const client of this.pairs.keys()) {
      client.unpipe();
      client.pause();
    }
  }

  thaw(): void {
    this.frozen = false;
    for (const [client, upstream] of this.pairs) client.pipe(upstream);
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const [client, upstream] of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    this.pairs.clear();
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
