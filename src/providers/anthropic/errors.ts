/**
 * Anthropic's errors both ways: what its error bodies and in-stream error events say, and
 * the error litegate raises for a request Anthropic cannot take.
 */
import { BadRequestError, type ProviderErrorDetail } from "../../wire/errors.js";
import { isRecord } from "../../wire/validate.js";
import { openAIErrorDetail } from "../openai-dialect.js";
import type { Target } from "../types.js";

export const PROVIDER = "anthropic";

/** A value of the request Anthropic cannot express. */
export function invalidValue(message: string, param: string, target: Target): BadRequestError {
  return new BadRequestError(message, { provider: PROVIDER, model: target.model, param, code: "invalid_value" });
}

/** HTTP statuses of Anthropic's error types, for errors that arrive inside a 200 stream. */
export const STATUS_BY_ERROR_TYPE: Readonly<Record<string, number>> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

const CONTEXT_WINDOW_MESSAGE = /prompt is too long|exceeds? (?:the )?context (?:limit|window)/i;

/** Anthropic's `{"type": "error", "error": {type, message}, "request_id"}`, or whatever else came back. */
export function anthropicErrorDetail(body: unknown): ProviderErrorDetail {
  if (typeof body === "string") {
    return { message: body === "" ? "Anthropic returned an error without a message." : body };
  }
  const error = isRecord(body) && isRecord(body.error) ? body.error : undefined;
  if (error === undefined || typeof error.message !== "string") return openAIErrorDetail(body);
  const type = typeof error.type === "string" && error.type !== "" ? error.type : undefined;
  const detail: ProviderErrorDetail = { message: error.message, param: null, code: type ?? null };
  if (type !== undefined) detail.type = type;
  if (CONTEXT_WINDOW_MESSAGE.test(error.message)) detail.kind = "context_window";
  return detail;
}
