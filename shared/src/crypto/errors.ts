// The error type of the crypto layer. Callers map these codes to API error codes (API.md);
// a CryptoError never carries key material, plaintext or the position of a bad byte.

export type CryptoErrorCode = 'decrypt_failed' | 'kdf_rejected' | 'malformed';

const MESSAGES: Record<CryptoErrorCode, string> = {
  decrypt_failed: 'Decryption failed.',
  kdf_rejected: 'Key derivation parameters rejected.',
  malformed: 'Malformed cryptographic input.',
};

export class CryptoError extends Error {
  readonly code: CryptoErrorCode;

  // The message is fixed per code on purpose: no caller-provided text can leak through it.
  constructor(code: CryptoErrorCode) {
    super(MESSAGES[code]);
    this.name = 'CryptoError';
    this.code = code;
  }
}

export function isCryptoError(value: unknown): value is CryptoError {
  return value instanceof CryptoError;
}
