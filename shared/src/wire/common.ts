// Building blocks shared by every wire schema: identifiers, times, base64url byte strings,
// the error body, the sealed-blob and hint shapes of CRYPTO.md, and the small helpers
// that keep field rules identical across resources.
import { z } from 'zod';
import { ERROR_CODES } from '../errors';
import { isB64urlOfLength } from '../crypto/bytes';
import { isNormalizedBaseUrl } from '../providers/base-url';

/** Lowercase canonical UUID (CRYPTO.md section 8: other forms are a 400). */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const Uuid = z.string().regex(UUID_PATTERN, 'must be a lowercase canonical UUID');

/** Path parameter `:id` of every resource. */
export const IdParams = z.strictObject({ id: Uuid });
export type IdParams = z.infer<typeof IdParams>;

/** ISO 8601 date-time in UTC with a `Z` suffix, as every response writes it. */
export const IsoDateTime = z.iso.datetime({ offset: false });

/** Characters of unpadded base64url for `bytes` bytes. */
function b64urlChars(bytes: number): number {
  return Math.ceil((bytes * 4) / 3);
}

/**
 * Canonical unpadded base64url of exactly `bytes` bytes (or at least `min` bytes). The regex and
 * lengths make the JSON Schema useful; the refinement rejects non-canonical trailing bits.
 */
export function b64urlBytes(length: { exact?: number; min?: number }) {
  const what = length.exact !== undefined ? `${length.exact} bytes` : `at least ${length.min ?? 0} bytes`;
  const base = z.string().regex(/^[A-Za-z0-9_-]*$/, `must be base64url (no padding) of ${what}`);
  const sized =
    length.exact !== undefined
      ? base.length(b64urlChars(length.exact), `must be base64url (no padding) of ${what}`)
      : base.min(b64urlChars(length.min ?? 0), `must be base64url (no padding) of ${what}`).max(65_536);
  return sized.refine((text) => isB64urlOfLength(text, length), `must be base64url (no padding) of ${what}`);
}

export const ErrorCodeSchema = z.enum(ERROR_CODES as [(typeof ERROR_CODES)[number], ...(typeof ERROR_CODES)[number][]]);

/** `{ "error": { "code", "message" } }`, the body of every error response. */
export const ErrorBodySchema = z.object({
  error: z.object({ code: ErrorCodeSchema, message: z.string() }),
});

/** CRYPTO.md section 8: v is 1, iv 12 bytes, wrappedDek 40, ct at least 17, nothing else. */
export const SealedBlobSchema = z.strictObject({
  v: z.literal(1),
  iv: b64urlBytes({ exact: 12 }),
  ct: b64urlBytes({ min: 17 }),
  wrappedDek: b64urlBytes({ exact: 40 }),
}).describe('A sealed key (CRYPTO.md section 2): AES-256-GCM ciphertext under a one-time data key wrapped with AES-KW.');

/** AES-KW output of a 32-byte data key (RFC 3394): 40 bytes. */
export const WrappedDek = b64urlBytes({ exact: 40 });

/**
 * The masked hint of a key (CRYPTO.md section 2). Whether `prefix` is one of the provider's
 * catalog prefixes is checked where the provider is known (PutSecretRequest).
 */
export const KeyHintSchema = z.strictObject({
  prefix: z.string().max(16),
  last4: z.union([z.literal(''), z.string().regex(/^[A-Za-z0-9_-]{4}$/)]),
}).describe('Masked hint: the longest catalog prefix the key starts with and its last 4 characters ("" under 16 characters).');

/** A grant (JWE compact). Its form is checked by the grant opener so that every bad grant is `grant_invalid`. */
export const GrantToken = z
  .string()
  .min(1)
  .max(16_384)
  .describe('A grant: JWE compact serialization releasing one data key for one request (CRYPTO.md section 3).');

/** A normalized http(s) base URL (CRYPTO.md section 8), exactly as bound into a seal. */
export const NormalizedBaseUrl = z
  .string()
  .max(2048)
  .refine(isNormalizedBaseUrl, 'must be a normalized http(s) base URL (no user info, query, fragment or trailing "/")');

// In a `u` regexp a surrogate pair is one code point, so this matches lone halves only. Not
// String.prototype.isWellFormed: the extension still supports Firefox 115, which lacks it.
const LONE_SURROGATE = /\p{Surrogate}/u;
export const NOT_WELL_FORMED = 'must be well-formed Unicode (no lone UTF-16 surrogate)';

/**
 * Free text that reaches the database and the audit log must be well-formed: the audit chain's
 * canonical JSON (RFC 8785) cannot encode a lone surrogate, which would otherwise surface as a 500.
 */
export function isWellFormedText(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

/** `text` with each lone surrogate replaced by U+FFFD, as TextEncoder would (a client's repair before sending). */
export function toWellFormedText(text: string): string {
  return text.replace(/\p{Surrogate}/gu, '\uFFFD');
}

/**
 * At most `max` UTF-16 units, lone surrogates replaced by U+FFFD: for short descriptive fields (a
 * page's title or URL) that a broken page can carry and that are only shown, never matched.
 */
export function RepairedText(max: number) {
  return z.string().max(max).transform(toWellFormedText);
}

export const Label = z.string().trim().min(1).max(100).refine(isWellFormedText, NOT_WELL_FORMED);
/** Model ids are free-form: providers publish models faster than the catalog changes. */
export const ModelId = z.string().min(1).max(200).refine(isWellFormedText, NOT_WELL_FORMED);

const EMAIL_PATTERN = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)*$/;
/** Trimmed, at most 254 characters, one `@` with a non-empty local part and domain. */
export const Email = z.string().trim().max(254).regex(EMAIL_PATTERN, 'must be an email address').refine(isWellFormedText, NOT_WELL_FORMED);

/** Non-negative safe integer (counts, tokens, micro-dollars). */
export const Count = z.int().min(0);

/** Page size for listings given in a query string. */
export const LimitQuery = z.coerce.number().int().min(1).max(500);
