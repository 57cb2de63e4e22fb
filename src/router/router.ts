/**
 * The Router: public model names (`model_name` in config.yaml) mapped to the
 * deployments that serve them. The proxy sends every request through it; SDK users
 * may too. For now a model's first deployment serves it.
 */
import type { AbortLike } from "../http/cancel.js";
import { type CallObserver, type CallOptions, splitRequest } from "../sdk/options.js";
import { runChatCompletion, type ChatCompletionStream } from "../sdk/chat-completion.js";
import { runTextCompletion, type TextCompletionStream } from "../sdk/text-completion.js";
import type { ChatCompletion, ChatCompletionParams } from "../wire/chat.js";
import { validateChatCompletion } from "../wire/validate-chat.js";
import { assertObject, validateTextCompletion } from "../wire/validate.js";
import type { TextCompletion, TextCompletionParams } from "../wire/completions.js";
import { AuthenticationError, BadRequestError } from "../wire/errors.js";
import { createDeployment, type Deployment, type DeploymentConfig } from "./deployment.js";

export interface RouterOptions {
  model_list: DeploymentConfig[];
  /** Retries of a failed call (LiteLLM's router_settings / litellm_settings num_retries). */
  num_retries?: number;
  /** Seconds per call, unless the deployment sets its own. */
  timeout?: number;
  drop_params?: boolean;
  /** Where `os.environ/NAME` values are looked up; process.env by default. */
  env?: Readonly<Record<string, string | undefined>>;
}

/** Per-call hooks: which deployment was chosen, how long the upstream took. */
export interface RouteObserver extends CallObserver {
  deployment(deployment: Deployment): void;
}

export interface RouteOptions {
  signal?: AbortLike;
  observer?: RouteObserver;
}

/** A deployment whose `os.environ/` credentials are unset answers 401 naming them. */
function assertConfigured(deployment: Deployment): void {
  if (deployment.missingEnv.length === 0) return;
  const names = deployment.missingEnv.join(", ");
  throw new AuthenticationError(
    `The deployment of '${deployment.modelName}' reads its credentials from ${names}, which ${deployment.missingEnv.length === 1 ? "is" : "are"} not set in the gateway's environment. Set ${names} and restart the gateway.`,
    { param: "model", code: "missing_credentials", model: deployment.modelName },
  );
}

export class Router {
  private readonly byName = new Map<string, Deployment[]>();
  private readonly defaults: Pick<RouterOptions, "num_retries" | "timeout" | "drop_params">;

  constructor(options: RouterOptions) {
    const env = options.env ?? process.env;
    for (const config of options.model_list) {
      const deployment = createDeployment(config, env);
      const group = this.byName.get(deployment.modelName);
      if (group === undefined) this.byName.set(deployment.modelName, [deployment]);
      else group.push(deployment);
    }
    this.defaults = { num_retries: options.num_retries, timeout: options.timeout, drop_params: options.drop_params };
  }

  /** The public model names, in config order. */
  get modelNames(): string[] {
    return [...this.byName.keys()];
  }

  /** Every deployment, in config order. */
  get deployments(): Deployment[] {
    return [...this.byName.values()].flat();
  }

  /** The deployment that serves `model`; a 400 naming the known models when there is none. */
  pick(model: string): Deployment {
    const deployment = this.byName.get(model)?.[0];
    if (deployment === undefined) {
      throw new BadRequestError(
        `Unknown model '${model}'. Available models: ${this.modelNames.join(", ") || "(none configured)"}.`,
        { param: "model", code: "model_not_found", model },
      );
    }
    assertConfigured(deployment);
    return deployment;
  }

  textCompletion(request: TextCompletionParams & { stream: true }, route?: RouteOptions): Promise<TextCompletionStream>;
  textCompletion(request: TextCompletionParams & { stream?: false | null }, route?: RouteOptions): Promise<TextCompletion>;
  textCompletion(request: TextCompletionParams, route?: RouteOptions): Promise<TextCompletion | TextCompletionStream>;
  /**
   * A text completion on the deployment serving `request.model`. Connection options
   * in `request` are ignored (a client must not redirect the gateway's keys): the
   * deployment's apply.
   */
  async textCompletion(request: TextCompletionParams, route: RouteOptions = {}): Promise<TextCompletion | TextCompletionStream> {
    assertObject(request);
    const { params } = splitRequest(request);
    validateTextCompletion(params);
    const deployment = this.pick(params.model);
    route.observer?.deployment(deployment);
    return runTextCompletion({ ...params, model: deployment.model }, this.callOptions(deployment, route));
  }

  chatCompletion(request: ChatCompletionParams & { stream: true }, route?: RouteOptions): Promise<ChatCompletionStream>;
  chatCompletion(request: ChatCompletionParams & { stream?: false | null }, route?: RouteOptions): Promise<ChatCompletion>;
  chatCompletion(request: ChatCompletionParams, route?: RouteOptions): Promise<ChatCompletion | ChatCompletionStream>;
  /** A chat completion on the deployment serving `request.model`; connection options in `request` are ignored. */
  async chatCompletion(request: ChatCompletionParams, route: RouteOptions = {}): Promise<ChatCompletion | ChatCompletionStream> {
    assertObject(request);
    const { params } = splitRequest(request);
    validateChatCompletion(params);
    const deployment = this.pick(params.model);
    route.observer?.deployment(deployment);
    return runChatCompletion({ ...params, model: deployment.model }, this.callOptions(deployment, route));
  }

  private callOptions(deployment: Deployment, route: RouteOptions): CallOptions {
    return {
      num_retries: this.defaults.num_retries,
      timeout: this.defaults.timeout,
      drop_params: this.defaults.drop_params,
      ...deployment.options,
      signal: route.signal,
      observer: route.observer,
    };
  }

  /** A real, cheap call to one deployment (1 token), for /health. */
  async ping(deployment: Deployment, timeoutSeconds: number): Promise<void> {
    assertConfigured(deployment);
    await runTextCompletion({ model: deployment.model, prompt: "ping", max_tokens: 1 }, { ...deployment.options, timeout: timeoutSeconds, num_retries: 0 });
  }
}
