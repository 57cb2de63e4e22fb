/**
 * From a loaded config.yaml to a running gateway: which settings of LiteLLM's
 * sections the server uses, and the warnings an operator must see at start.
 */
import type { DestinationStream } from "pino";
import type { DeploymentConfig } from "../router/deployment.js";
import type { GatewayConfig } from "./config/types.js";
import { GatewayServer } from "./server.js";

/** Puts `os.environ/NAME` back where the loader found NAME unset, so the Router answers 401 naming it. */
function withMissingRefs(params: Record<string, unknown>, missing: { field: string; variable: string }[]): Record<string, unknown> {
  const copy: Record<string, unknown> = structuredClone(params);
  for (const { field, variable } of missing) {
    const path = field.split(".");
    let node = copy;
    for (const key of path.slice(0, -1)) {
      const next = node[key];
      node = typeof next === "object" && next !== null ? (next as Record<string, unknown>) : (node[key] = {});
    }
    node[path.at(-1) as string] = `os.environ/${variable}`;
  }
  return copy;
}

export function deploymentConfigs(config: GatewayConfig): DeploymentConfig[] {
  return config.modelList.map((deployment) => ({
    model_name: deployment.modelName,
    litellm_params: withMissingRefs(deployment.litellmParams, deployment.missingEnv) as DeploymentConfig["litellm_params"],
    model_info: { ...deployment.modelInfo, id: deployment.id },
  }));
}

export interface StartOptions {
  detailedDebug?: boolean;
  logDestination?: DestinationStream;
}

export function createGateway(config: GatewayConfig, options: StartOptions = {}): GatewayServer {
  const { generalSettings, routerSettings, litellmSettings, masterKey } = config;
  return new GatewayServer({
    modelList: deploymentConfigs(config),
    masterKey: masterKey.state === "set" ? masterKey.value : undefined,
    masterKeyMissingVariable: masterKey.state === "missing-env" ? masterKey.variable : undefined,
    maxRequestSizeMb: generalSettings.max_request_size_mb,
    keepAliveSeconds: generalSettings.keepalive_interval_seconds,
    numRetries: routerSettings.num_retries ?? litellmSettings.num_retries,
    timeout: routerSettings.timeout ?? litellmSettings.request_timeout,
    dropParams: litellmSettings.drop_params,
    userModel: config.userModel,
    detailedDebug: options.detailedDebug,
    logDestination: options.logDestination,
  });
}

/** What an operator must know before the first request: every config warning, and an open gateway. */
export function startupWarnings(config: GatewayConfig): string[] {
  const warnings = [...config.warnings];
  if (config.masterKey.state === "none") {
    warnings.push("No master key is configured (general_settings.master_key or LITELLM_MASTER_KEY): the gateway accepts every request without a key.");
  }
  if (config.masterKey.state === "missing-env") {
    warnings.push(`The master key is read from ${config.masterKey.variable}, which is not set: every authenticated request will get 401 until it is.`);
  }
  return warnings;
}
