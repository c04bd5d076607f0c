// Grants (CRYPTO.md §3, §4, §8): a JWE (ECDH-ES+A256KW / A256GCM, compact) that releases one data
// key, or for an org upload one plaintext key, to the server for one request. The client side
// builds them; openGrant is the server side check of everything but jti replay and sid liveness.

import { CompactEncrypt, compactDecrypt, importJWK } from 'jose';
import { AppError } from '../errors';
import { isCanonicalUuid } from './aad';
import { b64urlDecode, b64urlEncode, fromUtf8, isB64urlOfLength, isCanonicalB64url, randomBytes, utf8 } from './bytes';
import { CryptoError } from './errors';

export const GRANT_ALG = 'ECDH-ES+A256KW';
export const GRANT_ENC = 'A256GCM';
export const GRANT_TYP = 'byok-grant+jwt';
export const GRANT_MAX_LIFETIME_S = 300;
export const GRANT_CLOCK_TOLERANCE_S = 30;
export const MAX_GRANTS_PER_REQUEST = 8;
/** Upper bound on a compact token, so that hostile input costs bounded work. */
export const GRANT_MAX_TOKEN_CHARS = 16_384;

export type GrantPurpose = 'enrich' | 'verify' | 'org-secret-upload';

export interface GrantKeyJwk {
  kty: 'OKP' | 'EC';
  crv: 'X25519' | 'P-256';
  x: string;
  y?: string;
  kid: string;
  use: 'enc';
  alg: 'ECDH-ES+A256KW';
}

export interface GrantKeySet {
  audience: string;
  keys: GrantKeyJwk[];
}

/** A grant's claims once opened and checked; `dek` comes decoded from its base64url claim. */
export interface OpenedGrant extends Omit<GrantClaims, 'dek'> {
  dek?: Uint8Array;
}

const JTI_BYTES = 16;
const DEK_BYTES = 32;

function usableKey(k: GrantKeyJwk): boolean {
  return k.alg === GRANT_ALG && (k.use === undefined || k.use === 'enc');
}

function firstX25519(set: GrantKeySet): GrantKeyJwk | undefined {
  return set.keys.find((k) => usableKey(k) && k.kty === 'OKP' && k.crv === 'X25519');
}

function firstP256(set: GrantKeySet): GrantKeyJwk | undefined {
  return set.keys.find((k) => usableKey(k) && k.kty === 'EC' && k.crv === 'P-256');
}

/** The client uses the first X25519 key, else the first P-256 key (CRYPTO.md §8). */
export function pickGrantKey(set: GrantKeySet): GrantKeyJwk {
  const key = firstX25519(set) ?? firstP256(set);
  if (!key) throw new CryptoError('malformed');
  return key;
}

function nowSeconds(now: number | undefined): number {
  return now ?? Math.floor(Date.now() / 1000);
}

interface GrantClaims {
  sub: string;
  aud: string;
  sid: string;
  jti: string;
  iat: number;
  exp: number;
  pur: GrantPurpose;
  dek?: string;
  key?: string;
}

async function encryptGrant(
  keySet: GrantKeySet,
  body: { userId: string; secretId: string; pur: GrantPurpose; lifetimeSeconds: number | undefined; now: number | undefined },
  payload: { dek: string } | { key: string },
): Promise<string> {
  const lifetime = body.lifetimeSeconds ?? GRANT_MAX_LIFETIME_S;
  const iat = nowSeconds(body.now);
  if (!Number.isSafeInteger(lifetime) || lifetime < 1 || lifetime > GRANT_MAX_LIFETIME_S) throw new CryptoError('malformed');
  if (!Number.isSafeInteger(iat)) throw new CryptoError('malformed');
  if (!isCanonicalUuid(body.userId) || !isCanonicalUuid(body.secretId)) throw new CryptoError('malformed');
  if (typeof keySet.audience !== 'string' || keySet.audience.length === 0) throw new CryptoError('malformed');
  pickGrantKey(keySet); // throws when the set has no usable key at all
  const claims: GrantClaims = {
    sub: body.userId,
    aud: keySet.audience,
    sid: body.secretId,
    ...payload,
    jti: b64urlEncode(randomBytes(JTI_BYTES)),
    iat,
    exp: iat + lifetime,
    pur: body.pur,
  };
  const plaintext = utf8(JSON.stringify(claims));
  try {
    // First X25519 key; if this runtime's WebCrypto lacks X25519 (older Chromium), the first
    // P-256 key instead (CRYPTO.md §8).
    for (const jwk of [firstX25519(keySet), firstP256(keySet)]) {
      if (!jwk) continue;
      const publicJwk = jwk.kty === 'EC' ? { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y } : { kty: jwk.kty, crv: jwk.crv, x: jwk.x };
      try {
        const publicKey = await importJWK(publicJwk, GRANT_ALG);
        return await new CompactEncrypt(plaintext)
          .setProtectedHeader({ alg: GRANT_ALG, enc: GRANT_ENC, kid: jwk.kid, typ: GRANT_TYP })
          .encrypt(publicKey);
      } catch {
        // try the next curve
      }
    }
    throw new CryptoError('malformed');
  } finally {
    plaintext.fill(0);
  }
}

