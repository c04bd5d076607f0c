// The slow salted hash of a client's authProof (CRYPTO.md §1): scrypt N=2^15 r=8 p=1, compared in
// constant time. Unknown emails are checked against a dummy hash so that both paths cost the same.
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

const N = 2 ** 15;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;
// scrypt needs 128 * N * r bytes (32 MiB here); the default maxmem is exactly that, so raise it.
const MAX_MEMORY = 64 * 1024 * 1024;

function scryptAsync(secret: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, KEY_LENGTH, { N: n, r, p, maxmem: MAX_MEMORY }, (error, key) => {
      if (error) reject(error);
      else resolve(key);
    });
  });
}

/** `scrypt$N$r$p$salt$hash` with base64url fields. */
export async function hashAuthProof(authProof: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(authProof, salt, N, R, P);
  return ['scrypt', N, R, P, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function verifyAuthProof(authProof: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [n, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  const salt = Buffer.from(parts[4] ?? '', 'base64url');
  const expected = Buffer.from(parts[5] ?? '', 'base64url');
  const actual = await scryptAsync(authProof, salt, n, r, p);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

let dummyHash: Promise<string> | undefined;

/** A hash nobody's proof matches, made once per process, for unknown-email logins. */
export function dummyAuthHash(): Promise<string> {
  dummyHash ??= hashAuthProof(randomBytes(32).toString('base64url'));
  return dummyHash;
}
