// The Firefox build in a real Firefox (ESR, over WebDriver BiDi) against a real companion and the
// provider emulator: the popup creates an account, seals a key on the device (WebCrypto in
// Firefox) and uploads only ciphertext; the sidebar enriches pasted text with that key, released
// by a grant made in Firefox; the vault locks and unlocks with the KEK kept in Firefox's IndexedDB;
// nothing readable is stored anywhere the extension writes. The Chromium suites cover the rest of the
// product; this one proves the same code runs where Firefox differs (MV2 background page,
// permissions, storage.session, structured-cloned CryptoKeys).
import { afterAll, beforeAll, afterEach, describe, expect, it } from 'vitest';
import type { Page } from 'puppeteer-core';
import { startTestServer, type TestServer } from '../../server/src/testing/test-server';
import { startEmulator, type Emulator } from '../emulator';
import { dumpExtensionStorage } from '../support/chromium';
import { firefoxOrSkip, launchFirefoxWithExtension, type FirefoxWithExtension } from '../support/firefox';
import {
  ARTIFACTS,
  FIREFOX_EXTENSION_DIR,
  buildExtension,
  clickButton,
  createAccount,
  expectNoPlaintextStored,
  fillAddKey,
  keyOrder,
  lockThenUnlock,
  screenshotIfFailed,
  waitForText,
} from './extension-harness';

const PASSPHRASE = 'lantern orchid meadow falcon';
const OPENAI_KEY = `sk-proj-canary${'Fx7'.repeat(10)}F0x1`;

const firefoxPath = firefoxOrSkip();

describe.skipIf(firefoxPath === null)('Firefox build in Firefox', () => {
  let emulator: Emulator;
  let companion: TestServer;
  let firefox: FirefoxWithExtension;
  let popup: Page;

  beforeAll(async () => {
    buildExtension('firefox');
    emulator = await startEmulator();
    emulator.addKey('openai', OPENAI_KEY);
    companion = await startTestServer({ env: { BYOK_PROVIDER_BASE_URLS: JSON.stringify(emulator.urls), BYOK_RATE_LIMITS: 'off' } });
    firefox = await launchFirefoxWithExtension(firefoxPath!, FIREFOX_EXTENSION_DIR);
    popup = await firefox.page('popup.html');
  }, 90_000);

  afterAll(async () => {
    await firefox?.close();
    await companion?.close();
    await emulator?.close();
  });

  afterEach(async (context) => {
    await screenshotIfFailed(context, popup, 'failed-firefox');
  });

  it('creates an account and stores a key sealed on the device: the companion holds only ciphertext', async () => {
    await createAccount(popup, { email: 'fox@example.com', passphrase: PASSPHRASE, companionUrl: companion.baseUrl });
    await fillAddKey(popup, 'openai', 'Work', OPENAI_KEY);
    await clickButton(popup, 'Save key');
    await waitForText(popup, 'sk-proj-•••F0x1');
    expect(await keyOrder(popup)).toEqual(['Work']);

    const rows = companion.db.prepare('SELECT provider, hint_last4, iv, ct, wrapped_dek FROM secrets').all() as Array<Record<string, string | null>>;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ provider: 'openai', hint_last4: 'F0x1', iv: expect.any(String), ct: expect.any(String), wrapped_dek: expect.any(String) });
    expect(JSON.stringify(rows)).not.toContain(OPENAI_KEY.slice(0, 20));
    await expectNoPlaintextStored(popup, [OPENAI_KEY, PASSPHRASE]);
  });

  it('enriches pasted text in the sidebar with the key, released by a grant made in Firefox', async () => {
    const sidebar = await firefox.page('sidepanel.html');
    try {
      await (await sidebar.waitForSelector('details > summary'))!.click();
      await sidebar.type('#paste', 'Ada Lovelace wrote the first program. It ran on the Analytical Engine in London.');
      await clickButton(sidebar, 'Enrich');
      await sidebar.waitForSelector('[data-testid="result"][data-state="done"]', { timeout: 60_000 });
      expect(await sidebar.$eval('[data-testid="summary"]', (node) => node.textContent?.trim())).toBe('Ada Lovelace wrote the first program.');
      expect(await sidebar.$eval('[data-testid="route"]', (node) => node.textContent)).toContain('Your key');
      // The emulator saw the key only in its header; the companion recorded one call.
      expect(emulator.requests.filter((request) => request.provider === 'openai').map((request) => request.headers.authorization)).toEqual([
        `Bearer ${OPENAI_KEY}`,
        `Bearer ${OPENAI_KEY}`,
      ]);
      expect((companion.db.prepare("SELECT COUNT(*) AS n FROM usage_events WHERE outcome = 'ok'").get() as { n: number }).n).toBe(1);
    } catch (error) {
      await sidebar.screenshot({ path: `${ARTIFACTS}/failed-firefox-sidebar.png` });
      throw error;
    } finally {
      await sidebar.close();
    }
    await expectNoPlaintextStored(popup, [OPENAI_KEY, PASSPHRASE]);
  });

  it('locks and unlocks with the non-extractable KEK Firefox keeps in IndexedDB', async () => {
    await lockThenUnlock(popup, { wrong: 'not my passphrase', right: PASSPHRASE, shown: 'sk-proj-•••F0x1' });
    expect(await dumpExtensionStorage(popup)).toContain('[CryptoKey AES-KW extractable=false]');
    await expectNoPlaintextStored(popup, [OPENAI_KEY, PASSPHRASE]);
  });
});