/** Client: release one data key for one request ('enrich' or 'verify'). */
export async function createGrant(input: {
  keySet: GrantKeySet;
  userId: string;
  secretId: string;
  dek: Uint8Array;
  purpose: 'enrich' | 'verify';
  lifetimeSeconds?: number;
  now?: number;
}): Promise<string> {
  if (input.dek.length !== DEK_BYTES) throw new CryptoError('malformed');
  if (input.purpose !== 'enrich' && input.purpose !== 'verify') throw new CryptoError('malformed');
  return encryptGrant(
    input.keySet,
    { userId: input.userId, secretId: input.secretId, pur: input.purpose, lifetimeSeconds: input.lifetimeSeconds, now: input.now },
    { dek: b64urlEncode(input.dek) },
  );
}

/** Admin client: carry an org key's plaintext to the server inside a grant (CRYPTO.md §4). */
export async function createOrgUploadGrant(input: {
  keySet: GrantKeySet;
  userId: string;
  secretId: string;
  apiKey: string;
  lifetimeSeconds?: number;
  now?: number;
}): Promise<string> {
  if (typeof input.apiKey !== 'string' || input.apiKey.length === 0) throw new CryptoError('malformed');
  return encryptGrant(
    input.keySet,
    { userId: input.userId, secretId: input.secretId, pur: 'org-secret-upload', lifetimeSeconds: input.lifetimeSeconds, now: input.now },
    { key: input.apiKey },
  );
}

// One generic message for every rejection: the caller must not learn which part was wrong.
function invalid(): AppError {
  return new AppError('grant_invalid', 'The grant is invalid.');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseJsonObject(bytes: Uint8Array): Record<string, unknown> {
  const parsed: unknown = JSON.parse(fromUtf8(bytes));
  if (!isRecord(parsed)) throw new Error('not an object');
  return parsed;
}

const ALLOWED_CLAIMS = new Set(['sub', 'aud', 'sid', 'jti', 'iat', 'exp', 'pur', 'dek', 'key']);

/** Header checks made before any decryption work; returns the parsed protected header. */
function checkHeader(token: string): GrantHeader {
  if (token.length > GRANT_MAX_TOKEN_CHARS) throw invalid();
  const parts = token.split('.');
  // Every segment non-empty and canonical: jose's decoder ignores stray bits in a last character,
  // which would let one grant be spelled several ways.
  if (parts.length !== 5 || !parts.every((p) => p.length > 0 && isCanonicalB64url(p))) throw invalid();
  let header: Record<string, unknown>;
  try {
    header = parseJsonObject(b64urlDecode(parts[0] ?? ''));
  } catch {
    throw invalid();
  }
  if (header.alg !== GRANT_ALG || header.enc !== GRANT_ENC || header.typ !== GRANT_TYP) throw invalid();
  if ('zip' in header || 'crit' in header) throw invalid();
  if (typeof header.kid !== 'string' || header.kid.length === 0) throw invalid();
  return header as GrantHeader;
}

function isInt(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value);
}

