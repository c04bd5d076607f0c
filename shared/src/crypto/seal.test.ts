// Sealing: round trips, tamper detection (one error for everything) and AAD binding.
import { describe, expect, it } from 'vitest';
import { b64urlDecode, b64urlEncode, randomBytes } from './bytes';
import { orgSecretAad, secretAad } from './aad';
import { CryptoError } from './errors';
import { importKek } from './kdf';
import { isSealedBlob, openSealed, openWithKek, rewrapDek, sealApiKey, unwrapDek, type SealedBlob } from './seal';

const USER = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
const OTHER = '3f2504e0-4f89-41d3-9a0c-0305e82c3302';
const SID = '9b2c7f1e-8a3d-4e5f-b6a7-c8d9e0f1a2b3';
const API_KEY = 'sk-proj-Zq8vT0yLkP3mN9xW2rB7cA5dE1fG4hJ6_xx7K';
const parts = { userId: USER, secretId: SID, provider: 'openai', baseUrl: '' };

async function expectDecryptFailed(p: Promise<unknown>): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CryptoError);
  expect((err as CryptoError).code).toBe('decrypt_failed');
  expect((err as CryptoError).message).toBe('Decryption failed.');
}

function flipBit(b64: string, byte: number, bit: number): string {
  const bytes = b64urlDecode(b64);
  bytes[byte] = (bytes[byte] ?? 0) ^ (1 << bit);
  return b64urlEncode(bytes);
}

const kek = await importKek(randomBytes(32));
const aad = secretAad(parts);
const sealed = await sealApiKey({ apiKey: API_KEY, kek, aad });

describe('seal round trips', () => {
  it('produces a valid blob that opens with the KEK and with the unwrapped data key', async () => {
    expect(isSealedBlob(sealed)).toBe(true);
    expect(b64urlDecode(sealed.ct)).toHaveLength(API_KEY.length + 16);
    expect(await openWithKek({ kek, sealed, aad })).toBe(API_KEY);
    const dek = await unwrapDek(kek, sealed.wrappedDek);
    expect(dek).toHaveLength(32);
    expect(await openSealed({ dek, sealed, aad })).toBe(API_KEY);
  });

  it('uses a fresh data key and IV each time', async () => {
    const again = await sealApiKey({ apiKey: API_KEY, kek, aad });
    expect(again.iv).not.toBe(sealed.iv);
    expect(again.wrappedDek).not.toBe(sealed.wrappedDek);
    expect(again.ct).not.toBe(sealed.ct);
  });

  it('round trips non-ASCII keys and org AADs', async () => {
    const orgAad = orgSecretAad({ orgId: OTHER, secretId: SID, provider: 'custom', baseUrl: 'https://llm.example.com/v1' });
    const blob = await sealApiKey({ apiKey: 'clé-ü-🔑-0123456789', kek, aad: orgAad });
    expect(await openWithKek({ kek, sealed: blob, aad: orgAad })).toBe('clé-ü-🔑-0123456789');
    await expectDecryptFailed(openWithKek({ kek, sealed: blob, aad: secretAad({ userId: OTHER, secretId: SID, provider: 'custom', baseUrl: 'https://llm.example.com/v1' }) }));
  });

  it('rewraps a data key under a new KEK without changing the ciphertext', async () => {
    const newKek = await importKek(randomBytes(32));
    const wrappedDek = await rewrapDek(kek, newKek, sealed.wrappedDek);
    expect(wrappedDek).not.toBe(sealed.wrappedDek);
    const moved: SealedBlob = { ...sealed, wrappedDek };
    expect(await openWithKek({ kek: newKek, sealed: moved, aad })).toBe(API_KEY);
    await expectDecryptFailed(openWithKek({ kek, sealed: moved, aad }));
    await expectDecryptFailed(rewrapDek(newKek, kek, sealed.wrappedDek));
  });

  it('refuses an empty key and bad fixed inputs', async () => {
    await expect(sealApiKey({ apiKey: '', kek, aad })).rejects.toMatchObject({ code: 'malformed' });
    await expect(sealApiKey({ apiKey: 'x', kek, aad }, { dek: randomBytes(31), iv: randomBytes(12) })).rejects.toMatchObject({ code: 'malformed' });
    await expect(sealApiKey({ apiKey: 'x', kek, aad }, { dek: randomBytes(32), iv: randomBytes(16) })).rejects.toMatchObject({ code: 'malformed' });
  });

  it('keeps the KEK non-extractable by default', async () => {
    expect(kek.extractable).toBe(false);
    expect(kek.usages.sort()).toEqual(['unwrapKey', 'wrapKey']);
    await expect(importKek(randomBytes(16))).rejects.toMatchObject({ code: 'malformed' });
  });
});

