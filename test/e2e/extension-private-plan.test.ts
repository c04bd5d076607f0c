// End to end on the `private` plan (one personal provider at a time): a key for a second
// provider is not saved silently; the popup says which key it replaces and asks first.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'puppeteer-core';
import { startTestServer, type TestServer } from '../../server/src/testing/test-server';
import { browserOrSkip, launchWithExtension, type ExtensionBrowser } from '../support/chromium';
import { ARTIFACTS, EXTENSION_DIR, buildExtension, clickButton, createAccount, expectNoPlaintextStored, fillAddKey, keyOrder, waitForText } from './extension-harness';

const OPENAI_KEY = `sk-proj-canary${'Pp4'.repeat(10)}Pv01`;
const ANTHROPIC_KEY = `sk-ant-canary${'Qq6'.repeat(10)}Pv02`;

const chromePath = browserOrSkip();

describe.skipIf(chromePath === null)('extension on the private plan (Chromium)', () => {
  let companion: TestServer;
  let chromium: ExtensionBrowser;
  let popup: Page;

  beforeAll(async () => {
    buildExtension();
    companion = await startTestServer({ env: { BYOK_DEFAULT_PLAN: 'private', BYOK_RATE_LIMITS: 'off' } });
    chromium = await launchWithExtension(chromePath!, EXTENSION_DIR);
    popup = await chromium.page('popup.html');
    await popup.setViewport({ width: 400, height: 720 });
  });

  afterAll(async () => {
    await chromium?.close();
    await companion?.close();
  });

  it('asks before a second provider replaces the first', async () => {
    await createAccount(popup, { email: 'solo@example.com', passphrase: 'meadow copper violin tide', companionUrl: companion.baseUrl });

    await fillAddKey(popup, 'openai', 'Personal', OPENAI_KEY);
    await clickButton(popup, 'Save key');
    await waitForText(popup, 'sk-proj-•••Pv01');

    await fillAddKey(popup, 'anthropic', 'Claude', ANTHROPIC_KEY);
    await clickButton(popup, 'Save key');
    await popup.waitForSelector('[role="alertdialog"]');
    await waitForText(popup, 'removes "Personal" (OpenAI, sk-proj-•••Pv01)');
    await popup.screenshot({ path: join(ARTIFACTS, 'popup-private-replace.png') });
    await clickButton(popup, 'Keep the old key');
    expect(await popup.$('[role="alertdialog"]')).toBeNull();
    // The key field keeps the key until it is sealed; asking again, then agreeing, replaces.
    await clickButton(popup, 'Save key');
    await clickButton(popup, 'Replace and save');
    await waitForText(popup, 'sk-ant-•••Pv02').catch(async (error: unknown) => {
      await popup.screenshot({ path: join(ARTIFACTS, 'failed-private-replace.png') });
      throw error;
    });
    expect(await keyOrder(popup)).toEqual(['Claude']);
    // One key on this plan and no ordering: no move buttons.
    expect(await popup.$('::-p-aria(Move Claude up[role="button"])')).toBeNull();
    await expectNoPlaintextStored(popup, [OPENAI_KEY, ANTHROPIC_KEY]);
  });
});
