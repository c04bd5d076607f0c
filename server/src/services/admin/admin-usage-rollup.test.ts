// The daily rollup (migration 005) against the call rows it summarizes, on a real SQLite file:
// every summary of random usage (many members, orgs, providers, models, sources, tasks, outcomes
// and days, with rows on the midnight boundaries) is byte-identical to the one summed from
// usage_events by the SQL used before the rollup, for month edges, single days, `to` exclusive,
// default months and ranges with a time of day (whose partial first and last days are summed from
// the call rows, their whole days from the rollup); and the rollup really is what is read.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminUsageGroupBy } from '@byok/shared/wire/admin';
import { resolveUsageRange } from '@byok/shared/wire/usage';
import type { UsageGroup, UsageOutcome, UsageResponse, UsageRow, UsageTask } from '@byok/shared/wire/usage';
import type { RouteSource } from '@byok/shared/wire/enrich';
import { openDatabase, type Db } from '../../store/db';
import { UsageStore, type NewUsageRow } from '../../store/usage-store';
import { AdminUsageService } from './admin-usage';

type Query = { from?: string; to?: string; groupBy: AdminUsageGroupBy; userId?: string };

/**
 * The reference: the summary exactly as it was computed before the rollup, every number summed
 * from usage_events with the same SQL, so "identical" means identical to the previous answers.
 */
function legacyReport(db: Db, orgId: string, query: Query, now: Date): UsageResponse {
  const range = resolveUsageRange(query, now);
  const where = ['u.org_id = ?', 'u.at >= ?', 'u.at < ?'];
  const params: string[] = [orgId, range.from.toISOString(), range.to.toISOString()];
  if (query.userId !== undefined) {
    where.push('u.user_id = ?');
    params.push(query.userId);
  }
  const clause = where.join(' AND ');
  const sums = 'COUNT(*) AS calls, SUM(u.input_tokens) AS inputTokens, SUM(u.output_tokens) AS outputTokens, SUM(u.cost_micros) AS costMicros';
  type Sums = { calls: number; inputTokens: number | null; outputTokens: number | null; costMicros: number | null };
  const totalsOf = (row: Sums | undefined) => ({ calls: row?.calls ?? 0, inputTokens: row?.inputTokens ?? 0, outputTokens: row?.outputTokens ?? 0, costMicros: row?.costMicros ?? 0 });
  const totals = totalsOf(db.prepare(`SELECT ${sums} FROM usage_events u WHERE ${clause}`).get(...params) as Sums | undefined);
  const key = { day: 'substr(u.at, 1, 10)', provider: 'u.provider', model: 'u.model', source: 'u.source', member: 'u.user_id' }[query.groupBy];
  const label = query.groupBy === 'member' ? ', m.email AS label' : '';
  const join = query.groupBy === 'member' ? 'LEFT JOIN users m ON m.id = u.user_id' : '';
  const groupRows = db
    .prepare(`SELECT ${key} AS key${label}, ${sums} FROM usage_events u ${join} WHERE ${clause} GROUP BY ${key} ORDER BY ${query.groupBy === 'day' ? 'key ASC' : 'costMicros DESC, calls DESC, key ASC'}`)
    .all(...params) as (Sums & { key: string | null; label?: string | null })[];
  const groups: UsageGroup[] = groupRows.map((row) => ({ key: row.key ?? '', ...(typeof row.label === 'string' ? { label: row.label } : {}), ...totalsOf(row) }));
  const recentRows = db
    .prepare(
      `SELECT u.id, u.at, u.provider, u.model, u.source, u.secret_id AS secretId, u.task, u.input_tokens AS inputTokens,
              u.output_tokens AS outputTokens, u.cost_micros AS costMicros, u.latency_ms AS latencyMs, u.outcome, u.user_id AS userId
       FROM usage_events u WHERE ${clause} ORDER BY u.at DESC, u.rowid DESC LIMIT 50`,
    )
    .all(...params) as (Omit<UsageRow, 'secretId' | 'userId'> & { secretId: string | null; userId: string | null })[];
  const recent = recentRows.map((row) => {
    const { userId, ...rest } = row;
    return { ...rest, ...(userId === null ? {} : { userId }) } as UsageRow;
  });
  return { totals, groups, recent };
}

