// Shared setup of the extension's Chromium end-to-end files: build the extension once, start the
// provider emulator, a real companion behind a fixed-port relay, a local test site and Chromium
// with the unpacked extension; and drive the popup, side panel and worker as a user would.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Page } from 'puppeteer-core';
import { startTestServer, type TestServer } from '../../server/src/testing/test-server';
import { startEmulator, type Emulator, type EmulatedProvider } from '../emulator';
import { dumpExtensionStorage, launchWithExtension, type ChromeApi, type ExtensionBrowser } from '../support/chromium';
import { FixedPortRelay } from '../support/fixed-port-relay';
import { startTestSite, type TestSite } from '../support/test-site';
import { encodedValues } from '@byok/shared/testing/encoded-forms';

export const ROOT = join(import.meta.dirname, '..', '..');
export const ARTIFACTS = join(ROOT, 'test', 'artifacts');
export const EXTENSION_DIR = join(ROOT, 'extension', '.output', 'chrome-mv3');
export const FIREFOX_EXTENSION_DIR = join(ROOT, 'extension', '.output', 'firefox-mv2');

/** Newest modification time of any file under `dir` (0 when it does not exist). */
function newest(dir: string): number {
  let latest = 0;
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return 0;
  }
  for (const name of entries) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    const stat = statSync(path);
    latest = Math.max(latest, stat.isDirectory() ? newest(path) : stat.mtimeMs);
  }
  return latest;
}

/** Builds the extension for `target` unless its output is newer than every source it comes from. */
export function buildExtension(target: 'chrome' | 'firefox' = 'chrome'): void {
  const output = target === 'chrome' ? EXTENSION_DIR : FIREFOX_EXTENSION_DIR;
  let built = 0;
  try {
    built = statSync(join(output, 'manifest.json')).mtimeMs;
  } catch {
    built = 0;
  }
  const sources = Math.max(newest(join(ROOT, 'extension', 'src')), newest(join(ROOT, 'extension', 'entrypoints')), newest(join(ROOT, 'shared', 'src')));
  const config = statSync(join(ROOT, 'extension', 'wxt.config.ts')).mtimeMs;
  if (built > Math.max(sources, config)) return;
  execFileSync('pnpm', ['--filter', '@byok/extension', target === 'chrome' ? 'build' : 'build:firefox'], { cwd: ROOT, stdio: 'pipe' });
}

export interface ExtensionEnv {
  emulator: Emulator;
  companion: TestServer;
  relay: FixedPortRelay;
  /** The relay's address: what the extension is configured with. */
  companionUrl: string;
  site: TestSite;
  chromium: ExtensionBrowser;
  popup: Page;
  /**
   * Opens the relay to the companion again after `relay.close()` (which also resets kept-alive
   * connections), forwarding by default or in a fault mode.
   */
  reopenRelay(mode?: FixedPortRelay['mode']): Promise<void>;
  close(): Promise<void>;
}

/** Everything an extension e2e file needs, with the emulator knowing `keys`. */
export async function startExtensionEnv(chromePath: string, keys: [EmulatedProvider, string][]): Promise<ExtensionEnv> {
  mkdirSync(ARTIFACTS, { recursive: true });
  buildExtension();
  const emulator = await startEmulator();
  for (const [provider, key] of keys) emulator.addKey(provider, key);
  const companion = await startTestServer({ env: { BYOK_PROVIDER_BASE_URLS: JSON.stringify(emulator.urls), BYOK_RATE_LIMITS: 'off' } });
  const relay = new FixedPortRelay();
  const reopenRelay = async (mode: FixedPortRelay['mode'] = 'forward'): Promise<void> => {
    relay.mode = mode;
    await relay.open(() => new URL(companion.baseUrl));
  };
  await reopenRelay();
  const site = await startTestSite();
  const chromium = await launchWithExtension(chromePath, EXTENSION_DIR);
  const popup = await chromium.page('popup.html');
  await popup.setViewport({ width: 400, height: 720 });
  return {
    emulator,
    companion,
    relay,
    companionUrl: `http://127.0.0.1:${relay.port}`,
    site,
    chromium,
    popup,
    reopenRelay,
    async close() {
      await chromium.close();
      await relay.close();
      await companion.close();
      await emulator.close();
      await site.close();
    },
  };
}

