// The context menu: three items, and what a click does. The side panel opens first (it needs
// the click's user gesture), then the text is gathered and the enrichment starts.
import { browser, type Browser } from 'wxt/browser';
import type { EnrichmentRunner } from './enrichment';
import { ExtensionError } from './errors';
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

export async function handleMenuClick(
  info: Browser.contextMenus.OnClickData,
  tab: Browser.tabs.Tab | undefined,
  runner: EnrichmentRunner,
): Promise<string | null> {
  openResultView(tab);
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
      const document = await fetchDocument(info.linkUrl);
      return await runner.start({ kind: 'document', text: document.text, title: document.title, url: info.linkUrl, contentType: document.contentType });
    }
    return null;
  } catch (error) {
    const kind = info.menuItemId === MENU_SELECTION ? 'selection' : info.menuItemId === MENU_LINK ? 'document' : 'page';
    return runner.fail({ kind, title: base.title, url: info.linkUrl ?? base.url }, error);
  }
}
