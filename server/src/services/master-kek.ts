// The master KEK that wraps organization data keys (CRYPTO.md §4): 32 bytes from BYOK_MASTER_KEY
// (base64url) or generated once into <dataDir>/master.key (mode 0600). Each key has a kekId so
// that rows name the KEK that wrapped them and a rotation can re-wrap in one transaction.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { importKek } from '@byok/shared';
import { readOrCreateFile } from './data-dir-files';

/** The master key's file in the data directory (file mode). */
export const MASTER_KEY_FILE = 'master.key';

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

/**
 * Refuses to let master.key be generated while organization keys exist: a fresh key can never open
 * them, and the server would fail only later, on each organization key's first use. The message
 * names the file, never a key. `orgKeysExist` is asked only when the file is missing.
 */
export function refuseNewMasterKeyUnderOrgKeys(dataDir: string, orgKeysExist: () => boolean): void {
  const path = join(dataDir, MASTER_KEY_FILE);
  if (!existsSync(path) && orgKeysExist()) {
    throw new Error(`${path} is missing, and organization keys need it; restore it (or set BYOK_MASTER_KEY) first.`);
  }
}

/**
 * The kekId of the master key the companion would start with (BYOK_MASTER_KEY, else master.key),
 * without creating one: null when there is none, or it is not a key. A fingerprint, never the key.
 */
export function masterKekIdIn(dataDir: string, masterKey: string | undefined): string | null {
  try {
    const text = masterKey ?? (existsSync(join(dataDir, MASTER_KEY_FILE)) ? readFileSync(join(dataDir, MASTER_KEY_FILE), 'utf8') : undefined);
    if (text === undefined) return null;
    const raw = decodeKey(text, 'master key');
    const kekId = kekIdOf(raw);
    raw.fill(0);
    return kekId;
  } catch {
    return null;
  }
}

export async function loadMasterKek(options: {
  dataDir: string;
  masterKey?: string | undefined;
  /** Whether organization keys are stored: then a missing master.key is an error, not a first start. */
  orgKeysExist?: () => boolean;
}): Promise<MasterKek> {
  if (options.masterKey === undefined && options.orgKeysExist) refuseNewMasterKeyUnderOrgKeys(options.dataDir, options.orgKeysExist);
  const raw =
    options.masterKey !== undefined
      ? decodeKey(options.masterKey, 'BYOK_MASTER_KEY')
      : decodeKey(readOrCreateFile(options.dataDir, MASTER_KEY_FILE, () => randomBytes(32).toString('base64url')), MASTER_KEY_FILE);
  const kekId = kekIdOf(raw);
  const kek = await importKek(raw, false);
  raw.fill(0);
  return { kekId, kek, byId: new Map([[kekId, kek]]) };
}