/** A failing step leaves a picture of `page` behind for whoever reads the CI artifacts. */
export async function screenshotIfFailed(context: { task: { name: string; result?: { state?: string } } }, page: Page | undefined, prefix = 'failed'): Promise<void> {
  if (context.task.result?.state !== 'fail' || !page || page.isClosed()) return;
  await page.bringToFront().catch(() => undefined);
  const name = context.task.name.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
  await page.screenshot({ path: join(ARTIFACTS, `${prefix}-${name}.png`) }).catch(() => undefined);
}

export const pageText = (page: Page): Promise<string> => page.evaluate(() => document.body.innerText);

export async function waitForText(page: Page, needle: string, timeout = 20_000): Promise<void> {
  // Interval polling: requestAnimationFrame (the default) never fires in a background tab.
  await page.waitForFunction((value: string) => document.body.innerText.includes(value), { timeout, polling: 100 }, needle);
}

export async function clickButton(page: Page, label: string): Promise<void> {
  await page.bringToFront();
  const handle = await page.waitForSelector(`::-p-aria(${label}[role="button"])`, { timeout: 10_000 });
  await handle!.click();
}

export async function openTab(popup: Page, name: string): Promise<void> {
  // Background tabs get no accessibility tree, which the aria selectors need.
  await popup.bringToFront();
  await (await popup.waitForSelector(`::-p-aria(${name}[role="tab"])`))!.click();
}

/** Replaces the value of a text field by typing, as a user would. */
export async function typeInto(page: Page, selector: string, value: string): Promise<void> {
  await page.click(selector, { count: 3 });
  await page.keyboard.press('Backspace');
  await page.type(selector, value);
}

/** Fills the Add key form (the caller clicks Save). */
export async function fillAddKey(popup: Page, provider: string, label: string, key: string): Promise<void> {
  await openTab(popup, 'Add key');
  await popup.waitForSelector('#provider');
  await popup.select('#provider', provider);
  await typeInto(popup, '#label', label);
  await popup.type('#api-key', key);
}

export function keyOrder(popup: Page): Promise<(string | null)[]> {
  return popup.$$eval('[data-testid="key-list"] > li strong', (nodes) => nodes.map((node) => node.textContent));
}

/** Creates an account in the popup against `companionUrl`, ticking the "cannot be recovered" box. */
export async function createAccount(popup: Page, input: { email: string; passphrase: string; companionUrl: string; screenshot?: string }): Promise<void> {
  await waitForText(popup, 'cannot be recovered');
  await popup.type('#email', input.email);
  await popup.type('#passphrase', input.passphrase);
  await popup.type('#confirm', input.passphrase);
  await popup.click('#understood');
  await popup.click('details summary');
  await typeInto(popup, '#companion-url', input.companionUrl);
  if (input.screenshot) await popup.screenshot({ path: join(ARTIFACTS, input.screenshot) });
  await popup.click('form button[type="submit"]');
  await popup.waitForSelector('::-p-aria(Keys[role="tab"])', { timeout: 30_000 });
}

/** Locks the vault from the popup, sees `wrong` refused, then unlocks with `right` until `shown` appears. */
export async function lockThenUnlock(popup: Page, input: { wrong: string; right: string; shown: string }): Promise<void> {
  await clickButton(popup, 'Lock the vault now');
  await popup.waitForSelector('#unlock-passphrase', { timeout: 10_000 });
  await popup.type('#unlock-passphrase', input.wrong);
  await clickButton(popup, 'Unlock');
  await waitForText(popup, 'Wrong email or passphrase', 30_000);
  await typeInto(popup, '#unlock-passphrase', input.right);
  await clickButton(popup, 'Unlock');
  await waitForText(popup, input.shown, 30_000);
}

/** Leak canary over IndexedDB and chrome.storage: none of `secrets` in any encoding. */
export async function expectNoPlaintextStored(page: Page, secrets: string[]): Promise<void> {
  const dump = await dumpExtensionStorage(page);
  expect(dump).toContain('idb:byok-companion/keys');
  for (const secret of secrets) for (const form of encodedValues(secret)) expect(dump).not.toContain(form);
}

/** Dispatches the real context-menu listener in the worker, for the tab showing `pageUrl`. */
export async function dispatchMenu(chromium: ExtensionBrowser, pageUrl: string, info: Record<string, unknown>): Promise<void> {
  const worker = await chromium.worker();
  await worker.evaluate(
    async (menuInfo: Record<string, unknown>, url: string) => {
      const api = (globalThis as unknown as { chrome: ChromeApi }).chrome;
      const [tab] = await api.tabs.query({ url });
      api.contextMenus!.onClicked.dispatch({ editable: false, pageUrl: url, ...menuInfo }, tab);
    },
    info,
    pageUrl,
  );
}
