// Reads personal keys straight from a companion's SQLite file and opens them with the owner's KEK,
// as only the owner's client could: the check that a stored key is whole (not half-written, not
// mixed between two rotations) and is exactly the key the client sealed last.
import { openWithKek, secretAad } from '@byok/shared';
import type { SealedBlob } from '@byok/shared';
import type { Db } from '../../server/src/store/db';

export interface StoredSecretRow {
  id: string;
  userId: string;
  provider: string;
  baseUrl: string;
  sealed: SealedBlob;
  version: number;
}

/** Every stored row that holds a sealed key (all users, or one). */
export function storedSecrets(db: Db, userId?: string): StoredSecretRow[] {
  const rows = (
    userId === undefined
      ? db.prepare('SELECT id, user_id, provider, base_url, iv, ct, wrapped_dek, version FROM secrets').all()
      : db.prepare('SELECT id, user_id, provider, base_url, iv, ct, wrapped_dek, version FROM secrets WHERE user_id = ?').all(userId)
  ) as Array<{ id: string; user_id: string; provider: string; base_url: string; iv: string | null; ct: string | null; wrapped_dek: string | null; version: number }>;
  // Keyless entries (a local provider without a key, migration 004) have nothing to open.
  const sealedRows = rows.filter((row): row is typeof row & { iv: string; ct: string; wrapped_dek: string } => row.iv !== null && row.ct !== null && row.wrapped_dek !== null);
  return sealedRows.map((row) => ({
    id: row.id,
    userId: row.user_id,
    provider: row.provider,
    baseUrl: row.base_url,
    sealed: { v: 1, iv: row.iv, ct: row.ct, wrappedDek: row.wrapped_dek },
    version: row.version,
  }));
}

/** The plaintext key of a stored row, opened with the owner's KEK; throws if the row is damaged. */
export function openStored(row: StoredSecretRow, kek: CryptoKey): Promise<string> {
  return openWithKek({ kek, sealed: row.sealed, aad: secretAad({ userId: row.userId, secretId: row.id, provider: row.provider, baseUrl: row.baseUrl }) });
}
