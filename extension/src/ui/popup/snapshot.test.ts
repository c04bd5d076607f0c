// The popup's first-paint snapshot read straight from IndexedDB: it matches what the background's
// Dexie database holds (state, keys in order, outbox, cached usage), treats an expired session as
// locked, and never creates the database on a first run.
import { beforeEach, describe, expect, it } from 'vitest';
import { fakeBrowser } from 'wxt/testing';
import { DB_NAME } from '../../db';
import { createHarness, EMAIL, PASSPHRASE, type Harness } from '../../testing/harness';
import { readSnapshot, SNAPSHOT_DB_NAME } from './snapshot';

const OPENAI = `sk-proj-${'s'.repeat(30)}Sn4p`;
const GROQ = `gsk_${'t'.repeat(30)}Sn5q`;

describe('popup snapshot', () => {
  let harness: Harness;

  beforeEach(async () => {
    fakeBrowser.reset();
    harness = await createHarness();
  });

  it('reads the same database name as Dexie', () => {
    expect(SNAPSHOT_DB_NAME).toBe(DB_NAME);
  });

  it('returns null and creates nothing when the database does not exist', async () => {
    const name = `absent-${crypto.randomUUID()}`;
    expect(await readSnapshot({ name })).toBeNull();
    expect((await indexedDB.databases()).map((info) => info.name)).not.toContain(name);
  });

  it('shows the account, the cached keys in order, the outbox and cached usage', async () => {
    const { services, companion, clock } = harness;
    await services.db.open();
    expect(await readSnapshot({ name: harness.dbName })).toMatchObject({ status: { state: 'no-account' } });
    await services.vault.createAccount({ email: EMAIL, passphrase: PASSPHRASE });
    const a = await services.keys.save({ provider: 'openai', label: 'A', apiKey: OPENAI });
    const b = await services.keys.save({ provider: 'groq', label: 'B', apiKey: GROQ });
    await services.keys.reorder([b.secretId, a.secretId]);
    companion.online = false;
    await services.keys.save({ provider: 'openai', label: 'Queued', apiKey: OPENAI });
    await services.keys.save({ provider: 'groq', label: 'Queued later', apiKey: GROQ });
    await services.usage.view().catch(() => undefined);

    const snapshot = await readSnapshot({ name: harness.dbName, now: clock.now });
    expect(snapshot?.status).toMatchObject({ state: 'unlocked', account: { email: EMAIL }, outboxWaiting: 2 });
    expect(snapshot?.keys.keys.map((key) => key.label)).toEqual(['B', 'A']);
    // The same orders as the background's own list.
    expect(snapshot?.keys.outbox.map((item) => item.label)).toEqual(['Queued', 'Queued later']);
    expect(snapshot?.keys.keys).toEqual(await services.keys.cached());
    expect(snapshot?.keys.outbox).toEqual(await services.outbox.list());
    expect(snapshot?.keys.fresh).toBe(false);
    // Usage was never fetched (offline): nothing cached to show.
    expect(snapshot?.usage).toBeNull();

    // Past the auto-lock deadline the snapshot shows the lock screen even before the worker runs.
    const later = await readSnapshot({ name: harness.dbName, now: clock.now + 16 * 60_000 });
    expect(later?.status.state).toBe('locked');
    await services.vault.lock();
    expect((await readSnapshot({ name: harness.dbName, now: clock.now }))?.status.state).toBe('locked');
  });
});
