// Recomputes the CRYPTO.md v1 test vectors through the public crypto API only, so that any
// runtime (Node, the extension inside Chromium, a third-party port) can prove it interoperates.

import bundled from './v1.json';
import {
  computeHint,
  deriveAccountKeyBytes,
  formatHint,
  importKek,
  isSealedBlob,
  isValidHint,
  openGrant,
  openSealed,
  openWithKek,
  orgSecretAad,
  preloginSalt,
  sealApiKey,
  secretAad,
  unwrapDek,
  type GrantPurpose,
  type KdfParams,
  type OpenedGrant,
  type OpenGrantOptions,
  type SealedBlob,
} from '../index';
import { b64urlDecode, b64urlEncode, fromUtf8 } from '../bytes';

interface KdfVector {
  passphrase: string;
  kdf: { name: string; iterations: number; salt: string };
  master: string;
  authKey: string;
  authProof: string;
  kek: string;
}

interface SealedFields {
  provider: string;
  baseUrl: string;
  apiKey: string;
  dek: string;
  iv: string;
  aad: string;
  secretId: string;
  sealed: { v: number; iv: string; ct: string; wrappedDek: string };
}

/** A grant made by jose (an independent JOSE implementation) to a fixed server key pair. */
export interface GrantVector {
  note: string;
  privateJwk: { kty: string; crv: string; x: string; y?: string; d: string; kid: string };
  audience: string;
  userId: string;
  /** 'enrich', 'verify' or 'org-secret-upload'. */
  purpose: string;
  /** The clock to open it at (seconds): the grant is long expired in real time. */
  now: number;
  token: string;
  /** Exactly what the token's payload holds. */
  claims: { sub: string; aud: string; sid: string; jti: string; iat: number; exp: number; pur: string; dek?: string; key?: string };
}

export interface VectorFile {
  version: number;
  kdf: KdfVector[];
  sealed: Array<SealedFields & { kek: string; userId: string }>;
  orgSealed: Array<SealedFields & { masterKek: string; orgId: string }>;
  hints: Array<{ apiKey: string; prefixes: string[]; hint: { prefix: string; last4: string }; display: string }>;
  prelogin: Array<{ serverSecret: string; email: string; salt: string }>;
  grants: GrantVector[];
}

const v1: VectorFile = bundled;

// Vector data is public test material, so naming the mismatching field is fine here.
function same(label: string, actual: unknown, expected: unknown): void {
  if (actual !== expected) throw new Error(`crypto vector mismatch: ${label}`);
}

async function checkSealed(label: string, kek: CryptoKey, v: SealedFields, aad: Uint8Array): Promise<void> {
  same(`${label}.aad`, fromUtf8(aad), v.aad);
  if (!isSealedBlob(v.sealed)) throw new Error(`crypto vector mismatch: ${label}.sealed shape`);
  const blob = await sealApiKey({ apiKey: v.apiKey, kek, aad }, { dek: b64urlDecode(v.dek), iv: b64urlDecode(v.iv) });
  same(`${label}.sealed.v`, blob.v, 1);
  same(`${label}.sealed.iv`, blob.iv, v.sealed.iv);
  same(`${label}.sealed.ct`, blob.ct, v.sealed.ct);
  same(`${label}.sealed.wrappedDek`, blob.wrappedDek, v.sealed.wrappedDek);
  const expected: SealedBlob = v.sealed;
  same(`${label}.unwrapDek`, b64urlEncode(await unwrapDek(kek, expected.wrappedDek)), v.dek);
  same(`${label}.openWithKek`, await openWithKek({ kek, sealed: expected, aad }), v.apiKey);
  same(`${label}.openSealed`, await openSealed({ dek: b64urlDecode(v.dek), sealed: expected, aad }), v.apiKey);
}

