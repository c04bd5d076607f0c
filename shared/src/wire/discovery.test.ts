import { describe, expect, it } from 'vitest';
import { PROVIDER_IDS } from '../providers/types';
import { GrantKeysResponse, ProvidersResponse, providersResponse } from './discovery';

describe('discovery', () => {
  it('serves the whole catalog in the published shape', () => {
    const body = providersResponse();
    expect(ProvidersResponse.parse(body).providers.map((provider) => provider.id)).toEqual([...PROVIDER_IDS]);
    const azure = body.providers.find((provider) => provider.id === 'azure-openai');
    expect(azure).toMatchObject({ baseUrlRequired: true, defaultBaseUrl: null, keyRequired: true });
    const openai = body.providers.find((provider) => provider.id === 'openai');
    expect(openai).toMatchObject({ baseUrlRequired: false, keyPrefixes: ['sk-proj-', 'sk-'] });
  });

  it('returns copies, so a caller cannot change the catalog', () => {
    const first = providersResponse();
    first.providers[0]?.keyPrefixes.push('mutated');
    expect(providersResponse().providers[0]?.keyPrefixes).not.toContain('mutated');
  });

  it('describes grant keys', () => {
    const key = { kty: 'OKP', crv: 'X25519', x: 'abc', kid: 'k1', use: 'enc', alg: 'ECDH-ES+A256KW' };
    expect(GrantKeysResponse.safeParse({ audience: 'byok-companion:s1', keys: [key] }).success).toBe(true);
    expect(GrantKeysResponse.safeParse({ audience: 'byok-companion:s1', keys: [{ ...key, alg: 'dir' }] }).success).toBe(false);
    expect(GrantKeysResponse.safeParse({ audience: 'byok-companion:s1', keys: [] }).success).toBe(false);
  });
});
