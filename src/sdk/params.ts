/**
 * Fitting OpenAI params to what a provider takes: a param the provider lacks is
 * refused with UnsupportedParamsError, or dropped when the caller allows it. A value
 * equal to OpenAI's default changes nothing, so it is dropped silently either way.
 */
import type { TextCompletionAdapter } from "../providers/types.js";
import { COMPLETION_PARAMS } from "../providers/openai-text.js";
import type { TextCompletionParams } from "../wire/completions.js";
import { UnsupportedParamsError } from "../wire/errors.js";

/** OpenAI's defaults for the params some providers lack. */
const NEUTRAL: Readonly<Record<string, unknown>> = {
  best_of: 1,
  echo: false,
  n: 1,
  frequency_penalty: 0,
  presence_penalty: 0,
};

export function fitParams(
  params: TextCompletionParams,
  adapter: TextCompletionAdapter,
  dropParams: boolean,
  provider: string,
): TextCompletionParams {
  const supported = adapter.supportedParams;
  if (supported === COMPLETION_PARAMS) return params;
  let fitted: TextCompletionParams | undefined;
  for (const key in params) {
    if (!COMPLETION_PARAMS.has(key) || supported.has(key)) continue;
    const value = params[key];
    if (value !== null && value !== NEUTRAL[key] && !dropParams) {
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
