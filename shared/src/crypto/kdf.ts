// Account key derivation (CRYPTO.md §1, §8): PBKDF2-SHA256 -> master -> HKDF -> authKey, kek.
// Also the downgrade check on server-supplied KDF parameters and the pre-login decoy salt.

import { b64urlDecode, b64urlEncode, randomBytes, utf8 } from './bytes';
import { CryptoError } from './errors';

export const KDF_NAME = 'PBKDF2-SHA256';
export const KDF_MIN_ITERATIONS = 600_000;
export const KDF_MAX_ITERATIONS = 5_000_000;
export const KDF_DEFAULT_ITERATIONS = 600_000;
export const KDF_SALT_BYTES = 16;

export interface KdfParams {
  name: 'PBKDF2-SHA256';
  iterations: number;
  salt: string;
}

export function newKdfParams(iterations: number = KDF_DEFAULT_ITERATIONS): KdfParams {
  return checkKdfParams({ name: KDF_NAME, iterations, salt: b64urlEncode(randomBytes(KDF_SALT_BYTES)) });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Accepts only PBKDF2-SHA256 with 600,000..5,000,000 integer iterations and a canonical
 * base64url salt of exactly 16 bytes. Anything else is a possible downgrade: `kdf_rejected`.
 * Returns a fresh object holding only the three known fields.
 */
export function checkKdfParams(kdf: unknown): KdfParams {
  if (!isRecord(kdf)) throw new CryptoError('kdf_rejected');
  const { name, iterations, salt } = kdf;
  if (name !== KDF_NAME) throw new CryptoError('kdf_rejected');
  if (typeof iterations !== 'number' || !Number.isSafeInteger(iterations)) throw new CryptoError('kdf_rejected');
  if (iterations < KDF_MIN_ITERATIONS || iterations > KDF_MAX_ITERATIONS) throw new CryptoError('kdf_rejected');
  if (typeof salt !== 'string') throw new CryptoError('kdf_rejected');
  let saltBytes: Uint8Array;
  try {
    saltBytes = b64urlDecode(salt);
  } catch {
    throw new CryptoError('kdf_rejected');
  }
  if (saltBytes.length !== KDF_SALT_BYTES) throw new CryptoError('kdf_rejected');
  return { name: KDF_NAME, iterations, salt };
}

/** Emails compare case-insensitively after trimming (CRYPTO.md §8). */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

async function hkdf32(ikm: Uint8Array<ArrayBuffer>, info: string): Promise<Uint8Array<ArrayBuffer>> {
  const key = await crypto.subtle.importKey('raw', ikm, 'HKDF', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits(
    { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: utf8(info) },
    key,
    256,
  );
  return new Uint8Array(bits);
}

/** Raw account key bytes. Only vectors and tests need these; the app uses deriveAccountKeys. */
export async function deriveAccountKeyBytes(
  passphrase: string,
  kdf: KdfParams,
): Promise<{ master: Uint8Array; authKey: Uint8Array; kek: Uint8Array }> {
  const params = checkKdfParams(kdf);
  const password = utf8(passphrase.normalize('NFKC'));
  const baseKey = await crypto.subtle.importKey('raw', password, 'PBKDF2', false, ['deriveBits']);
  password.fill(0);
  const masterBits = await crypto.subtle.deriveBits(
    { name: 'PBKDF2', hash: 'SHA-256', salt: b64urlDecode(params.salt), iterations: params.iterations },
    baseKey,
    256,
  );
  const master = new Uint8Array(masterBits);
  const authKey = await hkdf32(master, 'byok/v1/auth');
  const kek = await hkdf32(master, 'byok/v1/kek');
  return { master, authKey, kek };
}

/** AES-KW 256 key for wrapKey/unwrapKey; non-extractable unless a caller needs otherwise. */
export async function importKek(raw: Uint8Array, extractable = false): Promise<CryptoKey> {
  if (raw.length !== 32) throw new CryptoError('malformed');
  return crypto.subtle.importKey('raw', new Uint8Array(raw), { name: 'AES-KW' }, extractable, ['wrapKey', 'unwrapKey']);
}

/**
 * What a client needs after unlock: the proof it sends to the server and the non-extractable KEK.
 * `master` and the raw KEK are zeroed before returning (best effort in a GC'd runtime).
 */
export async function deriveAccountKeys(passphrase: string, kdf: KdfParams): Promise<{ authProof: string; kek: CryptoKey }> {
  const { master, authKey, kek: kekBytes } = await deriveAccountKeyBytes(passphrase, kdf);
  try {
    const kek = await importKek(kekBytes, false);
    return { authProof: b64urlEncode(authKey), kek };
  } finally {
    master.fill(0);
    authKey.fill(0);
    kekBytes.fill(0);
  }
}

/** Decoy salt for unknown emails: first 16 bytes of HMAC-SHA256(serverSecret, normalized email). */
export async function preloginSalt(serverSecret: Uint8Array, email: string): Promise<string> {
  if (serverSecret.length === 0) throw new CryptoError('malformed');
  const key = await crypto.subtle.importKey(
    'raw',
    new Uint8Array(serverSecret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, utf8(normalizeEmail(email))));
  return b64urlEncode(mac.subarray(0, KDF_SALT_BYTES));
}
