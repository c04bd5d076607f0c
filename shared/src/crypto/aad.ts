// Additional authenticated data for sealed keys (CRYPTO.md §2, §4, §8): the UTF-8 bytes of a
// '|'-joined string, no escaping. Inputs are checked so that the join cannot be ambiguous.

import { utf8 } from './bytes';
import { CryptoError } from './errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Lowercase canonical UUID (CRYPTO.md §8); any version. */
export function isCanonicalUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

// Provider ids are catalog slugs; a '|' in one would let two different tuples share an AAD.
function checkParts(ownerId: string, secretId: string, provider: string, baseUrl: string): void {
  if (!isCanonicalUuid(ownerId) || !isCanonicalUuid(secretId)) throw new CryptoError('malformed');
  if (typeof provider !== 'string' || provider.length === 0 || provider.includes('|')) throw new CryptoError('malformed');
  if (typeof baseUrl !== 'string') throw new CryptoError('malformed');
}

export function secretAad(p: { userId: string; secretId: string; provider: string; baseUrl: string }): Uint8Array<ArrayBuffer> {
  checkParts(p.userId, p.secretId, p.provider, p.baseUrl);
  return utf8(`byok/v1/secret|${p.userId}|${p.secretId}|${p.provider}|${p.baseUrl}`);
}

export function orgSecretAad(p: { orgId: string; secretId: string; provider: string; baseUrl: string }): Uint8Array<ArrayBuffer> {
  checkParts(p.orgId, p.secretId, p.provider, p.baseUrl);
  return utf8(`byok/v1/org-secret|${p.orgId}|${p.secretId}|${p.provider}|${p.baseUrl}`);
}
