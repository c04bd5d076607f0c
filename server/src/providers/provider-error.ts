// The one failure shape of every provider call, and the single place that decides which failures
// are worth another attempt. Only status, provider error type/code and retry-after survive from a
// provider's error body: message text is dropped because providers echo keys in it.
import type { TokenUsage } from './types';

export type ProviderErrorKind =
  | 'auth'
  | 'rate_limit'
  | 'server'
  | 'timeout'
  | 'unreachable'
  | 'malformed'
  | 'bad_request'
  /** The provider refused the content itself (a safety or content filter): any provider may again. */
  | 'refused'
  | 'aborted';

export interface ProviderErrorSummary {
  readonly provider: string;
  readonly kind: ProviderErrorKind;
  readonly status?: number;
  /** Provider error type or code, e.g. `authentication_error`, `API_KEY_INVALID`; sanitized. */
  readonly providerCode?: string;
  /** For transport failures: the outbound error code (blocked_address, redirect, ...). */
  readonly detail?: string;
  readonly retryAfterMs?: number;
  /** Tokens the provider reported for an answer that is still a failure (a refused prompt). */
  readonly usage?: TokenUsage;
}

export class ProviderError extends Error {
  readonly kind: ProviderErrorKind;
  readonly summary: ProviderErrorSummary;

  constructor(summary: ProviderErrorSummary) {
    super(describe(summary));
    this.name = 'ProviderError';
    this.kind = summary.kind;
    this.summary = summary;
  }

  get retryable(): boolean {
    return isRetryable(this.kind);
  }

  toJSON(): ProviderErrorSummary & { name: string } {
    return { name: this.name, ...this.summary };
  }
}

function describe(summary: ProviderErrorSummary): string {
  const parts = [`${summary.provider}: ${summary.kind}`];
  if (summary.status !== undefined) parts.push(`HTTP ${summary.status}`);
  if (summary.providerCode !== undefined) parts.push(summary.providerCode);
  if (summary.detail !== undefined) parts.push(summary.detail);
  return parts.join(', ');
}

/**
 * Whether another attempt (this candidate later, or the next one on the route) may succeed.
 * Auth failures and refused content stop a route; bad requests and aborts are not transient.
 */
export function isRetryable(kind: ProviderErrorKind): boolean {
  return kind === 'rate_limit' || kind === 'server' || kind === 'timeout' || kind === 'unreachable' || kind === 'malformed';
}

/** HTTP status (plus the protocol's auth-failure marker) -> kind. 2xx never reaches here. */
export function kindForStatus(status: number, authFailure: boolean, contentRefused = false): ProviderErrorKind {
  if (status === 401 || status === 403 || authFailure) return 'auth';
  if (status === 400 && contentRefused) return 'refused';
  if (status === 408) return 'timeout';
  if (status === 429) return 'rate_limit';
  if (status === 409 || status >= 500) return 'server';
  return 'bad_request';
}

const SAFE_CODE = /^[A-Za-z0-9_.:-]{1,64}$/;

/** Shortest run of a key's characters that counts as part of the key when found in other text. */
export const KEY_RUN_LENGTH = 8;

/**
 * Whether provider-supplied text (an error code, a model id) may be shown or stored next to a call
 * made with `apiKey`: it must not contain the key or any run of KEY_RUN_LENGTH of its characters
 * (compared case-insensitively), nor look like a key itself. With no key, any text is safe here.
 */
export function safeToShow(text: string, apiKey: string | null): boolean {
  if (apiKey === null || apiKey.length === 0) return true;
  // Keys share their provider prefix with nothing legitimate in a code or model field.
  if (/^(sk-|gsk_|AIza)/i.test(text)) return false;
  const haystack = text.toLowerCase();
  const key = apiKey.toLowerCase();
  if (key.length <= KEY_RUN_LENGTH) return !haystack.includes(key);
  for (let start = 0; start + KEY_RUN_LENGTH <= key.length; start += 1) {
    if (haystack.includes(key.slice(start, start + KEY_RUN_LENGTH))) return false;
  }
  return true;
}

/**
 * Keeps a provider's error type/code only when it looks like an identifier and has nothing in
 * common with the key (a provider that echoes the key, or part of it, into a code field loses it).
 */
export function safeProviderCode(value: unknown, apiKey: string | null): string | undefined {
  const text = typeof value === 'number' && Number.isInteger(value) ? String(value) : value;
  if (typeof text !== 'string' || !SAFE_CODE.test(text)) return undefined;
  return safeToShow(text, apiKey) ? text : undefined;
}

/** Longest delay kept from a provider's answer: anything longer is no reason to wait longer. */
const MAX_RETRY_AFTER_MS = 3_600_000;

const cap = (value: number): number | undefined => (Number.isFinite(value) && value >= 0 ? Math.min(value, MAX_RETRY_AFTER_MS) : undefined);

/** `retry-after-ms`, then `retry-after` (seconds or HTTP date), in milliseconds, capped at 1 h. */
export function parseRetryAfter(headers: Readonly<Record<string, string>>, now = Date.now()): number | undefined {
  const ms = headers['retry-after-ms'];
  if (ms !== undefined && /^\d+(\.\d+)?$/.test(ms.trim())) return cap(Number(ms));
  const raw = headers['retry-after'];
  if (raw === undefined) return undefined;
  if (/^\d+(\.\d+)?$/.test(raw.trim())) return cap(Number(raw) * 1000);
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : cap(date - now);
}

/**
 * A protobuf Duration in its JSON form (`37s`, `1.5s`, `45.837906927s`), as Google's RetryInfo
 * `retryDelay` carries it, in milliseconds (a fraction of one rounded up: it is the least to wait),
 * capped at 1 h. Anything else, a negative duration included, is no delay.
 */
export function parseRetryDelay(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^(\d{1,12})(?:\.(\d{1,9}))?s$/.exec(value);
  if (match === null) return undefined;
  const nanos = Number((match[2] ?? '').padEnd(9, '0'));
  return cap(Number(match[1]) * 1000 + Math.ceil(nanos / 1_000_000));
}
