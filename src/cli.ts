#!/usr/bin/env node
/**
 * `litegate`: the proxy's command line. Loads and checks the config before anything
 * listens (a bad config exits 1 with one line naming the file and field), then serves
 * on one process or, with --num_workers N, on N processes sharing the port.
 */
// First, so that no allocation site is tenured while the other modules load (see the module).
import "./process-tuning.js";
import cluster from "node:cluster";
import { parseArgs } from "node:util";
import { ignoredNotes, litellmOptions, refusal, withModelFlags } from "./cli-compat.js";
import { ConfigError, type GatewayConfig, loadConfig, singleModelConfig } from "./config/index.js";
import type { GatewayServer } from "./proxy/server.js";
import { serveClusterMetrics } from "./metrics/cluster.js";
import {
  createGateway,
  describeDatabase,
  metricsOptions,
  startupWarnings,
  tracingOptions,
  webhookOptions,
} from "./proxy/start.js";
import { describeTracing } from "./tracing/settings.js";
import { packageVersion } from "./version.js";

const HELP = `litegate — an OpenAI-compatible LLM gateway that reads LiteLLM's config.yaml

Usage:
  litegate --config config.yaml [--port 4000] [--host 0.0.0.0] [--num_workers N] [--detailed_debug]
  litegate --model text-completion-openai/gpt-3.5-turbo-instruct

Options (LiteLLM's names; HOST, PORT, NUM_WORKERS, DETAILED_DEBUG are read as LiteLLM reads them):
  -c, --config FILE    LiteLLM-style config.yaml (model_list, general_settings, router_settings, ...)
  -m, --model MODEL    serve one provider/model without a config file; every request goes to it
  --api_base URL, --api_version V, --request_timeout S
                       with --model: where and how to call it
  --alias NAME         with --model: another name for it
  --temperature T, --max_tokens N
                       set on every completion request, over the client's value (as LiteLLM does)
  --drop_params        drop params a provider cannot take instead of refusing the request
  --port N             port to listen on (default 4000)
  --host HOST          address to listen on (default 0.0.0.0)
  --num_workers N      worker processes sharing the port (default 1)
  --keepalive_timeout S
                       seconds an idle client connection stays open (default 620; also
                       KEEPALIVE_TIMEOUT or general_settings.keepalive_timeout_seconds)
  --detailed_debug     also log request and response bodies (secrets redacted)
  --debug              accepted: every request already gets a log line
  --validate_config    load and check --config, print what it serves, and exit
  --max_budget USD     accepted, not enforced: give keys a max_budget instead
  -h, --help, -v, --version
LiteLLM's server flags (--run_gunicorn, --telemetry, --use_prisma_db_push, ...) are accepted
with a note; --use_queue, --ssl_*, --test and --health are refused with the reason.
`;

function parse() {
  return parseArgs({
    options: {
      ...litellmOptions(),
      config: { type: "string", short: "c" },
      model: { type: "string", short: "m" },
      api_base: { type: "string" },
      api_version: { type: "string" },
      request_timeout: { type: "string" },
      alias: { type: "string" },
      temperature: { type: "string" },
      max_tokens: { type: "string" },
      drop_params: { type: "boolean", default: false },
      max_budget: { type: "string" },
      port: { type: "string", default: process.env.PORT ?? "4000" },
      host: { type: "string", default: process.env.HOST ?? "0.0.0.0" },
      num_workers: { type: "string", default: process.env.NUM_WORKERS ?? "1" },
      keepalive_timeout: { type: "string" },
      detailed_debug: {
        type: "boolean",
        default: process.env.DETAILED_DEBUG === "True" || process.env.DETAILED_DEBUG === "true",
      },
      debug: { type: "boolean", default: false },
      validate_config: { type: "boolean", default: false },
      help: { type: "boolean", default: false, short: "h" },
      version: { type: "boolean", default: false, short: "v" },
    },
    strict: true,
  }).values;
}

