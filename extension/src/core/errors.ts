// The one error type the extension's core throws and sends to its pages. `code` is either a
// companion error code (API.md) or one of the extension's own; `message` is for people and
// never holds a key, grant, token or passphrase.
import { isErrorCode, type ErrorCode } from '@byok/shared/errors';

export type LocalErrorCode =
  | 'companion_unreachable'
  | 'bad_response'
  | 'locked'
  | 'signed_out'
  | 'wrong_passphrase'
  | 'kdf_rejected'
  | 'invalid_input'
  | 'extract_failed'
  | 'unsupported_document'
  | 'cancelled'
  | 'interrupted'
  | 'permission_denied';

export type ExtensionErrorCode = ErrorCode | LocalErrorCode;

/**
 * The message of a linked document whose download failed (the network, or a site that does not let
 * the extension read it): the document reader throws it, and the context menu explains it when
 * the site's access was refused.
 */
export const DOWNLOAD_FAILED = 'The linked document could not be downloaded.';

export interface ErrorInfo {
  code: ExtensionErrorCode;
  message: string;
  status?: number | undefined;
  /** The key a `key_rejected` error is about, so the UI can name it and offer rotate. */
  secretId?: string | undefined;
}

export class ExtensionError extends Error {
  readonly code: ExtensionErrorCode;
  readonly status: number | undefined;
  readonly secretId: string | undefined;

  constructor(code: ExtensionErrorCode, message: string, extra?: { status?: number; secretId?: string; cause?: unknown }) {
    super(message, extra?.cause === undefined ? undefined : { cause: extra.cause });
    this.name = 'ExtensionError';
    this.code = code;
    this.status = extra?.status;
    this.secretId = extra?.secretId;
  }

  toInfo(): ErrorInfo {
    return { code: this.code, message: this.message, status: this.status, secretId: this.secretId };
  }
}

/** Any thrown value as an ErrorInfo fit to cross a message boundary (no stack, no cause). */
export function toErrorInfo(error: unknown): ErrorInfo {
  if (error instanceof ExtensionError) return error.toInfo();
  if (error instanceof Error && 'code' in error && typeof error.code === 'string' && isErrorCode(error.code)) {
    return { code: error.code, message: error.message };
  }
  return { code: 'internal', message: 'Something went wrong inside the extension.' };
}

/** True when an upload may succeed later as is (network, 5xx, 429), false for a definite refusal. */
export function isRetryable(error: unknown): boolean {
  if (!(error instanceof ExtensionError)) return false;
  if (error.code === 'companion_unreachable' || error.code === 'rate_limited' || error.code === 'signed_out') return true;
  return error.status !== undefined && error.status >= 500;
}
