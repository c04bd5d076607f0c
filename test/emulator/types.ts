// Types of the provider emulator: which providers it speaks for, the failure knobs, and the record
// it keeps of every request for assertions.
import { PROVIDER_IDS, type ProviderId } from '@byok/shared/providers/types';

/** Every catalog provider but the built-in one, which runs in the server and has no API to emulate. */
export type EmulatedProvider = Exclude<ProviderId, 'builtin'>;
export const EMULATED_PROVIDERS: readonly EmulatedProvider[] = PROVIDER_IDS.filter(
  (provider): provider is EmulatedProvider => provider !== 'builtin',
);

/** Knobs; per key overrides per provider. Failure knobs apply `times` times when set, else always. */
export interface Behavior {
  /** Delay before answering, in ms. */
  readonly latencyMs?: number;
  /** Answer with this 5xx status and the provider's error body. */
  readonly serverError?: number;
  /**
   * Answer 429 with the provider's error body and the delay where the provider puts it: a
   * `retry-after` header (seconds), except Gemini, which has only its body's RetryInfo `retryDelay`.
   */
  readonly rateLimit?: { readonly retryAfterSeconds: number };
  /** Destroy the connection without answering. */
  readonly drop?: boolean;
  /** Never answer (the connection stays open until the client gives up or the emulator closes). */
  readonly hang?: boolean;
  /** 200 with a body that is not JSON. */
  readonly malformedJson?: boolean;
  /** 200 with a JSON body of the wrong shape (valid JSON, missing fields). */
  readonly wrongShape?: boolean;
  /** Promise a longer body than is sent, then close. */
  readonly truncatedBody?: boolean;
  /** 200 with a JSON body padded to this many bytes. */
  readonly hugeBodyBytes?: number;
  /** Error bodies (401/429/5xx) quote the presented key verbatim, as some providers do. */
  readonly echoKeyInError?: boolean;
  /**
   * The provider's content filter refuses the prompt, in its own format: Gemini a 200 with no
   * candidates and `promptFeedback.blockReason` set to this (e.g. PROHIBITED_CONTENT), the prompt's
   * tokens still counted; OpenAI-compatible providers and Azure a 400 with code `content_filter`;
   * Anthropic a 200 with `stop_reason: refusal`. Ollama has no filter and answers.
   */
  readonly blockPrompt?: string;
  /**
   * The content filter stops the answer after a few words (OpenAI-compatible and Azure
   * `finish_reason: content_filter`, Gemini `finishReason: SAFETY`, Anthropic `stop_reason:
   * refusal`), the tokens so far counted. Ollama has no filter and answers.
   */
  readonly filterAnswer?: boolean;
  /**
   * A reasoning model spends the whole output budget the request asked for on thinking: billed for
   * it, no text, finished for length (`length`, `max_tokens`, `MAX_TOKENS`).
   */
  readonly exhaustBudget?: boolean;
  /**
   * Gemini only: the candidate stops for RECITATION before any text (no parts, citation sources
   * instead), the prompt's tokens still counted. Other providers answer.
   */
  readonly recite?: boolean;
  /**
   * OpenAI-compatible only: the model list answers 401 "insufficient permissions ... Missing scopes:
   * api.model.read", as for an OpenAI restricted key that may chat but not list models.
   */
  readonly modelsScopeDenied?: boolean;
  /** The first N entity answers are not valid JSON (then valid ones). */
  readonly invalidEntitiesFirst?: number;
  /** Apply the failure knobs only this many times, then behave. */
  readonly times?: number;
  /** Serve this many requests normally before the failure knobs start to apply. */
  readonly after?: number;
}

export interface RecordedRequest {
  readonly provider: EmulatedProvider | 'unknown';
  readonly method: string;
  /** Path with query string, exactly as received. */
  readonly path: string;
  /** Every header, names lower-case, nothing removed: tests check where the key went. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly at: number;
}

/** The usage the emulator put in one answer it sent, as the provider's own token counts. */
export interface ReportedUsage {
  readonly provider: EmulatedProvider;
  readonly inputTokens: number;
  readonly outputTokens: number;
}

export interface BehaviorTarget {
  readonly provider?: EmulatedProvider;
  readonly key?: string;
}
