// End to end: the built extension in Chromium against a real companion (temporary data dir) and
// the provider emulator. Drives the popup and the side panel as a user would, dispatches the
// context menu in the worker, and checks that no plaintext key is ever stored by the extension.
// Shared setup lives in extension-harness.ts; browser-side faults are in extension-faults.test.ts.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'puppeteer-core';
import type { TestServer } from '../../server/src/testing/test-server';
import { TestClient } from '../../server/src/testing/client';
import { runCli } from '../../server/src/cli/program';
import { browserOrSkip, dumpExtensionStorage, type ExtensionBrowser } from '../support/chromium';
import type { FixedPortRelay } from '../support/fixed-port-relay';
import {
  ARTIFACTS,
  clickButton,
  createAccount,
  dispatchMenu,
  expectNoPlaintextStored,
  fillAddKey,
  keyOrder,
  lockThenUnlock,
  openTab,
  pageText as text,
  screenshotIfFailed,
  startExtensionEnv,
  typeInto,
  waitForText,
  type ExtensionEnv,
} from './extension-harness';

const PASSPHRASE = 'tulip lantern orbit mercy';
const NEW_PASSPHRASE = 'copper meadow violin harbor';
const EMAIL = 'reader@example.com';
const OPENAI_KEY = `sk-proj-canary${'Ab3'.repeat(10)}Q7kZ`;
const OPENAI_ROTATED = `sk-proj-canary${'Xy9'.repeat(10)}R0t8`;
const ANTHROPIC_KEY = `sk-ant-canary${'Mn5'.repeat(10)}An7h`;
const GROQ_UNKNOWN = `gsk_canary${'Zz1'.repeat(10)}Rj3c`;
const ORG_ANTHROPIC_KEY = `sk-ant-canary${'Or9'.repeat(10)}0rgK`;
const ALL_KEYS = [OPENAI_KEY, OPENAI_ROTATED, ANTHROPIC_KEY, GROQ_UNKNOWN, ORG_ANTHROPIC_KEY];

const chromePath = browserOrSkip();

