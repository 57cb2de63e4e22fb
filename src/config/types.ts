/**
 * The typed result of loading a LiteLLM-compatible config.yaml. Section contents keep
 * LiteLLM's snake_case names and their types come from the schemas (schema.ts); every
 * section object also carries the unknown keys it was given (typed `unknown`), so
 * features built later can read them without a loader change.
 */
import type { Deployment } from "./deployment.js";
import type { GeneralSettings, LitellmSettings, RouterSettings } from "./schema.js";

/** An `os.environ/NAME` reference whose variable was not set when the config loaded. */
export interface MissingEnv {
  /** Path inside `litellm_params`, LiteLLM style: `api_key`, `extra_headers.Authorization`. */
  field: string;
  variable: string;
}

/**
 * How clients authenticate. A discriminated union so the server must decide what to do
 * when the config names a master key variable that is not set (suggested: answer 401
 * naming the variable; never run open by accident).
 */
export type MasterKey =
  | { state: "set"; value: string; source: "general_settings.master_key" | "LITELLM_MASTER_KEY" }
  | { state: "none" }
  | { state: "missing-env"; variable: string };

/** An unset `os.environ/` reference anywhere in the config. */
export interface ConfigMissingEnv {
  file: string;
  /** LiteLLM-style path: `model_list[0].litellm_params.api_key`. */
  path: string;
  variable: string;
}

/** Request params the command line forces on every completion. */
export interface RequestOverrides {
  temperature?: number;
  max_tokens?: number;
}

export interface GatewayConfig {
  /** The file given to loadConfig (as given), or "--model" for singleModelConfig. */
  file: string;
  /** Every file read, the root first, then includes in merge order. */
  files: string[];
  modelList: Deployment[];
  generalSettings: GeneralSettings;
  routerSettings: RouterSettings;
  litellmSettings: LitellmSettings;
  masterKey: MasterKey;
  /** Names (never values) of the variables `environment_variables` set. */
  environmentVariableNames: string[];
  missingEnv: ConfigMissingEnv[];
  /**
   * Set by `litegate --model X`: as in LiteLLM, every request goes to this model group
   * whatever `model` the client sends.
   */
  userModel?: string;
  /**
   * LiteLLM's `--temperature` / `--max_tokens`: set on every completion request, over the
   * client's own value, as LiteLLM's CLI does.
   */
  requestOverrides?: RequestOverrides;
  /** One line each, naming the file and the path; never a secret. */
  warnings: string[];
}
