// Gathering text for enrichment from the background: the page's readable article (injected
// extractor, Readability in the page) and linked documents (fetched and parsed where a DOM
// exists: Chromium's offscreen document, or Firefox's background page directly).
import { browser } from 'wxt/browser';
import { ExtensionError, type ErrorInfo } from './errors';
import type { ParsedDocument } from './document-parser';

export interface ExtractedPage {
  title: string;
  text: string;
}

interface PageExtractorGlobal {
  byokExtractPage?: () => ExtractedPage | null;
}

export async function extractPage(tabId: number): Promise<ExtractedPage> {
  try {
    // The extractor file defines a function in the extension's isolated world; the second call
    // runs it there and returns a plain object.
    await browser.scripting.executeScript({ target: { tabId }, files: ['/extract-page.js'] });
    const [result] = await browser.scripting.executeScript({
      target: { tabId },
      func: () => (globalThis as PageExtractorGlobal).byokExtractPage?.() ?? null,
    });
    const page = result?.result as ExtractedPage | null | undefined;
    if (!page || !page.text.trim()) throw new ExtensionError('extract_failed', 'No readable article was found on this page. Select the text and use "Enrich selection".');
    return page;
  } catch (error) {
    if (error instanceof ExtensionError) throw error;
    throw new ExtensionError('extract_failed', 'This page cannot be read by extensions (a browser page, the web store, or no permission).', { cause: error });
  }
}

export interface OffscreenRequest {
  channel: 'byok-offscreen';
  url: string;
}

export type OffscreenReply = { ok: true; value: ParsedDocument } | { ok: false; error: ErrorInfo };

const OFFSCREEN_PATH = '/offscreen.html';

export async function fetchDocument(url: string): Promise<ParsedDocument> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ExtensionError('unsupported_document', 'This link is not a web address.');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ExtensionError('unsupported_document', 'Only http and https links can be enriched.');
  }
  if (import.meta.env.FIREFOX) {
    // Firefox's background page has a DOM: parse here (kept out of the Chromium worker bundle).
    const { parseDocument } = await import('./document-parser');
    return parseDocument(url);
  }
  await ensureOffscreen();
  const reply = (await browser.runtime.sendMessage({ channel: 'byok-offscreen', url } satisfies OffscreenRequest)) as OffscreenReply | undefined;
  if (!reply) throw new ExtensionError('extract_failed', 'The document reader did not answer.');
  if (!reply.ok) throw new ExtensionError(reply.error.code, reply.error.message);
  return reply.value;
}

async function ensureOffscreen(): Promise<void> {
  const offscreen = (browser as { offscreen?: typeof chrome.offscreen }).offscreen;
  if (!offscreen) throw new ExtensionError('unsupported_document', 'This browser cannot read linked documents.');
  const contexts = await browser.runtime.getContexts({ contextTypes: ['OFFSCREEN_DOCUMENT' as chrome.runtime.ContextType] });
  if (contexts.length > 0) return;
  await offscreen.createDocument({
    url: OFFSCREEN_PATH,
    reasons: ['DOM_PARSER' as chrome.offscreen.Reason],
    justification: 'Read linked HTML and PDF documents the user asked to enrich.',
  });
}
