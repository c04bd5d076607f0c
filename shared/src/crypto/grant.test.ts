// Grants: round trips on both curves, and every rejection rule of CRYPTO.md §3/§8.
import { describe, expect, it, vi } from 'vitest';
import { CompactEncrypt, exportJWK, generateKeyPair, importJWK } from 'jose';
import { AppError } from '../errors';
import { b64urlDecode, b64urlEncode, fromUtf8, randomBytes, utf8 } from './bytes';
import {
  createGrant,
  createOrgUploadGrant,
  GRANT_ALG,
  GRANT_ENC,
  GRANT_TYP,
  openGrant,
  pickGrantKey,
  type GrantKeyJwk,
  type GrantKeySet,
  type GrantPurpose,
} from './grant';

const AUD = 'byok-companion:test-server';
const USER = '0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d';
const OTHER_USER = '0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4e';
const SID = '5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d';
const NOW = 1_800_000_000;

interface Recipient {
  jwk: GrantKeyJwk;
  privateKey: CryptoKey;
  keySet: GrantKeySet;
}

async function recipient(crv: 'X25519' | 'P-256', kid: string): Promise<Recipient> {
  const { publicKey, privateKey } = await generateKeyPair(GRANT_ALG, { crv, extractable: true });
  const exported = await exportJWK(publicKey);
  const jwk = { ...exported, kid, use: 'enc', alg: GRANT_ALG } as GrantKeyJwk;
  return { jwk, privateKey, keySet: { audience: AUD, keys: [jwk] } };
}

const x25519 = await recipient('X25519', 'kid-x');
const p256 = await recipient('P-256', 'kid-p');

function resolver(r: Recipient) {
  return vi.fn((kid: string) => (kid === r.jwk.kid ? r.privateKey : undefined));
}

function opts(r: Recipient, over: Partial<{ audience: string; userId: string; purpose: GrantPurpose; now: number }> = {}) {
  return { resolveKey: resolver(r), audience: AUD, userId: USER, purpose: 'enrich' as GrantPurpose, now: NOW, ...over };
}

async function expectCode(p: Promise<unknown>, code: 'grant_invalid' | 'grant_expired'): Promise<AppError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  const appErr = err as AppError;
  expect(appErr.code).toBe(code);
  // The message is generic: it names no field.
  expect(appErr.message).toMatch(/^The grant (is invalid|has expired)\.$/);
  return appErr;
}

function validClaims(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    sub: USER,
    aud: AUD,
    sid: SID,
    dek: b64urlEncode(randomBytes(32)),
    jti: b64urlEncode(randomBytes(16)),
    iat: NOW,
    exp: NOW + 300,
    pur: 'enrich',
    ...over,
  };
}

/** A genuinely encrypted token with arbitrary claims and header (for claim-rule tests). */
async function encryptRaw(r: Recipient, claims: Record<string, unknown>, header: Record<string, unknown> = {}): Promise<string> {
  const key = await importJWK({ kty: r.jwk.kty, crv: r.jwk.crv, x: r.jwk.x, ...(r.jwk.y ? { y: r.jwk.y } : {}) }, GRANT_ALG);
  const enc = typeof header.enc === 'string' ? header.enc : GRANT_ENC;
  return new CompactEncrypt(utf8(JSON.stringify(claims)))
    .setProtectedHeader({ alg: GRANT_ALG, enc, kid: r.jwk.kid, typ: GRANT_TYP, ...header })
    .encrypt(key);
}

/** Swaps the protected header of a valid token for a forged one (what an attacker can do). */
function forgeHeader(token: string, header: Record<string, unknown>): string {
  const parts = token.split('.');
  parts[0] = b64urlEncode(utf8(JSON.stringify(header)));
  return parts.join('.');
}

function headerOf(token: string): Record<string, unknown> {
  return JSON.parse(fromUtf8(b64urlDecode(token.split('.')[0] ?? ''))) as Record<string, unknown>;
}

