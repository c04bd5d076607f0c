// A local web site for the extension's end-to-end tests: an article page (for "Enrich this
// page"), a plain-text note, a one-page PDF and an image (for "Enrich linked document").
import { createServer, type Server } from 'node:http';

export const ARTICLE = `<!doctype html><html><head><title>The Analytical Engine</title></head><body>
<nav>Home · About · Contact</nav>
<article><h1>The Analytical Engine</h1>
${Array.from({ length: 8 }, (_, index) => `<p>Ada Lovelace worked with Charles Babbage in London on the Analytical Engine. In 1843 she published notes that described an algorithm for the machine, paragraph ${index + 1}. Her notes are often called the first computer program, and the Science Museum keeps a model of the engine.</p>`).join('\n')}
</article><footer>© 2026 Example</footer></body></html>`;

/** A one-page PDF whose page shows `line` (offsets computed so the xref table is exact). */
export function minimalPdf(line: string): Buffer {
  const content = `BT /F1 18 Tf 40 700 Td (${line}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let body = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((object, index) => {
    offsets.push(body.length);
    body += `${index + 1} 0 obj\n${object}\nendobj\n`;
  });
  const xref = body.length;
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) body += `${String(offset).padStart(10, '0')} 00000 n \n`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
}

export interface TestSite {
  /** The article page's URL; the other documents sit next to it. */
  articleUrl: string;
  close(): Promise<void>;
}

export async function startTestSite(): Promise<TestSite> {
  const site: Server = createServer((request, response) => {
    if (request.url === '/notes.txt') {
      response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      response.end('Grace Hopper worked on the Harvard Mark I and later on COBOL in Philadelphia.');
    } else if (request.url === '/paper.pdf') {
      response.writeHead(200, { 'content-type': 'application/pdf' });
      response.end(minimalPdf('Alan Turing described the universal machine in Cambridge.'));
    } else if (request.url === '/photo.png') {
      response.writeHead(200, { 'content-type': 'image/png' });
      response.end(Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    } else {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end(ARTICLE);
    }
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  const address = site.address();
  return {
    articleUrl: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/article.html`,
    close: () => new Promise<void>((resolve) => site.close(() => resolve())),
  };
}
