// Sealing an API key (CRYPTO.md §2, §4): AES-256-GCM under a one-time data key, the data key
// wrapped with AES-KW under a KEK (the account KEK for personal keys, the master KEK for org keys).

import { b64urlDecode, b64urlEncode, fromUtf8, isB64urlOfLength, randomBytes, utf8 } from './bytes';
import { CryptoError } from './errors';

export interface SealedBlob {
  v: 1;
  iv: string;
  ct: string;
  wrappedDek: string;
}

const DEK_BYTES = 32;
const IV_BYTES = 12;
const WRAPPED_DEK_BYTES = 40;
const MIN_CT_BYTES = 17; // at least one byte of plaintext plus the 16-byte tag
const SEALED_FIELDS = ['v', 'iv', 'ct', 'wrappedDek'];

/** CRYPTO.md §8 shape rules: exactly these four fields, v the number 1, canonical b64url, lengths. */
export function isSealedBlob(value: unknown): value is SealedBlob {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  if (keys.length !== SEALED_FIELDS.length || !keys.every((k) => SEALED_FIELDS.includes(k))) return false;
  const blob = value as Record<string, unknown>;
  if (blob.v !== 1) return false;
  if (typeof blob.iv !== 'string' || !isB64urlOfLength(blob.iv, { exact: IV_BYTES })) return false;
  if (typeof blob.ct !== 'string' || !isB64urlOfLength(blob.ct, { min: MIN_CT_BYTES })) return false;
  if (typeof blob.wrappedDek !== 'string' || !isB64urlOfLength(blob.wrappedDek, { exact: WRAPPED_DEK_BYTES })) return false;
  return true;
}

function importDek(dek: Uint8Array, usages: KeyUsage[], extractable: boolean): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', new Uint8Array(dek), { name: 'AES-GCM' }, extractable, usages);
}

/**
 * Seals `apiKey` under a fresh data key and IV. `fixed` exists only for test vectors; the app
 * never passes it (a reused IV under one data key would break GCM).
 */
export async function sealApiKey(
  input: { apiKey: string; kek: CryptoKey; aad: Uint8Array },
  fixed?: { dek: Uint8Array; iv: Uint8Array },
): Promise<SealedBlob> {
  if (typeof input.apiKey !== 'string' || input.apiKey.length === 0) throw new CryptoError('malformed');
  if (fixed && (fixed.dek.length !== DEK_BYTES || fixed.iv.length !== IV_BYTES)) throw new CryptoError('malformed');
  const dek = fixed ? new Uint8Array(fixed.dek) : randomBytes(DEK_BYTES);
  const iv = fixed ? new Uint8Array(fixed.iv) : randomBytes(IV_BYTES);
  try {
    // Extractable only so that wrapKey can export it into AES-KW; it never leaves this function.
    const dekKey = await importDek(dek, ['encrypt'], true);
    const plaintext = utf8(input.apiKey);
    const ct = new Uint8Array(
      await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: new Uint8Array(input.aad), tagLength: 128 }, dekKey, plaintext),
    );
    plaintext.fill(0);
    const wrapped = new Uint8Array(await crypto.subtle.wrapKey('raw', dekKey, input.kek, { name: 'AES-KW' }));
    return { v: 1, iv: b64urlEncode(iv), ct: b64urlEncode(ct), wrappedDek: b64urlEncode(wrapped) };
  } finally {
    dek.fill(0);
  }
}

async function unwrapDekKey(kek: CryptoKey, wrappedDek: string, extractable: boolean, usages: KeyUsage[]): Promise<CryptoKey> {
  try {
    const wrapped = b64urlDecode(wrappedDek);
    if (wrapped.length !== WRAPPED_DEK_BYTES) throw new CryptoError('decrypt_failed');
    return await crypto.subtle.unwrapKey('raw', wrapped, kek, { name: 'AES-KW' }, { name: 'AES-GCM' }, extractable, usages);
  } catch {
    throw new CryptoError('decrypt_failed');
  }
}

/** Recovers the raw data key (for building a grant). Any failure: `decrypt_failed`. */
export async function unwrapDek(kek: CryptoKey, wrappedDek: string): Promise<Uint8Array> {
  const key = await unwrapDekKey(kek, wrappedDek, true, ['decrypt']);
  return new Uint8Array(await crypto.subtle.exportKey('raw', key));
}

/** Passphrase change / master-key rotation: the same data key under a new KEK. */
export async function rewrapDek(oldKek: CryptoKey, newKek: CryptoKey, wrappedDek: string): Promise<string> {
  const key = await unwrapDekKey(oldKek, wrappedDek, true, ['decrypt']);
  try {
    return b64urlEncode(new Uint8Array(await crypto.subtle.wrapKey('raw', key, newKek, { name: 'AES-KW' })));
  } catch {
    throw new CryptoError('decrypt_failed');
  }
}

async function decryptWith(dekKey: CryptoKey, sealed: SealedBlob, aad: Uint8Array): Promise<string> {
  try {
    const plaintext = new Uint8Array(
      await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: b64urlDecode(sealed.iv), additionalData: new Uint8Array(aad), tagLength: 128 },
        dekKey,
        b64urlDecode(sealed.ct),
      ),
    );
    try {
      return fromUtf8(plaintext);
    } finally {
      plaintext.fill(0);
    }
  } catch {
    throw new CryptoError('decrypt_failed');
  }
}

/** Opens a sealed blob with its raw data key (server side, from a grant). Any failure: `decrypt_failed`. */
export async function openSealed(input: { dek: Uint8Array; sealed: SealedBlob; aad: Uint8Array }): Promise<string> {
  if (!isSealedBlob(input.sealed) || input.dek.length !== DEK_BYTES) throw new CryptoError('decrypt_failed');
  let dekKey: CryptoKey;
  try {
    dekKey = await importDek(input.dek, ['decrypt'], false);
  } catch {
    throw new CryptoError('decrypt_failed');
  }
  return decryptWith(dekKey, input.sealed, input.aad);
}

/** Unwrap + open in one step (org keys under the master KEK, or a client holding its KEK). */
export async function openWithKek(input: { kek: CryptoKey; sealed: SealedBlob; aad: Uint8Array }): Promise<string> {
  if (!isSealedBlob(input.sealed)) throw new CryptoError('decrypt_failed');
  const dekKey = await unwrapDekKey(input.kek, input.sealed.wrappedDek, false, ['decrypt']);
  return decryptWith(dekKey, input.sealed, input.aad);
}
