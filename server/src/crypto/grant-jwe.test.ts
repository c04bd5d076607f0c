// The server's node:crypto grant and sealed-key openers against the portable ones of @byok/shared
// (jose and WebCrypto): the same fixed vectors, then the same answer on every generated grant and
// every mutation of one (differential fuzzing), then the hostile ephemeral keys that only a
// hand-rolled ECDH-ES could get wrong.
import { randomBytes, randomUUID } from 'node:crypto';
import {
  AppError,
  createGrant,
  createOrgUploadGrant,
  importKek,
  openGrant,
  openGrantWith,
  openSealed,
  sealApiKey,
  secretAad,
  type GrantKeySet,
  type GrantPurpose,
  type OpenGrantOptions,
  type SealedBlob,
} from '@byok/shared';
import { checkGrantVectors } from '@byok/shared/crypto/vectors/check-vectors';
import fc from 'fast-check';
import { CompactEncrypt, exportJWK, generateKeyPair } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { compactTokenMutation } from '../testing/token-mutations';
import { nodeGrantDecryptor } from './grant-jwe';
import { openSealedSync } from './sealed';

const AUDIENCE = 'byok-companion:differential';
const USER = randomUUID();
const NOW = 1_790_000_000;

interface Curve {
  readonly name: 'X25519' | 'P-256';
  readonly kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  keySet: GrantKeySet;
}

const curves: Curve[] = [];

beforeAll(async () => {
  for (const name of ['X25519', 'P-256'] as const) {
    const pair = await generateKeyPair('ECDH-ES+A256KW', { crv: name, extractable: true });
    const jwk = await exportJWK(pair.publicKey);
    const kid = `diff-${name}`;
    const key = name === 'X25519'
      ? { kty: 'OKP' as const, crv: name, x: jwk.x ?? '', kid, use: 'enc' as const, alg: 'ECDH-ES+A256KW' as const }
      : { kty: 'EC' as const, crv: name, x: jwk.x ?? '', y: jwk.y ?? '', kid, use: 'enc' as const, alg: 'ECDH-ES+A256KW' as const };
    curves.push({ name, kid, privateKey: pair.privateKey, publicKey: pair.publicKey, keySet: { audience: AUDIENCE, keys: [key] } });
  }
});

const nodeOpen = (token: string, options: OpenGrantOptions<CryptoKey>) => openGrantWith(token, options, nodeGrantDecryptor);

function optionsFor(purpose: GrantPurpose, now = NOW): OpenGrantOptions<CryptoKey> {
  return {
    resolveKey: (kid) => curves.find((curve) => curve.kid === kid)?.privateKey,
    audience: AUDIENCE,
    userId: USER,
    purpose,
    now,
  };
}

/** 'opened:<claims>' or the AppError code; anything else thrown fails the test. */
async function outcome(open: typeof openGrant, token: string, options: OpenGrantOptions<CryptoKey>): Promise<string> {
  try {
    const grant = await open(token, options);
    return `opened:${JSON.stringify({ ...grant, dek: grant.dek === undefined ? undefined : Buffer.from(grant.dek).toString('base64url') })}`;
  } catch (error) {
    if (error instanceof AppError) return error.code;
    throw error;
  }
}

async function bothAgree(token: string, options: OpenGrantOptions<CryptoKey>): Promise<string> {
  const [viaJose, viaNode] = await Promise.all([outcome(openGrant, token, options), outcome(nodeOpen, token, options)]);
  expect(viaNode).toBe(viaJose);
  return viaNode;
}

const part = (token: string, index: number): string => token.split('.')[index] ?? '';
const headerOf = (token: string): Record<string, unknown> => JSON.parse(Buffer.from(part(token, 0), 'base64url').toString('utf8')) as Record<string, unknown>;
/** The token with another protected header (which also breaks the GCM AAD unless nothing changed). */
const withHeader = (token: string, header: Record<string, unknown>): string =>
  [Buffer.from(JSON.stringify(header)).toString('base64url'), ...token.split('.').slice(1)].join('.');

