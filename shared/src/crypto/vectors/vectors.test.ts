/// <reference types="node" />
// Test vectors: recomputed through the public API (checkVectors, as the extension will in
// Chromium) AND independently with node:crypto, so the JSON does not merely echo our code.
import { createCipheriv, createHmac, hkdfSync, pbkdf2Sync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkGrantVectors, checkVectors, type VectorFile } from './check-vectors';
import v1 from './v1.json';

const vectors: VectorFile = v1;
const b = (s: string): Buffer => Buffer.from(s, 'base64url');
const enc = (buf: Uint8Array): string => Buffer.from(buf).toString('base64url');

// RFC 3394 default IV for AES key wrap.
const KW_IV = Buffer.from('A6A6A6A6A6A6A6A6', 'hex');

function gcm(key: Buffer, iv: Buffer, aad: string, plaintext: string): string {
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  return enc(Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]));
}

function keyWrap(kek: Buffer, dek: Buffer): string {
  const cipher = createCipheriv('id-aes256-wrap', kek, KW_IV);
  return enc(Buffer.concat([cipher.update(dek), cipher.final()]));
}

describe('crypto vectors v1', () => {
  it('has the expected coverage', () => {
    expect(vectors.kdf.length).toBeGreaterThanOrEqual(2);
    // At least one passphrase that NFKC changes.
    expect(vectors.kdf.some((k) => k.passphrase.normalize('NFKC') !== k.passphrase)).toBe(true);
    expect(vectors.kdf.every((k) => k.kdf.iterations === 600_000 && k.kdf.name === 'PBKDF2-SHA256')).toBe(true);
    expect(vectors.sealed.length).toBeGreaterThanOrEqual(1);
    expect(vectors.orgSealed.length).toBeGreaterThanOrEqual(1);
    expect(vectors.hints.length).toBeGreaterThanOrEqual(2);
    expect(vectors.prelogin.length).toBeGreaterThanOrEqual(1);
    // Both curves, each purpose, and a header with apu/apv.
    expect(new Set(vectors.grants.map((g) => g.privateJwk.crv))).toEqual(new Set(['X25519', 'P-256']));
    expect(new Set(vectors.grants.map((g) => g.purpose))).toEqual(new Set(['enrich', 'verify', 'org-secret-upload']));
    expect(vectors.grants.some((g) => g.token.length > 0 && 'apu' in JSON.parse(b(g.token.split('.')[0] ?? '').toString('utf8')))).toBe(true);
  });

  it('opens the grant vectors with openGrant, and only at their own clock, key and caller', async () => {
    expect((await checkGrantVectors()).checked).toBe(vectors.grants.length);
    const late: VectorFile = { ...vectors, grants: vectors.grants.map((g) => ({ ...g, now: g.now + 3600 })) };
    await expect(checkGrantVectors(late)).rejects.toMatchObject({ code: 'grant_expired' });
    const otherUser: VectorFile = { ...vectors, grants: vectors.grants.map((g) => ({ ...g, userId: '00000000-0000-4000-8000-000000000000' })) };
    await expect(checkGrantVectors(otherUser)).rejects.toMatchObject({ code: 'grant_invalid' });
  });

  it('recomputes through the public API', async () => {
    const { checked } = await checkVectors();
    expect(checked).toBe(vectors.kdf.length + vectors.sealed.length + vectors.orgSealed.length + vectors.hints.length + vectors.prelogin.length);
  });

  it('fails on a tampered vector (the checker can fail)', async () => {
    const tampered: VectorFile = structuredClone(vectors);
    const first = tampered.sealed[0];
    if (!first) throw new Error('no sealed vector');
    first.sealed.ct = enc(Buffer.from(b(first.sealed.ct).map((x, i) => (i === 0 ? x ^ 1 : x))));
    await expect(checkVectors({ ...tampered, kdf: [] })).rejects.toThrow(/sealed\[0\]\.sealed\.ct/);
  });

  it('matches node:crypto for the KDF (PBKDF2 + HKDF)', () => {
    for (const k of vectors.kdf) {
      const master = pbkdf2Sync(Buffer.from(k.passphrase.normalize('NFKC'), 'utf8'), b(k.kdf.salt), k.kdf.iterations, 32, 'sha256');
      expect(enc(master)).toBe(k.master);
      const authKey = new Uint8Array(hkdfSync('sha256', master, Buffer.alloc(0), 'byok/v1/auth', 32));
      const kek = new Uint8Array(hkdfSync('sha256', master, Buffer.alloc(0), 'byok/v1/kek', 32));
      expect(enc(authKey)).toBe(k.authKey);
      expect(k.authProof).toBe(k.authKey);
      expect(enc(kek)).toBe(k.kek);
    }
  });

  it('matches node:crypto for personal seals (AAD, AES-256-GCM, AES-KW)', () => {
    for (const s of vectors.sealed) {
      const aad = ['byok/v1/secret', s.userId, s.secretId, s.provider, s.baseUrl].join('|');
      expect(s.aad).toBe(aad);
      expect(s.sealed.iv).toBe(s.iv);
      expect(s.sealed.ct).toBe(gcm(b(s.dek), b(s.iv), aad, s.apiKey));
      expect(s.sealed.wrappedDek).toBe(keyWrap(b(s.kek), b(s.dek)));
    }
  });

  it('matches node:crypto for org seals', () => {
    for (const s of vectors.orgSealed) {
      const aad = ['byok/v1/org-secret', s.orgId, s.secretId, s.provider, s.baseUrl].join('|');
      expect(s.aad).toBe(aad);
      expect(s.sealed.ct).toBe(gcm(b(s.dek), b(s.iv), aad, s.apiKey));
      expect(s.sealed.wrappedDek).toBe(keyWrap(b(s.masterKek), b(s.dek)));
    }
  });

  it('matches node:crypto for the pre-login salt', () => {
    for (const p of vectors.prelogin) {
      const mac = createHmac('sha256', b(p.serverSecret)).update(p.email.trim().toLowerCase(), 'utf8').digest();
      expect(p.salt).toBe(enc(mac.subarray(0, 16)));
    }
  });

  it('has hints that follow the written rules', () => {
    for (const h of vectors.hints) {
      const longest = [...h.prefixes].sort((x, y) => y.length - x.length).find((p) => h.apiKey.startsWith(p)) ?? '';
      expect(h.hint.prefix).toBe(longest);
      expect(h.hint.last4).toBe(h.apiKey.length < 16 ? '' : h.apiKey.slice(-4));
      expect(h.display).toBe(`${h.hint.prefix}•••${h.hint.last4}`);
    }
  });
});
