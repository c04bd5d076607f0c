// The context menu: three items, and what a click does. The side panel opens first and a linked
// document's site is asked for read access (both need the click's user gesture), then the text is
// gathered and the enrichment starts.
import { browser, type Browser } from 'wxt/browser';
import type { EnrichmentRunner } from './enrichment';
import { DOWNLOAD_FAILED, ExtensionError } from './errors';
import { extractPage, fetchDocument } from './extract';

export const MENU_PAGE = 'byok-enrich-page';
export const MENU_SELECTION = 'byok-enrich-selection';
export const MENU_LINK = 'byok-enrich-link';

export async function createMenus(): Promise<void> {
  await browser.contextMenus.removeAll();
  browser.contextMenus.create({ id: MENU_PAGE, title: 'Enrich this page', contexts: ['page'] });
  browser.contextMenus.create({ id: MENU_SELECTION, title: 'Enrich selection', contexts: ['selection'] });
  browser.contextMenus.create({ id: MENU_LINK, title: 'Enrich linked document', contexts: ['link'] });
}

/** Open the result view next to the page: Chromium's side panel or Firefox's sidebar. */
export function openResultView(tab: Browser.tabs.Tab | undefined): void {
  const sidePanel = (browser as { sidePanel?: typeof chrome.sidePanel }).sidePanel;
  const sidebar = (browser as unknown as { sidebarAction?: { open(): Promise<void> } }).sidebarAction;
  try {
    if (sidePanel && tab?.windowId !== undefined) void sidePanel.open({ windowId: tab.windowId }).catch(() => undefined);
    else if (sidebar) void sidebar.open().catch(() => undefined);
  } catch {
    // Without a user gesture (or on an old browser) the panel stays closed; history keeps the result.
  }
}

/**
 * Asks for read access to the site of a linked document (an optional host permission): the link
 * is fetched with the user's session, which a site answers only to an extension allowed on it.
 * Must start inside the click's user gesture. Already granted (loopback, an earlier yes): true at
 * once, no prompt. Never throws; false when refused or not possible.
 */
function requestSiteAccess(url: string): Promise<boolean> {
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return Promise.resolve(false);
    return browser.permissions.request({ origins: [`${parsed.protocol}//${parsed.hostname}/*`] }).catch(() => false);
  } catch {
    return Promise.resolve(false);
  }
}

/** Without access the site's answer is unreadable to the extension: a failed download says why. */
export function explainDownloadFailure(error: unknown, siteAccess: boolean, linkUrl: string): unknown {
  if (siteAccess || !(error instanceof ExtensionError) || error.message !== DOWNLOAD_FAILED) return error;
  return new ExtensionError('permission_denied', `The browser did not allow the extension to read ${new URL(linkUrl).hostname}, so the linked document could not be downloaded.`);
}

export async function handleMenuClick(
  info: Browser.contextMenus.OnClickData,
  tab: Browser.tabs.Tab | undefined,
  runner: EnrichmentRunner,
): Promise<string | null> {
  // Both need the click's user gesture, so both start before anything is awaited.
  openResultView(tab);
  const siteAccess = info.menuItemId === MENU_LINK && info.linkUrl ? requestSiteAccess(info.linkUrl) : Promise.resolve(true);
  const base = { title: tab?.title, url: tab?.url };
  try {
    if (info.menuItemId === MENU_SELECTION) {
      const text = info.selectionText ?? '';
      const title = text.length > 80 ? `${text.slice(0, 80).trimEnd()}…` : text;
      return await runner.start({ kind: 'selection', text, title: title || tab?.title, url: tab?.url });
    }
    if (info.menuItemId === MENU_PAGE) {
      if (tab?.id === undefined) throw new ExtensionError('extract_failed', 'This page cannot be read.');
      const page = await extractPage(tab.id);
      return await runner.start({ kind: 'page', text: page.text, title: page.title || tab.title, url: tab.url });
    }
    if (info.menuItemId === MENU_LINK) {
      if (!info.linkUrl) throw new ExtensionError('extract_failed', 'This link has no address.');
      const allowed = await siteAccess;
      const linkUrl = info.linkUrl;
      const document = await fetchDocument(linkUrl).catch((error: unknown) => {
        throw explainDownloadFailure(error, allowed, linkUrl);
      });
      return await runner.start({ kind: 'document', text: document.text, title: document.title, url: info.linkUrl, contentType: document.contentType });
    }
    return null;
  } catch (error) {
    const kind = info.menuItemId === MENU_SELECTION ? 'selection' : info.menuItemId === MENU_LINK ? 'document' : 'page';
    return runner.fail({ kind, title: base.title, url: info.linkUrl ?? base.url }, error);
  }
}
