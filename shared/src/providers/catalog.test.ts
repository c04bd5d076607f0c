import { describe, expect, it } from 'vitest';
import {
  PROVIDERS,
  PROVIDER_IDS,
  ProviderId,
  costMicros,
  findModel,
  getProvider,
  isNormalizedBaseUrl,
  keyPrefixOf,
  matchesBaseUrlHost,
  matchesKeyFormat,
} from './catalog';

// Realistic-looking (fake) keys per provider, used to check each pattern accepts its own
// format and rejects the others'.
const SAMPLES: Partial<Record<ProviderId, string>> = {
  openai: 'sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z_AbC-dEfGhIjKlMn',
  anthropic: 'sk-ant-api03-Zx9yW8vU7tS6rQ5pO4nM3lK2jI1hG0fE_dC-bA9zY8xW7vU6tS5r',
  google: 'AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q',
  mistral: 'aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0dF',
  groq: 'gsk_Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAbCdEfGhIjKlMnOp',
  'aleph-alpha': 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOjF9.c2lnbmF0dXJlLXNpZw',
};

describe('provider catalog', () => {
  it('has exactly one entry per provider id, in id order', () => {
    expect(PROVIDERS.map((entry) => entry.id)).toEqual([...PROVIDER_IDS]);
    expect(ProviderId.options).toEqual([...PROVIDER_IDS]);
  });

  it('prices every model with non-negative integers and lists the default model', () => {
    for (const entry of PROVIDERS) {
      expect(entry.models.length).toBeGreaterThan(0);
      expect(entry.models.map((model) => model.id)).toContain(entry.defaultModel);
      expect(new Set(entry.models.map((model) => model.id)).size).toBe(entry.models.length);
      for (const model of entry.models) {
        expect(Number.isSafeInteger(model.inputMicrosPerMTok) && model.inputMicrosPerMTok >= 0).toBe(true);
        expect(Number.isSafeInteger(model.outputMicrosPerMTok) && model.outputMicrosPerMTok >= 0).toBe(true);
        expect(Number.isSafeInteger(model.contextTokens) && model.contextTokens > 0).toBe(true);
      }
      const paid = !entry.local && !entry.offline;
      if (paid) expect(entry.models.every((model) => model.inputMicrosPerMTok > 0 && model.outputMicrosPerMTok > 0)).toBe(true);
    }
  });

  it('lists key prefixes longest first', () => {
    for (const entry of PROVIDERS) {
      const lengths = entry.keyPrefixes.map((prefix) => prefix.length);
      expect(lengths).toEqual([...lengths].sort((a, b) => b - a));
    }
    expect(getProvider('openai').keyPrefixes).toEqual(['sk-proj-', 'sk-']);
    expect(keyPrefixOf('openai', 'sk-proj-abc')).toBe('sk-proj-');
    expect(keyPrefixOf('openai', 'sk-abc')).toBe('sk-');
    expect(keyPrefixOf('mistral', 'whatever')).toBe('');
  });

  it('has normalized default base URLs, with version paths for OpenAI-compatible hosts', () => {
    for (const entry of PROVIDERS) {
      if (entry.defaultBaseUrl !== null) expect(isNormalizedBaseUrl(entry.defaultBaseUrl)).toBe(true);
      if (entry.baseUrl === 'fixed') expect(entry.defaultBaseUrl).not.toBeNull();
    }
    expect(getProvider('openai').defaultBaseUrl).toBe('https://api.openai.com/v1');
    expect(getProvider('groq').defaultBaseUrl).toBe('https://api.groq.com/openai/v1');
    expect(getProvider('anthropic').defaultBaseUrl).toBe('https://api.anthropic.com');
    expect(getProvider('ollama').defaultBaseUrl).toBe('http://127.0.0.1:11434');
    expect(getProvider('azure-openai').baseUrl).toBe('required');
  });

  it('marks keyless and local providers', () => {
    const keyless = PROVIDERS.filter((entry) => !entry.keyRequired).map((entry) => entry.id);
    expect(keyless.sort()).toEqual(['builtin', 'lmstudio', 'ollama', 'vllm']);
    expect(PROVIDERS.filter((entry) => entry.local).map((entry) => entry.id)).toEqual(['ollama', 'lmstudio', 'vllm']);
    const builtin = getProvider('builtin');
    expect(builtin.offline).toBe(true);
    expect(builtin.models).toEqual([{ id: 'builtin-extractive', contextTokens: 1_000_000, inputMicrosPerMTok: 0, outputMicrosPerMTok: 0 }]);
  });

  it('key patterns accept their own sample and reject every other provider sample', () => {
    for (const [provider, sample] of Object.entries(SAMPLES)) {
      expect(matchesKeyFormat(provider, sample), provider).toBe(true);
      for (const [other, otherSample] of Object.entries(SAMPLES)) {
        // A bare 32-character token is a well-formed Aleph Alpha token too: inherently ambiguous.
        const ambiguous = provider === 'aleph-alpha' && other === 'mistral';
        if (other !== provider && !ambiguous) expect(matchesKeyFormat(provider, otherSample), `${provider} vs ${other}`).toBe(false);
      }
    }
  });

  it('key patterns reject near misses', () => {
    expect(matchesKeyFormat('openai', 'sk-short')).toBe(false);
    expect(matchesKeyFormat('openai', 'sk-Ab3dEf6hIj9kLm2nOp5qRs8tUv')).toBe(true);
    expect(matchesKeyFormat('openai', ' sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv')).toBe(false);
    expect(matchesKeyFormat('google', 'AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6')).toBe(false);
    expect(matchesKeyFormat('mistral', 'aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0d')).toBe(false);
    expect(matchesKeyFormat('groq', 'gsk_short')).toBe(false);
    expect(matchesKeyFormat('azure-openai', '0123456789abcdef0123456789abcdef')).toBe(true);
    expect(matchesKeyFormat('azure-openai', '0123456789abcdef')).toBe(false);
    expect(matchesKeyFormat('ollama', 'anything-goes')).toBe(true);
    expect(matchesKeyFormat('ollama', 'has space')).toBe(false);
    expect(matchesKeyFormat('builtin', 'sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv')).toBe(false);
    expect(matchesKeyFormat('nope', 'sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv')).toBe(false);
  });

  it('accepts only Azure resource hosts for azure-openai', () => {
    expect(matchesBaseUrlHost('azure-openai', 'https://my-res.openai.azure.com')).toBe(true);
    expect(matchesBaseUrlHost('azure-openai', 'https://my-res.openai.azure.com.evil.example')).toBe(false);
    expect(matchesBaseUrlHost('azure-openai', 'http://my-res.openai.azure.com')).toBe(false);
    expect(matchesBaseUrlHost('ollama', 'http://10.0.0.5:11434')).toBe(true);
  });

  it('prices calls in integer micro-dollars, rounded up', () => {
    // gpt-4o-mini: $0.15 in, $0.60 out per million tokens.
    expect(findModel('openai', 'gpt-4o-mini')).toMatchObject({ inputMicrosPerMTok: 150_000, outputMicrosPerMTok: 600_000 });
    expect(costMicros('openai', 'gpt-4o-mini', 1_000_000, 1_000_000)).toBe(750_000);
    expect(costMicros('openai', 'gpt-4o-mini', 1, 0)).toBe(1); // 0.15 micro-dollars rounds up
    expect(costMicros('openai', 'gpt-4o-mini', 0, 0)).toBe(0);
    expect(costMicros('openai', 'gpt-4o-mini', 1000, 500)).toBe(450);
    expect(costMicros('groq', 'openai/gpt-oss-20b', 1_000_000, 0)).toBe(75_000);
    // Unknown model: priced as the provider's default; unknown provider: free.
    expect(costMicros('openai', 'gpt-unknown', 1_000_000, 0)).toBe(150_000);
    expect(costMicros('nope', 'x', 1_000_000, 1_000_000)).toBe(0);
    expect(costMicros('builtin', 'builtin-extractive', 5_000_000, 5_000_000)).toBe(0);
    expect(costMicros('ollama', 'llama3.2', 5_000_000, 5_000_000)).toBe(0);
  });
});
