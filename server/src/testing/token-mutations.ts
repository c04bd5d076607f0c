// Test support for the fuzz tests of grants: what can happen to a compact JWE on its way (a
// character flipped, the end cut or extended, segments dropped, swapped or repeated, a long prefix).
// Every mutation changes the token except swapping a segment with itself; tests compare with the
// original before expecting a refusal.
import fc from 'fast-check';

/** Base64url, the separator, padding and the standard alphabet's extras, a space, NUL, non-ASCII. */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ \u0000é';

export function compactTokenMutation(): fc.Arbitrary<(token: string) => string> {
  return fc.oneof(
    fc.tuple(fc.nat(), fc.constantFrom(...ALPHABET)).map(([at, char]) => (token: string) => {
      const index = at % token.length;
      return token.slice(0, index) + (token[index] === char ? (char === 'A' ? 'B' : 'A') : char) + token.slice(index + 1);
    }),
    fc.nat().map((at) => (token: string) => token.slice(0, at % token.length)),
    fc.string({ maxLength: 50 }).map((tail) => (token: string) => token + tail),
    fc.integer({ min: 0, max: 4 }).map((drop) => (token: string) => token.split('.').filter((_, index) => index !== drop).join('.')),
    fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 4 })).map(([i, j]) => (token: string) => {
      const parts = token.split('.');
      [parts[i], parts[j]] = [parts[j] ?? '', parts[i] ?? ''];
      return parts.join('.');
    }),
    fc.constant((token: string) => `${token}.${token}`),
    fc.constant((token: string) => 'x'.repeat(20_000) + token),
  );
}
