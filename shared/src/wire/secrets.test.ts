import { describe, expect, it } from 'vitest';
import { b64urlEncode, randomBytes } from '../crypto/bytes';
import { SealedBlobSchema } from './common';
import { ListSecretsResponse, PatchSecretRequest, PutOrderRequest, PutSecretRequest, VerifySecretRequest } from './secrets';

const b64 = (n: number): string => b64urlEncode(randomBytes(n));
const sealed = () => ({ v: 1, iv: b64(12), ct: b64(60), wrappedDek: b64(40) });
const put = (over: Record<string, unknown> = {}) => ({
  provider: 'openai',
  label: 'Work',
  hint: { prefix: 'sk-proj-', last4: 'xx7K' },
  sealed: sealed(),
  ...over,
});
const ID = '0f8fad5b-d9cb-469f-a165-70867728950e';
const ID2 = '7c9e6679-7425-40de-944b-e07fc1f90ae7';

function issuePaths(result: { success: boolean; error?: { issues: { path: PropertyKey[] }[] } }): string[] {
  return (result.error?.issues ?? []).map((issue) => issue.path.join('.'));
}

describe('SealedBlobSchema (CRYPTO.md section 8)', () => {
  it('accepts the exact shape', () => {
    expect(SealedBlobSchema.safeParse(sealed()).success).toBe(true);
    expect(SealedBlobSchema.safeParse({ ...sealed(), ct: b64(17) }).success).toBe(true);
  });

  it.each([
    ['v as a string', { v: '1' }],
    ['v 2', { v: 2 }],
    ['an 11-byte iv', { iv: b64(11) }],
    ['a 16-byte iv', { iv: b64(16) }],
    ['a 16-byte ct (tag only)', { ct: b64(16) }],
    ['a 39-byte wrappedDek', { wrappedDek: b64(39) }],
    ['a 41-byte wrappedDek', { wrappedDek: b64(41) }],
    ['padding', { iv: `${b64(12)}==` }],
    ['standard base64 characters', { ct: `${b64(30)}+/` }],
  ])('rejects %s', (_name, change) => {
    expect(SealedBlobSchema.safeParse({ ...sealed(), ...change }).success).toBe(false);
  });

  it('rejects extra or missing fields', () => {
    expect(SealedBlobSchema.safeParse({ ...sealed(), alg: 'A256GCM' }).success).toBe(false);
    const { ct: _ct, ...missing } = sealed();
    expect(SealedBlobSchema.safeParse(missing).success).toBe(false);
  });
});

describe('PutSecretRequest', () => {
  it('accepts a sealed OpenAI key with its hint', () => {
    expect(PutSecretRequest.safeParse(put()).success).toBe(true);
    expect(PutSecretRequest.safeParse(put({ hint: { prefix: 'sk-', last4: 'ab_-' }, defaultModel: 'gpt-4o' })).success).toBe(true);
    expect(PutSecretRequest.safeParse(put({ baseUrl: '' })).success).toBe(true);
  });

  it('rejects unknown fields and a plaintext key', () => {
    expect(PutSecretRequest.safeParse(put({ apiKey: 'sk-proj-secret' })).success).toBe(false);
  });

  it('checks the hint prefix against the provider catalog', () => {
    expect(issuePaths(PutSecretRequest.safeParse(put({ hint: { prefix: 'sk-ant-', last4: 'xx7K' } })))).toContain('hint.prefix');
    expect(PutSecretRequest.safeParse(put({ hint: { prefix: '', last4: 'xx7K' } })).success).toBe(false);
    const mistral = put({ provider: 'mistral', hint: { prefix: '', last4: 'Ab12' } });
    expect(PutSecretRequest.safeParse(mistral).success).toBe(true);
    expect(PutSecretRequest.safeParse({ ...mistral, hint: { prefix: 'sk-', last4: 'Ab12' } }).success).toBe(false);
  });

  it('checks last4 is empty or exactly 4 characters of [A-Za-z0-9_-]', () => {
    expect(PutSecretRequest.safeParse(put({ hint: { prefix: 'sk-', last4: '' } })).success).toBe(true);
    for (const last4 of ['abc', 'abcde', 'ab.c', 'ab c']) {
      expect(PutSecretRequest.safeParse(put({ hint: { prefix: 'sk-', last4 } })).success, last4).toBe(false);
    }
  });

  it('refuses a base URL for fixed-host providers', () => {
    expect(issuePaths(PutSecretRequest.safeParse(put({ baseUrl: 'https://evil.example/v1' })))).toEqual(['baseUrl']);
  });

  it('requires a normalized base URL where the provider takes one', () => {
    const ollama = put({ provider: 'ollama', hint: { prefix: '', last4: '' } });
    expect(issuePaths(PutSecretRequest.safeParse(ollama))).toEqual(['baseUrl']);
    expect(PutSecretRequest.safeParse({ ...ollama, baseUrl: 'http://127.0.0.1:11434' }).success).toBe(true);
    expect(PutSecretRequest.safeParse({ ...ollama, baseUrl: 'http://127.0.0.1:11434/' }).success).toBe(false);
    expect(PutSecretRequest.safeParse({ ...ollama, baseUrl: 'HTTP://LOCALHOST:11434' }).success).toBe(false);
  });

  it('holds Azure keys to *.openai.azure.com over https', () => {
    const azure = put({ provider: 'azure-openai', hint: { prefix: '', last4: 'abcd' } });
    expect(PutSecretRequest.safeParse({ ...azure, baseUrl: 'https://my-res.openai.azure.com' }).success).toBe(true);
    expect(PutSecretRequest.safeParse({ ...azure, baseUrl: 'https://evil.example' }).success).toBe(false);
    expect(PutSecretRequest.safeParse(azure).success).toBe(false);
  });

  it('takes a keyless entry (no hint, no sealed) only for providers that need no key', () => {
    const { hint: _hint, sealed: _sealed, ...bare } = put();
    const ollama = { ...bare, provider: 'ollama', baseUrl: 'http://127.0.0.1:11434' };
    expect(PutSecretRequest.safeParse(ollama).success).toBe(true);
    expect(PutSecretRequest.safeParse({ ...ollama, provider: 'lmstudio', baseUrl: 'http://127.0.0.1:1234/v1' }).success).toBe(true);
    expect(PutSecretRequest.safeParse({ ...ollama, provider: 'vllm', baseUrl: 'http://10.0.0.7:8000/v1' }).success).toBe(true);
    expect(issuePaths(PutSecretRequest.safeParse(bare))).toEqual(['sealed']);
    expect(issuePaths(PutSecretRequest.safeParse({ ...bare, provider: 'mistral' }))).toEqual(['sealed']);
    // Keyless does not lift the base URL rules.
    expect(issuePaths(PutSecretRequest.safeParse({ ...ollama, baseUrl: undefined }))).toEqual(['baseUrl']);
    expect(PutSecretRequest.safeParse({ ...bare, provider: 'builtin' }).success).toBe(false);
  });

  it('refuses one of hint and sealed without the other', () => {
    const ollama = put({ provider: 'ollama', baseUrl: 'http://127.0.0.1:11434', hint: { prefix: '', last4: '' } });
    expect(PutSecretRequest.safeParse(ollama).success).toBe(true);
    const { hint: _hint, ...sealedOnly } = ollama;
    const { sealed: _sealed, ...hintOnly } = ollama;
    expect(issuePaths(PutSecretRequest.safeParse(sealedOnly))).toEqual(['hint']);
    expect(issuePaths(PutSecretRequest.safeParse(hintOnly))).toEqual(['sealed']);
    const { sealed: _s, ...openaiHintOnly } = put();
    expect(issuePaths(PutSecretRequest.safeParse(openaiHintOnly))).toEqual(['sealed']);
  });

  it('refuses builtin and unknown providers', () => {
    expect(PutSecretRequest.safeParse(put({ provider: 'builtin', hint: { prefix: '', last4: '' } })).success).toBe(false);
    expect(PutSecretRequest.safeParse(put({ provider: 'OpenAI' })).success).toBe(false);
  });

  it('requires a non-blank label of at most 100 characters', () => {
    expect(PutSecretRequest.safeParse(put({ label: '   ' })).success).toBe(false);
    expect(PutSecretRequest.safeParse(put({ label: 'x'.repeat(101) })).success).toBe(false);
  });
});

