/** Starts a real litegate proxy on 127.0.0.1 for a test, with its log lines captured. */
import { deploymentsFromLiteLLM } from "../../src/config/index.js";
import { GatewayServer, type GatewayOptions } from "../../src/proxy/server.js";

export interface TestGateway {
  url: string;
  server: GatewayServer;
  /** Every log line written so far, parsed. */
  logs: Record<string, unknown>[];
  /** Every log line written so far, as written. */
  rawLogs: string[];
  close(): Promise<void>;
}

/** The server's options, its deployments written as a LiteLLM `model_list` (resolved here as the config loader would). */
export type TestGatewayOptions = Omit<GatewayOptions, "logDestination" | "deployments"> & {
  modelList: readonly unknown[];
  /** Where `os.environ/NAME` values are read; process.env by default. */
  env?: Readonly<Record<string, string | undefined>>;
};

export async function startGateway(options: TestGatewayOptions): Promise<TestGateway> {
  const rawLogs: string[] = [];
  const logs: Record<string, unknown>[] = [];
  const { modelList, env, ...rest } = options;
  const server = new GatewayServer({
    ...rest,
    // Models added at runtime (/model/new) read their os.environ/ values from the same place.
    env,
    deployments: deploymentsFromLiteLLM(modelList, env),
    logDestination: {
      write(line: string) {
        rawLogs.push(line);
        logs.push(JSON.parse(line) as Record<string, unknown>);
      },
    },
  });
  const address = await server.listen(0, "127.0.0.1");
  return {
    url: `http://127.0.0.1:${address.port}`,
    server,
    logs,
    rawLogs,
    close: () => server.shutdown(1000),
  };
}

/** Reads an SSE response body to its end and returns the raw `data:` payloads and comments. */
export async function readEvents(response: Response): Promise<{ data: string[]; comments: string[] }> {
  const text = await response.text();
  const data: string[] = [];
  const comments: string[] = [];
  for (const block of text.split("\n\n")) {
    if (block === "") continue;
    for (const line of block.split("\n")) {
      if (line.startsWith("data: ")) data.push(line.slice(6));
      else if (line.startsWith(":")) comments.push(line);
    }
  }
  return { data, comments };
}
