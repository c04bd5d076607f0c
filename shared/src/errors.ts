// The stable error codes of API.md and the one error type that carries them.
// Clients switch on `code`; `message` is for people and never holds a secret.

export const ERROR_STATUS = {
  bad_request: 400,
  unauthenticated: 401,
  invalid_credentials: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  grant_invalid: 400,
  grant_expired: 401,
  grant_replayed: 409,
  plan_limit: 403,
  provider_disabled: 403,
  key_rejected: 424,
  content_refused: 422,
  provider_unreachable: 502,
  quota_exceeded: 429,
  rate_limited: 429,
  payload_too_large: 413,
  internal: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export const ERROR_CODES = Object.keys(ERROR_STATUS) as ErrorCode[];

/** The body of every error response: `{ error: { code, message } }`. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string };
}

/**
 * An expected failure with a stable code. Messages are written for the caller and must never
 * contain a key, grant, token or internal detail; `cause` stays server-side.
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AppError';
    this.code = code;
    this.status = ERROR_STATUS[code];
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message } };
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_STATUS, value);
}