describe('grant round trips', () => {
  for (const r of [x25519, p256]) {
    it(`creates and opens an enrich grant on ${r.jwk.crv}`, async () => {
      const dek = randomBytes(32);
      const token = await createGrant({ keySet: r.keySet, userId: USER, secretId: SID, dek, purpose: 'enrich', now: NOW });
      expect(token.split('.')).toHaveLength(5);
      const header = headerOf(token);
      expect(header).toMatchObject({ alg: GRANT_ALG, enc: GRANT_ENC, kid: r.jwk.kid, typ: GRANT_TYP });
      expect(header).not.toHaveProperty('zip');
      const opened = await openGrant(token, opts(r));
      expect(opened.sub).toBe(USER);
      expect(opened.aud).toBe(AUD);
      expect(opened.sid).toBe(SID);
      expect(opened.pur).toBe('enrich');
      expect(opened.iat).toBe(NOW);
      expect(opened.exp).toBe(NOW + 300);
      expect(b64urlDecode(opened.jti)).toHaveLength(16);
      expect(Array.from(opened.dek ?? [])).toEqual(Array.from(dek));
      expect(opened.key).toBeUndefined();
    });

    it(`creates and opens an org upload grant on ${r.jwk.crv}`, async () => {
      const apiKey = 'sk-ant-api03-ABCDEFGHIJKLMNOP_xx7K';
      const token = await createOrgUploadGrant({ keySet: r.keySet, userId: USER, secretId: SID, apiKey, lifetimeSeconds: 60, now: NOW });
      const opened = await openGrant(token, opts(r, { purpose: 'org-secret-upload' }));
      expect(opened.key).toBe(apiKey);
      expect(opened.dek).toBeUndefined();
      expect(opened.pur).toBe('org-secret-upload');
      expect(opened.exp - opened.iat).toBe(60);
      // The plaintext key does not appear in the token.
      expect(token).not.toContain(apiKey);
    });
  }

  it('uses a fresh jti each time', async () => {
    const dek = randomBytes(32);
    const a = await openGrant(await createGrant({ keySet: x25519.keySet, userId: USER, secretId: SID, dek, purpose: 'verify', now: NOW }), opts(x25519, { purpose: 'verify' }));
    const b = await openGrant(await createGrant({ keySet: x25519.keySet, userId: USER, secretId: SID, dek, purpose: 'verify', now: NOW }), opts(x25519, { purpose: 'verify' }));
    expect(a.jti).not.toBe(b.jti);
  });

  it('picks the first X25519 key, else the first P-256 key', () => {
    expect(pickGrantKey({ audience: AUD, keys: [p256.jwk, x25519.jwk] }).kid).toBe('kid-x');
    expect(pickGrantKey({ audience: AUD, keys: [p256.jwk] }).kid).toBe('kid-p');
    expect(() => pickGrantKey({ audience: AUD, keys: [] })).toThrow();
  });

  it('falls back to P-256 when the X25519 key cannot be used', async () => {
    const broken: GrantKeyJwk = { ...x25519.jwk, kid: 'kid-broken', x: 'AAAA' };
    const keySet: GrantKeySet = { audience: AUD, keys: [broken, p256.jwk] };
    const token = await createGrant({ keySet, userId: USER, secretId: SID, dek: randomBytes(32), purpose: 'enrich', now: NOW });
    expect(headerOf(token).kid).toBe('kid-p');
    await expect(openGrant(token, opts(p256))).resolves.toMatchObject({ sid: SID });
    await expect(
      createGrant({ keySet: { audience: AUD, keys: [broken] }, userId: USER, secretId: SID, dek: randomBytes(32), purpose: 'enrich', now: NOW }),
    ).rejects.toMatchObject({ code: 'malformed' });
  });

  it('refuses to create grants with bad inputs', async () => {
    const base = { keySet: x25519.keySet, userId: USER, secretId: SID, purpose: 'enrich' as const, now: NOW };
    await expect(createGrant({ ...base, dek: randomBytes(31) })).rejects.toThrow();
    await expect(createGrant({ ...base, dek: randomBytes(32), lifetimeSeconds: 301 })).rejects.toThrow();
    await expect(createGrant({ ...base, dek: randomBytes(32), userId: USER.toUpperCase() })).rejects.toThrow();
  });
});