/** A small deterministic PRNG (mulberry32): a failure replays with the same data. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEED = 20261122;
const random = prng(SEED);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
const int = (max: number): number => Math.floor(random() * max);

const ORGS = ['00000000-0000-4000-8000-00000000000a', '00000000-0000-4000-8000-00000000000b'];
const userId = (n: number): string => `00000000-0000-4000-8000-${String(100 + n).padStart(12, '0')}`;
// Members 0-7 have an account (a label in groupBy=member); 8-11 were removed (no label).
const USERS = Array.from({ length: 12 }, (_, n) => ({ id: userId(n), org: ORGS[n % 2] as string, registered: n < 8 }));
const MODELS: Record<string, readonly string[]> = {
  openai: ['gpt-4o-mini', 'gpt-4o'],
  anthropic: ['claude-3-5-haiku-latest', 'claude-sonnet-4'],
  google: ['gemini-1.5-flash'],
  groq: ['llama-3.1-8b-instant'],
  mistral: ['mistral-small-latest', 'mistral-large-latest'],
  builtin: ['extractive'],
};
const SOURCES: readonly RouteSource[] = ['byok', 'org', 'platform', 'builtin'];
const TASKS: readonly UsageTask[] = ['summary', 'entities', 'enrich', 'verify'];
const OUTCOMES: readonly UsageOutcome[] = ['ok', 'ok', 'ok', 'unreachable', 'rate_limited', 'key_rejected', 'quota_exceeded', 'error'];
const GROUP_BY: readonly AdminUsageGroupBy[] = ['day', 'provider', 'model', 'source', 'member'];
const DAY = 86_400_000;
const START = Date.parse('2026-09-28T00:00:00.000Z');
const SPAN_DAYS = 100; // to 2027-01-06: three month edges and a year edge
// Instants that sit exactly on or next to a bound the queries use.
const EDGES = [
  '2026-10-01T00:00:00.000Z', '2026-09-30T23:59:59.999Z', '2026-10-31T23:59:59.999Z', '2026-11-01T00:00:00.000Z',
  '2026-11-01T00:00:00.001Z', '2026-11-30T23:59:59.999Z', '2026-12-01T00:00:00.000Z', '2026-12-31T23:59:59.999Z',
  '2027-01-01T00:00:00.000Z', '2026-11-15T00:00:00.000Z', '2026-11-15T12:00:00.000Z', '2026-11-15T23:59:59.999Z',
  '2028-02-28T23:59:59.999Z', '2028-02-29T00:00:00.000Z', '2028-02-29T23:59:59.999Z', '2028-03-01T00:00:00.000Z',
];

let counter = 0;
function randomRow(): NewUsageRow {
  const user = pick(USERS);
  const provider = pick(Object.keys(MODELS));
  const at = random() < 0.15 ? pick(EDGES) : new Date(START + int(SPAN_DAYS * DAY)).toISOString();
  const failed = random() < 0.3;
  counter += 1;
  return {
    id: `10000000-0000-4000-8000-${String(counter).padStart(12, '0')}`,
    orgId: user.org,
    userId: user.id,
    requestId: `req-${counter % 400}`,
    at,
    provider,
    model: pick(MODELS[provider] ?? ['none']),
    source: provider === 'builtin' ? 'builtin' : pick(SOURCES),
    secretId: null,
    task: pick(TASKS),
    inputTokens: failed ? 0 : int(5000),
    outputTokens: failed ? 0 : int(800),
    costMicros: failed || random() < 0.2 ? 0 : int(20_000),
    latencyMs: int(3000),
    outcome: failed ? pick(OUTCOMES.slice(3)) : pick(OUTCOMES),
  };
}

/** Aligned ranges: month edges, single days, `to` exclusive, bare dates and midnight date-times. */
function alignedRanges(): Array<{ from?: string; to?: string }> {
  const fixed: Array<{ from?: string; to?: string }> = [
    { from: '2026-11-01', to: '2026-12-01' },
    { from: '2026-10-31', to: '2026-11-01' },
    { from: '2026-11-30', to: '2026-12-01' },
    { from: '2026-12-01', to: '2026-12-02' },
    { from: '2026-12-31', to: '2027-01-01' },
    { from: '2026-10-01', to: '2027-01-01' },
    { from: '2026-11-15', to: '2026-11-16' },
    { from: '2026-11-01T00:00:00Z', to: '2026-12-01T00:00:00.000Z' },
    { from: '2028-02-29', to: '2028-03-01' },
    { from: '2028-02-01', to: '2028-03-01' },
    { from: '2020-01-01', to: '2030-01-01' },
    { from: '2026-11-01' },
    { to: '2026-11-01' },
    { from: '2031-01-01', to: '2031-02-01' },
  ];
  const random30 = Array.from({ length: 30 }, () => {
    const start = START - 3 * DAY + int(SPAN_DAYS + 6) * DAY;
    const end = start + (1 + int(45)) * DAY;
    return { from: new Date(start).toISOString().slice(0, 10), to: new Date(end).toISOString().slice(0, 10) };
  });
  return [...fixed, ...random30];
}

