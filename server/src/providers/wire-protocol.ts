// What a wire protocol contributes to an HTTP adapter: pure mapping functions, no I/O. The shared
// executor (http-adapter.ts) does the call, the error handling and the retry decision.
import { ProviderError } from './provider-error';
import type { ProviderCall, Prompt } from './types';

export interface HttpRequestSpec {
  readonly url: string;
  readonly method: 'GET' | 'POST';
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface ParsedCompletion {
  readonly text: string;
  readonly inputTokens: number | null;
  readonly outputTokens: number | null;
  readonly finishReason: string | null;
}

/**
 * A 2xx answer in which the provider's content filter refused the prompt or cut the answer
 * (Gemini's `promptFeedback.blockReason` or a SAFETY finish, an OpenAI-compatible
 * `finish_reason: content_filter` or `refusal`, Anthropic's `stop_reason: refusal`): a definite
 * answer, not a malformed one, whose reported usage still counts. Any text it carries is partial
 * and is not used.
 */
export interface ParsedRefusal {
  readonly refused: true;
  /** The provider's reason (e.g. `SAFETY`); sanitized like an error code before use. */
  readonly reason: unknown;
  readonly inputTokens: number | null;
  readonly outputTokens: number | null;
}

/** The safe parts of a provider's error body. */
export interface ErrorInfo {
  readonly code?: unknown;
  /** A non-401/403 answer that still means "this key is not valid" (Gemini 400 API_KEY_INVALID). */
  readonly authFailure?: boolean;
  /** A 400 that refuses the content, not the request (Azure's and OpenAI's `content_filter`). */
  readonly contentRefused?: boolean;
  /** A 401/403 for a key that works but lacks this endpoint's permission (OpenAI's restricted keys). */
  readonly missingScope?: boolean;
  /** The delay before another attempt that the body asks for (Gemini's RetryInfo), in ms; a header's wins. */
  readonly retryAfterMs?: number;
}

export interface WireProtocol {
  buildCompletion(call: ProviderCall, prompt: Prompt): HttpRequestSpec;
  /** null when the body does not have the protocol's shape. */
  parseCompletion(body: unknown): ParsedCompletion | ParsedRefusal | null;
  buildVerify(call: ProviderCall): HttpRequestSpec;
  /** Model ids the key can see, or null when the body does not have the protocol's shape. */
  parseVerify(body: unknown): readonly string[] | null;
  errorInfo(status: number, body: unknown): ErrorInfo;
}

/** Joins a normalized base URL and a path that starts with '/'. */
export function joinUrl(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, '')}${path}`;
}

/**
 * A model or deployment id as one URL path segment. Ids made only of dots are refused: URL
 * parsing resolves `..` (even percent-encoded) into a different path on the provider's host.
 */
export function pathSegment(value: string, provider: string): string {
  if (/^(\.|%2e)+$/i.test(value)) throw new ProviderError({ provider, kind: 'bad_request', detail: 'model id' });
  return encodeURIComponent(value);
}

/**
 * Output tokens added to a reasoning model's budget: its hidden reasoning is billed as output and
 * counts against the same limit, so the answer's own budget alone often leaves it no room to
 * answer at all. The limit is a cap; only what is used is billed.
 */
export const REASONING_HEADROOM_TOKENS = 4_096;

export const JSON_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'application/json',
  accept: 'application/json',
};
