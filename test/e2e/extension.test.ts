// End to end: the built extension in Chromium against a real companion (temporary data dir) and
// the provider emulator. Drives the popup and the side panel as a user would, dispatches the
// context menu in the worker, and checks that no plaintext key is ever stored by the extension.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, connect, type Server as TcpServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'puppeteer-core';
import { startTestServer, type TestServer } from '../../server/src/testing/test-server';
import { startEmulator, type Emulator } from '../emulator';
import { browserOrSkip, dumpExtensionStorage, launchWithExtension, leakForms, type ChromeApi, type ExtensionBrowser } from '../support/chromium';

const ROOT = join(import.meta.dirname, '..', '..');
const ARTIFACTS = join(ROOT, 'test', 'artifacts');
const EXTENSION_DIR = join(ROOT, 'extension', '.output', 'chrome-mv3');
const PASSPHRASE = 'tulip lantern orbit mercy';
const EMAIL = 'reader@example.com';
const OPENAI_KEY = `sk-proj-canary${'Ab3'.repeat(10)}Q7kZ`;
const OPENAI_ROTATED = `sk-proj-canary${'Xy9'.repeat(10)}R0t8`;
const ANTHROPIC_KEY = `sk-ant-canary${'Mn5'.repeat(10)}An7h`;
const GROQ_UNKNOWN = `gsk_canary${'Zz1'.repeat(10)}Rj3c`;
const ALL_KEYS = [OPENAI_KEY, OPENAI_ROTATED, ANTHROPIC_KEY, GROQ_UNKNOWN];

const ARTICLE = `<!doctype html><html><head><title>The Analytical Engine</title></head><body>
<nav>Home · About · Contact</nav>
<article><h1>The Analytical Engine</h1>
${Array.from({ length: 8 }, (_, index) => `<p>Ada Lovelace worked with Charles Babbage in London on the Analytical Engine. In 1843 she published notes that described an algorithm for the machine, paragraph ${index + 1}. Her notes are often called the first computer program, and the Science Museum keeps a model of the engine.</p>`).join('\n')}
</article><footer>© 2026 Example</footer></body></html>`;

