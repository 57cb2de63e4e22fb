/**
 * Bedrock's errors: the error type AWS names in the `x-amzn-errortype` header (or `__type`
 * in the body), its message, and the status each type means. AWS answers 403 both for a
 * key it does not know (a 401 to OpenAI clients) and for a permission the key lacks (403).
 */
import { BadRequestError, type ProviderErrorDetail } from "../../wire/errors.js";
import { isRecord } from "../../wire/validate.js";
import type { Target } from "../types.js";

export const PROVIDER = "bedrock";

/** A value of the request the Converse API cannot express. */
export function invalidValue(message: string, param: string, target: Target): BadRequestError {
  return new BadRequestError(message, { provider: PROVIDER, model: target.model, param, code: "invalid_value" });
}

/** Statuses of AWS error types, HTTP responses and stream exceptions alike (names compared in lower case). */
const STATUS_BY_TYPE: Readonly<Record<string, number>> = {
  validationexception: 400,
  unrecognizedclientexception: 401,
  invalidsignatureexception: 401,
  expiredtokenexception: 401,
  incompletesignatureexception: 401,
  missingauthenticationtokenexception: 401,
  accessdeniedexception: 403,
  resourcenotfoundexception: 404,
  modeltimeoutexception: 408,
  throttlingexception: 429,
  servicequotaexceededexception: 429,
  modelnotreadyexception: 429,
  internalserverexception: 500,
  // The model failed while answering (HTTP 424 from AWS): the upstream's fault.
  modelerrorexception: 502,
  modelstreamerrorexception: 502,
  serviceunavailableexception: 503,
};

/** The status an AWS error type means, if litegate knows the type. */
export function statusOfType(type: string): number | undefined {
  return STATUS_BY_TYPE[type.toLowerCase()];
}

const CONTEXT_WINDOW_MESSAGE = /too long|too many (?:input )?tokens|context (?:length|window)|maximum context/i;

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** `ValidationException:http://internal.amazon.com/...` and `com.amazon.coral#ValidationException` name the same type. */
function typeName(raw: string): string {
  const bare = raw.split(":")[0] ?? raw;
  return bare.slice(bare.lastIndexOf("#") + 1);
}

/** An error named `type` with `message`, from a response or a stream exception. */
export function awsErrorDetail(type: string | undefined, message: string): ProviderErrorDetail {
  const detail: ProviderErrorDetail = { message, param: null, code: type ?? null };
  if (type !== undefined) {
    detail.type = type;
    const status = statusOfType(type);
    if (status !== undefined) detail.status = status;
  }
  if (type?.toLowerCase() === "validationexception" && CONTEXT_WINDOW_MESSAGE.test(message)) {
    detail.kind = "context_window";
  }
  return detail;
}

/** Bedrock's `{"message": "..."}` (or `Message`), the type from the header or the body. */
export function bedrockErrorDetail(
  body: unknown,
  headers: Record<string, string | string[] | undefined> = {},
): ProviderErrorDetail {
  const record = isRecord(body) ? body : {};
  const rawType =
    firstHeader(headers["x-amzn-errortype"]) ?? (typeof record.__type === "string" ? record.__type : undefined);
  const type = rawType === undefined || rawType === "" ? undefined : typeName(rawType);
  const text =
    typeof record.message === "string"
      ? record.message
      : typeof record.Message === "string"
        ? record.Message
        : undefined;
  const message =
    text !== undefined && text !== ""
      ? text
      : typeof body === "string" && body !== ""
        ? body
        : `Bedrock returned ${type ?? "an error"} without a message.`;
  return awsErrorDetail(type, message);
}
