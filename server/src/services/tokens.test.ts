import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AppError } from '@byok/shared';
import { loadServerIdentity } from './server-identity';
import type { ServerIdentity } from './server-identity';
import { ACCESS_TOKEN_SECONDS, TokenService, hashToken } from './tokens';
import { VerifiedTokenCache } from './verified-token-cache';

const CLAIMS = { userId: '00000000-0000-4000-8000-000000000001', orgId: '00000000-0000-4000-8000-000000000002', role: 'member' as const, familyId: 'family-1' };

let dataDir: string;
let identity: ServerIdentity;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'byok-tokens-'));
  identity = await loadServerIdentity(dataDir);
});

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

async function rejected(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return error instanceof AppError ? error.code : 'not an AppError';
  }
}

describe('access token verification with the verified-token cache', () => {
  it('answers a verified token again until its exp, then refuses it although it was cached', async () => {
    let now = 1_900_000_000_000;
    const tokens = new TokenService(identity, () => now);
    const token = await tokens.signAccessToken(CLAIMS, Math.floor(now / 1000));
    expect(await tokens.verifyAccessToken(token)).toEqual(CLAIMS);
    now += (ACCESS_TOKEN_SECONDS - 1) * 1000;
    expect(await tokens.verifyAccessToken(token)).toEqual(CLAIMS);
    now += 1000;
    expect(await rejected(tokens.verifyAccessToken(token))).toBe('unauthenticated');
  });

  it('still refuses a token that differs from a cached one in any byte', async () => {
    const tokens = new TokenService(identity);
    const token = await tokens.signAccessToken(CLAIMS);
    await tokens.verifyAccessToken(token);
    // A character in the middle of the signature (the last one carries unused padding bits).
    const at = token.length - 20;
    const flipped = `${token.slice(0, at)}${token[at] === 'A' ? 'B' : 'A'}${token.slice(at + 1)}`;
    expect(await rejected(tokens.verifyAccessToken(flipped))).toBe('unauthenticated');
    expect(await rejected(tokens.verifyAccessToken(`${token}.`))).toBe('unauthenticated');
  });

  it('hands out copies: a caller changing the claims does not change the next answer', async () => {
    const tokens = new TokenService(identity);
    const token = await tokens.signAccessToken(CLAIMS);
    const first = await tokens.verifyAccessToken(token);
    first.role = 'owner' as never;
    expect((await tokens.verifyAccessToken(token)).role).toBe('member');
  });
});

describe('VerifiedTokenCache', () => {
  it('is keyed by the token service with a hash, never by the token', async () => {
    // Watches (and passes through to) the real cache the service fills, to see its keys and reach it.
    const set = vi.spyOn(VerifiedTokenCache.prototype, 'set');
    try {
      const now = 1_900_000_000_000;
      const tokens = new TokenService(identity, () => now);
      const token = await tokens.signAccessToken(CLAIMS, Math.floor(now / 1000));
      await tokens.verifyAccessToken(token);
      expect(set).toHaveBeenCalledTimes(1);
      const [key] = set.mock.calls[0] ?? [];
      const cache: unknown = set.mock.contexts[0];
      if (!(cache instanceof VerifiedTokenCache)) throw new Error('the service filled no VerifiedTokenCache');
      expect(key).toBe(hashToken(token));
      expect(key).toMatch(/^[0-9a-f]{64}$/);
      // The cache the service holds answers by the hash alone; the token itself is not a key.
      expect(cache.size).toBe(1);
      expect(cache.get(token, Math.floor(now / 1000))).toBeUndefined();
      expect(cache.get(hashToken(token), Math.floor(now / 1000))).toEqual(CLAIMS);
      // No part of the token (its signature, say) made it into the key.
      for (const part of token.split('.')) expect(key).not.toContain(part);
    } finally {
      set.mockRestore();
    }
  });

  it('stays within its capacity, dropping the oldest entry first', () => {
    const cache = new VerifiedTokenCache<number>(3);
    for (const [index, key] of ['a', 'b', 'c', 'd'].entries()) cache.set(key, index, 100);
    expect(cache.size).toBe(3);
    expect(cache.get('a', 0)).toBeUndefined();
    expect(cache.get('d', 0)).toBe(3);
  });

  it('forgets an entry at its exp', () => {
    const cache = new VerifiedTokenCache<number>();
    cache.set('a', 1, 100);
    expect(cache.get('a', 99)).toBe(1);
    expect(cache.get('a', 100)).toBeUndefined();
    expect(cache.size).toBe(0);
  });
});
