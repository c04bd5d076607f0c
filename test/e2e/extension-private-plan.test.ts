// End to end on the `private` plan (one personal provider at a time): a key for a second
// provider is not saved silently; the popup says which key it replaces and asks first.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'puppeteer-core';
import { startTestServer, type TestServer } from '../../server/src/testing/test-server';
import { browserOrSkip, dumpExtensionStorage, launchWithExtension, type ExtensionBrowser } from '../support/chromium';
import { encodedValues } from '@byok/shared/testing/encoded-forms';

const ROOT = join(import.meta.dirname, '..', '..');
const ARTIFACTS = join(ROOT, 'test', 'artifacts');
const OPENAI_KEY = `sk-proj-canary${'Pp4'.repeat(10)}Pv01`;
const ANTHROPIC_KEY = `sk-ant-canary${'Qq6'.repeat(10)}Pv02`;

const chromePath = browserOrSkip();

describe.skipIf(chromePath === null)('extension on the private plan (Chromium)', () => {
  let companion: TestServer;
  let chromium: ExtensionBrowser;
  let popup: Page;

  beforeAll(async () => {
    execFileSync('pnpm', ['--filter', '@byok/extension', 'build'], { cwd: ROOT, stdio: 'pipe' });
    companion = await startTestServer({ env: { BYOK_DEFAULT_PLAN: 'private', BYOK_RATE_LIMITS: 'off' } });
    chromium = await launchWithExtension(chromePath!, join(ROOT, 'extension', '.output', 'chrome-mv3'));
    popup = await chromium.page('popup.html');
    await popup.setViewport({ width: 400, height: 720 });
  });

  afterAll(async () => {
    await chromium?.close();
    await companion?.close();
  });

  const waitForText = (needle: string) =>
    popup.waitForFunction((value: string) => document.body.innerText.includes(value), { timeout: 20_000 }, needle);

  const addKey = async (provider: string, label: string, key: string) => {
    await (await popup.waitForSelector('::-p-aria(Add key[role="tab"])'))!.click();
    await popup.waitForSelector('#provider');
    await popup.select('#provider', provider);
    await popup.type('#label', label);
    await popup.type('#api-key', key);
  };

  it('asks before a second provider replaces the first', async () => {
    await popup.waitForSelector('#email', { timeout: 20_000 });
    await popup.type('#email', 'solo@example.com');
    await popup.type('#passphrase', 'meadow copper violin tide');
    await popup.type('#confirm', 'meadow copper violin tide');
    await popup.click('#understood');
    await popup.click('details summary');
    await popup.click('#companion-url', { count: 3 });
    await popup.type('#companion-url', companion.baseUrl);
    await popup.click('form button[type="submit"]');
    await popup.waitForSelector('::-p-aria(Keys[role="tab"])', { timeout: 30_000 });

    await addKey('openai', 'Personal', OPENAI_KEY);
    await popup.click('form button[type="submit"]');
    await waitForText('sk-proj-•••Pv01');

    await addKey('anthropic', 'Claude', ANTHROPIC_KEY);
    await popup.click('form button[type="submit"]');
    await popup.waitForSelector('[role="alertdialog"]');
    await waitForText('removes "Personal" (OpenAI, sk-proj-•••Pv01)');
    await popup.screenshot({ path: join(ARTIFACTS, 'popup-private-replace.png') });
    await (await popup.waitForSelector('::-p-aria(Keep the old key[role="button"])'))!.click();
    expect(await popup.$('[role="alertdialog"]')).toBeNull();
    // The key field keeps the key until it is sealed; asking again, then agreeing, replaces.
    await popup.click('form button[type="submit"]');
    await (await popup.waitForSelector('::-p-aria(Replace and save[role="button"])'))!.click();
    await waitForText('sk-ant-•••Pv02').catch(async (error: unknown) => {
      await popup.screenshot({ path: join(ARTIFACTS, 'failed-private-replace.png') });
      throw error;
    });
    const labels = await popup.$$eval('[data-testid="key-list"] > li strong', (nodes) => nodes.map((node) => node.textContent));
    expect(labels).toEqual(['Claude']);
    // One key on this plan and no ordering: no move buttons.
    expect(await popup.$('::-p-aria(Move Claude up[role="button"])')).toBeNull();
    const dump = await dumpExtensionStorage(popup);
    for (const key of [OPENAI_KEY, ANTHROPIC_KEY]) for (const form of encodedValues(key)) expect(dump).not.toContain(form);
  });
});
