// Vault: account creation, KEK custody (non-extractable, kept across a worker restart, deleted
// on lock and auto-lock), downgrade refusal, offline unlock checked against a cached data key.
import { beforeEach, describe, expect, it } from 'vitest';
import { fakeBrowser } from 'wxt/testing';
import { AUTO_LOCK_ALARM } from './vault';
import { createHarness, EMAIL, PASSPHRASE, type Harness } from '../testing/harness';

describe('vault', () => {
  let harness: Harness;

  beforeEach(async () => {
    fakeBrowser.reset();
    harness = await createHarness();
  });

  it('creates an account and keeps a non-extractable AES-KW KEK while unlocked', async () => {
    const { services } = harness;
    expect(await services.vault.state()).toBe('no-account');
    const account = await services.vault.createAccount({ email: ' Ada@Example.com ', passphrase: PASSPHRASE });
    expect(account.email).toBe(EMAIL);
    expect(await services.vault.state()).toBe('unlocked');
    const row = await services.db.vaultSession.get('current');
    expect(row?.kek.extractable).toBe(false);
    expect(row?.kek.algorithm.name).toBe('AES-KW');
    expect([...(row?.kek.usages ?? [])].sort()).toEqual(['unwrapKey', 'wrapKey']);
    await expect(crypto.subtle.exportKey('raw', row!.kek)).rejects.toThrow();
    const register = harness.companion.requests.find((request) => request.path === '/v1/auth/register');
    expect(JSON.stringify(register?.body)).not.toContain(PASSPHRASE);
    // Nothing about the passphrase or master is in the settings.
    expect(JSON.stringify(await services.db.settings.toArray())).not.toContain(PASSPHRASE);
  });

  it('survives a worker restart while unlocked and forgets the KEK on lock', async () => {
    await harness.services.vault.createAccount({ email: EMAIL, passphrase: PASSPHRASE });
    const restarted = harness.restart();
    expect(await restarted.vault.state()).toBe('unlocked');
    await restarted.vault.lock();
    expect(await restarted.db.vaultSession.count()).toBe(0);
    expect(await harness.restart().vault.state()).toBe('locked');
    await expect(restarted.vault.unlock('wrong passphrase')).rejects.toMatchObject({ code: 'invalid_credentials' });
    expect(await restarted.vault.state()).toBe('locked');
    await restarted.vault.unlock(PASSPHRASE);
    expect(await restarted.vault.state()).toBe('unlocked');
  });

  it('auto-locks after the idle delay, with an alarm and on wake-up', async () => {
    const { services, clock } = harness;
    await services.settings.set('autoLockMinutes', 5);
    await services.vault.createAccount({ email: EMAIL, passphrase: PASSPHRASE });
    const alarm = await fakeBrowser.alarms.get(AUTO_LOCK_ALARM);
    expect(alarm?.scheduledTime).toBe(clock.now + 5 * 60_000);
    clock.now += 4 * 60_000;
    await services.vault.touch();
    clock.now += 4 * 60_000;
    expect(await services.vault.state()).toBe('unlocked');
    // An alarm that fires before the (pushed back) deadline re-arms instead of locking.
    await services.vault.enforceAutoLock();
    expect(await services.db.vaultSession.count()).toBe(1);
    expect((await fakeBrowser.alarms.get(AUTO_LOCK_ALARM))?.scheduledTime).toBe(clock.now + 60_000);
    clock.now += 2 * 60_000;
    await services.vault.enforceAutoLock();
    expect(await services.db.vaultSession.count()).toBe(0);
    expect(await services.vault.state()).toBe('locked');
    expect(await services.db.vaultSession.count()).toBe(0);
    expect(await fakeBrowser.alarms.get(AUTO_LOCK_ALARM)).toBeUndefined();
  });

  it('refuses downgraded KDF parameters at sign-in', async () => {
    await harness.services.vault.createAccount({ email: EMAIL, passphrase: PASSPHRASE });
    await harness.services.vault.signOut();
    for (const kdf of [
      { name: 'PBKDF2-SHA256', iterations: 1000, salt: 'AAAAAAAAAAAAAAAAAAAAAA' },
      { name: 'PBKDF2-SHA1', iterations: 600000, salt: 'AAAAAAAAAAAAAAAAAAAAAA' },
      { name: 'PBKDF2-SHA256', iterations: 600000, salt: 'AAAA' },
    ]) {
      harness.companion.preloginKdf = kdf;
      await expect(harness.services.vault.signIn({ email: EMAIL, passphrase: PASSPHRASE })).rejects.toMatchObject({ code: 'kdf_rejected' });
    }
    expect(harness.companion.requests.filter((request) => request.path === '/v1/auth/login')).toHaveLength(0);
  });

  it("drops history on sign-out, and another account's queued uploads even after a sign-out", async () => {
    const { services, companion } = harness;
    const seed = async (): Promise<void> => {
      await services.db.history.put({ id: 'h', createdAt: '2026-01-01T00:00:00.000Z', kind: 'page', title: 'Private page', url: null, chars: 4, state: 'error', progress: null, result: null, error: null, retryable: true });
      await services.db.retryInputs.put({ id: 'h', kind: 'page', text: 'text' });
      await services.db.outbox.add({ secretId: 's', kind: 'store', provider: 'openai', label: 'Queued', defaultModel: null, baseUrl: '', replace: false, state: 'pending', attempts: 0, nextAttemptAt: 0, lastError: null, createdAt: 'now' });
    };
    const counts = async (): Promise<number[]> => Promise.all([services.db.history.count(), services.db.retryInputs.count(), services.db.outbox.count()]);

    await services.vault.createAccount({ email: EMAIL, passphrase: PASSPHRASE });
    await seed();
    await services.vault.signOut();
    // What the user read and sent goes; the sealed key waiting for upload stays for their next sign-in.
    expect(await counts()).toEqual([0, 0, 1]);
    await services.vault.signIn({ email: EMAIL, passphrase: PASSPHRASE });
    expect(await counts()).toEqual([0, 0, 1]);
    await seed();

    await services.vault.signOut();
    // Another person registers on this browser (the fake companion names users by this field).
    companion.userId = crypto.randomUUID();
    await services.vault.createAccount({ email: 'grace@example.com', passphrase: PASSPHRASE });
    expect(await counts()).toEqual([0, 0, 0]);
  });

  it('unlocks offline only with the right passphrase, checked against a cached wrapped key', async () => {
    const { services, companion } = harness;
    await services.vault.createAccount({ email: EMAIL, passphrase: PASSPHRASE });
    await services.keys.save({ provider: 'openai', label: 'Work', apiKey: `sk-proj-${'a'.repeat(40)}` });
    await services.vault.lock();
    companion.online = false;
    await expect(services.vault.unlock('not the passphrase')).rejects.toMatchObject({ code: 'wrong_passphrase' });
    await services.vault.unlock(PASSPHRASE);
    expect(await services.vault.state()).toBe('unlocked');
  });

  it('confirms an offline unlock when the companion is back, and locks if the passphrase changed meanwhile', async () => {
    const { services, companion } = harness;
    const unlockOfflineAndQueue = async (label: string) => {
      await services.vault.lock();
      companion.online = false;
      await services.vault.unlock(PASSPHRASE);
      expect((await services.keys.save({ provider: 'groq', label, apiKey: `gsk_${'q'.repeat(30)}${label.slice(0, 4)}` })).state).toBe('queued');
      companion.online = true;
    };
    await services.vault.createAccount({ email: EMAIL, passphrase: PASSPHRASE });
    await services.keys.save({ provider: 'openai', label: 'Work', apiKey: `sk-proj-${'a'.repeat(40)}` });

    // Same passphrase on the companion: confirmed, and the queued key goes up.
    await unlockOfflineAndQueue('Same');
    expect((await services.drainOutbox(true)).uploaded).toHaveLength(1);
    expect(await services.vault.state()).toBe('unlocked');

    // Changed on another device while this one was offline: new KDF parameters at prelogin.
    await unlockOfflineAndQueue('Late');
    companion.preloginKdf = { name: 'PBKDF2-SHA256', iterations: 600_000, salt: 'QUJDREVGR0hJSktMTU5PUA' };
    expect((await services.drainOutbox(true)).uploaded).toEqual([]);
    expect(await services.vault.state()).toBe('locked');
    expect(await services.outbox.list()).toEqual([expect.objectContaining({ label: 'Late', state: 'pending' })]);
    // The lock screen says why, until the next unlock.
    expect(await services.settings.get('lockNotice')).toMatch(/changed on another device/);
    companion.preloginKdf = null;
    await services.vault.unlock(PASSPHRASE);
    expect(await services.settings.get('lockNotice')).toBeNull();
  });
});
