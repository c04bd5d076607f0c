// The one error type of the guarded outbound client. Messages are fixed per code: they never carry
// a URL, a header or a response body, because any of those may hold a key.

export type OutboundErrorCode =
  | 'blocked_address'
  | 'bad_scheme'
  | 'bad_url'
  | 'redirect'
  | 'timeout'
  | 'aborted'
  | 'too_large'
  | 'busy'
  | 'connect_failed';

const MESSAGES: Record<OutboundErrorCode, string> = {
  blocked_address: 'outbound connection refused: the address is not allowed',
  bad_scheme: 'outbound call refused: only http and https are allowed',
  bad_url: 'outbound call refused: the URL is not valid',
  redirect: 'outbound call failed: the server answered with a redirect, which is not followed',
  timeout: 'outbound call timed out',
  aborted: 'outbound call was aborted',
  too_large: 'outbound call failed: the response body is over the size limit',
  busy: 'outbound call refused: too many calls to this provider are waiting already',
  connect_failed: 'outbound call failed: could not connect or the connection broke',
};

export class OutboundError extends Error {
  readonly code: OutboundErrorCode;
  /** HTTP status when the failure is about a response (redirects). */
  readonly status: number | undefined;

  constructor(code: OutboundErrorCode, status?: number) {
    super(MESSAGES[code]);
    this.name = 'OutboundError';
    this.code = code;
    this.status = status;
  }

  toJSON(): { name: string; code: OutboundErrorCode; status?: number } {
    return this.status === undefined ? { name: this.name, code: this.code } : { name: this.name, code: this.code, status: this.status };
  }
}

export function isOutboundError(value: unknown): value is OutboundError {
  return value instanceof OutboundError;
}
