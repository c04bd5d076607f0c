// Dexie upgrades: an older database opened by the current schema keeps every row and gains the
// new fields and tables.
import Dexie from 'dexie';
import { describe, expect, it } from 'vitest';
import { ByokDb, SCHEMA_V1, SCHEMA_V2 } from './db';

describe('database upgrades', () => {
  it('upgrades version 1 to the latest version keeping data', async () => {
    const name = `byok-upgrade-${crypto.randomUUID()}`;
    const old = new Dexie(name);
    old.version(1).stores(SCHEMA_V1);
    await old.open();
    await old.table('keys').put({ id: 'k1', scope: 'user', provider: 'openai', label: 'Old', position: 0, hint: { prefix: 'sk-', last4: 'abcd' } });
    await old.table('outbox').add({ secretId: 's1', state: 'pending', label: 'Queued' });
    await old.table('history').put({ id: 'h1', createdAt: '2026-01-01T00:00:00.000Z', title: 'Old result' });
    await old.table('settings').put({ key: 'companionUrl', value: 'http://127.0.0.1:9999' });
    old.close();

    const db = new ByokDb(name);
    await db.open();
    expect(db.verno).toBe(3);
    expect(await db.keys.get('k1')).toMatchObject({ label: 'Old' });
    expect(await db.history.get('h1')).toMatchObject({ title: 'Old result', retryable: false });
    expect(await db.settings.get('companionUrl')).toMatchObject({ value: 'http://127.0.0.1:9999' });
    const [item] = await db.outbox.toArray();
    expect(item).toMatchObject({ label: 'Queued', attempts: 0, nextAttemptAt: 0, lastError: null, replace: false });
    expect(await db.outbox.where('nextAttemptAt').belowOrEqual(Date.now()).count()).toBe(1);
    await db.usage.put({ id: '2026-01|day', fetchedAt: 'now', report: { totals: { calls: 0, inputTokens: 0, outputTokens: 0, costMicros: 0 }, groups: [], recent: [] } });
    expect(await db.usage.count()).toBe(1);
    db.close();
  });

  it('moves the input of retryable version-2 history rows into retryInputs', async () => {
    const name = `byok-upgrade-${crypto.randomUUID()}`;
    const old = new Dexie(name);
    old.version(1).stores(SCHEMA_V1);
    old.version(2).stores(SCHEMA_V2);
    await old.open();
    const text = 'word '.repeat(1000);
    const row = (id: string, state: string, input?: unknown) => ({ id, createdAt: `2026-01-0${id.length}T00:00:00.000Z`, title: id, state, ...(input === undefined ? {} : { input }) });
    await old.table('history').bulkPut([
      row('failed', 'error', { kind: 'page', text, title: 'T', url: 'https://example.com/' }),
      row('interrupted', 'running', { kind: 'selection', text: 'short' }),
      row('done', 'done'),
      row('extraction-failed', 'error'),
    ]);
    old.close();

    const db = new ByokDb(name);
    await db.open();
    const history = await db.history.toArray();
    expect(history.map((entry) => [entry.id, entry.retryable, 'input' in entry])).toEqual([
      ['done', false, false],
      ['extraction-failed', false, false],
      ['failed', true, false],
      ['interrupted', true, false],
    ]);
    expect(await db.retryInputs.get('failed')).toEqual({ id: 'failed', kind: 'page', text, title: 'T', url: 'https://example.com/' });
    expect(await db.retryInputs.get('interrupted')).toEqual({ id: 'interrupted', kind: 'selection', text: 'short' });
    expect(await db.retryInputs.count()).toBe(2);
    expect(await db.history.where('state').equals('running').primaryKeys()).toEqual(['interrupted']);
    db.close();
  });
});