/** A grant's protected header once `openGrantWith` has checked alg, enc, typ, kid, zip and crit. */
export interface GrantHeader extends Record<string, unknown> {
  alg: typeof GRANT_ALG;
  enc: typeof GRANT_ENC;
  typ: typeof GRANT_TYP;
  kid: string;
}

export interface OpenGrantOptions<K> {
  resolveKey: (kid: string) => K | undefined;
  audience: string;
  userId: string;
  purpose: GrantPurpose;
  now?: number;
}

/**
 * The JWE step of opening a grant: decrypts the compact `token` (header already checked) with the
 * private key `key` and returns the payload bytes, or throws. Anything it throws becomes
 * `grant_invalid`.
 */
export type GrantDecryptor<K> = (token: string, header: GrantHeader, key: K) => Uint8Array | Promise<Uint8Array>;

/** The portable decryptor: jose over WebCrypto (browsers, Node, any runtime with crypto.subtle). */
export const joseGrantDecryptor: GrantDecryptor<CryptoKey> = async (token, _header, key) => {
  const { plaintext } = await compactDecrypt(token, key, {
    keyManagementAlgorithms: [GRANT_ALG],
    contentEncryptionAlgorithms: [GRANT_ENC],
  });
  return plaintext;
};

/**
 * Server: check and decrypt one grant. Every failure is AppError('grant_invalid') except a grant
 * past `exp` (+30 s tolerance), which is AppError('grant_expired'). jti replay and sid liveness
 * are the caller's (database) checks, after this succeeds.
 */
export function openGrant(token: string, options: OpenGrantOptions<CryptoKey>): Promise<OpenedGrant> {
  return openGrantWith(token, options, joseGrantDecryptor);
}

/**
 * `openGrant` with another JWE decryption step (the server's node:crypto one): every check before
 * and after decryption is this one function's, whichever decryptor runs.
 */
export async function openGrantWith<K>(token: string, options: OpenGrantOptions<K>, decrypt: GrantDecryptor<K>): Promise<OpenedGrant> {
  if (typeof token !== 'string') throw invalid();
  const header = checkHeader(token);
  let key: K | undefined;
  try {
    key = options.resolveKey(header.kid);
  } catch {
    throw invalid();
  }
  if (key === undefined) throw invalid();

  let claims: Record<string, unknown>;
  try {
    const plaintext = await decrypt(token, header, key);
    try {
      claims = parseJsonObject(plaintext);
    } finally {
      plaintext.fill(0);
    }
  } catch {
    throw invalid();
  }

  if (Object.keys(claims).some((k) => !ALLOWED_CLAIMS.has(k))) throw invalid();
  const { sub, aud, sid, jti, iat, exp, pur, dek, key: apiKey } = claims;
  if (typeof sub !== 'string' || sub !== options.userId) throw invalid();
  if (typeof aud !== 'string' || aud !== options.audience) throw invalid();
  if (!isCanonicalUuid(sid)) throw invalid();
  if (typeof jti !== 'string' || !isB64urlOfLength(jti, { exact: JTI_BYTES })) throw invalid();
  if (typeof pur !== 'string' || pur !== options.purpose) throw invalid();
  if (!isInt(iat) || !isInt(exp)) throw invalid();

  const opened: OpenedGrant = { sub, aud, sid, jti, iat, exp, pur: options.purpose };
  if (options.purpose === 'org-secret-upload') {
    if (dek !== undefined || typeof apiKey !== 'string' || apiKey.length === 0) throw invalid();
    opened.key = apiKey;
  } else {
    if (apiKey !== undefined || typeof dek !== 'string') throw invalid();
    let dekBytes: Uint8Array;
    try {
      dekBytes = b64urlDecode(dek);
    } catch {
      throw invalid();
    }
    if (dekBytes.length !== DEK_BYTES) throw invalid();
    opened.dek = dekBytes;
  }

  const now = nowSeconds(options.now);
  if (iat > now + GRANT_CLOCK_TOLERANCE_S) throw invalid();
  if (exp < iat || exp - iat > GRANT_MAX_LIFETIME_S) throw invalid();
  if (exp + GRANT_CLOCK_TOLERANCE_S < now) {
    opened.dek?.fill(0);
    throw new AppError('grant_expired', 'The grant has expired.');
  }
  return opened;
}
