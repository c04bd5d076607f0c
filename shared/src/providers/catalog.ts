// The provider catalog and its helpers: lookup, pricing, key format checks, base URL rules.
// Both the server (routing, validation, billing) and the extension (forms, hints) use it.
import { PROVIDERS } from './entries';
import type { ModelEntry, ProviderEntry, ProviderId } from './types';

export * from './types';
export { PROVIDERS } from './entries';
export { normalizeBaseUrl, isNormalizedBaseUrl } from './base-url';

const BY_ID: ReadonlyMap<string, ProviderEntry> = new Map(PROVIDERS.map((entry) => [entry.id, entry]));

/** The catalog entry for `id`, or undefined for an unknown id. */
export function getProvider(id: ProviderId): ProviderEntry;
export function getProvider(id: string): ProviderEntry | undefined;
export function getProvider(id: string): ProviderEntry | undefined {
  return BY_ID.get(id);
}

export function isProviderId(value: unknown): value is ProviderId {
  return typeof value === 'string' && BY_ID.has(value);
}

/** The catalog's model entry, or undefined for a model the catalog does not list. */
export function findModel(provider: string, modelId: string): ModelEntry | undefined {
  return BY_ID.get(provider)?.models.find((entry) => entry.id === modelId);
}

/**
 * The catalog entry that describes `modelId`: its own, else (a model the catalog does not list:
 * providers add models faster than we release) the provider's default model's; undefined for an
 * unknown provider.
 */
function describedModel(provider: string, modelId: string): ModelEntry | undefined {
  const entry = BY_ID.get(provider);
  return entry && (findModel(provider, modelId) ?? findModel(provider, entry.defaultModel));
}

/** The context assumed for a model no catalog entry describes (of an unknown provider). */
const FALLBACK_CONTEXT_TOKENS = 8_192;

/** The context window of `modelId`, in tokens, as describedModel says; else a conservative 8,192. */
export function contextTokensFor(provider: string, modelId: string): number {
  return describedModel(provider, modelId)?.contextTokens ?? FALLBACK_CONTEXT_TOKENS;
}

/**
 * Cost of one call in integer micro-dollars, rounded up so that no call is free by rounding, at the
 * prices of the model describedModel says (a model the catalog does not list is priced as the
 * provider's default model); an unknown provider costs 0.
 */
export function costMicros(provider: string, modelId: string, inputTokens: number, outputTokens: number): number {
  const priced = describedModel(provider, modelId);
  if (!priced) return 0;
  const input = Math.max(0, Math.floor(inputTokens));
  const output = Math.max(0, Math.floor(outputTokens));
  // Integer numerator (tokens x micros per million tokens); exact for any realistic call size.
  const numerator = input * priced.inputMicrosPerMTok + output * priced.outputMicrosPerMTok;
  return Math.ceil(numerator / 1_000_000);
}

const PATTERN_CACHE = new Map<string, RegExp>();

/** Live format check of a key for the add-key form; false for providers that take no key. */
export function matchesKeyFormat(provider: string, key: string): boolean {
  const entry = BY_ID.get(provider);
  if (!entry || entry.keyPattern === null) return false;
  let pattern = PATTERN_CACHE.get(entry.keyPattern);
  if (!pattern) {
    pattern = new RegExp(entry.keyPattern);
    PATTERN_CACHE.set(entry.keyPattern, pattern);
  }
  return pattern.test(key);
}

/** The longest catalog prefix `key` starts with, or "" (prefixes are stored longest first). */
export function keyPrefixOf(provider: string, key: string): string {
  const entry = BY_ID.get(provider);
  return entry?.keyPrefixes.find((prefix) => key.startsWith(prefix)) ?? '';
}

/**
 * Whether a normalized base URL fits the provider's host rule (Azure: only
 * https://<resource>.openai.azure.com). Providers without a rule accept any normalized URL here;
 * the outbound rules and the policy's allowedBaseUrls decide the rest.
 */
export function matchesBaseUrlHost(provider: string, baseUrl: string): boolean {
  const entry = BY_ID.get(provider);
  if (!entry) return false;
  if (entry.baseUrlHostPattern === null) return true;
  return new RegExp(entry.baseUrlHostPattern).test(baseUrl);
}