/** Throws on the first mismatch; returns how many vectors were checked. */
export async function checkVectors(vectors: VectorFile = v1): Promise<{ checked: number }> {
  let checked = 0;
  same('version', vectors.version, 1);
  for (const [i, v] of vectors.kdf.entries()) {
    const keys = await deriveAccountKeyBytes(v.passphrase, v.kdf as KdfParams);
    same(`kdf[${i}].master`, b64urlEncode(keys.master), v.master);
    same(`kdf[${i}].authKey`, b64urlEncode(keys.authKey), v.authKey);
    same(`kdf[${i}].authProof`, b64urlEncode(keys.authKey), v.authProof);
    same(`kdf[${i}].kek`, b64urlEncode(keys.kek), v.kek);
    checked++;
  }
  for (const [i, v] of vectors.sealed.entries()) {
    const kek = await importKek(b64urlDecode(v.kek));
    await checkSealed(`sealed[${i}]`, kek, v, secretAad(v));
    checked++;
  }
  for (const [i, v] of vectors.orgSealed.entries()) {
    const kek = await importKek(b64urlDecode(v.masterKek));
    await checkSealed(`orgSealed[${i}]`, kek, v, orgSecretAad(v));
    checked++;
  }
  for (const [i, v] of vectors.hints.entries()) {
    const hint = computeHint(v.apiKey, v.prefixes);
    same(`hints[${i}].prefix`, hint.prefix, v.hint.prefix);
    same(`hints[${i}].last4`, hint.last4, v.hint.last4);
    same(`hints[${i}].valid`, isValidHint(hint, v.prefixes), true);
    same(`hints[${i}].display`, formatHint(hint), v.display);
    checked++;
  }
  for (const [i, v] of vectors.prelogin.entries()) {
    same(`prelogin[${i}].salt`, await preloginSalt(b64urlDecode(v.serverSecret), v.email), v.salt);
    checked++;
  }
  return { checked };
}

const GRANT_PURPOSES: readonly GrantPurpose[] = ['enrich', 'verify', 'org-secret-upload'];

/** Opens a grant: `openGrant` (jose over WebCrypto), or another opener held to the same vectors. */
export type GrantOpener = (token: string, options: OpenGrantOptions<CryptoKey>) => Promise<OpenedGrant>;

function importGrantPrivateKey(jwk: GrantVector['privateJwk']): Promise<CryptoKey> {
  const algorithm = jwk.crv === 'X25519' ? { name: 'X25519' } : { name: 'ECDH', namedCurve: jwk.crv };
  return crypto.subtle.importKey('jwk', { kty: jwk.kty, crv: jwk.crv, x: jwk.x, ...(jwk.y === undefined ? {} : { y: jwk.y }), d: jwk.d }, algorithm, false, ['deriveBits']);
}

/**
 * Opens every grant vector with `open` and compares the claims. Kept apart from checkVectors
 * because a browser without X25519 cannot import the X25519 vectors' private key (browsers only
 * ever make grants; the server opens them).
 */
export async function checkGrantVectors(vectors: VectorFile = v1, open: GrantOpener = openGrant): Promise<{ checked: number }> {
  let checked = 0;
  for (const [i, v] of vectors.grants.entries()) {
    const purpose = GRANT_PURPOSES.find((p) => p === v.purpose);
    if (!purpose) throw new Error(`crypto vector mismatch: grants[${i}].purpose`);
    const privateKey = await importGrantPrivateKey(v.privateJwk);
    const opened = await open(v.token, {
      resolveKey: (kid) => (kid === v.privateJwk.kid ? privateKey : undefined),
      audience: v.audience,
      userId: v.userId,
      purpose,
      now: v.now,
    });
    for (const name of ['sub', 'aud', 'sid', 'jti', 'iat', 'exp', 'pur', 'key'] as const) {
      same(`grants[${i}].${name}`, opened[name], v.claims[name]);
    }
    same(`grants[${i}].dek`, opened.dek === undefined ? undefined : b64urlEncode(opened.dek), v.claims.dek);
    checked++;
  }
  return { checked };
}