describe('grant header checks happen before decryption', () => {
  const cases: Array<[string, (h: Record<string, unknown>) => Record<string, unknown>]> = [
    ['alg dir', (h) => ({ ...h, alg: 'dir' })],
    ['alg PBES2-HS256+A128KW', (h) => ({ ...h, alg: 'PBES2-HS256+A128KW', p2s: 'AAAAAAAAAAAAAAAAAAAAAA', p2c: 1000 })],
    ['alg RSA1_5', (h) => ({ ...h, alg: 'RSA1_5' })],
    ['alg RSA-OAEP', (h) => ({ ...h, alg: 'RSA-OAEP' })],
    ['alg ECDH-ES (direct)', (h) => ({ ...h, alg: 'ECDH-ES' })],
    ['enc A128GCM', (h) => ({ ...h, enc: 'A128GCM' })],
    ['typ missing', ({ typ: _typ, ...h }) => h],
    ['typ JWT', (h) => ({ ...h, typ: 'JWT' })],
    ['zip DEF', (h) => ({ ...h, zip: 'DEF' })],
    ['crit present', (h) => ({ ...h, crit: ['exp'], exp: 1 })],
    ['crit empty', (h) => ({ ...h, crit: [] })],
    ['kid missing', ({ kid: _kid, ...h }) => h],
    ['kid not a string', (h) => ({ ...h, kid: 7 })],
  ];
  for (const [name, mutate] of cases) {
    it(`rejects ${name}`, async () => {
      const token = await createGrant({ keySet: x25519.keySet, userId: USER, secretId: SID, dek: randomBytes(32), purpose: 'enrich', now: NOW });
      const o = opts(x25519);
      await expectCode(openGrant(forgeHeader(token, mutate(headerOf(token))), o), 'grant_invalid');
      expect(o.resolveKey).not.toHaveBeenCalled();
    });
  }

  it('rejects a genuine A128GCM token', async () => {
    const token = await encryptRaw(x25519, validClaims(), { enc: 'A128GCM' });
    const o = opts(x25519);
    await expectCode(openGrant(token, o), 'grant_invalid');
    expect(o.resolveKey).not.toHaveBeenCalled();
  });

  it('rejects an unknown kid', async () => {
    const token = await createGrant({ keySet: x25519.keySet, userId: USER, secretId: SID, dek: randomBytes(32), purpose: 'enrich', now: NOW });
    await expectCode(openGrant(forgeHeader(token, { ...headerOf(token), kid: 'kid-unknown' }), opts(x25519)), 'grant_invalid');
    // A published kid whose key cannot decrypt this token also fails.
    await expectCode(openGrant(token, { ...opts(x25519), resolveKey: () => p256.privateKey }), 'grant_invalid');
  });

  it('rejects a header edited with still-allowed values (authenticated header)', async () => {
    const token = await createGrant({ keySet: x25519.keySet, userId: USER, secretId: SID, dek: randomBytes(32), purpose: 'enrich', now: NOW });
    await expectCode(openGrant(forgeHeader(token, { ...headerOf(token), cty: 'x' }), opts(x25519)), 'grant_invalid');
  });

  it('rejects malformed compact forms', async () => {
    const token = await createGrant({ keySet: x25519.keySet, userId: USER, secretId: SID, dek: randomBytes(32), purpose: 'enrich', now: NOW });
    const parts = token.split('.');
    for (const bad of [
      '',
      'a.b.c',
      parts.slice(0, 4).join('.'),
      `${token}.x`,
      `${token}=`,
      token.replace(/^./, '*'),
      JSON.stringify({ protected: parts[0] }),
      `${parts[0]}.${'A'.repeat(20_000)}.${parts.slice(2).join('.')}`,
    ]) {
      await expectCode(openGrant(bad, opts(x25519)), 'grant_invalid');
    }
  });

  it('rejects a segment spelled with stray bits in its last character (same bytes, other spelling)', async () => {
    const token = await createGrant({ keySet: x25519.keySet, userId: USER, secretId: SID, dek: randomBytes(32), purpose: 'enrich', now: NOW });
    await expect(openGrant(token, opts(x25519))).resolves.toMatchObject({ sid: SID });
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    let tried = 0;
    for (const index of [0, 1, 2, 3, 4]) {
      const parts = token.split('.');
      const part = parts[index] ?? '';
      if (part.length % 4 === 0) continue; // no spare bits to set
      const last = alphabet.indexOf(part.charAt(part.length - 1));
      parts[index] = part.slice(0, -1) + alphabet.charAt(last | 1);
      expect(() => b64urlDecode(parts[index] ?? '')).toThrow(); // our decoder sees the stray bit too
      await expectCode(openGrant(parts.join('.'), opts(x25519)), 'grant_invalid');
      tried++;
    }
    expect(tried).toBeGreaterThan(0);
  });

  it('rejects a flipped bit in ciphertext or tag', async () => {
    const token = await createGrant({ keySet: p256.keySet, userId: USER, secretId: SID, dek: randomBytes(32), purpose: 'enrich', now: NOW });
    for (const index of [1, 2, 3, 4]) {
      const parts = token.split('.');
      const bytes = b64urlDecode(parts[index] ?? '');
      bytes[0] = (bytes[0] ?? 0) ^ 1;
      parts[index] = b64urlEncode(bytes);
      await expectCode(openGrant(parts.join('.'), opts(p256)), 'grant_invalid');
    }
  });
});

