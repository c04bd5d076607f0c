// Browser-side faults (issue 6), end to end in Chromium: the companion vanishes in the middle of
// an enrichment and of a key upload, and the extension's service worker is terminated while an
// enrichment runs and a key waits in the outbox. Nothing is lost: history entries stay (with
// "Try again"), sealed keys stay in the outbox and drain later, the vault stays unlocked.
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'puppeteer-core';
import { browserOrSkip, dumpExtensionStorage, type ExtensionBrowser } from '../support/chromium';
import {
  ARTIFACTS,
  clickButton,
  createAccount,
  dispatchMenu,
  expectNoPlaintextStored,
  fillAddKey,
  screenshotIfFailed,
  startExtensionEnv,
  waitForText,
  type ExtensionEnv,
} from './extension-harness';

const PASSPHRASE = 'amber falcon teapot glacier';
const EMAIL = 'faults@example.com';
const OPENAI_KEY = `sk-proj-canary${'Fa1'.repeat(10)}F0p1`;
const ANTHROPIC_KEY = `sk-ant-canary${'Fb2'.repeat(10)}F0a2`;
const MISTRAL_KEY = `canaryMistral${'Fc3'.repeat(5)}F0m3`;
const ALL_SECRETS = [OPENAI_KEY, ANTHROPIC_KEY, MISTRAL_KEY, PASSPHRASE];

const chromePath = browserOrSkip();

