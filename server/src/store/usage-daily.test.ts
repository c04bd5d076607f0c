// The daily usage rollup (migration 005) on a real SQLite file: its triggers keep it equal to a
// recount of usage_events through writes, rolled-back transactions, refused idempotent repeats,
// direct deletes and updates; and the migration back-fills it from the rows already stored.
import { afterEach, describe, expect, it } from 'vitest';
import { migrationStep } from '../testing/migration-step';
import { openDatabase, type Db } from './db';
import { UsageStore, type NewUsageRow } from './usage-store';
import { useTempDirs } from '../testing/temp-dirs';

const ROLLUP = '005-usage-daily.sql';

const dirs = useTempDirs('byok-usage-daily-');
const tempDir = dirs.make;
const dbs: Db[] = [];
// Registered after the directories' clean-up: vitest runs after-hooks last registered first, so each
// test's databases close before their files go.
afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
});

const BUCKET = 'org_id, day, user_id, provider, model, source';
const rollup = (db: Db): unknown[] => db.prepare(`SELECT ${BUCKET}, calls, input_tokens, output_tokens, cost_micros FROM usage_daily ORDER BY ${BUCKET}`).all();
const recount = (db: Db): unknown[] =>
  db
    .prepare(
      `SELECT org_id, substr(at, 1, 10) AS day, user_id, provider, model, source, COUNT(*) AS calls, SUM(input_tokens) AS input_tokens,
              SUM(output_tokens) AS output_tokens, SUM(cost_micros) AS cost_micros
       FROM usage_events GROUP BY org_id, substr(at, 1, 10), user_id, provider, model, source ORDER BY ${BUCKET}`,
    )
    .all();

let counter = 0;
let seed = 7;
function next(max: number): number {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  // The high bits: the low bits of this generator repeat with a short period.
  return Math.floor((seed / 2147483648) * max);
}
function row(overrides: Partial<NewUsageRow> = {}): NewUsageRow {
  counter += 1;
  const provider = ['openai', 'anthropic', 'groq'][next(3)] ?? 'openai';
  return {
    id: `00000000-0000-4000-8000-${String(counter).padStart(12, '0')}`,
    orgId: ['org-a', 'org-b'][next(2)] ?? 'org-a',
    userId: `user-${next(5)}`,
    requestId: `req-${counter}`,
    at: new Date(Date.parse('2026-10-30T00:00:00.000Z') + next(4 * 86_400_000)).toISOString(),
    provider,
    model: `${provider}-${next(2)}`,
    source: (['byok', 'org', 'platform', 'builtin'] as const)[next(4)] ?? 'byok',
    secretId: null,
    task: (['summary', 'entities', 'enrich', 'verify'] as const)[next(4)] ?? 'summary',
    inputTokens: next(1000),
    outputTokens: next(100),
    costMicros: next(5000),
    latencyMs: next(900),
    outcome: (['ok', 'ok', 'unreachable', 'rate_limited', 'key_rejected', 'quota_exceeded', 'error'] as const)[next(7)] ?? 'ok',
    ...overrides,
  };
}

describe('usage_daily', () => {
  it('stays equal to a recount of usage_events through every kind of change', () => {
    const db = openDatabase(tempDir());
    dbs.push(db);
    const store = new UsageStore(db);
    for (let i = 0; i < 300; i++) store.record(Array.from({ length: 1 + next(3) }, () => row()), null);
    expect(rollup(db)).toEqual(recount(db));
    expect(rollup(db).length).toBeGreaterThan(100);

    // A request whose work alongside fails leaves neither its rows nor its counts.
    const before = rollup(db);
    expect(() => store.record([row(), row()], null, () => { throw new Error('boom'); })).toThrow('boom');
    expect(rollup(db)).toEqual(before);
    // A second run with a stored request id keeps the first answer; the calls it made are counted.
    expect(store.record([row()], { userId: 'user-1', requestId: 'once', response: { status: 200, body: {} } })).toBe(true);
    expect(store.record([row(), row()], { userId: 'user-1', requestId: 'once', response: { status: 200, body: {} } })).toBe(false);
    expect(rollup(db)).toEqual(recount(db));

    // Rows removed or changed behind the server's back (a quota reset in a test, an operator).
    expect(db.prepare("DELETE FROM usage_events WHERE source = 'platform'").run().changes).toBeGreaterThan(10);
    expect(rollup(db)).toEqual(recount(db));
    db.prepare("UPDATE usage_events SET at = '2026-12-25T10:00:00.000Z', cost_micros = cost_micros + 3 WHERE outcome = 'error'").run();
    db.prepare("UPDATE usage_events SET model = 'renamed', user_id = 'user-9' WHERE rowid % 5 = 0").run();
    db.prepare("UPDATE usage_events SET latency_ms = 1 WHERE rowid % 3 = 0").run();
    expect(rollup(db)).toEqual(recount(db));
    // A bucket whose last call is removed disappears (no empty groups).
    db.prepare("DELETE FROM usage_events WHERE org_id = 'org-b'").run();
    expect(db.prepare("SELECT COUNT(*) AS n FROM usage_daily WHERE org_id = 'org-b'").get()).toEqual({ n: 0 });
    expect(rollup(db)).toEqual(recount(db));
  });

  it('keeps an exact count when one bucket takes many rows', () => {
    const db = openDatabase(tempDir());
    dbs.push(db);
    const store = new UsageStore(db);
    const same = { orgId: 'org', userId: 'u', at: '2026-11-01T00:00:00.000Z', provider: 'openai', model: 'm', source: 'byok' as const };
    store.record(Array.from({ length: 50 }, (_, i) => row({ ...same, inputTokens: i, outputTokens: 2 * i, costMicros: 3 * i })), null);
    store.record([row({ ...same, at: '2026-11-01T23:59:59.999Z', inputTokens: 1, outputTokens: 1, costMicros: 1 })], null);
    store.record([row({ ...same, at: '2026-10-31T23:59:59.999Z' })], null);
    expect(db.prepare("SELECT day, calls, input_tokens, output_tokens, cost_micros FROM usage_daily WHERE org_id = 'org' ORDER BY day").all()).toEqual([
      { day: '2026-10-31', calls: 1, input_tokens: expect.any(Number), output_tokens: expect.any(Number), cost_micros: expect.any(Number) },
      { day: '2026-11-01', calls: 51, input_tokens: 1226, output_tokens: 2451, cost_micros: 3676 },
    ]);
  });

  it(`migration ${ROLLUP} back-fills the rollup from the rows already stored`, () => {
    const step = migrationStep(ROLLUP);
    dirs.keep(step.root);
    const before = step.before();
    expect(before.prepare("SELECT 1 FROM sqlite_master WHERE name = 'usage_daily'").get()).toBeUndefined();
    const insert = before.prepare(
      `INSERT INTO usage_events (id, org_id, user_id, request_id, at, provider, model, source, secret_id, task,
         input_tokens, output_tokens, cost_micros, latency_ms, outcome)
       VALUES (@id, @orgId, @userId, @requestId, @at, @provider, @model, @source, @secretId, @task,
         @inputTokens, @outputTokens, @costMicros, @latencyMs, @outcome)`,
    );
    before.transaction(() => {
      for (let i = 0; i < 500; i++) insert.run(row());
    })();
    const stored = recount(before);
    before.close();

    const after = step.after();
    dbs.push(after);
    expect(rollup(after)).toEqual(stored);
    expect(stored.length).toBeGreaterThan(100);
    // And the triggers are on from then on.
    new UsageStore(after).record([row(), row({ orgId: 'org-new' })], null);
    expect(rollup(after)).toEqual(recount(after));
  });
});
