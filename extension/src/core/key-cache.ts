// The key cache (IndexedDB `keys`): the companion's public view of each key, never more. The key
// service and the outbox both write it, so that the `version` a rotation sends as If-Match is the
// one this device's own last write made.
import type { ByokDb, CachedKey } from '../db';

/** What the cache keeps of a secret: the public view, never more (no ct, no iv). */
export function toCachedKey(secret: CachedKey): CachedKey {
  return {
    id: secret.id,
    scope: secret.scope,
    provider: secret.provider,
    label: secret.label,
    hint: { prefix: secret.hint.prefix, last4: secret.hint.last4 },
    defaultModel: secret.defaultModel ?? null,
    baseUrl: secret.baseUrl ?? null,
    status: secret.status,
    createdAt: secret.createdAt,
    rotatedAt: secret.rotatedAt ?? null,
    lastUsedAt: secret.lastUsedAt ?? null,
    lastVerifiedAt: secret.lastVerifiedAt ?? null,
    position: secret.position ?? 0,
    ...(secret.scope === 'user' && typeof secret.wrappedDek === 'string' ? { wrappedDek: secret.wrappedDek } : {}),
    ...(secret.keyless ? { keyless: true } : {}),
    // What a rotation from this device sends as If-Match.
    ...(typeof secret.version === 'number' ? { version: secret.version } : {}),
  };
}

/** Replaces the whole cache with the companion's list (it is the source of truth). */
export async function replaceCachedKeys(db: ByokDb, secrets: readonly CachedKey[]): Promise<void> {
  await db.transaction('rw', db.keys, async () => {
    await db.keys.clear();
    await db.keys.bulkPut(secrets.map(toCachedKey));
  });
}

/**
 * Records a write of this device that the companion acknowledged with `secret`, in one transaction:
 * the cache takes the new view, and refused uploads of the same key saved before this write
 * (`before`: outbox sequence numbers below it; every one when absent) are dropped, since this newer
 * write replaced what they would have put there: retrying one would bring an older key back.
 */
export async function recordOwnWrite(db: ByokDb, secret: CachedKey, before?: number): Promise<void> {
  await db.transaction('rw', db.keys, db.outbox, async () => {
    await db.keys.put(toCachedKey(secret));
    await db.outbox
      .where('secretId')
      .equals(secret.id)
      .filter((row) => row.state === 'failed' && (before === undefined || (row.seq ?? 0) < before))
      .delete();
  });
}
