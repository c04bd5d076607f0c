// Firefox with the built Firefox extension for end-to-end tests: find a Firefox (ESR is what
// Debian ships), launch it headless over WebDriver BiDi, install the unpacked MV2 build, and open
// its pages. The add-on's internal UUID is pinned by a preference, so its moz-extension:// URLs are
// known up front; Firefox 153+ lets automation open such URLs only with --remote-allow-system-access.
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { browserPathOrSkip, type BrowserLookup } from './chromium';

const FIREFOX: BrowserLookup = { name: 'Firefox', env: 'FIREFOX_PATH', candidates: ['/usr/bin/firefox-esr', '/usr/bin/firefox'], install: 'firefox-esr' };
/** browser_specific_settings.gecko.id in extension/wxt.config.ts. */
const ADDON_ID = 'byok-companion@example.org';
const ADDON_UUID = '0b7e3c59-6f2a-4c1e-9d84-5a3f2e1b7c60';

/** FIREFOX_PATH, else a system Firefox; null to skip the Firefox tests (never in CI). */
export function firefoxOrSkip(): string | null {
  return browserPathOrSkip(FIREFOX);
}

export interface FirefoxWithExtension {
  readonly browser: Browser;
  /** Opens a page of the extension (e.g. `popup.html`) in a new tab, once its document has loaded. */
  page(path: string): Promise<Page>;
  close(): Promise<void>;
}

export async function launchFirefoxWithExtension(executablePath: string, extensionDir: string): Promise<FirefoxWithExtension> {
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath,
    headless: true,
    args: ['--remote-allow-system-access'],
    extraPrefsFirefox: { 'extensions.webextensions.uuids': JSON.stringify({ [ADDON_ID]: ADDON_UUID }) },
  });
  try {
    await browser.installExtension(extensionDir);
  } catch (error) {
    await browser.close();
    throw error;
  }
  return {
    browser,
    async page(path) {
      const url = `moz-extension://${ADDON_UUID}/${path.replace(/^\//, '')}`;
      const tab = await browser.newPage();
      // Firefox never reports the end of a navigation to an extension page over BiDi (the page
      // loads; the command does not return), so the load is awaited in the page itself.
      void tab.goto(url).catch(() => undefined);
      // A poll that lands while the tab swaps documents can fail inside Firefox's BiDi ("right-hand
      // side of 'in' should be an object, got null"): poll again until the deadline.
      const deadline = Date.now() + 20_000;
      for (;;) {
        try {
          await tab.waitForFunction((expected: string) => location.href === expected && document.readyState === 'complete', { timeout: Math.max(1, deadline - Date.now()), polling: 100 }, url);
          return tab;
        } catch (error) {
          if (Date.now() >= deadline || !(error instanceof Error) || !/protocol error/i.test(`${error.message} ${String((error as { cause?: unknown }).cause)}`)) throw error;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    },
    async close() {
      await browser.close().catch(() => undefined);
    },
  };
}
