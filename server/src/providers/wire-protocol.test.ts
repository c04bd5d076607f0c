// URL building helpers shared by the protocols.
import { describe, expect, it } from 'vitest';
import { ProviderError } from './provider-error';
import { joinUrl, pathSegment } from './wire-protocol';

describe('pathSegment', () => {
  it('encodes ids so they stay one segment, and refuses dot segments', () => {
    expect(pathSegment('gpt-4o', 'azure-openai')).toBe('gpt-4o');
    expect(pathSegment('a/b', 'azure-openai')).toBe('a%2Fb');
    expect(pathSegment('gemini-2.5-flash', 'google')).toBe('gemini-2.5-flash');
    for (const dots of ['.', '..', '%2e%2E', '.%2e']) {
      expect(() => pathSegment(dots, 'azure-openai')).toThrow(ProviderError);
    }
  });
});

describe('joinUrl', () => {
  it('joins without doubling slashes', () => {
    expect(joinUrl('http://h/v1/', '/models')).toBe('http://h/v1/models');
    expect(joinUrl('http://h', '/v1/messages')).toBe('http://h/v1/messages');
  });
});