/** Ranges with a time of day: partial days at one end, both ends, or no whole day at all. */
function unalignedRanges(): Array<{ from?: string; to?: string }> {
  const fixed = [
    { from: '2026-11-01T00:00:00.001Z', to: '2026-12-01T00:00:00.000Z' },
    { from: '2026-11-01T00:00:00.000Z', to: '2026-11-30T23:59:59.999Z' },
    { from: '2026-11-15T12:00:00Z', to: '2026-11-16T00:00:00Z' },
    { from: '2026-11-14T12:00:00Z', to: '2026-11-16T12:00:00Z' }, // one whole day between two halves
    { from: '2026-11-14T20:00:00Z', to: '2026-11-15T04:00:00Z' }, // across midnight, no whole day
    { from: '2026-11-15T00:00:00.000Z', to: '2026-11-15T00:00:00.001Z' },
    { from: '2026-11-15T23:59:59.999Z', to: '2026-11-16T00:00:00.000Z' },
    { from: '2026-10-31T23:59:59.999Z', to: '2026-12-01T00:00:00.001Z' },
    { from: '2026-12-31T12:00:00Z', to: '2027-01-01T12:00:00Z' },
  ];
  const random20 = Array.from({ length: 20 }, () => {
    const start = START + int(SPAN_DAYS * DAY);
    return { from: new Date(start).toISOString(), to: new Date(start + 1 + int(40 * DAY)).toISOString() };
  });
  return [...fixed, ...random20];
}

