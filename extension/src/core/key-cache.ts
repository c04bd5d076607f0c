// The key cache (IndexedDB `keys`): the companion's public view of each key, never more. The key
// service and the outbox both write it, so that the `version` a rotation sends as If-Match is the
// one this device's own last write made.
import type { ByokDb, CachedKey } from '../db';
import type { ApiClient } from './api-client';

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
 * - the cache takes the new view (its version is the next rotation's If-Match);
 * - refused uploads of the same key saved before this write (`before`: outbox sequence numbers
 *   below it; every one when absent) are dropped, since this newer write replaced what they would
 *   have put there: retrying one would bring an older key back;
 * - uploads of the key still waiting that expected the version this write replaced (`replaced`)
 *   now expect the one it made.
 */
export async function recordOwnWrite(db: ByokDb, secret: CachedKey, options: { before?: number | undefined; replaced?: number | undefined } = {}): Promise<void> {
  const { before, replaced } = options;
  await db.transaction('rw', db.keys, db.outbox, async () => {
    await db.keys.put(toCachedKey(secret));
    const rows = () => db.outbox.where('secretId').equals(secret.id);
    await rows()
      .filter((row) => row.state === 'failed' && (before === undefined || (row.seq ?? 0) < before))
      .delete();
    if (replaced !== undefined && secret.version !== undefined) {
      await rows().modify((row) => {
        if (row.state === 'pending' && row.ifMatch === replaced) row.ifMatch = secret.version;
      });
    }
  });
}

/**
 * After a 409 to a write of `secretId` conditional on version `ifMatch`: lists the keys (the cache
 * takes the list) and says whether the key changed or went elsewhere meanwhile. `now` is the key as
 * it is now (undefined: removed); null means it is still at `ifMatch`, so the 409 had another
 * reason. Throws when the list cannot be had.
 */
export async function whatOvertook(db: ByokDb, api: ApiClient, secretId: string, ifMatch: number): Promise<{ now: CachedKey | undefined } | null> {
  const listed = await api.listSecrets();
  await replaceCachedKeys(db, listed);
  const now = listed.find((key) => key.id === secretId);
  return now !== undefined && now.version === ifMatch ? null : { now };
}