describe('the node:crypto grant opener', () => {
  it('opens the shared grant vectors (jose-made, both curves, apu/apv, every purpose) like openGrant', async () => {
    const viaNode = await checkGrantVectors(undefined, nodeOpen);
    const viaJose = await checkGrantVectors(undefined, openGrant);
    expect(viaNode.checked).toBe(viaJose.checked);
    expect(viaNode.checked).toBeGreaterThanOrEqual(4);
  });

  it('agrees with jose on generated grants of every purpose, curve, lifetime and clock', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(0, 1),
        fc.constantFrom<GrantPurpose>('enrich', 'verify', 'org-secret-upload'),
        fc.constantFrom<GrantPurpose>('enrich', 'verify', 'org-secret-upload'),
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: -100, max: 700 }),
        fc.string({ minLength: 1, maxLength: 80 }),
        async (curveIndex, madeFor, openedFor, lifetime, skew, apiKey) => {
          const curve = curves[curveIndex] as Curve;
          const common = { keySet: curve.keySet, userId: USER, secretId: randomUUID(), lifetimeSeconds: lifetime, now: NOW };
          const token = madeFor === 'org-secret-upload'
            ? await createOrgUploadGrant({ ...common, apiKey })
            : await createGrant({ ...common, dek: new Uint8Array(randomBytes(32)), purpose: madeFor });
          const result = await bothAgree(token, optionsFor(openedFor, NOW + skew));
          // The oracle: the right purpose, at most 30 s before iat and 30 s after exp, opens.
          if (madeFor !== openedFor) expect(result).toBe('grant_invalid');
          else expect(result.startsWith('opened:')).toBe(skew >= -30 && skew <= lifetime + 30);
        },
      ),
      { numRuns: 120 },
    );
  });

  it('agrees with jose on every character flip, truncation, extension and segment shuffle', async () => {
    const mutation = compactTokenMutation();
    const tokens = await Promise.all(
      curves.map((curve) => createGrant({ keySet: curve.keySet, userId: USER, secretId: randomUUID(), dek: new Uint8Array(randomBytes(32)), purpose: 'enrich', now: NOW })),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...tokens), mutation, async (token, mutate) => {
        const mutated = mutate(token);
        const result = await bothAgree(mutated, optionsFor('enrich'));
        if (mutated !== token) expect(result).toBe('grant_invalid');
      }),
      { numRuns: 400 },
    );
  });

  it('agrees with jose on correctly encrypted grants whose headers carry odd epk, apu and apv values', async () => {
    const x25519 = curves[0] as Curve;
    const p256 = curves[1] as Curve;
    const base = await createGrant({ keySet: x25519.keySet, userId: USER, secretId: randomUUID(), dek: new Uint8Array(randomBytes(32)), purpose: 'enrich', now: NOW });
    const p256Base = await createGrant({ keySet: p256.keySet, userId: USER, secretId: randomUUID(), dek: new Uint8Array(randomBytes(32)), purpose: 'enrich', now: NOW });
    const epk = headerOf(base).epk as Record<string, string>;
    const p256Epk = headerOf(p256Base).epk as Record<string, string>;
    const variants: Array<[string, string]> = [
      ['no epk', withHeader(base, { ...headerOf(base), epk: undefined })],
      ['epk a string', withHeader(base, { ...headerOf(base), epk: 'x' })],
      ['epk an array', withHeader(base, { ...headerOf(base), epk: [epk] })],
      ['epk of the other curve', withHeader(base, { ...headerOf(base), epk: p256Epk })],
      ['X25519 epk named P-256', withHeader(base, { ...headerOf(base), epk: { ...epk, crv: 'P-256' } })],
      ['epk with a short x', withHeader(base, { ...headerOf(base), epk: { ...epk, x: (epk.x ?? '').slice(0, 20) } })],
      ['epk x not base64url', withHeader(base, { ...headerOf(base), epk: { ...epk, x: '*'.repeat(43) } })],
      ['P-256 epk without y', withHeader(p256Base, { ...headerOf(p256Base), epk: { ...p256Epk, y: undefined } })],
      ['P-256 epk off the curve', withHeader(p256Base, { ...headerOf(p256Base), epk: { ...p256Epk, y: Buffer.alloc(32, 7).toString('base64url') } })],
      ['X25519 small-order epk (all zero)', withHeader(base, { ...headerOf(base), epk: { ...epk, x: Buffer.alloc(32).toString('base64url') } })],
      ['apu a number', withHeader(base, { ...headerOf(base), apu: 5 })],
      ['apv not base64url', withHeader(base, { ...headerOf(base), apv: '***' })],
      ['apu equal to apv', withHeader(base, { ...headerOf(base), apu: 'AQID', apv: 'AQID' })],
      ['epk carrying a private part', withHeader(base, { ...headerOf(base), epk: { ...epk, d: epk.x } })],
    ];
    // Editing the header also breaks the GCM AAD, so none of these can open; what they show is that
    // each odd value is refused with the same code by both, before or at decryption, never a crash.
    for (const [name, token] of variants) {
      expect(await bothAgree(token, optionsFor('enrich')), name).toBe('grant_invalid');
    }
  });

  it('agrees with jose on grants that really were encrypted with apu and apv of any bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(0, 1), fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 64 }), async (curveIndex, apu, apv) => {
        fc.pre(!Buffer.from(apu).equals(Buffer.from(apv))); // jose will not even make such a grant
        const curve = curves[curveIndex] as Curve;
        const claims = { sub: USER, aud: AUDIENCE, sid: randomUUID(), dek: randomBytes(32).toString('base64url'), jti: randomBytes(16).toString('base64url'), iat: NOW, exp: NOW + 60, pur: 'enrich' };
        const token = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify(claims)))
          .setProtectedHeader({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', typ: 'byok-grant+jwt', kid: curve.kid })
          .setKeyManagementParameters({ apu, apv })
          .encrypt(curve.publicKey);
        expect(await bothAgree(token, optionsFor('enrich'))).toMatch(/^opened:/);
      }),
      { numRuns: 40 },
    );
  });
});

