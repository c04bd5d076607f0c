// The provider catalog as the pages use it: the shared entries (plain data), looked up without
// the catalog module's zod enums, which would add a schema library to every page for a lookup.
// The background re-checks every key with the shared matchesKeyFormat before sealing.
import { PROVIDERS } from '@byok/shared/providers/entries';
import type { ProviderEntry } from '@byok/shared/providers/types';

export { PROVIDERS };

const BY_ID = new Map<string, ProviderEntry>(PROVIDERS.map((entry) => [entry.id, entry]));

export function getProvider(id: string): ProviderEntry | undefined {
  return BY_ID.get(id);
}

/** Same rule as the shared catalog's matchesKeyFormat: the entry's keyPattern, nothing else. */
export function matchesKeyFormat(provider: string, key: string): boolean {
  const pattern = BY_ID.get(provider)?.keyPattern;
  return typeof pattern === 'string' && new RegExp(pattern).test(key);
}
