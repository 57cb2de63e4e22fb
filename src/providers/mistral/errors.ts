/**
 * Mistral's error bodies, which come in several shapes (its own, FastAPI's validator's,
 * its API gateway's, OpenAI's), and its request-id headers.
 */
import { BadGatewayError, type ProviderErrorDetail } from "../../wire/errors.js";
import { isRecord } from "../../wire/validate.js";
import { requestIdHeader } from "../connection.js";
import { CONTEXT_WINDOW_MESSAGE, openAIErrorDetail } from "../openai-dialect.js";

/** FastAPI's validation list `[{loc, msg, type}]` in one line, e.g. `Extra inputs are not permitted (body.user)`. */
function describeValidation(items: unknown[]): { message: string; param: string | null } {
  const parts: string[] = [];
  const params: string[] = [];
  for (const item of items) {
    if (!isRecord(item)) {
      parts.push(typeof item === "string" ? item : JSON.stringify(item));
      continue;
    }
    const msg = typeof item.msg === "string" ? item.msg : JSON.stringify(item);
    const loc = Array.isArray(item.loc) ? item.loc.map(String) : [];
    const where = loc[0] === "body" ? loc.slice(1) : loc;
    if (where.length > 0) params.push(where.join("."));
    parts.push(where.length > 0 ? `${msg} (${where.join(".")})` : msg);
  }
  return { message: parts.join("; "), param: params.length === 1 ? (params[0] as string) : null };
}

/** A message that is text, a list of validation errors, `{detail}`, or JSON text of one of those. */
function describeMessage(value: unknown): { message: string; param: string | null } | undefined {
  if (typeof value === "string") {
    const text = value.trim();
    // Mistral's proxy has sent the validator's `{"detail": [...]}` as a JSON string.
    if (text.startsWith("{") || text.startsWith("[")) {
      try {
        const parsed = describeMessage(JSON.parse(text));
        if (parsed !== undefined) return parsed;
      } catch {
        // Not JSON after all: the text is the message.
      }
    }
    return text === "" ? undefined : { message: text, param: null };
  }
  if (Array.isArray(value)) return value.length === 0 ? undefined : describeValidation(value);
  if (isRecord(value)) {
    if (value.detail !== undefined) return describeMessage(value.detail);
    if (value.message !== undefined) return describeMessage(value.message);
  }
  return undefined;
}

function codeString(value: unknown): string | null {
  if (typeof value === "string" && value !== "") return value;
  if (typeof value === "number") return String(value);
  return null;
}

/**
 * Mistral's error bodies: `{object: "error", message, type, param, code}` where
 * `message` may be text, `{detail: [...]}`, a list, or JSON text of those; FastAPI's
 * `{detail: "..." | [{loc, msg, type}]}`; the API gateway's `{message: "Unauthorized"}`;
 * or OpenAI's `{error: {...}}`.
 */
export function mistralErrorDetail(body: unknown): ProviderErrorDetail {
  if (isRecord(body) && body.error !== undefined && body.error !== null) return openAIErrorDetail(body);
  if (!isRecord(body)) {
    const described = describeMessage(body);
    return described === undefined ? openAIErrorDetail(body) : { message: described.message };
  }
  const described = describeMessage(body.message) ?? describeMessage(body.detail);
  const message = described?.message ?? `The upstream returned an error: ${JSON.stringify(body).slice(0, 200)}`;
  const detail: ProviderErrorDetail = {
    message,
    param: typeof body.param === "string" ? body.param : (described?.param ?? null),
    code: codeString(body.code),
  };
  if (typeof body.type === "string" && body.type !== "") detail.type = body.type;
  if (CONTEXT_WINDOW_MESSAGE.test(message)) detail.kind = "context_window";
  return detail;
}

export const mistralRequestId = requestIdHeader("x-request-id", "mistral-correlation-id");

/** What a finish reason of "error" means: Mistral gave up mid-answer. `label` names the service. */
export function finishedWithError(label: string): ProviderErrorDetail {
  return { message: `${label} stopped generating with finish_reason "error".`, type: "api_error" };
}

/** A whole answer that finished with "error" fails as a 502. */
export function failedAnswer(label: string, provider: string, record: Record<string, unknown>): BadGatewayError {
  return new BadGatewayError(finishedWithError(label).message, { provider, model: String(record.model ?? "") });
}
