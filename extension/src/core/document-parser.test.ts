// The linked-document reader over real HTTP (node:http on loopback): the 20 MB limit is enforced
// while reading, a public link may not redirect into the user's machine or network, text is
// decoded with its declared charset, and PDFs are recognised by type, path or signature.
// Node has no DOM: DOMParser and Readability are stood in for (the HTML "article" is the decoded
// page), and pdf.js is replaced by a stub that reports the bytes it was given.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { isNonPublicHost, parseDocument } from './document-parser';

vi.mock('@mozilla/readability', () => ({
  Readability: class {
    constructor(private readonly document: { body: { textContent: string } }) {}
    parse() {
      return { title: 'article', textContent: this.document.body.textContent };
    }
  },
}));

vi.mock('pdfjs-dist', () => ({
  GlobalWorkerOptions: {},
  getDocument: ({ data }: { data: Uint8Array }) => ({
    promise: Promise.resolve({
      numPages: 1,
      getPage: async () => ({ getTextContent: async () => ({ items: [{ str: `pdf.js read ${data.byteLength} bytes` }] }) }),
      destroy: async () => undefined,
    }),
  }),
}));

class FakeDOMParser {
  parseFromString(html: string) {
    return { title: '', head: { append: () => undefined }, body: { textContent: html }, createElement: () => ({}) };
  }
}

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

async function serve(handler: Handler): Promise<{ server: Server; origin: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const MiB = 1024 * 1024;
const latin1 = (text: string): Buffer => Buffer.from(text, 'latin1');

let routes: Record<string, Handler> = {};
let site: { server: Server; origin: string };
let localService: { server: Server; origin: string };

beforeAll(async () => {
  site = await serve((request, response) => {
    const route = routes[new URL(request.url ?? '/', 'http://x').pathname];
    if (route) route(request, response);
    else response.writeHead(404).end();
  });
  localService = await serve((_request, response) => response.writeHead(200, { 'content-type': 'text/plain' }).end('local admin secret'));
});

afterEach(() => {
  routes = {};
  vi.unstubAllGlobals();
});

afterAll(() => {
  for (const { server } of [site, localService]) {
    server.closeAllConnections();
    server.close();
  }
});

describe('size limit', () => {
  it('refuses a declared Content-Length over 20 MB without waiting for the body', { timeout: 5_000 }, async () => {
    routes['/big'] = (_request, response) => {
      // Declares 64 MiB, sends 1 KiB and stalls: reading the whole body first would never end.
      response.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(64 * MiB) });
      response.write(Buffer.alloc(1024, 0x61));
    };
    await expect(parseDocument(`${site.origin}/big`)).rejects.toThrow('larger than 20 MB');
  });

  it('stops reading an undeclared body as soon as it passes 20 MB', { timeout: 20_000 }, async () => {
    let written = 0;
    let closed!: Promise<void>;
    routes['/stream'] = (_request, response) => {
      closed = new Promise((resolve) => response.on('close', () => resolve()));
      response.writeHead(200, { 'content-type': 'text/plain' }); // chunked, no length
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      const pump = (): void => {
        while (written < 64 * MiB && !response.destroyed) {
          written += chunk.byteLength;
          if (!response.write(chunk)) return void response.once('drain', pump);
        }
        if (!response.destroyed) response.end();
      };
      pump();
    };
    await expect(parseDocument(`${site.origin}/stream`)).rejects.toThrow('larger than 20 MB');
    await closed;
    // The reader hung up well before the server got to the end of its 64 MiB.
    expect(written).toBeLessThan(40 * MiB);
  });
});

