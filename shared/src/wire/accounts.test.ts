import { describe, expect, it } from 'vitest';
import { b64urlEncode, randomBytes } from '../crypto/bytes';
import { defaultPolicy } from '../plans/policy';
import {
  LoginRequest,
  LoginResponse,
  MeResponse,
  PassphraseChangeRequest,
  PreloginRequest,
  RefreshRequest,
  RegisterRequest,
} from './accounts';
import { Uuid } from './common';

const b64 = (n: number): string => b64urlEncode(randomBytes(n));
const kdf = () => ({ name: 'PBKDF2-SHA256', iterations: 600_000, salt: b64(16) });
const register = () => ({ email: 'alice@example.com', authProof: b64(32), kdf: kdf() });
const ID = '0f8fad5b-d9cb-469f-a165-70867728950e';

describe('identifiers', () => {
  it('accepts only lowercase canonical UUIDs', () => {
    expect(Uuid.safeParse(ID).success).toBe(true);
    expect(Uuid.safeParse(ID.toUpperCase()).success).toBe(false);
    expect(Uuid.safeParse(`{${ID}}`).success).toBe(false);
    expect(Uuid.safeParse(ID.replace(/-/g, '')).success).toBe(false);
    expect(Uuid.safeParse(`${ID} `).success).toBe(false);
  });
});

describe('RegisterRequest', () => {
  it('accepts a well-formed registration and trims the email', () => {
    const parsed = RegisterRequest.parse({ ...register(), email: '  alice@example.com ', inviteCode: 'abc' });
    expect(parsed.email).toBe('alice@example.com');
  });

  it('rejects unknown fields (strict)', () => {
    expect(RegisterRequest.safeParse({ ...register(), passphrase: 'x' }).success).toBe(false);
    expect(RegisterRequest.safeParse({ ...register(), kdf: { ...kdf(), extra: 1 } }).success).toBe(false);
  });

  it.each([
    ['iterations below 600000', { iterations: 599_999 }],
    ['iterations above 5000000', { iterations: 5_000_001 }],
    ['fractional iterations', { iterations: 600_000.5 }],
    ['another KDF name', { name: 'argon2id' }],
    ['a 15-byte salt', { salt: b64(15) }],
    ['a 17-byte salt', { salt: b64(17) }],
    ['a padded salt', { salt: `${b64(16)}==` }],
  ])('rejects %s', (_name, change) => {
    expect(RegisterRequest.safeParse({ ...register(), kdf: { ...kdf(), ...change } }).success).toBe(false);
  });

  it('accepts the iteration bounds', () => {
    expect(RegisterRequest.safeParse({ ...register(), kdf: { ...kdf(), iterations: 5_000_000 } }).success).toBe(true);
  });

  it('wants an authProof of exactly 32 bytes of canonical base64url', () => {
    expect(RegisterRequest.safeParse({ ...register(), authProof: b64(31) }).success).toBe(false);
    expect(RegisterRequest.safeParse({ ...register(), authProof: b64(33) }).success).toBe(false);
    const standardBase64 = btoa(String.fromCharCode(...randomBytes(32)));
    expect(RegisterRequest.safeParse({ ...register(), authProof: standardBase64 }).success).toBe(false);
    // 43 characters whose last one carries stray bits: right length, not canonical.
    const proof = b64(32);
    const stray = proof.slice(0, 42) + (proof[42] === 'B' ? 'C' : 'B');
    expect(RegisterRequest.safeParse({ ...register(), authProof: stray }).success).toBe(false);
  });

  it.each(['', 'no-at-sign', 'a@', '@b.c', 'a b@c.d', 'a@b..c', `${'x'.repeat(250)}@b.cd`])('rejects email %j', (email) => {
    expect(RegisterRequest.safeParse({ ...register(), email }).success).toBe(false);
  });
});

describe('login, prelogin, refresh, passphrase', () => {
  it('parses the small requests strictly', () => {
    expect(PreloginRequest.safeParse({ email: 'a@b.c' }).success).toBe(true);
    expect(PreloginRequest.safeParse({ email: 'a@b.c', kdf: {} }).success).toBe(false);
    expect(LoginRequest.safeParse({ email: 'a@b.c', authProof: b64(32) }).success).toBe(true);
    expect(LoginRequest.safeParse({ email: 'a@b.c' }).success).toBe(false);
    expect(RefreshRequest.safeParse({ refreshToken: 'opaque' }).success).toBe(true);
    expect(RefreshRequest.safeParse({ refreshToken: '' }).success).toBe(false);
  });

  it('checks re-wrapped data keys are 40 bytes under lowercase ids', () => {
    const base = { kdf: kdf(), authProof: b64(32), newAuthProof: b64(32) };
    expect(PassphraseChangeRequest.safeParse({ ...base, rewrapped: [{ id: ID, wrappedDek: b64(40) }] }).success).toBe(true);
    expect(PassphraseChangeRequest.safeParse({ ...base, rewrapped: [] }).success).toBe(true);
    expect(PassphraseChangeRequest.safeParse({ ...base, rewrapped: [{ id: ID, wrappedDek: b64(32) }] }).success).toBe(false);
    expect(PassphraseChangeRequest.safeParse({ ...base, rewrapped: [{ id: ID.toUpperCase(), wrappedDek: b64(40) }] }).success).toBe(false);
    expect(PassphraseChangeRequest.safeParse({ ...base, rewrapped: [{ id: ID, wrappedDek: b64(40), iv: 'x' }] }).success).toBe(false);
  });

  it('describes login and me responses', () => {
    const user = { id: ID, email: 'a@b.c', role: 'owner' };
    const org = { id: ID, name: 'Default', plan: 'pro' };
    expect(LoginResponse.safeParse({ user, org, accessToken: 'a.b.c', refreshToken: 'r' }).success).toBe(true);
    expect(MeResponse.safeParse({ user, org, policy: defaultPolicy('pro') }).success).toBe(true);
    expect(MeResponse.safeParse({ user: { ...user, role: 'root' }, org, policy: defaultPolicy('pro') }).success).toBe(false);
  });
});