describe('the node:crypto sealed-key opener', () => {
  let kek: CryptoKey;
  beforeAll(async () => {
    kek = await importKek(new Uint8Array(randomBytes(32)));
  });

  async function bothOpen(input: { dek: Uint8Array; sealed: SealedBlob; aad: Uint8Array }): Promise<string> {
    const viaWebCrypto = await openSealed(input).then((key) => `key:${key}`, (error: { code?: string }) => String(error.code));
    let viaNode: string;
    try {
      viaNode = `key:${openSealedSync(input)}`;
    } catch (error) {
      viaNode = String((error as { code?: string }).code);
    }
    expect(viaNode).toBe(viaWebCrypto);
    return viaNode;
  }

  it('opens what sealApiKey sealed, and refuses a wrong data key, AAD or a flipped byte, like openSealed', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 200 }), fc.nat(), fc.constantFrom('none', 'dek', 'aad', 'ct', 'iv'), async (apiKey, at, damage) => {
        const dek = new Uint8Array(randomBytes(32));
        const aad = secretAad({ userId: USER, secretId: randomUUID(), provider: 'openai', baseUrl: '' });
        const sealed = await sealApiKey({ apiKey, kek, aad }, { dek, iv: new Uint8Array(randomBytes(12)) });
        const flip = (text: string): string => {
          const bytes = Buffer.from(text, 'base64url');
          bytes[at % bytes.length] = (bytes[at % bytes.length] ?? 0) ^ 0x40;
          return bytes.toString('base64url');
        };
        const input = {
          dek: damage === 'dek' ? new Uint8Array(randomBytes(32)) : dek,
          aad: damage === 'aad' ? secretAad({ userId: USER, secretId: randomUUID(), provider: 'openai', baseUrl: '' }) : aad,
          sealed: { ...sealed, ...(damage === 'ct' ? { ct: flip(sealed.ct) } : {}), ...(damage === 'iv' ? { iv: flip(sealed.iv) } : {}) },
        };
        expect(await bothOpen(input)).toBe(damage === 'none' ? `key:${apiKey}` : 'decrypt_failed');
      }),
      { numRuns: 150 },
    );
  });

  it('refuses short data keys, IVs and ciphertexts without a tag', async () => {
    const dek = new Uint8Array(randomBytes(32));
    const aad = secretAad({ userId: USER, secretId: randomUUID(), provider: 'openai', baseUrl: '' });
    const sealed = await sealApiKey({ apiKey: 'sk-test', kek, aad }, { dek, iv: new Uint8Array(randomBytes(12)) });
    expect(await bothOpen({ dek: dek.subarray(0, 16), sealed, aad })).toBe('decrypt_failed');
    expect(await bothOpen({ dek, sealed: { ...sealed, iv: sealed.iv.slice(0, 8) }, aad })).toBe('decrypt_failed');
    expect(await bothOpen({ dek, sealed: { ...sealed, ct: Buffer.from(sealed.ct, 'base64url').subarray(-16).toString('base64url') }, aad })).toBe('decrypt_failed');
  });
});
