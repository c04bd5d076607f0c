// The operator's shared keys (BYOK_PLATFORM_KEYS_FILE: JSON `{ "<provider>": "<key>" }`), read
// once at start. A malformed file stops the start with a message that names the file, never a key.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ProviderId } from '@byok/shared';

const PlatformKeysFile = z.record(z.string(), z.string().min(1).max(4096));

/** Provider and key pairs in file order; providers the catalog does not know are refused. */
export function loadPlatformKeys(path: string | undefined): ReadonlyArray<readonly [ProviderId, string]> {
  if (path === undefined) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch {
    throw new Error('BYOK_PLATFORM_KEYS_FILE cannot be read as JSON');
  }
  const result = PlatformKeysFile.safeParse(parsed);
  if (!result.success) throw new Error('BYOK_PLATFORM_KEYS_FILE must be a JSON object of provider ids to key strings');
  const pairs: Array<readonly [ProviderId, string]> = [];
  for (const [provider, key] of Object.entries(result.data)) {
    const id = ProviderId.safeParse(provider);
    if (!id.success || id.data === 'builtin') throw new Error('BYOK_PLATFORM_KEYS_FILE names a provider the catalog does not know');
    pairs.push([id.data, key]);
  }
  return pairs;
}
