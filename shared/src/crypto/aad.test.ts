// AAD strings: exact bytes, and refusal of inputs that would make the join ambiguous.
import { describe, expect, it } from 'vitest';
import { fromUtf8 } from './bytes';
import { isCanonicalUuid, orgSecretAad, secretAad } from './aad';

const U = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
const S = '9b2c7f1e-8a3d-4e5f-b6a7-c8d9e0f1a2b3';

describe('aad', () => {
  it('builds the exact CRYPTO.md strings', () => {
    expect(fromUtf8(secretAad({ userId: U, secretId: S, provider: 'openai', baseUrl: '' }))).toBe(`byok/v1/secret|${U}|${S}|openai|`);
    expect(fromUtf8(orgSecretAad({ orgId: U, secretId: S, provider: 'custom', baseUrl: 'https://h.example/v1' }))).toBe(
      `byok/v1/org-secret|${U}|${S}|custom|https://h.example/v1`,
    );
  });

  it('requires lowercase canonical UUIDs and a provider without |', () => {
    expect(isCanonicalUuid(U)).toBe(true);
    expect(isCanonicalUuid(U.toUpperCase())).toBe(false);
    expect(isCanonicalUuid(`{${U}}`)).toBe(false);
    expect(isCanonicalUuid(U.replace(/-/g, ''))).toBe(false);
    expect(() => secretAad({ userId: U.toUpperCase(), secretId: S, provider: 'openai', baseUrl: '' })).toThrow();
    expect(() => secretAad({ userId: U, secretId: 'x', provider: 'openai', baseUrl: '' })).toThrow();
    expect(() => secretAad({ userId: U, secretId: S, provider: 'open|ai', baseUrl: '' })).toThrow();
    expect(() => orgSecretAad({ orgId: U, secretId: S, provider: '', baseUrl: '' })).toThrow();
  });
});
