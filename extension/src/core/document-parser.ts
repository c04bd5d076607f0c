// Turns a linked document into text where a DOM exists (offscreen document, Firefox background):
// PDFs with pdf.js, HTML with Readability on a DOMParser document, plain text as is.
import { Readability } from '@mozilla/readability';
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
 * True for a URL whose host is not on the public internet: `localhost`, `*.localhost`, and IPv4 or
 * IPv6 literals in loopback, private, CGNAT, link-local, unspecified, multicast or reserved ranges
 * (the ranges of server/src/outbound/ip-ranges.ts). Names that resolve to such addresses cannot
 * be seen from here and count as public.
 */
export function isNonPublicHost(url: URL): boolean {
  const host = url.hostname.toLowerCase().replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (host.startsWith('[')) {
    const bytes = parseIPv6(host.slice(1, -1));
    return bytes === null || isNonPublicV6(bytes);
  }
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!v4) return false;
  const parts = v4.slice(1).map(Number);
  return parts.some((part) => part > 255) || isNonPublicV4(parts.reduce((value, part) => value * 256 + part, 0));
}

// [base, prefix length]: this network, RFC 1918, CGNAT, loopback, link-local, IETF protocol
// assignments, benchmarking, multicast and reserved (with broadcast).
const NON_PUBLIC_V4: readonly (readonly [number, number])[] = (
  [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
    ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4]] as const
).map(([base, bits]) => [base.split('.').reduce((value, part) => value * 256 + Number(part), 0), bits] as const);

function isNonPublicV4(address: number): boolean {
  return NON_PUBLIC_V4.some(([base, bits]) => Math.floor(address / 2 ** (32 - bits)) === Math.floor(base / 2 ** (32 - bits)));
}

/** The hex form URL.hostname gives (compressed, no dotted tail) -> 16 bytes, or null. */
function parseIPv6(text: string): Uint8Array | null {
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const words = (part: string | undefined): number[] => (part ? part.split(':').map((word) => (/^[0-9a-f]{1,4}$/.test(word) ? parseInt(word, 16) : NaN)) : []);
  const left = words(halves[0]);
  const right = words(halves[1]);
  const all = halves.length === 2 ? [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right] : left;
  if (all.length !== 8 || all.some((word) => Number.isNaN(word))) return null;
  return new Uint8Array(all.flatMap((word) => [word >> 8, word & 0xff]));
}

function isNonPublicV6(bytes: Uint8Array): boolean {
  const zero = (from: number, to: number): boolean => bytes.subarray(from, to).every((byte) => byte === 0);
  const v4At = (offset: number): number => [0, 1, 2, 3].reduce((value, index) => value * 256 + (bytes[offset + index] ?? 0), 0);
  // ::, ::1, IPv4-compatible ::a.b.c.d and IPv4-mapped ::ffff:a.b.c.d are judged by their IPv4 tail
  // (:: and ::1 land in 0.0.0.0/8).
  if (zero(0, 10) && ((bytes[10] === 0 && bytes[11] === 0) || (bytes[10] === 0xff && bytes[11] === 0xff))) return isNonPublicV4(v4At(12));
  // NAT64 64:ff9b::/96 carries an IPv4 address; the local-use 64:ff9b:1::/48 is private.
  if (bytes[0] === 0x00 && bytes[1] === 0x64 && bytes[2] === 0xff && bytes[3] === 0x9b) return zero(4, 12) ? isNonPublicV4(v4At(12)) : true;
  if (bytes[0] === 0x20 && bytes[1] === 0x02) return isNonPublicV4(v4At(2)); // 6to4
  const first = bytes[0] ?? 0;
  // fc00::/7 unique-local, fe80::/10 link-local, fec0::/10 site-local, ff00::/8 multicast.
  return (first & 0xfe) === 0xfc || (first === 0xfe && ((bytes[1] ?? 0) & 0x80) !== 0) || first === 0xff;
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