function positiveInt(name: string, value: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}; got '${value}'.`);
  return n;
}

function number(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < 0)
    throw new Error(`--${name} must be a number >= 0; got '${value}'.`);
  return n;
}

async function config(args: ReturnType<typeof parse>): Promise<GatewayConfig> {
  let loaded: GatewayConfig;
  if (args.config !== undefined) {
    for (const flag of ["api_base", "api_version", "request_timeout", "alias"] as const) {
      if (args[flag] !== undefined)
        throw new Error(`--${flag} goes with --model; with --config, set it in litellm_params.`);
    }
    loaded = await loadConfig(args.config);
  } else if (args.model !== undefined) {
    const timeout = number("request_timeout", args.request_timeout);
    loaded = singleModelConfig(args.model, {
      litellmParams: {
        ...(args.api_base === undefined ? {} : { api_base: args.api_base }),
        ...(args.api_version === undefined ? {} : { api_version: args.api_version }),
        ...(timeout === undefined ? {} : { timeout }),
      },
    });
  } else {
    throw new Error("Give --config config.yaml or --model provider/model (litegate --help).");
  }
  const maxTokens = number("max_tokens", args.max_tokens);
  if (maxTokens !== undefined && !Number.isInteger(maxTokens))
    throw new Error(`--max_tokens must be an integer; got '${args.max_tokens}'.`);
  return withModelFlags(loaded, {
    temperature: number("temperature", args.temperature),
    max_tokens: maxTokens,
    drop_params: args.drop_params,
    alias: args.alias,
  });
}

/** One line per flag that is accepted but changes nothing, so nobody thinks it took effect. */
function notes(args: ReturnType<typeof parse>): string[] {
  const lines = ignoredNotes(args);
  if (args.debug === true)
    lines.push("--debug is accepted: every request already gets a log line (--detailed_debug adds bodies).");
  if (args.max_budget !== undefined) {
    lines.push("--max_budget is accepted and not enforced: give virtual keys, users or teams a max_budget instead.");
  }
  return lines;
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
  const tracing = tracingOptions(cfg);
  const host = args.host ?? "0.0.0.0";
  let address: Awaited<ReturnType<GatewayServer["listen"]>>;
  try {
    address = await gateway.listen(port, host);
  } catch (error) {
    // A port in use or not ours to bind: one line naming it, not a stack.
    const code = (error as { code?: unknown }).code;
    const why = code === "EADDRINUSE" ? "it is in use" : code === "EACCES" ? "permission denied" : String(error);
    process.stderr.write(`litegate: cannot listen on ${host}:${port}: ${why}\n`);
    process.exit(1);
  }
  gateway.logger.info(
    {
      models: gateway.router.modelNames,
      database: describeDatabase(cfg),
      traces: tracing === undefined ? undefined : describeTracing(tracing),
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

/**
 * The primary of --num_workers: forks the workers, passes signals on, exits when they have;
 * with metrics on, sums the workers' metrics for whichever worker is scraped.
 */
function supervise(workers: number, metrics: boolean): void {
  if (metrics) serveClusterMetrics();
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
      process.stdout.write(`litegate ${packageVersion()}\n`);
      return;
    }
    const refused = refusal(args);
    if (refused !== undefined) throw new Error(refused);
    for (const note of notes(args)) process.stderr.write(`litegate: note: ${note}\n`);
    port = positiveInt("port", args.port ?? "4000", 0);
    workers = positiveInt("num_workers", args.num_workers ?? "1", 1);
    // LiteLLM's flag and variable for uvicorn's keep-alive, so its command lines work unchanged.
    const keepAlive = args.keepalive_timeout ?? process.env.KEEPALIVE_TIMEOUT;
    keepAliveTimeout =
      keepAlive === undefined || keepAlive === ""
        ? undefined
        : positiveInt("keepalive_timeout (or KEEPALIVE_TIMEOUT)", keepAlive, 1);
    cfg = await config(args);
    // A tracing setting litegate cannot serve (OTLP over grpc), or generic_api without its
    // endpoint, stops the start with one line naming the variable.
    tracingOptions(cfg);
    webhookOptions(cfg);
    if (args.validate_config) {
      if (args.config === undefined) throw new Error("--validate_config checks the file --config names.");
      for (const warning of startupWarnings(cfg)) process.stderr.write(`litegate: warning: ${warning}\n`);
      const count = cfg.modelList.length;
      process.stdout.write(`litegate: config OK (${count} deployment${count === 1 ? "" : "s"})\n`);
      return;
    }
  } catch (error) {
    const message = error instanceof ConfigError || error instanceof Error ? error.message : String(error);
    process.stderr.write(`litegate: ${message}\n`);
    process.exit(1);
  }
  if (workers > 1 && cluster.isPrimary) {
    for (const warning of startupWarnings(cfg, workers)) process.stderr.write(`litegate: warning: ${warning}\n`);
    supervise(workers, metricsOptions(cfg) !== undefined);
    return;
  }
  await serve(cfg, args, port, cluster.isPrimary, keepAliveTimeout);
}

void main();
