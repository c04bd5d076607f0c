// Turns a linked document into text where a DOM exists (offscreen document, Firefox background):
// PDFs with pdf.js, HTML with Readability on a DOMParser document, plain text as is.
import { Readability } from '@mozilla/readability';
import { classifyAddress } from '@byok/shared/net/ip-ranges';
import { DOWNLOAD_FAILED, ExtensionError } from './errors';

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
    throw new ExtensionError('extract_failed', DOWNLOAD_FAILED, { cause: error });
  }
  // A public link must not bounce the extension (which may read loopback) into the user's own
  // machine or network; a link that is itself local is the user's own choice.
  const finalUrl = new URL(response.url || url);
  if (!isNonPublicHost(new URL(url)) && isNonPublicHost(finalUrl)) {
    void response.body?.cancel().catch(() => undefined);
    throw new ExtensionError(
      'unsupported_document',
      `This link redirects to a local or private network address (${finalUrl.host}); the extension does not read it for a public link.`,
    );
  }
  if (!response.ok) throw new ExtensionError('extract_failed', `The linked document answered ${response.status}.`);
  const [type = '', charset] = parseContentType(response.headers.get('content-type') ?? '');
  const bytes = await readLimited(response);
  const name = new URL(url).pathname.split('/').pop() || url;
  const isHtml = type === 'text/html' || type === 'application/xhtml+xml';
  const pdfPath = [url, finalUrl.href].some((address) => /\.pdf$/i.test(new URL(address).pathname));
  if (type === 'application/pdf' || startsWithPdfMagic(bytes) || (pdfPath && !isHtml && !type.startsWith('text/'))) {
    return { ...(await pdfText(bytes)), contentType: 'application/pdf', title: name };
  }
  if (isHtml) {
    const html = decodeText(bytes, charset, true);
    const document = new DOMParser().parseFromString(html, 'text/html');
    const base = document.createElement('base');
    base.href = url;
    document.head.append(base);
    const article = new Readability(document).parse();
    const text = article?.textContent?.trim() || document.body?.textContent?.trim() || '';
    return { title: article?.title || document.title || name, text, contentType: type };
  }
  if (type.startsWith('text/')) {
    return { title: name, text: decodeText(bytes, charset, false), contentType: type };
  }
  throw new ExtensionError(
    'unsupported_document',
    `This link points to ${type || 'an unknown type'}; only web pages, PDF and plain text can be enriched.`,
  );
}

function tooLarge(): ExtensionError {
  return new ExtensionError('unsupported_document', 'The linked document is larger than 20 MB.');
}

/** The body, refused on a declared length over the limit or as soon as the stream passes it. */
async function readLimited(response: Response): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length') ?? '');
  if (declared > MAX_DOCUMENT_BYTES) {
    void response.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  if (!response.body) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > MAX_DOCUMENT_BYTES) {
        void reader.cancel().catch(() => undefined);
        throw tooLarge();
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof ExtensionError) throw error;
    throw new ExtensionError('extract_failed', DOWNLOAD_FAILED, { cause: error });
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/** `text/html; charset="ISO-8859-1"` -> ['text/html', 'ISO-8859-1']. */
function parseContentType(header: string): [string, string | undefined] {
  const [type, ...parameters] = header.split(';');
  const charset = parameters.map((parameter) => /^\s*charset\s*=\s*"?([^";\s]*)"?/i.exec(parameter)?.[1]).find(Boolean);
  return [type?.trim().toLowerCase() ?? '', charset];
}

function startsWithPdfMagic(bytes: Uint8Array): boolean {
  return [0x25, 0x50, 0x44, 0x46, 0x2d].every((byte, index) => bytes[index] === byte); // %PDF-
}

/** Decodes with the first of: a byte order mark, the header's charset, an HTML <meta> charset
 * in the first 1024 bytes, UTF-8. Labels TextDecoder does not know are skipped. */
function decodeText(bytes: Uint8Array, headerCharset: string | undefined, html: boolean): string {
  const bom =
    bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 'utf-8'
    : bytes[0] === 0xfe && bytes[1] === 0xff ? 'utf-16be'
    : bytes[0] === 0xff && bytes[1] === 0xfe ? 'utf-16le'
    : undefined;
  let decoder = decoderFor(bom) ?? decoderFor(headerCharset);
  if (!decoder && html) {
    const head = new TextDecoder('windows-1252').decode(bytes.subarray(0, 1024));
    decoder = decoderFor(/<meta\s[^>]*?charset\s*=\s*["']?\s*([-\w.:]+)/i.exec(head)?.[1]);
    // A <meta> naming UTF-16 is read as UTF-8 (HTML's prescan rule: the prescan itself read ASCII).
    if (decoder?.encoding.startsWith('utf-16')) decoder = undefined;
  }
  return (decoder ?? new TextDecoder('utf-8')).decode(bytes);
}

function decoderFor(label: string | undefined): TextDecoder | undefined {
  if (!label) return undefined;
  try {
    return new TextDecoder(label);
  } catch {
    return undefined; // not a WHATWG encoding label
  }
}

/**
 * True for a URL whose host is not on the public internet: `localhost`, `*.localhost`, and IP
 * literals the companion's outbound rules do not call public (loopback, private, CGNAT,
 * link-local, metadata, unspecified, multicast, reserved; shared/src/net/ip-ranges.ts). Names that
 * resolve to such addresses cannot be seen from here and count as public.
 */
export function isNonPublicHost(url: URL): boolean {
  const host = url.hostname.toLowerCase().replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  // URL.hostname writes every IPv4 spelling as a dotted quad and brackets IPv6.
  const literal = host.startsWith('[') ? host.slice(1, -1) : /^[\d.]+$/.test(host) ? host : null;
  return literal !== null && classifyAddress(literal) !== 'public';
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
