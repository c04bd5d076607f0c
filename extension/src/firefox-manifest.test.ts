// The Firefox build's manifest (WXT `-b firefox`, MV2): the side panel becomes a sidebar_action,
// the background is an event page with scripts, Chromium-only permissions are left out, loopback
// hosts are granted and other companions are optional, and every file it names was built. Built
// into a temporary directory so that it never races the Chromium output the e2e tests load.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

interface FirefoxManifest {
  manifest_version: number;
  permissions: string[];
  optional_permissions?: string[];
  background?: { scripts?: string[]; service_worker?: string; persistent?: boolean };
  browser_action?: { default_popup?: string };
  action?: unknown;
  sidebar_action?: { default_panel?: string; default_title?: string };
  side_panel?: unknown;
  options_ui?: { page?: string };
  browser_specific_settings?: { gecko?: { id?: string; strict_min_version?: string } };
}

const ROOT = join(import.meta.dirname, '..');

describe('Firefox build manifest', () => {
  let out: string;
  let dir: string;
  let manifest: FirefoxManifest;

  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'byok-firefox-'));
    // WXT's programmatic build: the same config as `pnpm build:firefox`, another output directory.
    const script = `import { build } from 'wxt'; await build({ browser: 'firefox', outDir: ${JSON.stringify(out)} });`;
    execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, stdio: 'pipe', timeout: 120_000 });
    dir = join(out, 'firefox-mv2');
    manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as FirefoxManifest;
  }, 150_000);

  afterAll(() => {
    if (out) rmSync(out, { recursive: true, force: true });
  });

  it('is MV2 with an event-page background made of scripts', () => {
    expect(manifest.manifest_version).toBe(2);
    expect(manifest.background?.service_worker).toBeUndefined();
    expect(manifest.background?.scripts?.length).toBeGreaterThan(0);
    expect(manifest.background?.persistent).not.toBe(true);
    for (const script of manifest.background!.scripts!) expect(existsSync(join(dir, script)), script).toBe(true);
  });

  it('opens results in a sidebar_action and has the popup and options pages', () => {
    expect(manifest.side_panel).toBeUndefined();
    expect(manifest.sidebar_action?.default_panel).toBe('sidepanel.html');
    expect(manifest.browser_action?.default_popup).toBe('popup.html');
    expect(manifest.action).toBeUndefined();
    expect(manifest.options_ui?.page).toBe('options.html');
    for (const page of ['sidepanel.html', 'popup.html', 'options.html']) {
      const html = readFileSync(join(dir, page), 'utf8');
      const assets = [...html.matchAll(/(?:src|href)="\/([^"]+\.(?:js|css))"/g)].map((match) => match[1]!);
      expect(assets.length, page).toBeGreaterThan(0);
      for (const asset of assets) expect(existsSync(join(dir, asset)), `${page} -> ${asset}`).toBe(true);
    }
    // The page extractor is injected with scripting.executeScript: it must be a built file.
    expect(existsSync(join(dir, 'extract-page.js'))).toBe(true);
  });

  it('asks for what the extension uses, nothing Chromium-only, loopback up front and other hosts optional', () => {
    expect(manifest.permissions).toEqual(expect.arrayContaining(['storage', 'contextMenus', 'alarms', 'activeTab', 'scripting']));
    expect(manifest.permissions).not.toContain('sidePanel');
    expect(manifest.permissions).not.toContain('offscreen');
    // MV2 lists host permissions among the permissions.
    expect(manifest.permissions).toEqual(expect.arrayContaining(['http://127.0.0.1/*', 'http://localhost/*']));
    expect(manifest.permissions.some((permission) => permission === '<all_urls>' || permission.startsWith('https://*'))).toBe(false);
    expect(manifest.optional_permissions).toEqual(expect.arrayContaining(['http://*/*', 'https://*/*']));
  });

  it('names a gecko id and a minimum Firefox version', () => {
    expect(manifest.browser_specific_settings?.gecko?.id).toMatch(/^[^@\s]+@[^@\s]+$/);
    expect(Number(manifest.browser_specific_settings?.gecko?.strict_min_version?.split('.')[0])).toBeGreaterThanOrEqual(109);
  });
});
