// Chromium offscreen document: the DOM the service worker lacks. Fetches and parses linked
// documents on the background's request and answers with their text.
import { browser } from 'wxt/browser';
import { parseDocument } from '../../src/core/document-parser';
import { toErrorInfo } from '../../src/core/errors';
import type { OffscreenReply, OffscreenRequest } from '../../src/core/extract';

function isOffscreenRequest(value: unknown): value is OffscreenRequest {
  return typeof value === 'object' && value !== null && (value as { channel?: unknown }).channel === 'byok-offscreen';
}

browser.runtime.onMessage.addListener((message, sender, sendResponse) => {
  if (!isOffscreenRequest(message) || sender.id !== browser.runtime.id) return false;
  if (message.url === undefined) {
    sendResponse({ ok: true, value: { title: '', text: '', contentType: '' } } satisfies OffscreenReply);
    return false;
  }
  parseDocument(message.url).then(
    (value) => sendResponse({ ok: true, value } satisfies OffscreenReply),
    (error: unknown) => sendResponse({ ok: false, error: toErrorInfo(error) } satisfies OffscreenReply),
  );
  return true;
});
