// Usage rows and idempotency records on a real SQLite file: atomic writes, the 24-hour window,
// the race between two requests with one id, and the month-to-date quota counters.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from './db';
import { UsageStore, type NewUsageRow } from './usage-store';

let dir: string;
let db: Db;
let now: number;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'byok-usage-'));
  db = openDatabase(dir);
  now = Date.parse('2026-11-15T12:00:00Z');
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

let counter = 0;
function usageRow(overrides: Partial<NewUsageRow> = {}): NewUsageRow {
  counter += 1;
  return {
    id: `00000000-0000-4000-8000-${String(counter).padStart(12, '0')}`,
    orgId: 'org', userId: 'user', requestId: 'req', at: new Date(now).toISOString(), provider: 'openai', model: 'gpt-4o-mini',
    source: 'platform', secretId: null, task: 'summary', inputTokens: 100, outputTokens: 50, costMicros: 45, latencyMs: 10, outcome: 'ok',
    ...overrides,
  };
}

describe('UsageStore', () => {
  it('stores rows and the answer together, and replays within 24 hours only', () => {
    const store = new UsageStore(db, () => now);
    expect(store.record([usageRow()], { userId: 'user', requestId: 'r1', response: { status: 200, body: { ok: 1 } } })).toBe(true);
    expect(store.storedResponse('user', 'r1')).toEqual({ status: 200, body: { ok: 1 } });
    expect(store.storedResponse('other', 'r1')).toBeUndefined();
    now += 24 * 60 * 60 * 1000 + 1;
    expect(store.storedResponse('user', 'r1')).toBeUndefined();
    // After the window the id can be used again.
    expect(store.record([usageRow()], { userId: 'user', requestId: 'r1', response: { status: 200, body: { ok: 2 } } })).toBe(true);
    expect(store.storedResponse('user', 'r1')?.body).toEqual({ ok: 2 });
  });

  it('a second run with the same id keeps the first answer and records the calls it made', () => {
    // Only reachable across processes or a clock step (one process claims the id first), and then
    // the second run's provider calls did happen: their rows are the truth about what was billed.
    const store = new UsageStore(db, () => now);
    store.record([usageRow()], { userId: 'user', requestId: 'dup', response: { status: 200, body: 1 } });
    let alongside = 0;
    expect(store.record([usageRow(), usageRow()], { userId: 'user', requestId: 'dup', response: { status: 200, body: 2 } }, () => { alongside += 1; })).toBe(false);
    expect(store.storedResponse('user', 'dup')?.body).toBe(1);
    expect((db.prepare('SELECT COUNT(*) AS n FROM usage_events').get() as { n: number }).n).toBe(3);
    expect(alongside).toBe(0);
  });

  it('rolls back the rows when the work alongside fails', () => {
    const store = new UsageStore(db, () => now);
    expect(() => store.record([usageRow()], null, () => { throw new Error('boom'); })).toThrow('boom');
    expect((db.prepare('SELECT COUNT(*) AS n FROM usage_events').get() as { n: number }).n).toBe(0);
  });

  it('counts this UTC month: platform calls a provider worked on and all platform cost; BYOK calls only when tracked', () => {
    const store = new UsageStore(db, () => now);
    store.record(
      [
        usageRow(),
        usageRow({ costMicros: 100 }),
        usageRow({ outcome: 'unreachable', costMicros: 7 }),
        usageRow({ at: '2026-10-31T23:59:59.999Z' }),
        usageRow({ source: 'byok', costMicros: 1000 }),
        usageRow({ source: 'byok', task: 'verify' }),
        usageRow({ orgId: 'other' }),
      ],
      null,
    );
    // The unreachable row carries tokens and cost: a provider answered part of it.
    expect(store.monthToDate('org', false)).toEqual({ calls: 3, costMicros: 152 });
    expect(store.monthToDate('org', true)).toEqual({ calls: 4, costMicros: 152 });
  });

  it('counts aborted and partly answered platform requests: their cost always, a call when a provider worked', () => {
    const store = new UsageStore(db, () => now);
    const nothing = { inputTokens: 0, outputTokens: 0, costMicros: 0 };
    store.record(
      [
        // The client left after the first progress frame; the chunks already answered are paid for.
        usageRow({ outcome: 'error', costMicros: 3421 }),
        // A later chunk failed after earlier ones answered.
        usageRow({ outcome: 'unreachable', costMicros: 3421 }),
        // Tokens on a model priced at zero: the provider still did the work.
        usageRow({ outcome: 'rate_limited', inputTokens: 10, outputTokens: 0, costMicros: 0 }),
        // No call reached a provider: nothing to count.
        usageRow({ outcome: 'unreachable', ...nothing }),
        usageRow({ outcome: 'key_rejected', ...nothing }),
        usageRow({ outcome: 'quota_exceeded', ...nothing }),
      ],
      null,
    );
    expect(store.monthToDate('org', false)).toEqual({ calls: 3, costMicros: 6842 });
  });

  it('pages one user’s rows without losing or repeating any, rows of the same instant included', () => {
    const store = new UsageStore(db, () => now);
    const same = '2026-11-05T00:00:00.000Z';
    const sameInstant = Array.from({ length: 7 }, () => usageRow({ at: same }));
    const first = usageRow({ at: '2026-11-04T00:00:00.000Z' });
    const last = usageRow({ at: '2026-11-06T00:00:00.000Z' });
    store.record([...sameInstant, first, last], null);
    const from = new Date('2026-11-01T00:00:00Z');
    const to = new Date('2026-12-01T00:00:00Z');
    const paged: Array<string | number> = [];
    let page = store.rowsForUserPage('user', from, to, null, 2);
    while (page.rows.length > 0) {
      expect(page.rows.length).toBeLessThanOrEqual(2);
      paged.push(...page.rows.map((row) => row.id));
      page = store.rowsForUserPage('user', from, to, page.next, 2);
    }
    // Oldest first; rows of one instant in the order they were written.
    expect(paged).toEqual([first, ...sameInstant, last].map((row) => row.id));
  });

  it('lists one user’s rows in a half-open range, oldest first', () => {
    const store = new UsageStore(db, () => now);
    store.record([usageRow({ at: '2026-11-02T00:00:00.000Z' }), usageRow({ at: '2026-11-01T00:00:00.000Z' }), usageRow({ at: '2026-12-01T00:00:00.000Z' }), usageRow({ userId: 'x' })], null);
    const { rows, next } = store.rowsForUserPage('user', new Date('2026-11-01T00:00:00Z'), new Date('2026-12-01T00:00:00Z'), null, 100);
    expect(next).toEqual({ at: '2026-11-02T00:00:00.000Z', rowid: expect.any(Number) });
    expect(rows.map((row) => row.at)).toEqual(['2026-11-01T00:00:00.000Z', '2026-11-02T00:00:00.000Z']);
  });
});
