#!/usr/bin/env node
/**
 * `litegate`: the proxy's command line. Loads and checks the config before anything
 * listens (a bad config exits 1 with one line naming the file and field), then serves
 * on one process or, with --num_workers N, on N processes sharing the port.
 */
import cluster from "node:cluster";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { ConfigError, type GatewayConfig, loadConfig, singleModelConfig } from "./config/index.js";
import type { GatewayServer } from "./proxy/server.js";
import { createGateway, describeDatabase, startupWarnings } from "./proxy/start.js";

const HELP = `litegate — an OpenAI-compatible LLM gateway that reads LiteLLM's config.yaml

Usage:
  litegate --config config.yaml [--port 4000] [--host 0.0.0.0] [--num_workers N] [--detailed_debug]
  litegate --model text-completion-openai/gpt-3.5-turbo-instruct

Options:
  --config FILE        LiteLLM-style config.yaml (model_list, general_settings, router_settings, ...)
  --model MODEL        serve one provider/model without a config file
  --port N             port to listen on (default 4000)
  --host HOST          address to listen on (default 0.0.0.0)
  --num_workers N      worker processes sharing the port (default 1)
  --keepalive_timeout S
                       seconds an idle client connection stays open (default 620; also
                       KEEPALIVE_TIMEOUT or general_settings.keepalive_timeout_seconds)
  --detailed_debug     also log request and response bodies (secrets redacted)
  --help, --version
`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

function parse() {
  return parseArgs({
    options: {
      config: { type: "string" },
      model: { type: "string" },
      port: { type: "string", default: "4000" },
      host: { type: "string", default: "0.0.0.0" },
      num_workers: { type: "string", default: "1" },
      keepalive_timeout: { type: "string" },
      detailed_debug: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
      version: { type: "boolean", default: false },
    },
    strict: true,
  }).values;
}

function positiveInt(name: string, value: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}; got '${value}'.`);
  return n;
}

async function config(args: ReturnType<typeof parse>): Promise<GatewayConfig> {
  if (args.config !== undefined) return loadConfig(args.config);
  if (args.model !== undefined) return singleModelConfig(args.model);
  throw new Error("Give --config config.yaml or --model provider/model (litegate --help).");
}

async function serve(
  cfg: GatewayConfig,
  args: ReturnType<typeof parse>,
  port: number,
  announce: boolean,
  keepAliveTimeout: number | undefined,
): Promise<void> {
  let gateway: GatewayServer;
  try {
    gateway = await createGateway(cfg, {
      detailedDebug: args.detailed_debug,
      keepAliveTimeoutSeconds: keepAliveTimeout,
    });
  } catch (error) {
    // The store is the one thing opened here that can fail: one line naming it, not a stack.
    const reason = error instanceof Error ? error.message : String(error);
    process.stderr.write(`litegate: cannot open the database at ${describeDatabase(cfg) ?? "?"}: ${reason}\n`);
    process.exit(1);
  }
  if (announce) for (const warning of startupWarnings(cfg)) gateway.logger.warn(warning);
  const address = await gateway.listen(port, args.host ?? "0.0.0.0");
  gateway.logger.info(
    {
      models: gateway.router.modelNames,
      database: describeDatabase(cfg),
      worker: cluster.isWorker ? cluster.worker?.id : undefined,
    },
    `litegate listening on http://${address.address}:${address.port}`,
  );
  const grace = cfg.generalSettings.graceful_shutdown_timeout_seconds * 1000;
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    gateway.logger.info({ signal, grace_ms: grace }, "shutting down: finishing in-flight requests");
    void gateway.shutdown(grace).then(() => process.exit(0));
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

/** The primary of --num_workers: forks the workers, passes signals on, exits when they have. */
function supervise(workers: number): void {
  for (let i = 0; i < workers; i++) cluster.fork();
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  cluster.on("exit", (worker, code) => {
    if (!stopping) {
      process.stderr.write(`litegate: worker ${worker.id} exited with code ${code}; starting a new one\n`);
      cluster.fork();
    } else if (Object.keys(cluster.workers ?? {}).length === 0) {
      process.exit(0);
    }
  });
}

async function main(): Promise<void> {
  let args: ReturnType<typeof parse>;
  let port: number;
  let workers: number;
  let keepAliveTimeout: number | undefined;
  let cfg: GatewayConfig;
  try {
    args = parse();
    if (args.help) {
      process.stdout.write(HELP);
      return;
    }
    if (args.version) {
      process.stdout.write(`litegate ${version()}\n`);
      return;
    }
    port = positiveInt("port", args.port ?? "4000", 0);
    workers = positiveInt("num_workers", args.num_workers ?? "1", 1);
    // LiteLLM's flag and variable for uvicorn's keep-alive, so its command lines work unchanged.
    const keepAlive = args.keepalive_timeout ?? process.env.KEEPALIVE_TIMEOUT;
    keepAliveTimeout =
      keepAlive === undefined || keepAlive === ""
        ? undefined
        : positiveInt("keepalive_timeout (or KEEPALIVE_TIMEOUT)", keepAlive, 1);
    cfg = await config(args);
  } catch (error) {
    const message = error instanceof ConfigError || error instanceof Error ? error.message : String(error);
    process.stderr.write(`litegate: ${message}\n`);
    process.exit(1);
  }
  if (workers > 1 && cluster.isPrimary) {
    for (const warning of startupWarnings(cfg, workers)) process.stderr.write(`litegate: warning: ${warning}\n`);
    supervise(workers);
    return;
  }
  await serve(cfg, args, port, cluster.isPrimary, keepAliveTimeout);
}

void main();