describe('tampering fails with the one decrypt_failed error', () => {
  const fields = [
    ['iv', 12],
    ['ct', API_KEY.length + 16],
    ['wrappedDek', 40],
  ] as const;
  for (const [field, length] of fields) {
    it(`detects a flipped bit anywhere in ${field}`, async () => {
      const dek = await unwrapDek(kek, sealed.wrappedDek);
      // Every byte, one bit each (rotating the bit), through both open paths.
      for (let byte = 0; byte < length; byte++) {
        const bad: SealedBlob = { ...sealed, [field]: flipBit(sealed[field], byte, byte % 8) };
        expect(isSealedBlob(bad)).toBe(true);
        await expectDecryptFailed(openWithKek({ kek, sealed: bad, aad }));
        if (field !== 'wrappedDek') await expectDecryptFailed(openSealed({ dek, sealed: bad, aad }));
        else await expectDecryptFailed(unwrapDek(kek, bad.wrappedDek));
      }
    });
  }

  it('fails with a wrong data key or KEK', async () => {
    await expectDecryptFailed(openSealed({ dek: randomBytes(32), sealed, aad }));
    await expectDecryptFailed(openSealed({ dek: randomBytes(16), sealed, aad }));
    await expectDecryptFailed(openWithKek({ kek: await importKek(randomBytes(32)), sealed, aad }));
  });

  it('fails on malformed blobs with the same error', async () => {
    await expectDecryptFailed(openWithKek({ kek, sealed: { ...sealed, v: 2 } as unknown as SealedBlob, aad }));
    await expectDecryptFailed(openWithKek({ kek, sealed: { ...sealed, iv: `${sealed.iv}=` }, aad }));
    await expectDecryptFailed(unwrapDek(kek, sealed.wrappedDek.slice(0, 32)));
    await expectDecryptFailed(unwrapDek(kek, 'not base64!'));
  });

  const rebinding: Array<[string, Partial<typeof parts>]> = [
    ['userId', { userId: OTHER }],
    ['secretId', { secretId: '9b2c7f1e-8a3d-4e5f-b6a7-c8d9e0f1a2b4' }],
    ['provider', { provider: 'anthropic' }],
    ['baseUrl', { baseUrl: 'https://attacker.example' }],
  ];
  for (const [name, over] of rebinding) {
    it(`fails when opened with another ${name} in the AAD`, async () => {
      const otherAad = secretAad({ ...parts, ...over });
      await expectDecryptFailed(openWithKek({ kek, sealed, aad: otherAad }));
      await expectDecryptFailed(openSealed({ dek: await unwrapDek(kek, sealed.wrappedDek), sealed, aad: otherAad }));
    });
  }

  it('fails when a personal blob is opened as an org blob of the same ids', async () => {
    const asOrg = orgSecretAad({ orgId: USER, secretId: SID, provider: 'openai', baseUrl: '' });
    await expectDecryptFailed(openWithKek({ kek, sealed, aad: asOrg }));
  });
});

describe('isSealedBlob', () => {
  const iv = b64urlEncode(randomBytes(12));
  const ct17 = b64urlEncode(randomBytes(17));
  const wd = b64urlEncode(randomBytes(40));
  const ok = { v: 1, iv, ct: ct17, wrappedDek: wd };

  it('accepts the minimal valid shape', () => {
    expect(isSealedBlob(ok)).toBe(true);
  });

  const bad: Array<[string, unknown]> = [
    ['null', null],
    ['array', [1]],
    ['string', JSON.stringify(ok)],
    ['v as string', { ...ok, v: '1' }],
    ['v 2', { ...ok, v: 2 }],
    ['v missing', { iv, ct: ct17, wrappedDek: wd }],
    ['extra field', { ...ok, tag: 'x' }],
    ['iv 11 bytes', { ...ok, iv: b64urlEncode(randomBytes(11)) }],
    ['iv 13 bytes', { ...ok, iv: b64urlEncode(randomBytes(13)) }],
    ['iv padded', { ...ok, iv: `${b64urlEncode(randomBytes(11))}=` }],
    ['ct 16 bytes', { ...ok, ct: b64urlEncode(randomBytes(16)) }],
    ['ct padded', { ...ok, ct: `${ct17}==` }],
    ['ct standard base64', { ...ok, ct: `${ct17.slice(0, -2)}+/` }],
    ['wrappedDek 32 bytes', { ...ok, wrappedDek: b64urlEncode(randomBytes(32)) }],
    ['wrappedDek 41 bytes', { ...ok, wrappedDek: b64urlEncode(randomBytes(41)) }],
    ['wrappedDek non-canonical last char', { ...ok, wrappedDek: `${wd.slice(0, -1)}${wd.endsWith('B') ? 'C' : 'B'}` }],
    ['number fields', { ...ok, iv: 12 }],
  ];
  for (const [name, value] of bad) {
    it(`rejects ${name}`, () => {
      expect(isSealedBlob(value)).toBe(false);
    });
  }
});