describe('redirects into local addresses', () => {
  it('refuses a public link that redirects to loopback, and reads a link that is local itself', async () => {
    routes['/bounce'] = (_request, response) => response.writeHead(302, { location: `${localService.origin}/admin` }).end();
    routes['/doc'] = (_request, response) => response.writeHead(200, { 'content-type': 'text/plain' }).end('public text');
    // Stands in for DNS: http://files.example is this test's "public" site.
    const realFetch = globalThis.fetch;
    vi.stubGlobal('fetch', async (input: string, init?: RequestInit) => {
      const response = await realFetch(input.replace('http://files.example', site.origin), init);
      if (response.url.startsWith(site.origin)) Object.defineProperty(response, 'url', { value: response.url.replace(site.origin, 'http://files.example') });
      return response;
    });

    const refused = await parseDocument('http://files.example/bounce').catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: 'unsupported_document', message: expect.stringContaining('local or private network address') });
    await expect(parseDocument('http://files.example/doc')).resolves.toMatchObject({ text: 'public text' });
    // The user's own local page links elsewhere on their machine: that is theirs to read.
    await expect(parseDocument(`${site.origin}/bounce`)).resolves.toMatchObject({ text: 'local admin secret' });
  });

  it('classifies loopback, private, link-local and other non-public hosts', () => {
    const nonPublic = [
      'http://localhost:8080/', 'http://LOCALHOST./', 'http://app.localhost/', 'http://127.0.0.1/', 'http://127.1.2.3/',
      'http://2130706433/', 'http://0x7f.1/', 'http://0.0.0.0/', 'http://10.1.2.3/', 'http://172.16.0.1/', 'http://172.31.255.255/',
      'http://192.168.1.1/', 'http://169.254.169.254/', 'http://100.64.0.1/', 'http://192.0.0.170/', 'http://198.18.0.1/',
      'http://224.0.0.1/', 'http://255.255.255.255/', 'http://[::1]/', 'http://[::]/', 'http://[::ffff:127.0.0.1]/',
      'http://[::ffff:10.0.0.1]/', 'http://[::127.0.0.1]/', 'http://[64:ff9b::a9fe:a9fe]/', 'http://[64:ff9b:1::1]/',
      'http://[2002:c0a8:101::1]/', 'http://[fe80::1]/', 'http://[fc00::1]/', 'http://[fd12:3456::1]/', 'http://[fec0::1]/', 'http://[ff02::1]/',
    ];
    const isPublic = [
      'https://example.com/', 'http://8.8.8.8/', 'http://172.32.0.1/', 'http://11.0.0.1/', 'http://localhost.example.com/',
      'http://[2606:4700:4700::1111]/', 'http://[::ffff:8.8.8.8]/', 'http://[64:ff9b::808:808]/', 'http://[2002:808:808::1]/',
    ];
    expect(nonPublic.filter((url) => !isNonPublicHost(new URL(url)))).toEqual([]);
    expect(isPublic.filter((url) => isNonPublicHost(new URL(url)))).toEqual([]);
  });
});

describe('content types', () => {
  it('decodes plain text with the charset of its Content-Type, and UTF-8 for an unknown label', async () => {
    routes['/latin1.txt'] = (_request, response) => response.writeHead(200, { 'content-type': 'text/plain; charset=ISO-8859-1' }).end(latin1('café München'));
    routes['/odd.txt'] = (_request, response) => response.writeHead(200, { 'content-type': 'text/plain; charset="x-no-such"' }).end('café München');
    await expect(parseDocument(`${site.origin}/latin1.txt`)).resolves.toMatchObject({ text: 'café München', contentType: 'text/plain' });
    await expect(parseDocument(`${site.origin}/odd.txt`)).resolves.toMatchObject({ text: 'café München' });
  });

  it('decodes HTML with the header charset, else a <meta> charset in the first 1024 bytes', async () => {
    vi.stubGlobal('DOMParser', FakeDOMParser);
    routes['/header.html'] = (_request, response) =>
      response.writeHead(200, { 'content-type': 'text/html; charset=windows-1252' }).end(latin1('<p>café München</p>'));
    routes['/meta.html'] = (_request, response) =>
      response.writeHead(200, { 'content-type': 'text/html' }).end(latin1('<head><meta charset="iso-8859-1"></head><p>café München</p>'));
    routes['/http-equiv.html'] = (_request, response) =>
      response
        .writeHead(200, { 'content-type': 'text/html' })
        .end(latin1('<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1"><p>café München</p>'));
    for (const path of ['/header.html', '/meta.html', '/http-equiv.html']) {
      const parsed = await parseDocument(`${site.origin}${path}`);
      expect(parsed.text, path).toContain('<p>café München</p>');
    }
  });

  it('recognises a PDF by its path despite a query string, or by its %PDF- signature', async () => {
    const pdf = Buffer.from('%PDF-1.7\n% fake body\n');
    routes['/paper.pdf'] = (_request, response) => response.writeHead(200, { 'content-type': 'application/octet-stream' }).end(pdf);
    routes['/download'] = (_request, response) => response.writeHead(200, { 'content-type': 'application/octet-stream' }).end(pdf);
    const expected = { contentType: 'application/pdf', text: `pdf.js read ${pdf.byteLength} bytes` };
    await expect(parseDocument(`${site.origin}/paper.pdf?download=1`)).resolves.toMatchObject({ ...expected, title: 'paper.pdf' });
    await expect(parseDocument(`${site.origin}/download?id=7`)).resolves.toMatchObject(expected);
  });
});
