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
  openSealed,
  openWithKek,
  orgSecretAad,
  preloginSalt,
  sealApiKey,
  secretAad,
  unwrapDek,
  type KdfParams,
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

export interface VectorFile {
  version: number;
  kdf: KdfVector[];
  sealed: Array<SealedFields & { kek: string; userId: string }>;
  orgSealed: Array<SealedFields & { masterKek: string; orgId: string }>;
  hints: Array<{ apiKey: string; prefixes: string[]; hint: { prefix: string; last4: string }; display: string }>;
  prelogin: Array<{ serverSecret: string; email: string; salt: string }>;
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
