import { describe, expect, it } from 'vitest';
import {
  EnrichRequest,
  EnrichResponse,
  MAX_ENRICH_TEXT_BYTES,
  ProviderEntitiesPayload,
  hasPayloadTooLargeIssue,
  utf8ByteLength,
} from './enrich';

const request = (over: Record<string, unknown> = {}) => ({
  task: 'enrich',
  input: { kind: 'page', text: 'Some article text.', url: 'https://example.com/a', title: 'A' },
  grants: ['a.b.c.d.e'],
  ...over,
});

describe('utf8ByteLength', () => {
  it.each(['', 'abc', 'é', '€', '😀', 'a😀b€é', '\uD800', 'x\uDC00y', '\uD83D\uD83D'])('matches TextEncoder for %j', (text) => {
    expect(utf8ByteLength(text)).toBe(new TextEncoder().encode(text).length);
  });
});

describe('EnrichRequest', () => {
  it('accepts a request and defaults grants to none', () => {
    expect(EnrichRequest.safeParse(request()).success).toBe(true);
    const { grants: _g, ...noGrants } = request();
    expect(EnrichRequest.parse(noGrants).grants).toEqual([]);
    expect(EnrichRequest.safeParse(request({ provider: 'builtin', model: 'builtin-extractive' })).success).toBe(true);
  });

  it('is strict at both levels', () => {
    expect(EnrichRequest.safeParse(request({ stream: true })).success).toBe(false);
    expect(EnrichRequest.safeParse(request({ input: { kind: 'page', text: 'x', html: '<p>' } })).success).toBe(false);
  });

  it('allows 8 grants and refuses 9 as an ordinary bad request', () => {
    expect(EnrichRequest.safeParse(request({ grants: Array(8).fill('a.b.c.d.e') })).success).toBe(true);
    const nine = EnrichRequest.safeParse(request({ grants: Array(9).fill('a.b.c.d.e') }));
    expect(nine.success).toBe(false);
    expect(nine.error && hasPayloadTooLargeIssue(nine.error)).toBe(false);
  });

  it('accepts exactly 2 MiB of UTF-8 and flags one byte more as payload too large', () => {
    const exact = 'a'.repeat(MAX_ENRICH_TEXT_BYTES);
    expect(EnrichRequest.safeParse(request({ input: { kind: 'document', text: exact } })).success).toBe(true);
    const over = EnrichRequest.safeParse(request({ input: { kind: 'document', text: `${exact}a` } }));
    expect(over.success).toBe(false);
    expect(over.error && hasPayloadTooLargeIssue(over.error)).toBe(true);
  });

  it('counts bytes, not characters', () => {
    // 1 Mi characters of 3-byte '€' = 3 MiB of UTF-8, under the limit in UTF-16 units.
    const euros = '€'.repeat(1024 * 1024);
    const result = EnrichRequest.safeParse(request({ input: { kind: 'selection', text: euros } }));
    expect(result.success).toBe(false);
    expect(result.error && hasPayloadTooLargeIssue(result.error)).toBe(true);
  });

  it('refuses empty text, unknown tasks and kinds', () => {
    expect(EnrichRequest.safeParse(request({ input: { kind: 'page', text: '' } })).success).toBe(false);
    // Whitespace alone (no-break and ideographic spaces, byte-order mark included) leaves nothing to enrich.
    const blank = EnrichRequest.safeParse(request({ input: { kind: 'selection', text: ' \n\n\t\u00a0\u3000\ufeff ' } }));
    expect(blank.success).toBe(false);
    expect(blank.error?.issues[0]?.message).toBe('input.text has nothing but whitespace');
    expect(EnrichRequest.safeParse(request({ input: { kind: 'selection', text: ' \u00a0x ' } })).success).toBe(true);
    expect(EnrichRequest.safeParse(request({ task: 'translate' })).success).toBe(false);
    expect(EnrichRequest.safeParse(request({ input: { kind: 'video', text: 'x' } })).success).toBe(false);
  });
});

describe('EnrichResponse and provider entities', () => {
  it('describes a receipt with route, attempts and usage', () => {
    const body = {
      requestId: 'req-1',
      summary: 'Short.',
      entities: [{ type: 'person', text: 'Ada Lovelace', count: 2 }],
      route: {
        provider: 'anthropic',
        model: 'claude-haiku-4-5',
        source: 'byok',
        secretId: '0f8fad5b-d9cb-469f-a165-70867728950e',
        attempts: [
          { provider: 'openai', source: 'byok', outcome: 'unreachable', ms: 1200 },
          { provider: 'anthropic', source: 'byok', outcome: 'ok', ms: 800 },
        ],
      },
      usage: { inputTokens: 1000, outputTokens: 100, costMicros: 1500, calls: 1 },
    };
    expect(EnrichResponse.safeParse(body).success).toBe(true);
    expect(EnrichResponse.safeParse({ ...body, usage: { ...body.usage, costMicros: 0.5 } }).success).toBe(false);
    expect(EnrichResponse.safeParse({ ...body, entities: [{ type: 'person', text: 'x', count: 0 }] }).success).toBe(false);
  });

  it('checks what providers return for entities', () => {
    expect(ProviderEntitiesPayload.safeParse({ entities: [{ type: 'location', text: 'Paris' }] }).success).toBe(true);
    expect(ProviderEntitiesPayload.safeParse({ entities: [{ type: 'city', text: 'Paris' }] }).success).toBe(false);
    expect(ProviderEntitiesPayload.safeParse({ people: [] }).success).toBe(false);
  });
});