describe.skipIf(chromePath === null)('extension under browser-side faults (Chromium)', () => {
  let env: ExtensionEnv;
  let chromium: ExtensionBrowser;
  let popup: Page;
  let panel: Page | undefined;
  let article: Page;

  beforeAll(async () => {
    env = await startExtensionEnv(chromePath!, [
      ['openai', OPENAI_KEY],
      ['anthropic', ANTHROPIC_KEY],
      ['mistral', MISTRAL_KEY],
    ]);
    ({ chromium, popup } = env);
    await createAccount(popup, { email: EMAIL, passphrase: PASSPHRASE, companionUrl: env.companionUrl });
    await fillAddKey(popup, 'openai', 'Main', OPENAI_KEY);
    await clickButton(popup, 'Save key');
    await waitForText(popup, 'sk-proj-•••F0p1');
    article = await chromium.browser.newPage();
    await article.goto(env.site.articleUrl, { waitUntil: 'domcontentloaded' });
  });

  afterAll(async () => {
    await env?.close();
  });

  afterEach(async (context) => {
    await screenshotIfFailed(context, panel, 'failed-faults-panel');
    await screenshotIfFailed(context, popup, 'failed-faults-popup');
    env.emulator.setBehavior({ provider: 'openai' }, null);
    if (panel && !panel.isClosed()) await panel.close();
    panel = undefined;
  });

  const historyCount = (page: Page) => page.$$eval('[data-testid="history"] > li', (nodes) => nodes.length);
  const resultState = (page: Page) => page.$eval('[data-testid="result"]', (node) => node.getAttribute('data-state'));

  /** Starts "Enrich selection" with the provider hanging, and waits until the call is in flight. */
  const startHungEnrichment = async (selectionText: string): Promise<void> => {
    env.emulator.setBehavior({ provider: 'openai' }, { hang: true });
    const inFlightBefore = env.emulator.inFlight();
    await dispatchMenu(chromium, env.site.articleUrl, { menuItemId: 'byok-enrich-selection', selectionText });
    await expect.poll(() => env.emulator.inFlight(), { timeout: 20_000 }).toBeGreaterThan(inFlightBefore);
  };

  const openPanel = async (): Promise<Page> => {
    panel = await chromium.page('sidepanel.html');
    await panel.waitForSelector('[data-testid="result"]', { timeout: 20_000 });
    return panel;
  };

  it('keeps the history entry when the companion vanishes mid-enrichment, and "Try again" works once it is back', async () => {
    await startHungEnrichment('Ada Lovelace worked with Charles Babbage on the Analytical Engine.');
    const view = await openPanel();
    expect(await resultState(view)).toBe('running');
    const entries = await historyCount(view);

    await env.relay.close();
    await view.waitForSelector('[data-testid="result"][data-state="error"] [data-error-code="companion_unreachable"]', { timeout: 30_000 });
    await waitForText(view, 'The companion is not answering');
    await view.screenshot({ path: join(ARTIFACTS, 'sidepanel-companion-gone.png'), fullPage: true });
    expect(await historyCount(view)).toBe(entries);

    env.emulator.setBehavior({ provider: 'openai' }, null);
    await env.reopenRelay();
    await clickButton(view, 'Try again');
    await view.waitForSelector('[data-testid="result"][data-state="done"]', { timeout: 60_000 });
    expect(await view.$eval('[data-testid="route"]', (node) => node.textContent)).toContain('Your key');
    // Retried under the same entry: the history did not grow.
    expect(await historyCount(view)).toBe(entries);
  });

  it('keeps a key sealed in the outbox when the companion vanishes mid-upload, and drains it later', async () => {
    // Reset kept-alive connections, then accept new ones without answering: the upload hangs.
    await env.relay.close();
    await env.reopenRelay('blackhole');
    await fillAddKey(popup, 'anthropic', 'Claude', ANTHROPIC_KEY);
    await clickButton(popup, 'Save key');
    await expect.poll(() => env.relay.held(), { timeout: 20_000 }).toBeGreaterThan(0);
    await env.relay.close();
    await popup.waitForSelector('[data-outbox-state="pending"]', { timeout: 30_000 });
    await waitForText(popup, 'Sealed on this device');
    const stored = await dumpExtensionStorage(popup);
    expect(stored).toContain('idb:byok-companion/outbox [{');
    await expectNoPlaintextStored(popup, ALL_SECRETS);

    await env.reopenRelay();
    // Opening the popup drains the outbox (the retry alarm would too, 30 s later).
    await popup.bringToFront();
    await popup.reload();
    await waitForText(popup, 'sk-ant-•••F0a2', 30_000);
    await popup.waitForFunction(() => !document.querySelector('[data-testid="outbox"]'), { timeout: 20_000 });
  });

  it('uploads a key once when the companion stored it but its answer was lost', async () => {
    await fillAddKey(popup, 'anthropic', 'Claude (again)', ANTHROPIC_KEY);
    // Reset kept-alive connections; from now on requests arrive but answers never come back.
    await env.relay.close();
    await env.reopenRelay('swallow');
    await clickButton(popup, 'Save key');
    await popup.waitForSelector('[data-outbox-state="pending"]', { timeout: 30_000 });
    expect(env.relay.swallowed).toBeGreaterThan(0);

    await env.relay.close();
    await env.reopenRelay();
    await popup.bringToFront();
    await popup.reload();
    await waitForText(popup, 'Claude (again)', 30_000);
    await popup.waitForFunction(() => !document.querySelector('[data-testid="outbox"]'), { timeout: 30_000 });
    // The retry re-sent the same secret id: one entry, not two.
    const labels = await popup.$$eval('[data-testid="key-list"] > li strong', (nodes) => nodes.map((node) => node.textContent));
    expect(labels.filter((label) => label === 'Claude (again)')).toHaveLength(1);
  });

  it('survives the service worker being terminated mid-operation: outbox and history resume, the vault stays unlocked', async () => {
    // A key waits in the outbox (companion down when it was saved)...
    await env.relay.close();
    await fillAddKey(popup, 'mistral', 'Le Chat', MISTRAL_KEY);
    await clickButton(popup, 'Save key');
    await popup.waitForSelector('[data-outbox-state="pending"]', { timeout: 30_000 });
    await env.reopenRelay();
    // ...and an enrichment is in flight when the worker dies.
    await startHungEnrichment('Grace Hopper worked on the Harvard Mark I.');
    const view = await openPanel();
    expect(await resultState(view)).toBe('running');
    const entries = await historyCount(view);
    await view.close();

    const before = await chromium.worker();
    await before.evaluate(() => {
      (globalThis as unknown as { byokMarker?: number }).byokMarker = 1;
    });
    await before.close();
    // Wait for the old worker target to be gone before waking a new one.
    await expect
      .poll(() => chromium.browser.targets().filter((target) => target.type() === 'service_worker' && target.url().includes(chromium.extensionId)).length, {
        timeout: 20_000,
      })
      .toBe(0);

    // Opening the popup wakes the worker: still unlocked (KEK from IndexedDB, session tokens kept),
    // and the popup's open drains the outbox.
    await popup.bringToFront();
    await popup.reload();
    await waitForText(popup, 'Le Chat', 30_000);
    await popup.waitForFunction(() => !document.querySelector('[data-testid="outbox"]'), { timeout: 30_000 });
    expect(await popup.$('#unlock-passphrase')).toBeNull();
    const after = await chromium.worker();
    expect(await after.evaluate(() => (globalThis as unknown as { byokMarker?: number }).byokMarker ?? 0)).toBe(0);
    expect(await dumpExtensionStorage(popup)).toContain('[CryptoKey AES-KW extractable=false]');

    // The interrupted enrichment is still in history, says what happened, and can be sent again.
    env.emulator.setBehavior({ provider: 'openai' }, null);
    const reopened = await openPanel();
    expect(await historyCount(reopened)).toBe(entries);
    await reopened.waitForSelector('[data-testid="result"][data-state="error"] [data-error-code="interrupted"]', { timeout: 20_000 });
    await reopened.screenshot({ path: join(ARTIFACTS, 'sidepanel-interrupted.png'), fullPage: true });
    await clickButton(reopened, 'Try again');
    await reopened.waitForSelector('[data-testid="result"][data-state="done"]', { timeout: 60_000 });
    expect(await historyCount(reopened)).toBe(entries);
    await expectNoPlaintextStored(popup, ALL_SECRETS);
  });

  it('locks on wake-up when the auto-lock deadline passed while the worker was stopped', async () => {
    const worker = await chromium.worker();
    await worker.close();
    await expect
      .poll(() => chromium.browser.targets().filter((target) => target.type() === 'service_worker' && target.url().includes(chromium.extensionId)).length, {
        timeout: 20_000,
      })
      .toBe(0);
    // The alarm could not fire meanwhile (or came late): move the stored deadline into the past.
    await popup.evaluate(async () => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const request = indexedDB.open('byok-companion');
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      await new Promise<void>((resolve, reject) => {
        const store = db.transaction('vaultSession', 'readwrite').objectStore('vaultSession');
        const read = store.get('current');
        read.onsuccess = () => {
          const row = read.result as { lockAt: number };
          store.put({ ...row, lockAt: Date.now() - 1_000 });
        };
        store.transaction.oncomplete = () => resolve();
        store.transaction.onerror = () => reject(store.transaction.error);
      });
      db.close();
    });
    await popup.bringToFront();
    await popup.reload();
    await popup.waitForSelector('#unlock-passphrase', { timeout: 30_000 });
    // The woken worker deleted the KEK, not just hid it.
    await expect.poll(async () => (await dumpExtensionStorage(popup)).includes('[CryptoKey'), { timeout: 10_000 }).toBe(false);
    await popup.type('#unlock-passphrase', PASSPHRASE);
    await clickButton(popup, 'Unlock');
    await waitForText(popup, 'Le Chat', 30_000);
  });
});
