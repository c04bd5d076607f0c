// Byte helpers: base64url without padding (CRYPTO.md), UTF-8, constant-time compare, randomness.

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function utf8(text: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(text);
}

export function fromUtf8(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

const B64URL = /^[A-Za-z0-9_-]*$/;

export function b64urlEncode(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

const B64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * True when `text` is canonical unpadded base64url, without decoding it: only alphabet characters,
 * a length that is not 1 mod 4, and no stray bits in the last character (so no two spellings of
 * the same bytes). Cheap enough to run on every segment of every grant.
 */
export function isCanonicalB64url(text: string): boolean {
  if (!B64URL.test(text) || text.length % 4 === 1) return false;
  const spare = text.length % 4 === 2 ? 0x0f : text.length % 4 === 3 ? 0x03 : 0;
  return spare === 0 || (B64URL_ALPHABET.indexOf(text.charAt(text.length - 1)) & spare) === 0;
}

/** Decodes canonical base64url without padding; throws TypeError on any other form. */
export function b64urlDecode(text: string): Uint8Array<ArrayBuffer> {
  if (!isCanonicalB64url(text)) throw new TypeError('not canonical base64url');
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  const binary = atob(base64);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** True when `text` is canonical unpadded base64url of exactly `length` bytes (or at least `min`). */
export function isB64urlOfLength(text: string, length: { exact?: number; min?: number }): boolean {
  try {
    const n = b64urlDecode(text).length;
    if (length.exact !== undefined && n !== length.exact) return false;
    if (length.min !== undefined && n < length.min) return false;
    return true;
  } catch {
    return false;
  }
}

export function randomBytes(length: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(length);
  crypto.getRandomValues(out);
  return out;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Compares two byte strings in time that depends only on their lengths. */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
