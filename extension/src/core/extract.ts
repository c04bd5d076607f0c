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
  /** Absent for a readiness ping. */
  url?: string;
}

/** Linked documents larger or slower than this are given up (the panel says so). */
const READ_TIMEOUT_MS = 45_000;

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
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), READ_TIMEOUT_MS);
  });
  const request = browser.runtime.sendMessage({ channel: 'byok-offscreen', url } satisfies OffscreenRequest) as Promise<OffscreenReply | undefined>;
  const reply = await Promise.race([request, timeout]).finally(() => clearTimeout(timer));
  if (!reply) throw new ExtensionError('extract_failed', 'The document reader did not answer in time.');
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
  // The document exists before its script listens: wait until it answers a ping.
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const pong = (await browser.runtime.sendMessage({ channel: 'byok-offscreen' } satisfies OffscreenRequest).catch(() => undefined)) as OffscreenReply | undefined;
    if (pong?.ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new ExtensionError('extract_failed', 'The document reader did not start.');
}
