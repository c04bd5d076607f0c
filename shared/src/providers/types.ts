// Types of the provider catalog: which providers exist, how each is spoken to, and what a
// model entry carries. The data itself lives in entries.ts; helpers in catalog.ts.
import { z } from 'zod';

export const PROVIDER_IDS = [
  'openai',
  'anthropic',
  'google',
  'mistral',
  'groq',
  'aleph-alpha',
  'azure-openai',
  'ollama',
  'lmstudio',
  'vllm',
  'builtin',
] as const;

/** Zod enum of every provider id; `ProviderId.options` lists them in catalog order. */
export const ProviderId = z.enum(PROVIDER_IDS);
export type ProviderId = z.infer<typeof ProviderId>;

export const PROTOCOLS = [
  'openai-chat',
  'anthropic-messages',
  'gemini',
  'ollama-chat',
  'azure-openai',
  'builtin',
] as const;
export const ProviderProtocol = z.enum(PROTOCOLS);
export type ProviderProtocol = z.infer<typeof ProviderProtocol>;

/**
 * How a provider's base URL is chosen:
 * - `fixed`: the catalog's `defaultBaseUrl` (the operator may move it with BYOK_PROVIDER_BASE_URLS);
 *   secrets are sealed with baseUrl "".
 * - `required`: the secret carries its own base URL, bound into the seal; `defaultBaseUrl`, when
 *   present, is only what the add-key form pre-fills.
 * - `none`: no network at all (builtin).
 */
export const BASE_URL_MODES = ['fixed', 'required', 'none'] as const;
export const BaseUrlMode = z.enum(BASE_URL_MODES);
export type BaseUrlMode = z.infer<typeof BaseUrlMode>;

export interface ModelEntry {
  readonly id: string;
  /** Context window in tokens (input + output), used to size chunks. */
  readonly contextTokens: number;
  /** List price in integer micro-dollars per million input tokens ($0.15 -> 150000). */
  readonly inputMicrosPerMTok: number;
  /** List price in integer micro-dollars per million output tokens. */
  readonly outputMicrosPerMTok: number;
}

export interface ProviderEntry {
  readonly id: ProviderId;
  readonly name: string;
  readonly protocol: ProviderProtocol;
  /** Hint prefixes, longest first, so the first match is the longest (CRYPTO.md section 2). */
  readonly keyPrefixes: readonly string[];
  readonly keyRequired: boolean;
  /** RegExp source for the live format check of a key; null where no key is ever stored. */
  readonly keyPattern: string | null;
  readonly baseUrl: BaseUrlMode;
  /** Normalized (CRYPTO.md section 8); for OpenAI-compatible providers it includes the version path. */
  readonly defaultBaseUrl: string | null;
  /** RegExp source a `required` base URL's origin must match (Azure only). */
  readonly baseUrlHostPattern: string | null;
  /** Runs on the user's machine or network; its base URL needs the policy's allowedBaseUrls. */
  readonly local: boolean;
  /** Works without any network (builtin); the UI labels it offline and free. */
  readonly offline: boolean;
  readonly models: readonly ModelEntry[];
  readonly defaultModel: string;
}
