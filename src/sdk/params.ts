/**
 * Fitting OpenAI params to what a provider takes: a param the provider lacks is
 * refused with UnsupportedParamsError, or dropped when the caller allows it
 * (`drop_params`); `additional_drop_params` names params to drop whatever the
 * provider. A value equal to OpenAI's default changes nothing, so it is dropped
 * silently either way.
 */
import { UnsupportedParamsError } from "../wire/errors.js";

/** OpenAI's defaults for the params some providers lack. */
const NEUTRAL: Readonly<Record<string, unknown>> = {
  best_of: 1,
  echo: false,
  n: 1,
  frequency_penalty: 0,
  presence_penalty: 0,
  parallel_tool_calls: true,
  logprobs: false,
  store: false,
};

export interface FitOptions {
  dropParams: boolean;
  additionalDropParams?: readonly string[] | undefined;
}

/**
 * `known` is every OpenAI param of the endpoint, `supported` those the provider takes;
 * keys in neither (provider extras such as `top_k`) pass through. `params` is not mutated.
 */
export function fitParams<P extends { model: string; [key: string]: unknown }>(
  params: P,
  known: ReadonlySet<string>,
  supported: ReadonlySet<string>,
  options: FitOptions,
  provider: string,
): P {
  const extraDrops = options.additionalDropParams;
  if (supported === known && (extraDrops === undefined || extraDrops.length === 0)) return params;
  let fitted: P | undefined;
  for (const key in params) {
    const value = params[key];
    const dropped = extraDrops?.includes(key) === true;
    if (!dropped && (!known.has(key) || supported.has(key))) continue;
    if (!dropped && value != null && value !== NEUTRAL[key] && !options.dropParams) {
      throw new UnsupportedParamsError(
        `${provider} does not support the param '${key}' (got ${JSON.stringify(value)}). Remove it, or set drop_params: true to drop unsupported params.`,
        { param: key, code: "unsupported_param", provider, model: params.model },
      );
    }
    fitted ??= { ...params };
    delete fitted[key];
  }
  return fitted ?? params;
}
