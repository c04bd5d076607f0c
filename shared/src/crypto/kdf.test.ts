// KDF: downgrade protection, NFKC, key separation and the pre-login decoy salt.
import { describe, expect, it } from 'vitest';
import { b64urlDecode, b64urlEncode, randomBytes } from './bytes';
import { secretAad } from './aad';
import { CryptoError } from './errors';
import { checkKdfParams, deriveAccountKeyBytes, deriveAccountKeys, importKek, KDF_NAME, newKdfParams, normalizeEmail, preloginSalt, type KdfParams } from './kdf';
import { openWithKek, sealApiKey } from './seal';

const salt = b64urlEncode(randomBytes(16));
const good: KdfParams = { name: KDF_NAME, iterations: 600_000, salt };

function rejected(value: unknown): void {
  let err: unknown;
  try {
    checkKdfParams(value);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(CryptoError);
  expect((err as CryptoError).code).toBe('kdf_rejected');
}

describe('checkKdfParams', () => {
  it('accepts the bounds and returns only the known fields', () => {
    expect(checkKdfParams(good)).toEqual(good);
    expect(checkKdfParams({ ...good, iterations: 5_000_000 }).iterations).toBe(5_000_000);
    expect(checkKdfParams({ ...good, extra: 1 })).toEqual(good);
  });

  it('refuses downgrades and malformed parameters', () => {
    rejected({ ...good, iterations: 599_999 });
    rejected({ ...good, iterations: 5_000_001 });
    rejected({ ...good, iterations: 600_000.5 });
    rejected({ ...good, iterations: '600000' });
    rejected({ ...good, iterations: Number.NaN });
    rejected({ ...good, iterations: Number.POSITIVE_INFINITY });
    rejected({ ...good, name: 'PBKDF2-SHA1' });
    rejected({ ...good, name: 'pbkdf2-sha256' });
    rejected({ ...good, name: 'argon2id' });
    rejected({ iterations: 600_000, salt });
    rejected({ ...good, salt: b64urlEncode(randomBytes(15)) });
    rejected({ ...good, salt: b64urlEncode(randomBytes(17)) });
    rejected({ ...good, salt: `${salt}==` });
    rejected({ ...good, salt: 16 });
    rejected(null);
    rejected([good]);
    rejected('PBKDF2-SHA256');
  });

  it('newKdfParams makes fresh valid parameters and enforces bounds', () => {
    const a = newKdfParams();
    const b = newKdfParams(1_000_000);
    expect(checkKdfParams(a)).toEqual(a);
    expect(a.iterations).toBe(600_000);
    expect(b.iterations).toBe(1_000_000);
    expect(b64urlDecode(a.salt)).toHaveLength(16);
    expect(a.salt).not.toBe(b.salt);
    expect(() => newKdfParams(100_000)).toThrow(CryptoError);
  });
});

describe('deriveAccountKeys', () => {
  it('NFKC-normalizes, matches the raw bytes, and yields a usable non-extractable KEK', async () => {
    // 'ﬁ' (U+FB01) and fullwidth letters normalize to ASCII under NFKC.
    const keys = await deriveAccountKeys('ﬁne ｐａｓｓ phrase', good);
    const bytes = await deriveAccountKeyBytes('fine pass phrase', good);
    expect(keys.authProof).toBe(b64urlEncode(bytes.authKey));
    expect(bytes.master).toHaveLength(32);
    // Key separation: auth and kek differ from each other and from master.
    expect(b64urlEncode(bytes.authKey)).not.toBe(b64urlEncode(bytes.kek));
    expect(b64urlEncode(bytes.master)).not.toBe(b64urlEncode(bytes.kek));
    expect(keys.kek.extractable).toBe(false);
    expect(keys.kek.algorithm.name).toBe('AES-KW');
    expect([...keys.kek.usages].sort()).toEqual(['unwrapKey', 'wrapKey']);
    // The derived KEK wraps what a KEK imported from the raw bytes unwraps.
    const aad = secretAad({ userId: '3f2504e0-4f89-41d3-9a0c-0305e82c3301', secretId: '9b2c7f1e-8a3d-4e5f-b6a7-c8d9e0f1a2b3', provider: 'groq', baseUrl: '' });
    const sealed = await sealApiKey({ apiKey: 'gsk_abcdefghijklmnop', kek: keys.kek, aad });
    expect(await openWithKek({ kek: await importKek(bytes.kek), sealed, aad })).toBe('gsk_abcdefghijklmnop');
  });

  it('refuses weak parameters before deriving anything', async () => {
    await expect(deriveAccountKeys('pw', { ...good, iterations: 1000 })).rejects.toMatchObject({ code: 'kdf_rejected' });
    await expect(deriveAccountKeyBytes('pw', { ...good, salt: 'AAAA' })).rejects.toMatchObject({ code: 'kdf_rejected' });
  });
});

describe('emails and pre-login salt', () => {
  it('normalizes emails by trimming and lowercasing', () => {
    expect(normalizeEmail('  Alice@Example.COM \n')).toBe('alice@example.com');
  });

  it('gives a stable 16-byte salt per normalized email and server secret', async () => {
    const secret = randomBytes(32);
    const a = await preloginSalt(secret, 'Bob@Example.com');
    expect(b64urlDecode(a)).toHaveLength(16);
    expect(await preloginSalt(secret, ' bob@example.com ')).toBe(a);
    expect(await preloginSalt(secret, 'bob2@example.com')).not.toBe(a);
    expect(await preloginSalt(randomBytes(32), 'bob@example.com')).not.toBe(a);
    expect(checkKdfParams({ name: KDF_NAME, iterations: 600_000, salt: a }).salt).toBe(a);
  });
});