describe.skipIf(chromePath === null)('extension end to end (Chromium)', () => {
  let env: ExtensionEnv;
  let companion: TestServer;
  let relay: FixedPortRelay;
  let siteUrl: string;
  let chromium: ExtensionBrowser;
  let popup: Page;

  beforeAll(async () => {
    env = await startExtensionEnv(chromePath!, [
      ['openai', OPENAI_KEY],
      ['openai', OPENAI_ROTATED],
      ['anthropic', ANTHROPIC_KEY],
    ]);
    ({ companion, relay, chromium, popup } = env);
    siteUrl = env.site.articleUrl;
  });

  afterAll(async () => {
    await env?.close();
  });

  afterEach(async (context) => {
    await screenshotIfFailed(context, popup);
  });

  const addKey = (provider: string, label: string, key: string) => fillAddKey(popup, provider, label, key);
  const tab = (name: string) => openTab(popup, name);

  const expectNoPlaintext = async () => {
    await expectNoPlaintextStored(popup, [...ALL_KEYS, PASSPHRASE, NEW_PASSPHRASE]);
    expect(await dumpExtensionStorage(popup)).toContain('[CryptoKey AES-KW extractable=false]');
  };

  const menu = (info: Record<string, unknown>) => dispatchMenu(chromium, siteUrl, info);

  it('runs the shared crypto vectors inside Chromium', async () => {
    const page = await chromium.page('selftest.html');
    await page.waitForSelector('#result[data-ok]', { timeout: 60_000 });
    const outcome = await page.$eval('#result', (node) => ({ ok: (node as HTMLElement).dataset.ok, text: node.textContent }));
    expect(outcome, outcome.text ?? '').toMatchObject({ ok: 'true' });
    await page.close();
  });

  it('creates an account with the warnings shown', async () => {
    await createAccount(popup, { email: EMAIL, passphrase: PASSPHRASE, companionUrl: env.companionUrl, screenshot: 'popup-create-account.png' });
    await waitForText(popup, 'No keys yet');
  });

  it('adds an OpenAI key, shows only its masked hint and stores no plaintext', async () => {
    await addKey('openai', 'Personal', OPENAI_KEY);
    await waitForText(popup, 'Matches the OpenAI key format');
    await popup.screenshot({ path: join(ARTIFACTS, 'popup-add-key.png') });
    await clickButton(popup, 'Save key');
    await waitForText(popup, 'sk-proj-•••Q7kZ');
    expect(await text(popup)).not.toContain(OPENAI_KEY);
    await popup.screenshot({ path: join(ARTIFACTS, 'popup-keys.png') });
    await expectNoPlaintext();
  });

  it('rotates the key and reorders keys by keyboard and by drag', async () => {
    await clickButton(popup, 'Rotate Personal');
    await popup.waitForSelector('#api-key');
    await popup.type('#api-key', OPENAI_ROTATED);
    await clickButton(popup, 'Rotate key');
    await waitForText(popup, 'sk-proj-•••R0t8');
    await waitForText(popup, 'rotated');
    // Verify makes a grant for the new seal; the emulator accepts the rotated key.
    await clickButton(popup, 'Verify Personal');
    await waitForText(popup, 'Works');
    await popup.waitForSelector('[data-status="valid"]');
    await addKey('anthropic', 'Claude', ANTHROPIC_KEY);
    await clickButton(popup, 'Save key');
    await waitForText(popup, 'sk-ant-•••An7h');
    expect(await keyOrder(popup)).toEqual(['Personal', 'Claude']);
    await clickButton(popup, 'Move Claude up');
    await popup.waitForFunction(() => document.querySelector('[data-testid="key-list"] > li strong')?.textContent === 'Claude');
    await popup.reload();
    await popup.waitForSelector('[data-testid="key-list"] > li');
    expect(await keyOrder(popup)).toEqual(['Claude', 'Personal']);
    await clickButton(popup, 'Move Claude down');
    await popup.waitForFunction(() => document.querySelector('[data-testid="key-list"] > li strong')?.textContent === 'Personal');
    // And by drag and drop: Claude dropped on the first row goes first.
    const rows = await popup.$$('[data-testid="key-list"] > li');
    await rows[0]!.drop(rows[1]!);
    await popup.waitForFunction(() => document.querySelector('[data-testid="key-list"] > li strong')?.textContent === 'Claude', { timeout: 10_000 });
    await expectNoPlaintext();
  });

  it('enriches a selection and a page from the context menu and shows the result in the side panel', async () => {
    const article = await chromium.browser.newPage();
    await article.goto(siteUrl, { waitUntil: 'domcontentloaded' });
    await menu({ menuItemId: 'byok-enrich-selection', selectionText: 'Ada Lovelace worked with Charles Babbage in London on the Analytical Engine.' });
    const panel = await chromium.page('sidepanel.html');
    await panel.waitForSelector('[data-testid="result"][data-state="done"]', { timeout: 60_000 });
    expect(await panel.$eval('[data-testid="summary"]', (node) => node.textContent?.trim().length ?? 0)).toBeGreaterThan(10);
    expect(await panel.$eval('[data-testid="route"]', (node) => node.textContent)).toContain('Your key');
    expect(await panel.$eval('[data-testid="cost"]', (node) => node.textContent)).toMatch(/^\$\d/);
    await panel.screenshot({ path: join(ARTIFACTS, 'sidepanel-selection.png'), fullPage: true });

    await menu({ menuItemId: 'byok-enrich-page' });
    await panel.waitForFunction(
      () => {
        const result = document.querySelector('[data-testid="result"]');
        return (
          document.querySelectorAll('[data-testid="history"] > li').length === 2 &&
          result?.getAttribute('data-state') === 'done' &&
          result.querySelector('h2')?.textContent === 'The Analytical Engine'
        );
      },
      { timeout: 60_000 },
    );
    expect(await panel.$eval('[data-testid="result"]', (node) => node.textContent)).toMatch(/Page ·/);
    await panel.screenshot({ path: join(ARTIFACTS, 'sidepanel-page.png'), fullPage: true });
    expect(await panel.$$eval('[data-testid="history"] > li', (nodes) => nodes.length)).toBe(2);
    await panel.close();
    await article.close();

    await tab('Usage');
    // Fresh numbers from the companion (not the cached picture shown first).
    await popup.waitForSelector('[data-testid="usage"][data-state="fresh"] [data-testid="usage-calls"]');
    await popup.waitForSelector('[data-testid="recent-calls"]');
    expect(Number(await popup.$eval('[data-testid="usage-calls"]', (node) => node.textContent))).toBeGreaterThanOrEqual(2);
    expect(await text(popup)).toContain('Your key');
    await popup.screenshot({ path: join(ARTIFACTS, 'popup-usage.png'), fullPage: true });

    // CSV export downloads GET /v1/usage.csv (fetched with the session, saved as a file).
    const downloads = mkdtempSync(join(tmpdir(), 'byok-downloads-'));
    const cdp = await chromium.browser.target().createCDPSession();
    await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: downloads });
    await clickButton(popup, '⬇ CSV');
    await expect.poll(() => readdirSync(downloads).filter((name) => name.endsWith('.csv')), { timeout: 15_000 }).toHaveLength(1);
    const csv = readFileSync(join(downloads, readdirSync(downloads).find((name) => name.endsWith('.csv'))!), 'utf8');
    expect(csv.split('\n')[0]).toContain('costMicros');
    expect(csv.trim().split('\n').length).toBeGreaterThanOrEqual(3);
    for (const key of ALL_KEYS) expect(csv).not.toContain(key);
    rmSync(downloads, { recursive: true, force: true });
  });

  it('enriches linked documents (plain text and PDF) and explains unsupported types', async () => {
    const article = await chromium.browser.newPage();
    await article.goto(siteUrl, { waitUntil: 'domcontentloaded' });
    const panel = await chromium.page('sidepanel.html');
    const base = new URL(siteUrl);
    const latest = async (count: number) => {
      await panel.waitForFunction(
        (expected: number) =>
          document.querySelectorAll('[data-testid="history"] > li').length === expected &&
          document.querySelector('[data-testid="result"]')?.getAttribute('data-state') !== 'running',
        { timeout: 60_000 },
        count,
      );
      return panel.$eval('[data-testid="result"]', (node) => ({ state: node.getAttribute('data-state'), text: node.textContent ?? '' }));
    };
    await panel.waitForSelector('[data-testid="history"] > li');
    const before = await panel.$$eval('[data-testid="history"] > li', (nodes) => nodes.length);
    try {
      await menu({ menuItemId: 'byok-enrich-link', linkUrl: new URL('/notes.txt', base).href });
      expect(await latest(before + 1)).toMatchObject({ state: 'done', text: expect.stringContaining('Linked document') });
      await menu({ menuItemId: 'byok-enrich-link', linkUrl: new URL('/paper.pdf', base).href });
      const pdf = await latest(before + 2);
      expect(pdf.state, pdf.text).toBe('done');
      expect(pdf.text).toContain('paper.pdf');
      await menu({ menuItemId: 'byok-enrich-link', linkUrl: new URL('/photo.png', base).href });
      const image = await latest(before + 3);
      expect(image.state).toBe('error');
      expect(image.text).toContain('only web pages, PDF and plain text');
    } catch (error) {
      await panel.screenshot({ path: join(ARTIFACTS, 'failed-linked-documents-panel.png'), fullPage: true });
      throw error;
    } finally {
      await panel.close();
      await article.close();
    }
  });

  it('shows the organization admin page to the owner', async () => {
    // The admin routes come from another issue: until the companion mounts them (401 without a
    // token), the page must say so section by section instead of failing.
    const adminMounted = (await fetch(`${companion.baseUrl}/v1/admin/policy`)).status !== 404;
    const options = await chromium.page('options.html');
    try {
      await options.waitForSelector('#org-keys-title', { timeout: 20_000 });
      if (adminMounted) {
        await options.waitForSelector('#policy-title', { timeout: 20_000 });
        await options.waitForSelector('#members-title');
        await waitForText(options, 'Hash chain verified');
      } else {
        await waitForText(options, 'The policy editor is not available on this companion yet.');
        expect(await options.$('[role="alert"]')).toBeNull();
      }
      await options.screenshot({ path: join(ARTIFACTS, 'options-admin.png'), fullPage: true });
    } catch (error) {
      await options.screenshot({ path: join(ARTIFACTS, 'failed-options.png'), fullPage: true });
      throw error;
    } finally {
      await options.close();
    }
  });

  it('lets the owner upload an organization key, then delete it and change a role only after a second click', async () => {
    // The operator's side, through the admin CLI: a plan with organization keys, and a member.
    const operator = async (...args: string[]): Promise<string> => {
      let stdout = '';
      let stderr = '';
      const code = await runCli(['--data-dir', companion.dataDir, '--json', ...args], { stdout: (chunk) => (stdout += chunk), stderr: (chunk) => (stderr += chunk), env: {} });
      if (code !== 0) throw new Error(`${args.join(' ')}: exit ${code} ${stderr}`);
      return stdout;
    };
    const roleOf = async (id: string) => (JSON.parse(await operator('member', 'list')) as { members: Array<{ id: string; role: string }> }).members.find((entry) => entry.id === id)?.role;
    const orgKeyCount = () => (companion.db.prepare('SELECT COUNT(*) AS n FROM org_secrets').get() as { n: number }).n;
    const { org } = JSON.parse(await operator('org', 'show')) as { org: { plan: string } };
    let options: Page | undefined;
    try {
      await operator('org', 'set-plan', 'business');
      const { code } = JSON.parse(await operator('invite', 'create')) as { code: string };
      const member = await new TestClient(companion.baseUrl).register({ email: 'colleague@example.com', inviteCode: code });
      options = await chromium.page('options.html');
      await options.waitForSelector('#org-keys-title', { timeout: 20_000 });
      // The plan the operator just set, not the one the session started with.
      await waitForText(options, 'Policy (business plan)');
      await options.select('#org-provider', 'anthropic');
      await typeInto(options, '#org-label', 'Team Claude');
      await typeInto(options, '#org-key', ORG_ANTHROPIC_KEY);
      await clickButton(options, 'Upload organization key');
      await waitForText(options, 'sk-ant-•••0rgK');
      expect(orgKeyCount()).toBe(1);

      // Deleting a shared key takes a second click, and Cancel keeps it.
      await clickButton(options, 'Delete organization key Team Claude');
      await clickButton(options, 'Cancel');
      await clickButton(options, 'Delete organization key Team Claude');
      expect(orgKeyCount()).toBe(1);
      await clickButton(options, 'Delete for everyone');
      await options.waitForFunction(() => !document.body.innerText.includes('Team Claude'), { timeout: 20_000, polling: 100 });
      expect(orgKeyCount()).toBe(0);

      // A role change is only proposed by the select; nothing changes until it is confirmed.
      const select = `select[aria-label="Role of colleague@example.com"]`;
      await options.waitForSelector(select, { timeout: 20_000 });
      await options.select(select, 'admin');
      await clickButton(options, 'Cancel');
      expect(await options.$eval(select, (node) => (node as HTMLSelectElement).value)).toBe('member');
      expect(await roleOf(member.userId)).toBe('member');
      await options.select(select, 'admin');
      await clickButton(options, 'Make admin');
      await options.waitForFunction(() => !Array.from(document.querySelectorAll('button')).some((button) => button.textContent === 'Make admin'), { timeout: 20_000, polling: 100 });
      expect(await roleOf(member.userId)).toBe('admin');
      await options.screenshot({ path: join(ARTIFACTS, 'options-admin-confirmed.png'), fullPage: true });
      expect(await text(options)).not.toContain(ORG_ANTHROPIC_KEY);
    } catch (error) {
      await options?.screenshot({ path: join(ARTIFACTS, 'failed-options-confirm.png'), fullPage: true });
      throw error;
    } finally {
      await options?.close();
      // The later tests run as they were written for: their plan, and no organization key (the
      // colleague stays, an admin, in a list no later test reads).
      companion.db.prepare('DELETE FROM org_secrets').run();
      await operator('org', 'set-plan', org.plan);
    }
  });

  it('says when a provider refused the content, which went to no other provider', async () => {
    for (const provider of ['anthropic', 'openai'] as const) env.emulator.setBehavior({ provider }, { blockPrompt: 'PROHIBITED_CONTENT' });
    const sent = env.emulator.requests.length;
    const article = await chromium.browser.newPage();
    let panel: Page | undefined;
    try {
      await article.goto(siteUrl, { waitUntil: 'domcontentloaded' });
      await menu({ menuItemId: 'byok-enrich-selection', selectionText: 'A passage the provider will not take.' });
      panel = await chromium.page('sidepanel.html');
      await panel.waitForSelector('[data-testid="result"][data-state="error"] [data-error-code="content_refused"]', { timeout: 60_000 });
      await waitForText(panel, 'The provider refused this content');
      await waitForText(panel, 'no further provider was tried');
      await panel.screenshot({ path: join(ARTIFACTS, 'sidepanel-content-refused.png'), fullPage: true });
      // The summary and the entities were asked of the first provider at once; nothing went further.
      const providers = new Set(env.emulator.requests.slice(sent).map((request) => request.provider));
      expect(providers.size).toBe(1);
    } finally {
      for (const provider of ['anthropic', 'openai'] as const) env.emulator.setBehavior({ provider }, null);
      await panel?.close();
      await article.close();
    }
  });

  it('keeps a key saved while the companion is down in the outbox and uploads it when it is back', async () => {
    await relay.close();
    let reopened = false;
    try {
      await companion.restart();
      // Down: the relay's port refuses connections until it opens again.
      await addKey('groq', 'Offline', GROQ_UNKNOWN);
      await clickButton(popup, 'Save key');
      await popup.waitForSelector('[data-outbox-state="pending"]', { timeout: 20_000 });
      await waitForText(popup, 'Sealed on this device');
      // Trying again while it is still down says why the key is still waiting.
      await clickButton(popup, 'Upload now');
      await waitForText(popup, 'Last try:');
      await waitForText(popup, 'attempt(s)');
      await popup.screenshot({ path: join(ARTIFACTS, 'popup-outbox.png') });
      await expectNoPlaintext();
      await env.reopenRelay();
      reopened = true;
    } finally {
      // The later tests need the companion reachable, whatever failed here.
      if (!reopened) await env.reopenRelay();
    }
    await popup.reload();
    await waitForText(popup, 'gsk_•••Rj3c');
    await popup.waitForFunction(() => !document.querySelector('[data-testid="outbox"]'), { timeout: 20_000 });
  });

  it('locks and unlocks', async () => {
    await lockThenUnlock(popup, { wrong: 'not my passphrase', right: PASSPHRASE, shown: 'gsk_•••Rj3c' });
    const dump = await dumpExtensionStorage(popup);
    expect(dump).toContain('[CryptoKey AES-KW extractable=false]');
  });

  it('changes the passphrase: the new one unlocks, the old one is refused, keys still work', async () => {
    await tab('Settings');
    await popup.waitForSelector('#current-passphrase');
    await popup.type('#current-passphrase', PASSPHRASE);
    await popup.type('#new-passphrase', 'short pw');
    expect(Number(await popup.$eval('#new-passphrase-strength', (node) => (node as HTMLElement).dataset.strength))).toBeLessThan(2);
    await typeInto(popup, '#new-passphrase', NEW_PASSPHRASE);
    await popup.waitForSelector('#new-passphrase-strength[data-strength="4"]');
    await popup.type('#confirm-new-passphrase', NEW_PASSPHRASE);
    await waitForText(popup, 'cannot be recovered');
    await popup.click('#new-understood');
    await popup.screenshot({ path: join(ARTIFACTS, 'popup-change-passphrase.png'), fullPage: true });
    await clickButton(popup, 'Change passphrase');
    await waitForText(popup, 'Passphrase changed. 3 key(s) re-wrapped', 60_000);
    expect(await popup.$eval('#current-passphrase', (node) => (node as HTMLInputElement).value)).toBe('');

    // The old passphrase is refused, the new one unlocks.
    await lockThenUnlock(popup, { wrong: PASSPHRASE, right: NEW_PASSPHRASE, shown: 'gsk_•••Rj3c' });

    // The data keys were re-wrapped, not re-sealed: an enrichment with the existing keys works.
    const article = await chromium.browser.newPage();
    await article.goto(siteUrl, { waitUntil: 'domcontentloaded' });
    const panel = await chromium.page('sidepanel.html');
    await panel.waitForSelector('[data-testid="history"] > li');
    const before = await panel.$$eval('[data-testid="history"] > li', (nodes) => nodes.length);
    await menu({ menuItemId: 'byok-enrich-selection', selectionText: 'Ada Lovelace published her notes in 1843.' });
    await panel.waitForFunction(
      (count: number) =>
        document.querySelectorAll('[data-testid="history"] > li').length === count &&
        document.querySelector('[data-testid="result"]')?.getAttribute('data-state') === 'done',
      { timeout: 60_000 },
      before + 1,
    );
    expect(await panel.$eval('[data-testid="route"]', (node) => node.textContent)).toContain('Your key');
    await panel.close();
    await article.close();
    await expectNoPlaintext();
  });

  it('names a key the provider rejected and offers to rotate it', async () => {
    // Put the key the emulator does not know first in the route.
    await clickButton(popup, 'Move Offline up');
    await popup.waitForFunction(() => document.querySelectorAll('[data-testid="key-list"] > li strong')[1]?.textContent === 'Offline');
    await clickButton(popup, 'Move Offline up');
    await popup.waitForFunction(() => document.querySelector('[data-testid="key-list"] > li strong')?.textContent === 'Offline');
    const article = await chromium.browser.newPage();
    await article.goto(siteUrl, { waitUntil: 'domcontentloaded' });
    await menu({ menuItemId: 'byok-enrich-selection', selectionText: 'Charles Babbage designed the Analytical Engine.' });
    const panel = await chromium.page('sidepanel.html');
    await panel.waitForSelector('[data-testid="result"][data-state="error"]', { timeout: 60_000 });
    await panel.waitForSelector('[data-error-code="key_rejected"]');
    expect(await text(panel)).toContain('"Offline"');
    await panel.waitForSelector('::-p-aria(Rotate this key[role="button"])');
    await panel.screenshot({ path: join(ARTIFACTS, 'sidepanel-key-rejected.png'), fullPage: true });
    await panel.close();
    await article.close();
    await popup.reload();
    await popup.waitForSelector('[data-status="invalid"]');
    await expectNoPlaintext();
  });
});
