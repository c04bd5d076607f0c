import { describe, expect, it } from 'vitest';
import { AdminUsageQuery } from './admin';
import { USAGE_CSV_COLUMNS, UsageQuery, UsageRow, resolveUsageRange } from './usage';

describe('UsageQuery', () => {
  it('accepts ISO dates and UTC date-times, defaulting groupBy to day', () => {
    expect(UsageQuery.parse({})).toEqual({ groupBy: 'day' });
    expect(UsageQuery.safeParse({ from: '2026-11-01', to: '2026-12-01', groupBy: 'provider' }).success).toBe(true);
    expect(UsageQuery.safeParse({ from: '2026-11-01T00:00:00Z', to: '2026-11-02T12:30:00.000Z' }).success).toBe(true);
  });

  it.each([
    ['a non-UTC offset', { from: '2026-11-01T00:00:00+02:00' }],
    ['a local time without zone', { from: '2026-11-01T00:00:00' }],
    ['an impossible date', { from: '2026-02-30' }],
    ['from after to', { from: '2026-12-01', to: '2026-11-01' }],
    ['an unknown groupBy', { groupBy: 'member' }],
  ])('rejects %s', (_name, query) => {
    expect(UsageQuery.safeParse(query).success).toBe(false);
  });

  it('accepts equal bounds, an empty range since to is exclusive, for members and admins alike', () => {
    const equal = { from: '2026-11-01', to: '2026-11-01T00:00:00Z' };
    expect(UsageQuery.safeParse(equal).success).toBe(true);
    expect(AdminUsageQuery.safeParse(equal).success).toBe(true);
    expect(AdminUsageQuery.safeParse({ from: '2026-11-01T00:00:00.001Z', to: '2026-11-01' }).success).toBe(false);
  });

  it('lets admins group by member', () => {
    expect(AdminUsageQuery.safeParse({ groupBy: 'member' }).success).toBe(true);
  });
});

describe('resolveUsageRange', () => {
  const now = new Date('2026-11-22T13:05:00Z');

  it('defaults to the current UTC month, to exclusive', () => {
    const range = resolveUsageRange({}, now);
    expect(range.from.toISOString()).toBe('2026-11-01T00:00:00.000Z');
    expect(range.to.toISOString()).toBe('2026-12-01T00:00:00.000Z');
  });

  it('rolls over the year in December', () => {
    const range = resolveUsageRange({}, new Date('2026-12-31T23:59:59Z'));
    expect(range.to.toISOString()).toBe('2027-01-01T00:00:00.000Z');
  });

  it('reads dates as midnight UTC', () => {
    const range = resolveUsageRange({ from: '2026-10-01', to: '2026-10-15T06:00:00Z' }, now);
    expect(range.from.toISOString()).toBe('2026-10-01T00:00:00.000Z');
    expect(range.to.toISOString()).toBe('2026-10-15T06:00:00.000Z');
  });

  it('gives an empty range when an open bound falls on the wrong side', () => {
    const range = resolveUsageRange({ from: '2027-03-01' }, now);
    expect(range.to.getTime()).toBe(range.from.getTime());
  });
});

describe('UsageRow', () => {
  it('has the CSV columns as its fields', () => {
    const row = {
      id: '0f8fad5b-d9cb-469f-a165-70867728950e',
      at: '2026-11-22T13:00:00.000Z',
      provider: 'openai',
      model: 'gpt-4o-mini',
      source: 'platform',
      task: 'summary',
      inputTokens: 10,
      outputTokens: 5,
      costMicros: 5,
      latencyMs: 300,
      outcome: 'ok',
    };
    expect(UsageRow.safeParse(row).success).toBe(true);
    const shapeKeys = Object.keys(UsageRow.shape);
    for (const column of USAGE_CSV_COLUMNS) expect(shapeKeys).toContain(column);
  });
});