describe('usage summaries: daily rollup vs call rows', () => {
  let dir: string;
  let db: Db;
  let fast: AdminUsageService;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'byok-usage-rollup-'));
    db = openDatabase(dir);
    for (const org of ORGS) db.prepare("INSERT INTO orgs (id, name, plan, policy, created_at) VALUES (?, 'Org', 'business', NULL, '2026-01-01T00:00:00.000Z')").run(org);
    const user = db.prepare("INSERT INTO users (id, org_id, email, role, kdf, auth_hash, created_at) VALUES (?, ?, ?, 'member', '{}', 'h', '2026-01-01T00:00:00.000Z')");
    for (const [n, u] of USERS.entries()) if (u.registered) user.run(u.id, u.org, `member${n}@example.com`);
    const store = new UsageStore(db);
    // Through the real write path, in requests of one to four rows as enrichment writes them.
    for (let written = 0; written < 4000; ) {
      const rows = Array.from({ length: 1 + int(4) }, randomRow);
      store.record(rows, null);
      written += rows.length;
    }
    fast = new AdminUsageService(db);
  });
  afterAll(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function compareAll(ranges: Array<{ from?: string; to?: string }>, nows: Date[]): number {
    let compared = 0;
    let nonEmpty = 0;
    const members = [undefined, USERS[0]?.id, USERS[3]?.id, USERS[9]?.id, '00000000-0000-4000-8000-0000000000ff'];
    for (const org of ORGS) {
      for (const member of members) {
        for (const groupBy of GROUP_BY) {
          for (const range of ranges) {
            for (const now of nows) {
              const query = { ...range, groupBy, ...(member === undefined ? {} : { userId: member }) };
              const expected = legacyReport(db, org, query, now);
              const actual = fast.report(org, query, now);
              // Byte-identical as sent: same values, same keys in the same order.
              expect(JSON.stringify(actual), `${org} ${JSON.stringify(query)} now=${now.toISOString()} seed=${SEED}`).toBe(JSON.stringify(expected));
              compared += 1;
              if (expected.totals.calls > 0) nonEmpty += 1;
            }
          }
        }
      }
    }
    // The comparison is only worth something if much of it saw data (half the member filters
    // name someone of the other organization or no one, and answer empty).
    expect(nonEmpty).toBeGreaterThan(compared * 0.4);
    return compared;
  }

  it('answers every aligned range, month edge and default month identically', () => {
    const nows = [new Date('2026-11-15T12:00:00.000Z')];
    expect(compareAll(alignedRanges(), nows)).toBeGreaterThan(2000);
    // The default range: the current UTC month, at its first and last instants too.
    const defaults = ['2026-10-01T00:00:00.000Z', '2026-10-31T23:59:59.999Z', '2026-11-20T08:00:00.000Z', '2026-12-31T23:59:59.999Z', '2027-01-01T00:00:00.000Z', '2028-02-29T10:00:00.000Z'].map((at) => new Date(at));
    expect(compareAll([{}], defaults)).toBe(ORGS.length * 5 * GROUP_BY.length * defaults.length);
  });

  it('answers ranges with a time of day identically (partial days from the call rows, whole days from the rollup)', () => {
    expect(compareAll(unalignedRanges(), [new Date('2026-11-15T12:00:00.000Z')])).toBeGreaterThan(1000);
  });

  it('counts every row whatever its outcome or task, as the call rows do', () => {
    const november = { from: '2026-11-01', to: '2026-12-01', groupBy: 'source' as const };
    const all = db
      .prepare("SELECT COUNT(*) AS n FROM usage_events WHERE org_id = ? AND at >= '2026-11-01T00:00:00.000Z' AND at < '2026-12-01T00:00:00.000Z'")
      .get(ORGS[0]) as { n: number };
    const failed = db
      .prepare("SELECT COUNT(*) AS n FROM usage_events WHERE org_id = ? AND substr(at, 1, 7) = '2026-11' AND (outcome != 'ok' OR task = 'verify')")
      .get(ORGS[0]) as { n: number };
    expect(failed.n).toBeGreaterThan(50);
    expect(fast.report(ORGS[0] as string, november).totals.calls).toBe(all.n);
  });

  it('reads the rollup for whole days and the call rows for partial ones', () => {
    const org = ORGS[1] as string;
    const aligned = { from: '2026-11-01', to: '2026-12-01', groupBy: 'day' as const };
    // 2026-11-10 is a whole day inside this range, whose ends are partial days.
    const timeOfDay = { from: '2026-11-01T06:00:00.000Z', to: '2026-11-30T18:00:00.000Z', groupBy: 'day' as const };
    // Within 2026-11-10 only: no whole day, all from the call rows.
    const withinTheDay = { from: '2026-11-10T00:00:00.001Z', to: '2026-11-10T23:59:59.999Z', groupBy: 'day' as const };
    const before = fast.report(org, aligned);
    const beforeTimeOfDay = fast.report(org, timeOfDay);
    const beforeWithin = fast.report(org, withinTheDay);
    expect(beforeWithin.totals.calls).toBeGreaterThan(0);
    // Tamper with the rollup alone (no trigger on usage_daily): only what reads it moves.
    const tampered = db.prepare("UPDATE usage_daily SET calls = calls + 1000 WHERE org_id = ? AND day = '2026-11-10'").run(org).changes;
    expect(tampered).toBeGreaterThan(0);
    try {
      expect(fast.report(org, aligned).totals.calls).toBe(before.totals.calls + 1000 * tampered);
      expect(fast.report(org, timeOfDay).totals.calls).toBe(beforeTimeOfDay.totals.calls + 1000 * tampered);
      expect(fast.report(org, withinTheDay)).toEqual(beforeWithin);
      expect(legacyReport(db, org, aligned, new Date())).toEqual(before);
    } finally {
      db.prepare("UPDATE usage_daily SET calls = calls - 1000 WHERE org_id = ? AND day = '2026-11-10'").run(org);
    }
    expect(fast.report(org, aligned)).toEqual(before);
    expect(fast.report(org, timeOfDay)).toEqual(beforeTimeOfDay);
  });
});
