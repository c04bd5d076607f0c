// The single place that maps statuses to kinds, decides retryability, and sanitizes provider codes.
import { describe, expect, it } from 'vitest';
import { ProviderError, isRetryable, kindForStatus, parseRetryAfter, parseRetryDelay, safeProviderCode, safeToShow } from './provider-error';

describe('kindForStatus and isRetryable', () => {
  it.each([
    [401, false, 'auth', false],
    [403, false, 'auth', false],
    [400, true, 'auth', false],
    [400, false, 'bad_request', false],
    [404, false, 'bad_request', false],
    [408, false, 'timeout', true],
    [409, false, 'server', true],
    [429, false, 'rate_limit', true],
    [500, false, 'server', true],
    [529, false, 'server', true],
  ] as const)('%i (auth marker %s) is %s, retryable %s', (status, marker, kind, retryable) => {
    expect(kindForStatus(status, marker)).toBe(kind);
    expect(isRetryable(kindForStatus(status, marker))).toBe(retryable);
  });

  it('a 400 that refuses the content is refused and stops; the marker means nothing on other statuses', () => {
    expect(kindForStatus(400, false, true)).toBe('refused');
    expect(isRetryable('refused')).toBe(false);
    expect(kindForStatus(500, false, true)).toBe('server');
    expect(kindForStatus(401, false, true)).toBe('auth');
  });
});

describe('safeProviderCode', () => {
  const key = 'sk-canary-0123456789abcdef';
  it('keeps identifier-like codes', () => {
    expect(safeProviderCode('invalid_api_key', key)).toBe('invalid_api_key');
    expect(safeProviderCode('API_KEY_INVALID', key)).toBe('API_KEY_INVALID');
    expect(safeProviderCode(401, key)).toBe('401');
  });
  it('drops anything that contains, is part of, or looks like a key, and free text', () => {
    expect(safeProviderCode(key, key)).toBeUndefined();
    expect(safeProviderCode(`x${key}`, key)).toBeUndefined();
    expect(safeProviderCode('canary-0123456789', key)).toBeUndefined();
    expect(safeProviderCode('sk-other-key-value', key)).toBeUndefined();
    expect(safeProviderCode('Incorrect API key provided', key)).toBeUndefined();
    expect(safeProviderCode({ nested: true }, key)).toBeUndefined();
  });
  it('drops a code that shares any run of 8 characters with the key, in any case', () => {
    const long = 'sk-canary-0123456789abcdefghijklmno';
    expect(long).toHaveLength(35);
    expect(safeProviderCode('invalid_api_key:sk-canary-0123', long)).toBeUndefined();
    expect(safeProviderCode(`key_${long.slice(0, 30)}`, long)).toBeUndefined();
    expect(safeProviderCode('err_456789AB', long)).toBeUndefined();
    // Seven characters in common are not a run of the key.
    expect(safeProviderCode('code_3456789', long)).toBe('code_3456789');
    expect(safeProviderCode('invalid_api_key', long)).toBe('invalid_api_key');
    expect(safeToShow('gpt-4o-mini', long)).toBe(true);
    expect(safeToShow('model-ghijklmn', long)).toBe(false);
  });
});

describe('parseRetryAfter', () => {
  it('reads retry-after-ms, seconds and HTTP dates, capped', () => {
    expect(parseRetryAfter({ 'retry-after-ms': '250' })).toBe(250);
    expect(parseRetryAfter({ 'retry-after': '3' })).toBe(3000);
    expect(parseRetryAfter({ 'retry-after': new Date(10_000).toUTCString() }, 4_000)).toBe(6000);
    expect(parseRetryAfter({ 'retry-after': '99999999' })).toBe(3_600_000);
    expect(parseRetryAfter({ 'retry-after': 'soon' })).toBeUndefined();
    expect(parseRetryAfter({})).toBeUndefined();
  });
});

describe('parseRetryDelay', () => {
  it("reads a protobuf Duration's JSON form, a part of a millisecond rounded up, capped", () => {
    expect(parseRetryDelay('37s')).toBe(37_000);
    expect(parseRetryDelay('1.5s')).toBe(1_500);
    expect(parseRetryDelay('0.1s')).toBe(100);
    expect(parseRetryDelay('45.837906927s')).toBe(45_838);
    expect(parseRetryDelay('0.000000001s')).toBe(1);
    expect(parseRetryDelay('0s')).toBe(0);
    expect(parseRetryDelay('99999s')).toBe(3_600_000);
    expect(parseRetryDelay('315576000000s')).toBe(3_600_000);
  });
  it.each([['soon'], ['-5s'], ['37'], ['37 s'], [' 37s'], ['1e3s'], ['NaNs'], ['.5s'], ['1.s'], ['1.0000000001s'], ['1234567890123s'], [''], [37], [null], [{ seconds: 37 }]])(
    'is no delay for %j',
    (value) => {
      expect(parseRetryDelay(value)).toBeUndefined();
    },
  );
});

describe('ProviderError', () => {
  it('serializes only the summary', () => {
    const error = new ProviderError({ provider: 'openai', kind: 'auth', status: 401, providerCode: 'invalid_api_key' });
    expect(error.message).toBe('openai: auth, HTTP 401, invalid_api_key');
    expect(JSON.parse(JSON.stringify(error))).toEqual({ name: 'ProviderError', provider: 'openai', kind: 'auth', status: 401, providerCode: 'invalid_api_key' });
  });
});
