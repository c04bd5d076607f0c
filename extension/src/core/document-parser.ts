// Turns a linked document into text where a DOM exists (offscreen document, Firefox background):
// PDFs with pdf.js, HTML with Readability on a DOMParser document, plain text as is.
import { Readability } from '@mozilla/readability';
import { ExtensionError } from './errors';

export interface ParsedDocument {
  title: string;
  text: string;
  contentType: string;
}

const MAX_DOCUMENT_BYTES = 20 * 1024 * 1024;

export async function parseDocument(url: string): Promise<ParsedDocument> {
  let response: Response;
  try {
    // The user's session: cookies for the document's site go along, as when they click the link.
    response = await fetch(url, { credentials: 'include', redirect: 'follow', signal: AbortSignal.timeout(30_000) });
  } catch (error) {
    throw new ExtensionError('extract_failed', 'The linked document could not be downloaded.', { cause: error });
  }
  if (!response.ok) throw new ExtensionError('extract_failed', `The linked document answered ${response.status}.`);
  const contentType = (response.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (bytes.byteLength > MAX_DOCUMENT_BYTES) throw new ExtensionError('unsupported_document', 'The linked document is larger than 20 MB.');
  const name = new URL(url).pathname.split('/').pop() || url;
  if (contentType === 'application/pdf' || (contentType === 'application/octet-stream' && /\.pdf$/i.test(url))) {
    return { ...(await pdfText(bytes)), contentType: 'application/pdf', title: name };
  }
  if (contentType === 'text/html' || contentType === 'application/xhtml+xml') {
    const html = new TextDecoder().decode(bytes);
    const document = new DOMParser().parseFromString(html, 'text/html');
    const base = document.createElement('base');
    base.href = url;
    document.head.append(base);
    const article = new Readability(document).parse();
    const text = article?.textContent?.trim() || document.body?.textContent?.trim() || '';
    return { title: article?.title || document.title || name, text, contentType };
  }
  if (contentType.startsWith('text/')) {
    return { title: name, text: new TextDecoder().decode(bytes), contentType };
  }
  throw new ExtensionError(
    'unsupported_document',
    `This link points to ${contentType || 'an unknown type'}; only web pages, PDF and plain text can be enriched.`,
  );
}

async function pdfText(bytes: Uint8Array): Promise<{ text: string }> {
  const pdfjs = await import('pdfjs-dist');
  const { default: workerUrl } = await import('pdfjs-dist/build/pdf.worker.min.mjs?url');
  pdfjs.GlobalWorkerOptions.workerSrc = workerUrl;
  const pdf = await pdfjs.getDocument({ data: bytes }).promise;
  const pages: string[] = [];
  for (let number = 1; number <= pdf.numPages; number += 1) {
    const page = await pdf.getPage(number);
    const content = await page.getTextContent();
    pages.push(content.items.map((item) => ('str' in item ? item.str : '')).join(' '));
  }
  await pdf.destroy();
  return { text: pages.join('\n\n') };
}
