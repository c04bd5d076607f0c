// Opening a sealed key with its data key (CRYPTO.md §2: AES-256-GCM, 12-byte IV, 16-byte tag at
// the end of `ct`) on node:crypto, synchronously: the same operation as @byok/shared's openSealed
// (WebCrypto), which stays the reference; the differential tests hold the two to the same answers.
// Used once per released key per request.
import { createDecipheriv } from 'node:crypto';
import { CryptoError, type SealedBlob } from '@byok/shared';
import { decodeCanonicalB64url } from './base64url';

const DEK_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const utf8 = new TextDecoder('utf-8', { fatal: true });

function decode(text: string): Buffer {
  const out = decodeCanonicalB64url(text);
  if (out === undefined) throw new CryptoError('decrypt_failed');
  return out;
}

/** The API key inside `sealed`; any failure (wrong data key, AAD, tampering) is `decrypt_failed`. */
export function openSealedSync(input: { dek: Uint8Array; sealed: SealedBlob; aad: Uint8Array }): string {
  if (input.dek.length !== DEK_BYTES || input.sealed.v !== 1) throw new CryptoError('decrypt_failed');
  const iv = decode(input.sealed.iv);
  const ct = decode(input.sealed.ct);
  if (iv.length !== IV_BYTES || ct.length <= TAG_BYTES) throw new CryptoError('decrypt_failed');
  let plaintext: Buffer | undefined;
  try {
    const gcm = createDecipheriv('aes-256-gcm', input.dek, iv, { authTagLength: TAG_BYTES });
    gcm.setAAD(input.aad);
    gcm.setAuthTag(ct.subarray(ct.length - TAG_BYTES));
    plaintext = gcm.update(ct.subarray(0, ct.length - TAG_BYTES));
    gcm.final();
    // Fatal decoding like the reference: a sealed key is UTF-8 or it is not a key.
    return utf8.decode(plaintext);
  } catch {
    throw new CryptoError('decrypt_failed');
  } finally {
    plaintext?.fill(0);
  }
}