describe('other secret requests', () => {
  it('PATCH takes only label and defaultModel', () => {
    expect(PatchSecretRequest.safeParse({ label: 'New' }).success).toBe(true);
    expect(PatchSecretRequest.safeParse({ defaultModel: null }).success).toBe(true);
    expect(PatchSecretRequest.safeParse({ provider: 'groq' }).success).toBe(false);
  });

  it('order ids are lowercase UUIDs, each once', () => {
    expect(PutOrderRequest.safeParse({ ids: [ID, ID2] }).success).toBe(true);
    expect(PutOrderRequest.safeParse({ ids: [ID, ID] }).success).toBe(false);
    expect(PutOrderRequest.safeParse({ ids: [ID.toUpperCase()] }).success).toBe(false);
  });

  it('verify takes one grant, or none (keyless entries)', () => {
    expect(VerifySecretRequest.safeParse({ grant: 'a.b.c.d.e' }).success).toBe(true);
    expect(VerifySecretRequest.safeParse({}).success).toBe(true);
    expect(VerifySecretRequest.safeParse({ grant: '' }).success).toBe(false);
    expect(VerifySecretRequest.safeParse({ grant: 'a.b.c.d.e', purpose: 'verify' }).success).toBe(false);
  });

  it('lists personal keys in full and organization keys as summaries', () => {
    const personal = {
      id: ID,
      scope: 'user',
      provider: 'openai',
      label: 'Work',
      hint: { prefix: 'sk-', last4: 'xx7K' },
      defaultModel: null,
      baseUrl: null,
      status: 'unverified',
      createdAt: '2026-11-22T13:00:00.000Z',
      rotatedAt: null,
      lastUsedAt: null,
      lastVerifiedAt: null,
      position: 0,
      wrappedDek: b64(40),
    };
    const org = { id: ID2, scope: 'org', provider: 'anthropic', label: 'Team', hint: { prefix: 'sk-ant-', last4: 'abcd' } };
    expect(ListSecretsResponse.safeParse({ secrets: [personal, org] }).success).toBe(true);
    const keyless = { ...personal, provider: 'ollama', hint: { prefix: '', last4: '' }, baseUrl: 'http://127.0.0.1:11434', wrappedDek: null, keyless: true };
    expect(ListSecretsResponse.safeParse({ secrets: [{ ...personal, keyless: false }, keyless] }).success).toBe(true);
    const { wrappedDek: _w, ...withoutDek } = personal;
    expect(ListSecretsResponse.safeParse({ secrets: [withoutDek] }).success).toBe(false);
    expect(ListSecretsResponse.safeParse({ secrets: [{ ...personal, createdAt: '2026-11-22T14:00:00+01:00' }] }).success).toBe(false);
  });
});
