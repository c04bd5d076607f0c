import { describe, expect, it } from 'vitest';
import { isNormalizedBaseUrl, normalizeBaseUrl } from './base-url';

describe('normalizeBaseUrl (CRYPTO.md section 8)', () => {
  it.each([
    ['https://api.openai.com/v1', 'https://api.openai.com/v1'],
    ['https://api.openai.com/v1/', 'https://api.openai.com/v1'],
    ['https://api.openai.com/', 'https://api.openai.com'],
    ['https://api.openai.com', 'https://api.openai.com'],
    ['HTTPS://API.OpenAI.COM/v1', 'https://api.openai.com/v1'],
    ['https://api.openai.com:443/v1', 'https://api.openai.com/v1'],
    ['http://127.0.0.1:80/v1', 'http://127.0.0.1/v1'],
    ['http://127.0.0.1:11434', 'http://127.0.0.1:11434'],
    ['https://user:pass@host.example/v1', 'https://host.example/v1'],
    ['https://host.example/v1?x=1#frag', 'https://host.example/v1'],
    ['https://host.example/v1//', 'https://host.example/v1'],
    ['  https://host.example/v1  ', 'https://host.example/v1'],
    ['http://[::1]:8000/v1', 'http://[::1]:8000/v1'],
    ['https://host.example/a/../v1', 'https://host.example/v1'],
    ['https://res.openai.azure.com', 'https://res.openai.azure.com'],
  ])('%s -> %s', (input, expected) => {
    expect(normalizeBaseUrl(input)).toBe(expected);
    expect(isNormalizedBaseUrl(expected)).toBe(true);
  });

  it.each(['ftp://host.example', 'file:///etc/passwd', 'javascript:alert(1)', 'not a url', '', '/v1', 'data:text/plain,x'])(
    'refuses %j',
    (input) => {
      expect(normalizeBaseUrl(input)).toBeNull();
      expect(isNormalizedBaseUrl(input)).toBe(false);
    },
  );

  it('says a non-normalized form is not normalized', () => {
    expect(isNormalizedBaseUrl('https://api.openai.com/v1/')).toBe(false);
    expect(isNormalizedBaseUrl('https://API.openai.com/v1')).toBe(false);
    expect(isNormalizedBaseUrl('https://api.openai.com:443')).toBe(false);
    expect(isNormalizedBaseUrl('https://api.openai.com/v1?x=1')).toBe(false);
    expect(isNormalizedBaseUrl(' https://api.openai.com/v1')).toBe(false);
  });
});
