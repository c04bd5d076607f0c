// Settings through the background's router: a signed-in session stays with the companion that
// issued it, and a shorter auto-lock delay takes effect on the running session.
import { beforeEach, describe, expect, it } from 'vitest';
import { fakeBrowser } from 'wxt/testing';
import { createHarness, EMAIL, PASSPHRASE, type Harness } from '../testing/harness';
import { createRouter } from './router';
import { DEFAULT_COMPANION_URL } from './settings';
import { AUTO_LOCK_ALARM } from './vault';

describe('settings', () => {
  let harness: Harness;
  let route: ReturnType<typeof createRouter>;

  beforeEach(async () => {
    fakeBrowser.reset();
    harness = await createHarness();
    route = createRouter(harness.services);
  });

  it('refuses another companion URL while signed in, and takes it after sign-out', async () => {
    await harness.services.vault.createAccount({ email: EMAIL, passphrase: PASSPHRASE });
    const other = 'http://other.example:9000';
    const refused = await route({ channel: 'byok', type: 'settings.set', payload: { companionUrl: other } });
    expect(refused).toMatchObject({ ok: false, error: { code: 'invalid_input', message: expect.stringMatching(/Sign out before you switch/) } });
    expect(await harness.services.settings.get('companionUrl')).toBe(DEFAULT_COMPANION_URL);
    // The same URL, written differently, is no switch.
    expect(await route({ channel: 'byok', type: 'settings.set', payload: { companionUrl: `${DEFAULT_COMPANION_URL}/` } })).toMatchObject({ ok: true });

    await route({ channel: 'byok', type: 'vault.signOut', payload: undefined });
    expect(await route({ channel: 'byok', type: 'settings.set', payload: { companionUrl: other } })).toMatchObject({ ok: true, value: { companionUrl: other } });
  });

  it('applies a shorter auto-lock delay to the running session, not only from the next unlock', async () => {
    const { services, clock } = harness;
    await services.vault.createAccount({ email: EMAIL, passphrase: PASSPHRASE });
    await route({ channel: 'byok', type: 'settings.set', payload: { autoLockMinutes: 240 } });
    expect((await fakeBrowser.alarms.get(AUTO_LOCK_ALARM))?.scheduledTime).toBe(clock.now + 240 * 60_000);
    await route({ channel: 'byok', type: 'settings.set', payload: { autoLockMinutes: 1 } });
    expect((await fakeBrowser.alarms.get(AUTO_LOCK_ALARM))?.scheduledTime).toBe(clock.now + 60_000);
    clock.now += 2 * 60_000;
    await services.vault.enforceAutoLock();
    expect(await services.vault.state()).toBe('locked');
  });
});
