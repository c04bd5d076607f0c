// Chromium with the built extension for end-to-end tests (TESTING.md recipe): find a browser,
// launch it headless with a throwaway profile, install the unpacked extension, reach its
// service worker, and dump everything the extension stores for leak checks.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page, type WebWorker } from 'puppeteer-core';

/** The few extension APIs the tests touch, typed here (the test package has no @types/chrome). */
export interface ChromeApi {
  contextMenus?: { onClicked: { dispatch(info: unknown, tab: unknown): void } };
  tabs: { query(query: { url?: string }): Promise<{ id?: number; url?: string; title?: string; windowId?: number }[]> };
  storage: Record<'local' | 'session' | 'sync', { get(keys: null): Promise<Record<string, unknown>> }>;
}

/** A browser the tests can drive: where to look for it, and what to tell whoever has none. */
export interface BrowserLookup {
  readonly name: string;
  /** The environment variable that names its executable. */
  readonly env: string;
  readonly candidates: readonly string[];
  /** The Debian package that provides it. */
  readonly install: string;
}

const CHROMIUM: BrowserLookup = {
  name: 'Chromium',
  env: 'CHROME_PATH',
  candidates: ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'],
  install: 'chromium',
};

/** The executable named by the environment variable, else the first candidate present, else null. */
export function findBrowser(lookup: BrowserLookup): string | null {
  const fromEnv = process.env[lookup.env];
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : null;
  return lookup.candidates.find((path) => existsSync(path)) ?? null;
}

/**
 * Whether tests in that browser run here. Without it they are skipped on a developer machine but
 * fail loudly in CI (CI=anything), so a missing browser can never pass silently there.
 */
export function browserPathOrSkip(lookup: BrowserLookup): string | null {
  const found = findBrowser(lookup);
  if (!found && process.env.CI) {
    throw new Error(`No ${lookup.name} found (set ${lookup.env} or install ${lookup.install}): browser tests cannot be skipped in CI.`);
  }
  return found;
}

/** CHROME_PATH, else a system Chromium/Chrome, else null. */
export function findChrome(): string | null {
  return findBrowser(CHROMIUM);
}

/** Chromium for the extension tests, or null to skip them (never in CI). */
export function browserOrSkip(): string | null {
  return browserPathOrSkip(CHROMIUM);
}

export interface ExtensionBrowser {
  browser: Browser;
  extensionId: string;
  worker: () => Promise<WebWorker>;
  page: (path: string) => Promise<Page>;
  close: () => Promise<void>;
}

export async function launchWithExtension(executablePath: string, extensionDir: string): Promise<ExtensionBrowser> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'byok-chromium-'));
  const browser = await puppeteer.launch({
    executablePath,
    headless: true,
    pipe: true,
    enableExtensions: true,
    userDataDir,
    env: { ...process.env, XDG_CONFIG_HOME: join(userDataDir, 'config'), XDG_CACHE_HOME: join(userDataDir, 'cache') },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const extensionId = await browser.installExtension(extensionDir);

  const worker = async (): Promise<WebWorker> => {
    const target = await browser.waitForTarget(
      (candidate) => candidate.type() === 'service_worker' && candidate.url().startsWith(`chrome-extension://${extensionId}/`),
      { timeout: 20_000 },
    );
    const handle = await target.worker();
    if (!handle) throw new Error('extension service worker has no worker handle');
    // The first evaluate can come before the extension APIs are bound (TESTING.md).
    for (let attempt = 0; attempt < 50; attempt += 1) {
      const ready = await handle
        .evaluate(() => {
          const api = (globalThis as unknown as { chrome?: { contextMenus?: unknown } }).chrome;
          return api !== undefined && api.contextMenus !== undefined;
        })
        .catch(() => false);
      if (ready) return handle;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('extension service worker never exposed chrome.*');
  };

  const page = async (path: string): Promise<Page> => {
    const tab = await browser.newPage();
    await tab.goto(`chrome-extension://${extensionId}/${path.replace(/^\//, '')}`, { waitUntil: 'domcontentloaded' });
    return tab;
  };

  return {
    browser,
    extensionId,
    worker,
    page,
    async close() {
      await browser.close().catch(() => undefined);
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Everything the extension keeps, as text: every IndexedDB database, store and record (CryptoKey
 * objects are described, not exported: they are non-extractable), plus storage local, session and
 * sync. Evaluated inside an extension page, in Chromium or Firefox.
 */
export async function dumpExtensionStorage(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const replacer = (_key: string, value: unknown): unknown => {
      if (value instanceof CryptoKey) return `[CryptoKey ${value.algorithm.name} extractable=${value.extractable}]`;
      if (value instanceof ArrayBuffer) return Array.from(new Uint8Array(value));
      if (ArrayBuffer.isView(value)) return Array.from(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
      return value;
    };
    const parts: string[] = [];
    for (const info of await indexedDB.databases()) {
      if (!info.name) continue;
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const request = indexedDB.open(info.name!);
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      for (const storeName of Array.from(db.objectStoreNames)) {
        const rows = await new Promise<unknown[]>((resolve, reject) => {
          const request = db.transaction(storeName, 'readonly').objectStore(storeName).getAll();
          request.onsuccess = () => resolve(request.result as unknown[]);
          request.onerror = () => reject(request.error);
        });
        parts.push(`idb:${info.name}/${storeName} ${JSON.stringify(rows, replacer)}`);
      }
      db.close();
    }
    // `browser` where it exists (Firefox; its MV2 `chrome` wants callbacks), else `chrome`.
    type StorageApi = { storage: Record<string, { get(keys: null): Promise<unknown> }> };
    const scope = globalThis as unknown as { browser?: StorageApi; chrome: StorageApi };
    const storage = (scope.browser ?? scope.chrome).storage;
    for (const area of ['local', 'session', 'sync']) parts.push(`${area} ${JSON.stringify(await storage[area]!.get(null))}`);
    return parts.join('\n');
  });
}
