// The master KEK that wraps organization data keys (CRYPTO.md §4): 32 bytes from BYOK_MASTER_KEY
// (base64url) or generated once into <dataDir>/master.key (mode 0600). Each key has a kekId so
// that rows name the KEK that wrapped them and a rotation can re-wrap in one transaction.
import { createHash, randomBytes } from 'node:crypto';
import { importKek } from '@byok/shared';
import { readOrCreateFile } from './data-dir-files';

export interface MasterKek {
  /** The KEK new org keys are wrapped with. */
  kekId: string;
  kek: CryptoKey;
  /** Every KEK this server can unwrap with, by kekId (the current one at least). */
  byId: ReadonlyMap<string, CryptoKey>;
}

function kekIdOf(raw: Uint8Array): string {
  // A fingerprint, not the key: 8 bytes of SHA-256 identify a KEK without revealing it.
  return `kek-${createHash('sha256').update(Buffer.from('byok/v1/kek-id|')).update(raw).digest('hex').slice(0, 16)}`;
}

function decodeKey(text: string, source: string): Uint8Array {
  const raw = new Uint8Array(Buffer.from(text.trim(), 'base64url'));
  if (raw.length !== 32 || Buffer.from(raw).toString('base64url') !== text.trim()) {
    throw new Error(`${source} must be 32 bytes in base64url without padding`);
  }
  return raw;
}

export async function loadMasterKek(options: { dataDir: string; masterKey?: string | undefined }): Promise<MasterKek> {
  const raw =
    options.masterKey !== undefined
      ? decodeKey(options.masterKey, 'BYOK_MASTER_KEY')
      : decodeKey(readOrCreateFile(options.dataDir, 'master.key', () => randomBytes(32).toString('base64url')), 'master.key');
  const kekId = kekIdOf(raw);
  const kek = await importKek(raw, false);
  raw.fill(0);
  return { kekId, kek, byId: new Map([[kekId, kek]]) };
}
