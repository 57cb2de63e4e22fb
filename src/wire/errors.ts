/**
 * The typed errors every litegate call throws. Each maps to one HTTP status and one
 * OpenAI error `type`, so the proxy can render any of them as OpenAI's error body
 * and an SDK user can branch on the class.
 */
import type { ErrorBody } from "./completions.js";

export interface APIErrorInit {
  status?: number | undefined;
  provider?: string | undefined;
  model?: string | undefined;
  /** The upstream's request id (x-request-id, apim-request-id, request-id), when it sent one. */
  requestId?: string | undefined;
  param?: string | null | undefined;
  code?: string | null | undefined;
  type?: string | undefined;
  /** Seconds the upstream asked us to wait (retry-after-ms / retry-after), when it said. */
  retryAfter?: number | undefined;
  cause?: unknown;
}

export class APIError extends Error {
  /** The OpenAI error `type` used when the upstream did not name one. */
  static readonly defaultType: string = "api_error";
  static readonly defaultStatus: number = 500;

  readonly status: number;
  readonly provider: string | undefined;
  readonly model: string | undefined;
  readonly requestId: string | undefined;
  readonly param: string | null;
  readonly code: string | null;
  readonly type: string;
  /** Seconds to wait before trying again; the Router fills it in for a 429 or 503 that has none. */
  retryAfter: number | undefined;

  constructor(message: string, init: APIErrorInit = {}) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    const ctor = new.target as typeof APIError;
    this.name = ctor.name;
    this.status = init.status ?? ctor.defaultStatus;
    this.provider = init.provider;
    this.model = init.model;
    this.requestId = init.requestId;
    this.param = init.param ?? null;
    this.code = init.code ?? null;
    this.type = init.type ?? ctor.defaultType;
    this.retryAfter = init.retryAfter;
  }

  /** OpenAI's error body for this error. */
  toBody(): ErrorBody {
    return {
      error: {
        message: this.message,
        type: this.type,
        param: this.param,
        code: this.code ?? String(this.status),
      },
    };
  }
}

export class BadRequestError extends APIError {
  static override readonly defaultType: string = "invalid_request_error";
  static override readonly defaultStatus: number = 400;
}

/** The prompt plus max_tokens does not fit the model's context window. */
export class ContextWindowExceededError extends BadRequestError {}

/** The provider's content filter refused the prompt (Azure's `content_filter`). */
export class ContentPolicyViolationError extends BadRequestError {}

/** A param the provider cannot take; set `drop_params` to drop it instead. */
export class UnsupportedParamsError extends BadRequestError {}

/** A virtual key's, user's or team's max_budget is spent: a 400 of type `budget_exceeded`, as LiteLLM answers. */
export class BudgetExceededError extends BadRequestError {
  static override readonly defaultType: string = "budget_exceeded";
}

export class AuthenticationError extends APIError {
  static override readonly defaultType: string = "authentication_error";
  static override readonly defaultStatus: number = 401;
}

export class PermissionDeniedError extends APIError {
  static override readonly defaultType: string = "permission_error";
  static override readonly defaultStatus: number = 403;
}

export class NotFoundError extends APIError {
  static override readonly defaultType: string = "not_found_error";
  static override readonly defaultStatus: number = 404;
}

/**
 * The call did not finish within its `timeout`: 504, since it is the upstream that did
 * not answer in time, not the client that was slow (an upstream's own 408 stays 408).
 */
export class Timeout extends APIError {
  static override readonly defaultType: string = "timeout";
  static override readonly defaultStatus: number = 504;
}

export class UnprocessableEntityError extends APIError {
  static override readonly defaultType: string = "invalid_request_error";
  static override readonly defaultStatus: number = 422;
}

/** `retryAfter` holds the seconds the upstream asked to wait, when it said. */
export class RateLimitError extends APIError {
  static override readonly defaultType: string = "rate_limit_error";
  static override readonly defaultStatus: number = 429;
}

export class InternalServerError extends APIError {
  static override readonly defaultStatus: number = 500;
}

export class BadGatewayError extends APIError {
  static override readonly defaultStatus: number = 502;
}

/** 503, and Anthropic's 529 "overloaded". */
export class ServiceUnavailableError extends APIError {
  static override readonly defaultStatus: number = 503;
}

/** The upstream could not be reached, or closed the connection or stream early. */
export class APIConnectionError extends APIError {
  static override readonly defaultType: string = "api_connection_error";
  static override readonly defaultStatus: number = 502;
}

/** The caller's AbortSignal fired. Not an upstream failure: never retried. */
export class AbortError extends APIError {
  static override readonly defaultType: string = "request_aborted";
  static override readonly defaultStatus: number = 499;
}

/** What an adapter reads out of a provider's error body. */
export interface ProviderErrorDetail {
  message: string;
  type?: string;
  param?: string | null;
  code?: string | null;
  /** The provider said so in its own words: pick the precise subclass. */
  kind?: "context_window" | "content_policy";
  /**
   * The status the provider's error type means, when its HTTP status says less (AWS
   * answers 403 both for a bad key, which is a 401, and for a missing permission).
   */
  status?: number;
}

const BY_STATUS: Record<number, typeof APIError> = {
  400: BadRequestError,
  401: AuthenticationError,
  403: PermissionDeniedError,
  404: NotFoundError,
  408: Timeout,
  422: UnprocessableEntityError,
  429: RateLimitError,
  500: InternalServerError,
  502: BadGatewayError,
  503: ServiceUnavailableError,
  529: ServiceUnavailableError,
};

/** The typed error for an upstream's HTTP error status. */
export function errorFromStatus(httpStatus: number, detail: ProviderErrorDetail, init: APIErrorInit): APIError {
  const status = detail.status ?? httpStatus;
  let ErrorClass: typeof APIError = BY_STATUS[status] ?? (status >= 500 ? InternalServerError : APIError);
  if (detail.kind === "context_window") ErrorClass = ContextWindowExceededError;
  else if (detail.kind === "content_policy") ErrorClass = ContentPolicyViolationError;
  // 529 has no OpenAI counterpart; clients know 503 as "overloaded, retry later". A class
  // picked from the message (context window, content policy) carries its own status.
  const mappedStatus = status === 529 ? 503 : detail.kind === undefined ? status : undefined;
  // OpenAI's clients read `type` as its families (invalid_request_error, rate_limit_error, ...):
  // a provider's own name (Google's INVALID_ARGUMENT, AWS's ValidationException) gives way to
  // the family its status means, and is kept as the `code` when the provider gave none.
  const familyType = detail.type !== undefined && OPENAI_STYLE_TYPE.test(detail.type);
  return new ErrorClass(detail.message, {
    ...init,
    status: mappedStatus,
    param: detail.param ?? null,
    code: detail.code ?? (familyType ? null : (detail.type ?? null)),
    type: familyType ? detail.type : undefined,
  });
}

/** A type in OpenAI's style (`invalid_request_error`, Anthropic's `overloaded_error`): lower snake case. */
const OPENAI_STYLE_TYPE = /^[a-z]+(?:_[a-z]+)*$/;