describe('grant claim checks', () => {
  it('accepts the hand-built valid claims (control)', async () => {
    await expect(openGrant(await encryptRaw(p256, validClaims()), opts(p256))).resolves.toMatchObject({ sid: SID });
  });

  const invalidCases: Array<[string, Record<string, unknown>, Partial<{ purpose: GrantPurpose; userId: string; audience: string }>?]> = [
    ['wrong aud', { aud: 'byok-companion:other' }],
    ['aud as array', { aud: [AUD] }],
    ['sub not the caller', { sub: OTHER_USER }],
    ['wrong pur', { pur: 'verify' }],
    ['unknown pur', { pur: 'admin' }],
    ['lifetime 301', { exp: NOW + 301 }],
    ['exp before iat', { exp: NOW - 1 }],
    ['iat 31 s in the future', { iat: NOW + 31, exp: NOW + 100 }],
    ['non-integer iat', { iat: NOW + 0.5 }],
    ['string exp', { exp: String(NOW + 300) }],
    ['missing jti', { jti: undefined }],
    ['short jti', { jti: b64urlEncode(randomBytes(8)) }],
    ['uppercase sid', { sid: SID.toUpperCase() }],
    ['dek of 16 bytes', { dek: b64urlEncode(randomBytes(16)) }],
    ['dek of 33 bytes', { dek: b64urlEncode(randomBytes(33)) }],
    ['dek padded', { dek: `${b64urlEncode(randomBytes(32))}=` }],
    ['dek missing', { dek: undefined }],
    ['key instead of dek', { dek: undefined, key: 'sk-x' }],
    ['unknown claim', { nbf: NOW }],
    ['org upload without key', { pur: 'org-secret-upload' }, { purpose: 'org-secret-upload' }],
  ];
  for (const [name, over, optOver] of invalidCases) {
    it(`rejects ${name}`, async () => {
      const token = await encryptRaw(x25519, validClaims(over));
      await expectCode(openGrant(token, opts(x25519, optOver ?? {})), 'grant_invalid');
    });
  }

  it('rejects a grant for another caller, audience or purpose even when well formed', async () => {
    const token = await createGrant({ keySet: x25519.keySet, userId: USER, secretId: SID, dek: randomBytes(32), purpose: 'enrich', now: NOW });
    await expectCode(openGrant(token, opts(x25519, { userId: OTHER_USER })), 'grant_invalid');
    await expectCode(openGrant(token, opts(x25519, { audience: 'byok-companion:other' })), 'grant_invalid');
    await expectCode(openGrant(token, opts(x25519, { purpose: 'verify' })), 'grant_invalid');
    await expectCode(openGrant(token, opts(x25519, { purpose: 'org-secret-upload' })), 'grant_invalid');
  });

  it('accepts iat 30 s in the future, rejects 31', async () => {
    await expect(openGrant(await encryptRaw(x25519, validClaims({ iat: NOW + 30, exp: NOW + 60 })), opts(x25519))).resolves.toBeTruthy();
    await expectCode(openGrant(await encryptRaw(x25519, validClaims({ iat: NOW + 31, exp: NOW + 60 })), opts(x25519)), 'grant_invalid');
  });

  it('applies 30 s tolerance after exp, then grant_expired', async () => {
    const token = await createGrant({ keySet: x25519.keySet, userId: USER, secretId: SID, dek: randomBytes(32), purpose: 'enrich', lifetimeSeconds: 10, now: NOW });
    await expect(openGrant(token, opts(x25519, { now: NOW + 40 }))).resolves.toBeTruthy();
    await expectCode(openGrant(token, opts(x25519, { now: NOW + 41 })), 'grant_expired');
    await expectCode(openGrant(token, opts(x25519, { now: NOW + 100_000 })), 'grant_expired');
  });

  it('uses the wall clock when now is omitted', async () => {
    const token = await createGrant({ keySet: x25519.keySet, userId: USER, secretId: SID, dek: randomBytes(32), purpose: 'enrich' });
    await expect(openGrant(token, { resolveKey: () => x25519.privateKey, audience: AUD, userId: USER, purpose: 'enrich' })).resolves.toBeTruthy();
    const old = await createGrant({ keySet: x25519.keySet, userId: USER, secretId: SID, dek: randomBytes(32), purpose: 'enrich', now: Math.floor(Date.now() / 1000) - 10_000 });
    await expectCode(openGrant(old, { resolveKey: () => x25519.privateKey, audience: AUD, userId: USER, purpose: 'enrich' }), 'grant_expired');
  });

  it('rejects a JSON payload that is not an object', async () => {
    const key = await importJWK({ kty: 'OKP', crv: 'X25519', x: x25519.jwk.x }, GRANT_ALG);
    const token = await new CompactEncrypt(utf8('[1,2]'))
      .setProtectedHeader({ alg: GRANT_ALG, enc: GRANT_ENC, kid: 'kid-x', typ: GRANT_TYP })
      .encrypt(key);
    await expectCode(openGrant(token, opts(x25519)), 'grant_invalid');
  });
});