/** A one-page PDF whose page shows `line` (offsets computed so the xref table is exact). */
function minimalPdf(line: string): Buffer {
  const content = `BT /F1 18 Tf 40 700 Td (${line}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let body = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((object, index) => {
    offsets.push(body.length);
    body += `${index + 1} 0 obj\n${object}\nendobj\n`;
  });
  const xref = body.length;
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) body += `${String(offset).padStart(10, '0')} 00000 n \n`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
}

/** A loopback TCP relay on a fixed port: "the companion's address" across server restarts. */
class FixedPortRelay {
  private server: TcpServer | null = null;
  private sockets = new Set<Socket>();
  port = 0;

  async open(target: () => URL): Promise<void> {
    this.server = createTcpServer((client) => {
      const url = target();
      const upstream = connect(Number(url.port), url.hostname);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => socket.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    const address = this.server.address();
    if (address && typeof address === 'object') this.port = address.port;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = null;
  }
}

const chromePath = browserOrSkip();

describe.skipIf(chromePath === null)('extension end to end (Chromium)', () => {
  let emulator: Emulator;
  let companion: TestServer;
  let relay: FixedPortRelay;
  let site: Server;
  let siteUrl: string;
  let chromium: ExtensionBrowser;
  let popup: Page;
  let companionUrl: string;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    execFileSync('pnpm', ['--filter', '@byok/extension', 'build'], { cwd: ROOT, stdio: 'pipe' });
    emulator = await startEmulator();
    emulator.addKey('openai', OPENAI_KEY);
    emulator.addKey('openai', OPENAI_ROTATED);
    emulator.addKey('anthropic', ANTHROPIC_KEY);
    companion = await startTestServer({ env: { BYOK_PROVIDER_BASE_URLS: JSON.stringify(emulator.urls), BYOK_RATE_LIMITS: 'off' } });
    relay = new FixedPortRelay();
    await relay.open(() => new URL(companion.baseUrl));
    companionUrl = `http://127.0.0.1:${relay.port}`;
    site = createServer((request, response) => {
      if (request.url === '/notes.txt') {
        response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
        response.end('Grace Hopper worked on the Harvard Mark I and later on COBOL in Philadelphia.');
      } else if (request.url === '/paper.pdf') {
        response.writeHead(200, { 'content-type': 'application/pdf' });
        response.end(minimalPdf('Alan Turing described the universal machine in Cambridge.'));
      } else if (request.url === '/photo.png') {
        response.writeHead(200, { 'content-type': 'image/png' });
        response.end(Buffer.from([0x89, 0x50, 0x4e, 0x47]));
      } else {
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        response.end(ARTICLE);
      }
    });
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    const address = site.address();
    siteUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/article.html`;
    chromium = await launchWithExtension(chromePath!, EXTENSION_DIR);
    popup = await chromium.page('popup.html');
    await popup.setViewport({ width: 400, height: 720 });
  });

  afterAll(async () => {
    await chromium?.close();
    await relay?.close();
    await companion?.close();
    await emulator?.close();
    await new Promise<void>((resolve) => (site ? site.close(() => resolve()) : resolve()));
  });

  afterEach(async (context) => {
    // A failing step leaves a picture of the popup behind for whoever reads the CI artifacts.
    if (context.task.result?.state === 'fail' && popup) {
      await popup.bringToFront().catch(() => undefined);
      const name = context.task.name.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
      await popup.screenshot({ path: join(ARTIFACTS, `failed-${name}.png`) }).catch(() => undefined);
    }
  });

  const text = (page: Page) => page.evaluate(() => document.body.innerText);

  const waitForText = async (page: Page, needle: string, timeout = 20_000) => {
    await page.waitForFunction((value: string) => document.body.innerText.includes(value), { timeout }, needle);
  };

  const clickButton = async (page: Page, label: string) => {
    const handle = await page.waitForSelector(`::-p-aria(${label}[role="button"])`, { timeout: 10_000 });
    await handle!.click();
  };

  const tab = async (name: string) => {
    await (await popup.waitForSelector(`::-p-aria(${name}[role="tab"])`))!.click();
  };

  const typeInto = async (page: Page, selector: string, value: string) => {
    await page.click(selector, { count: 3 });
    await page.keyboard.press('Backspace');
    await page.type(selector, value);
  };

  const addKey = async (provider: string, label: string, key: string) => {
    await tab('Add key');
    await popup.waitForSelector('#provider');
    await popup.select('#provider', provider);
    await typeInto(popup, '#label', label);
    await popup.type('#api-key', key);
  };

  const keyOrder = () => popup.$$eval('[data-testid="key-list"] > li strong', (nodes) => nodes.map((node) => node.textContent));

  const expectNoPlaintextStored = async () => {
    const dump = await dumpExtensionStorage(popup);
    expect(dump).toContain('idb:byok-companion/keys');
    for (const key of ALL_KEYS) for (const form of leakForms(key)) expect(dump).not.toContain(form);
    expect(dump).not.toContain(PASSPHRASE);
    expect(dump).toContain('[CryptoKey AES-KW extractable=false]');
  };

  const dispatchMenu = async (info: Record<string, unknown>) => {
    const worker = await chromium.worker();
    await worker.evaluate(
      async (menuInfo: Record<string, unknown>, url: string) => {
        const api = (globalThis as unknown as { chrome: ChromeApi }).chrome;
        const [tab] = await api.tabs.query({ url });
        api.contextMenus!.onClicked.dispatch({ editable: false, pageUrl: url, ...menuInfo }, tab);
      },
      info,
      siteUrl,
    );
  };

  it('runs the shared crypto vectors inside Chromium', async () => {
    const page = await chromium.page('selftest.html');
    await page.waitForSelector('#result[data-ok]', { timeout: 60_000 });
    const outcome = await page.$eval('#result', (node) => ({ ok: (node as HTMLElement).dataset.ok, text: node.textContent }));
    expect(outcome, outcome.text ?? '').toMatchObject({ ok: 'true' });
    await page.close();
  });

  it('creates an account with the warnings shown', async () => {
    await waitForText(popup, 'cannot be recovered');
    await popup.type('#email', EMAIL);
    await popup.type('#passphrase', PASSPHRASE);
    await popup.type('#confirm', PASSPHRASE);
    await popup.click('#understood');
    await popup.click('details summary');
    await typeInto(popup, '#companion-url', companionUrl);
    await popup.screenshot({ path: join(ARTIFACTS, 'popup-create-account.png') });
    await popup.click('form button[type="submit"]');
    await popup.waitForSelector('::-p-aria(Keys[role="tab"])', { timeout: 30_000 });
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
    await expectNoPlaintextStored();
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
    expect(await keyOrder()).toEqual(['Personal', 'Claude']);
    await clickButton(popup, 'Move Claude up');
    await popup.waitForFunction(() => document.querySelector('[data-testid="key-list"] > li strong')?.textContent === 'Claude');
    await popup.reload();
    await popup.waitForSelector('[data-testid="key-list"] > li');
    expect(await keyOrder()).toEqual(['Claude', 'Personal']);
    await clickButton(popup, 'Move Claude down');
    await popup.waitForFunction(() => document.querySelector('[data-testid="key-list"] > li strong')?.textContent === 'Personal');
    // And by drag and drop: Claude dropped on the first row goes first.
    const rows = await popup.$$('[data-testid="key-list"] > li');
    await rows[0]!.drop(rows[1]!);
    await popup.waitForFunction(() => document.querySelector('[data-testid="key-list"] > li strong')?.textContent === 'Claude', { timeout: 10_000 });
    await expectNoPlaintextStored();
  });

  it('enriches a selection and a page from the context menu and shows the result in the side panel', async () => {
    const article = await chromium.browser.newPage();
    await article.goto(siteUrl, { waitUntil: 'domcontentloaded' });
    await dispatchMenu({ menuItemId: 'byok-enrich-selection', selectionText: 'Ada Lovelace worked with Charles Babbage in London on the Analytical Engine.' });
    const panel = await chromium.page('sidepanel.html');
    await panel.waitForSelector('[data-testid="result"][data-state="done"]', { timeout: 60_000 });
    expect(await panel.$eval('[data-testid="summary"]', (node) => node.textContent?.trim().length ?? 0)).toBeGreaterThan(10);
    expect(await panel.$eval('[data-testid="route"]', (node) => node.textContent)).toContain('Your key');
    expect(await panel.$eval('[data-testid="cost"]', (node) => node.textContent)).toMatch(/^\$\d/);
    await panel.screenshot({ path: join(ARTIFACTS, 'sidepanel-selection.png'), fullPage: true });

    await dispatchMenu({ menuItemId: 'byok-enrich-page' });
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
    await popup.waitForSelector('[data-testid="usage-calls"]');
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
      await dispatchMenu({ menuItemId: 'byok-enrich-link', linkUrl: new URL('/notes.txt', base).href });
      expect(await latest(before + 1)).toMatchObject({ state: 'done', text: expect.stringContaining('Linked document') });
      await dispatchMenu({ menuItemId: 'byok-enrich-link', linkUrl: new URL('/paper.pdf', base).href });
      const pdf = await latest(before + 2);
      expect(pdf.state, pdf.text).toBe('done');
      expect(pdf.text).toContain('paper.pdf');
      await dispatchMenu({ menuItemId: 'byok-enrich-link', linkUrl: new URL('/photo.png', base).href });
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

  it('keeps a key saved while the companion is down in the outbox and uploads it when it is back', async () => {
    await relay.close();
    await companion.restart();
    // Down: the relay's port refuses connections until it opens again.
    await addKey('groq', 'Offline', GROQ_UNKNOWN);
    await clickButton(popup, 'Save key');
    await popup.waitForSelector('[data-outbox-state="pending"]', { timeout: 20_000 });
    await waitForText(popup, 'Sealed on this device');
    await popup.screenshot({ path: join(ARTIFACTS, 'popup-outbox.png') });
    await expectNoPlaintextStored();
    await relay.open(() => new URL(companion.baseUrl));
    await popup.reload();
    await waitForText(popup, 'gsk_•••Rj3c');
    await popup.waitForFunction(() => !document.querySelector('[data-testid="outbox"]'), { timeout: 20_000 });
  });

  it('locks and unlocks', async () => {
    await clickButton(popup, 'Lock the vault now');
    await popup.waitForSelector('#unlock-passphrase', { timeout: 10_000 });
    await popup.type('#unlock-passphrase', 'not my passphrase');
    await clickButton(popup, 'Unlock');
    await waitForText(popup, 'Wrong email or passphrase');
    await typeInto(popup, '#unlock-passphrase', PASSPHRASE);
    await clickButton(popup, 'Unlock');
    await waitForText(popup, 'gsk_•••Rj3c', 30_000);
    const dump = await dumpExtensionStorage(popup);
    expect(dump).toContain('[CryptoKey AES-KW extractable=false]');
  });

  it('names a key the provider rejected and offers to rotate it', async () => {
    // Put the key the emulator does not know first in the route.
    await clickButton(popup, 'Move Offline up');
    await popup.waitForFunction(() => document.querySelectorAll('[data-testid="key-list"] > li strong')[1]?.textContent === 'Offline');
    await clickButton(popup, 'Move Offline up');
    await popup.waitForFunction(() => document.querySelector('[data-testid="key-list"] > li strong')?.textContent === 'Offline');
    const article = await chromium.browser.newPage();
    await article.goto(siteUrl, { waitUntil: 'domcontentloaded' });
    await dispatchMenu({ menuItemId: 'byok-enrich-selection', selectionText: 'Charles Babbage designed the Analytical Engine.' });
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
    await expectNoPlaintextStored();
  });
});
