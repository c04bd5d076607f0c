// The Firefox build in a real Firefox (ESR, over WebDriver BiDi) against a real companion: the
// popup creates an account, seals a key on the device (WebCrypto in Firefox) and uploads only
// ciphertext; the vault locks and unlocks with the KEK kept in Firefox's IndexedDB; nothing
// readable is stored anywhere the extension writes. The Chromium suites cover the rest of the
// product; this one proves the same code runs where Firefox differs (MV2 background page,
// permissions, storage.session, structured-cloned CryptoKeys).
import { afterAll, beforeAll, afterEach, describe, expect, it } from 'vitest';
import type { Page } from 'puppeteer-core';
import { startTestServer, type TestServer } from '../../server/src/testing/test-server';
import { dumpExtensionStorage } from '../support/chromium';
import { firefoxOrSkip, launchFirefoxWithExtension, type FirefoxWithExtension } from '../support/firefox';
import {
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
  let companion: TestServer;
  let firefox: FirefoxWithExtension;
  let popup: Page;

  beforeAll(async () => {
    buildExtension('firefox');
    companion = await startTestServer({ env: { BYOK_RATE_LIMITS: 'off' } });
    firefox = await launchFirefoxWithExtension(firefoxPath!, FIREFOX_EXTENSION_DIR);
    popup = await firefox.page('popup.html');
  }, 90_000);

  afterAll(async () => {
    await firefox?.close();
    await companion?.close();
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

  it('locks and unlocks with the non-extractable KEK Firefox keeps in IndexedDB', async () => {
    await lockThenUnlock(popup, { wrong: 'not my passphrase', right: PASSPHRASE, shown: 'sk-proj-•••F0x1' });
    expect(await dumpExtensionStorage(popup)).toContain('[CryptoKey AES-KW extractable=false]');
    await expectNoPlaintextStored(popup, [OPENAI_KEY, PASSPHRASE]);
  });
});
