/**
 * Google's errors both ways: what its RPC-style error bodies (`{"error": {code, message,
 * status}}`, shared by the Gemini API and Vertex AI) say, and the error litegate raises for a
 * request Gemini cannot take.
 */
import { BadRequestError, type ProviderErrorDetail } from "../../wire/errors.js";
import { isRecord } from "../../wire/validate.js";
import { openAIErrorDetail } from "../openai-dialect.js";

/** A value of the request Gemini cannot express; `provider` is the prefix the caller used. */
export function invalidValue(message: string, param: string, provider: string, model: string): BadRequestError {
  return new BadRequestError(message, { provider, model, param, code: "invalid_value" });
}

/** HTTP statuses of Google's canonical codes, for errors that arrive inside a 200 stream without a number. */
const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  INVALID_ARGUMENT: 400,
  FAILED_PRECONDITION: 400,
  OUT_OF_RANGE: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  ABORTED: 409,
  ALREADY_EXISTS: 409,
  RESOURCE_EXHAUSTED: 429,
  CANCELLED: 499,
  INTERNAL: 500,
  UNKNOWN: 500,
  DATA_LOSS: 500,
  UNIMPLEMENTED: 501,
  UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
};

const CONTEXT_WINDOW_MESSAGE = /input token count.*exceeds|exceeds the maximum number of tokens/i;

/** The error object of a Google error body; streamGenerateContent without SSE wraps it in a list. */
function errorObject(body: unknown): Record<string, unknown> | undefined {
  const first = Array.isArray(body) ? body[0] : body;
  return isRecord(first) && isRecord(first.error) ? first.error : undefined;
}

export function googleErrorDetail(body: unknown, label: string): ProviderErrorDetail {
  if (typeof body === "string")
    return { message: body === "" ? `${label} returned an error without a message.` : body };
  const error = errorObject(body);
  if (error === undefined || typeof error.message !== "string") return openAIErrorDetail(body);
  const status = typeof error.status === "string" && error.status !== "" ? error.status : undefined;
  const detail: ProviderErrorDetail = { message: error.message, param: null, code: status ?? null };
  if (status !== undefined) detail.type = status;
  if (CONTEXT_WINDOW_MESSAGE.test(error.message)) detail.kind = "context_window";
  return detail;
}

/** The HTTP status an error event inside a stream stands for. */
export function streamErrorStatus(body: unknown): number | undefined {
  const error = errorObject(body);
  if (error === undefined) return undefined;
  if (typeof error.code === "number" && error.code >= 400 && error.code < 600) return error.code;
  return typeof error.status === "string" ? STATUS_BY_CODE[error.status] : undefined;
}
