// Base64url on the server's node:crypto paths: shared's one rule for the canonical form (no
// padding, no spare bits set in a last character), then Buffer's decoder, which on its own skips
// what it does not understand.
import { isCanonicalB64url } from '@byok/shared/crypto/bytes';

/** The bytes of `text` when it is canonical unpadded base64url; undefined for anything else. */
export function decodeCanonicalB64url(text: unknown): Buffer | undefined {
  return typeof text === 'string' && isCanonicalB64url(text) ? Buffer.from(text, 'base64url') : undefined;
}
