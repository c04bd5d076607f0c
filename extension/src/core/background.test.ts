// The background entrypoint as the browser drives it: browser start deletes the vault session
// (CRYPTO.md section 6), the auto-lock alarm locks, menus are created on install, and typed
// messages reach the router.
import { beforeEach, describe, expect, it } from 'vitest';
import { fakeBrowser } from 'wxt/testing';
import { importKek } from '@byok/shared';
import background from '../../entrypoints/background';
import { ByokDb } from '../db';
import { AUTO_LOCK_ALARM } from './vault';

async function seedUnlockedSession(db: ByokDb): Promise<void> {
  await db.settings.put({
    key: 'account',
    value: { email: 'a@example.com', userId: crypto.randomUUID(), orgId: crypto.randomUUID(), orgName: 'Org', role: 'owner', plan: 'pro', kdf: {} },
  });
  await db.vaultSession.put({
    id: 'current',
    kek: await importKek(crypto.getRandomValues(new Uint8Array(32))),
    userId: 'u',
    unlockedAt: Date.now(),
    lockAt: Date.now() + 60_000,
  });
}

describe('background entrypoint', () => {
  let db: ByokDb;
  let created: string[] = [];

  beforeEach(async () => {
    fakeBrowser.reset();
    db = new ByokDb();
    await db.vaultSession.clear();
    await db.settings.clear();
    // WXT's fake browser leaves context menus unimplemented: a recording stand-in.
    const menus = fakeBrowser.contextMenus as unknown as Record<string, unknown>;
    created = [];
    menus.onClicked = { addListener: () => undefined, removeListener: () => undefined };
    menus.removeAll = async () => {
      created = [];
    };
    menus.create = (item: { title: string }) => {
      created.push(item.title);
    };
    await background.main();
  });

  it('deletes the unlocked vault when the browser starts', async () => {
    await seedUnlockedSession(db);
    await fakeBrowser.runtime.onStartup.trigger();
    await expect.poll(() => db.vaultSession.count()).toBe(0);
  });

  it('creates the three context menu items on install', async () => {
    await fakeBrowser.runtime.onInstalled.trigger({ reason: 'install', temporary: false });
    await expect.poll(() => created).toEqual(['Enrich this page', 'Enrich selection', 'Enrich linked document']);
  });

  it('locks when the auto-lock alarm fires after the deadline', async () => {
    await seedUnlockedSession(db);
    await db.vaultSession.update('current', { lockAt: Date.now() - 1 });
    await fakeBrowser.alarms.onAlarm.trigger({ name: AUTO_LOCK_ALARM, scheduledTime: Date.now() });
    await expect.poll(() => db.vaultSession.count()).toBe(0);
  });

  it('answers typed messages from the pages', async () => {
    await seedUnlockedSession(db);
    // The real event passes sendResponse as a third argument; the fake's typing leaves it out.
    const trigger = fakeBrowser.runtime.onMessage.trigger as unknown as (...args: unknown[]) => Promise<unknown[]>;
    const reply = await new Promise<unknown>((resolve) => {
      void trigger({ channel: 'byok', type: 'status' }, { id: fakeBrowser.runtime.id }, resolve);
    });
    expect(reply).toMatchObject({ ok: true, value: { state: 'unlocked', account: { email: 'a@example.com' } } });
    // Messages from elsewhere are not answered.
    const [foreign] = await trigger({ channel: 'byok', type: 'status' }, { id: 'another-extension' }, () => undefined);
    expect(foreign).toBe(false);
  });
});
