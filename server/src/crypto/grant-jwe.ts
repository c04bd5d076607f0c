// The server's JWE step for grants (CRYPTO.md §3, §8: ECDH-ES+A256KW with A256GCM, compact form)
// on node:crypto. It is byte-for-byte the same decryption as jose's over WebCrypto (RFC 7516,
// RFC 7518 §4.6 and §5.3) but synchronous and on the calling thread: every grant of every request
// passes here, and WebCrypto's promise and thread-pool round trips for key import, ECDH, AES-KW
// and AES-GCM cost several times the cryptography itself. Everything around the decryption (the
// header and claim checks) stays in @byok/shared's openGrantWith; the differential tests hold
// this decryptor and jose's to the same answers.
import { createDecipheriv, createHash, createPublicKey, diffieHellman, KeyObject } from 'node:crypto';
import { GRANT_ALG, type GrantDecryptor, type GrantHeader } from '@byok/shared';
import { decodeCanonicalB64url } from './base64url';

const CEK_BYTES = 32;
const WRAPPED_CEK_BYTES = CEK_BYTES + 8;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** RFC 3394's default initial value, which AES-KW unwrapping checks. */
const AES_KW_IV = Buffer.from('a6a6a6a6a6a6a6a6', 'hex');
const ALG_ID = Buffer.from(GRANT_ALG, 'ascii');

/** JWK members of private keys (RFC 7518 §6), refused in an ephemeral public key as jose does. */
const PRIVATE_JWK_MEMBERS = ['d', 'k', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'priv'];

/** Node key objects for the grant private keys, made once per CryptoKey. */
const nodeKeys = new WeakMap<CryptoKey, KeyObject>();

function nodeKeyOf(key: CryptoKey): KeyObject {
  let found = nodeKeys.get(key);
  if (!found) {
    found = KeyObject.from(key);
    nodeKeys.set(key, found);
  }
  return found;
}

function fail(): never {
  // The message never reaches a client: openGrantWith turns every throw into grant_invalid.
  throw new Error('grant decryption failed');
}

function b64url(text: unknown, bytes?: number): Buffer {
  const out = decodeCanonicalB64url(text);
  if (out === undefined || (bytes !== undefined && out.length !== bytes)) fail();
  return out;
}

/** The ephemeral public key from the header, on the same curve as our private key, or a throw. */
function ephemeralKey(epk: unknown, privateKey: KeyObject): KeyObject {
  if (typeof epk !== 'object' || epk === null || Array.isArray(epk)) fail();
  const jwk = epk as Record<string, unknown>;
  // A "public" key that carries a private part is not what the sender meant to send.
  if (PRIVATE_JWK_MEMBERS.some((member) => Object.hasOwn(jwk, member))) fail();
  if (privateKey.asymmetricKeyType === 'x25519') {
    if (jwk.kty !== 'OKP' || jwk.crv !== 'X25519') fail();
    b64url(jwk.x, 32);
    return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: jwk.x as string }, format: 'jwk' });
  }
  if (privateKey.asymmetricKeyType === 'ec' && privateKey.asymmetricKeyDetails?.namedCurve === 'prime256v1') {
    if (jwk.kty !== 'EC' || jwk.crv !== 'P-256') fail();
    b64url(jwk.x, 32);
    b64url(jwk.y, 32);
    // Node refuses a point that is not on the curve (no invalid-curve attack through the epk).
    return createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: jwk.x as string, y: jwk.y as string }, format: 'jwk' });
  }
  return fail();
}

function lengthPrefixed(bytes: Buffer): Buffer[] {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return [length, bytes];
}

/** RFC 7518 §4.6.2: one round of the Concat KDF with SHA-256 gives the 256-bit AES-KW key. */
function concatKdf(z: Buffer, apu: Buffer, apv: Buffer): Buffer {
  const hash = createHash('sha256').update(Buffer.from([0, 0, 0, 1])).update(z);
  for (const part of [...lengthPrefixed(ALG_ID), ...lengthPrefixed(apu), ...lengthPrefixed(apv)]) hash.update(part);
  return hash.update(Buffer.from([0, 0, 1, 0])).digest();
}

/** Decrypts a grant whose header openGrantWith has checked, with the private key its kid named. */
export function decryptGrantJwe(token: string, header: GrantHeader, privateKey: KeyObject): Uint8Array {
  const [protectedHeader, encryptedKey, iv, ciphertext, tag] = token.split('.');
  if (protectedHeader === undefined || tag === undefined) fail();
  const epk = ephemeralKey(header.epk, privateKey);
  const apu = header.apu === undefined ? Buffer.alloc(0) : b64url(header.apu);
  const apv = header.apv === undefined ? Buffer.alloc(0) : b64url(header.apv);
  // Both present and equal says nothing about who is who (jose refuses this too).
  if (header.apu !== undefined && header.apv !== undefined && apu.equals(apv)) fail();

  const z = diffieHellman({ privateKey, publicKey: epk });
  // An all-zero X25519 result means a small-order point: refuse it (RFC 7748 §6.1).
  if (z.every((byte) => byte === 0)) fail();
  const kek = concatKdf(z, apu, apv);
  z.fill(0);

  let cek: Buffer;
  try {
    // AES-KW checks its integrity value in update(); everything comes out of that one call.
    const unwrap = createDecipheriv('id-aes256-wrap', kek, AES_KW_IV);
    cek = unwrap.update(b64url(encryptedKey, WRAPPED_CEK_BYTES));
    unwrap.final();
  } finally {
    kek.fill(0);
  }
  try {
    if (cek.length !== CEK_BYTES) fail();
    const gcm = createDecipheriv('aes-256-gcm', cek, b64url(iv, IV_BYTES), { authTagLength: TAG_BYTES });
    // RFC 7516 §5.2 step 14: the AAD is the ASCII of the encoded protected header.
    gcm.setAAD(Buffer.from(protectedHeader, 'ascii'));
    gcm.setAuthTag(b64url(tag, TAG_BYTES));
    const plaintext = gcm.update(b64url(ciphertext));
    try {
      gcm.final(); // checks the tag
    } catch (error) {
      plaintext.fill(0);
      throw error;
    }
    return plaintext;
  } finally {
    cek.fill(0);
  }
}

/** The decryptor to hand to openGrantWith, for the CryptoKeys GrantKeyService resolves. */
export const nodeGrantDecryptor: GrantDecryptor<CryptoKey> = (token, header, key) => decryptGrantJwe(token, header, nodeKeyOf(key));
