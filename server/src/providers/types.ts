// The one small interface every provider adapter implements (HTTP protocols and the offline
// builtin alike), so routing and enrichment treat them uniformly.
import type { ProviderId } from '@byok/shared';
import { z } from 'zod';

/**
 * The most tokens one answer may report in one count. Far above any model's context, and low
 * enough that usage sums (SQLite's 64-bit integers, JavaScript's safe integers) cannot overflow:
 * an endpoint reporting more (a local provider, say) sends a malformed answer, and the route moves on.
 */
export const MAX_REPORTED_TOKENS = 100_000_000;

/** A token count as a provider reports it. */
export const ReportedTokens = z.number().int().nonnegative().max(MAX_REPORTED_TOKENS);

/** Where and with what one provider call goes. The key lives here only for the call's duration. */
export interface ProviderCall {
  readonly provider: ProviderId;
  readonly model: string;
  /** Plaintext key, or null for providers that take none (ollama, lmstudio, vllm without a token). */
  readonly apiKey: string | null;
  /** Normalized base URL: the catalog's fixed host, the operator's override, or the key's sealed URL. */
  readonly baseUrl: string;
  /** Base URLs allowed to resolve to private/loopback addresses for this call. */
  readonly allowedBaseUrls: readonly string[];
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** The context the input was chunked for (Ollama is asked for that much; others know their own). */
  readonly contextTokens?: number;
}

/** What a prompt is for; the builtin provider answers from `purpose` and `source` instead of the text. */
export type PromptPurpose = 'summary-chunk' | 'summary-merge' | 'entities' | 'entities-repair';

export interface Prompt {
  readonly purpose: PromptPurpose;
  readonly system: string;
  readonly user: string;
  /** The text being worked on (a chunk, or the joined partial summaries), without instructions. */
  readonly source: string;
  readonly maxOutputTokens: number;
  /** Ask the provider for a JSON object where its API supports that. */
  readonly json: boolean;
}

export interface TokenUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
}

export interface Completion {
  readonly text: string;
  /** Exactly as the provider reported it (0 when it reported nothing, see `usageReported`). */
  readonly usage: TokenUsage;
  readonly usageReported: boolean;
  readonly finishReason: string | null;
}

export type VerifyStatus = 'valid' | 'invalid' | 'unreachable';

export interface VerifyResult {
  readonly status: VerifyStatus;
  /** A model the key can use: the requested one when listed, else the first listed if safe to show, else the requested one. */
  readonly model?: string;
  /** Safe, human-readable detail: never provider message text. */
  readonly detail: string;
  /** An `unreachable` that was the provider's rate limit (429), for the usage row. */
  readonly rateLimited?: true;
}

export interface ProviderAdapter {
  /** Throws ProviderError for every failure. */
  complete(call: ProviderCall, prompt: Prompt): Promise<Completion>;
  /** Never throws for provider failures: they become `invalid` or `unreachable`. */
  verify(call: ProviderCall): Promise<VerifyResult>;
}
