// Raw HTTP/1.1 over a TCP socket, for requests fetch refuses to send: repeated or oversized
// headers, lying Content-Length, broken chunked encoding. Reads until the server closes (or the
// timeout), then parses the status line, headers and body of the first response.
import { connect } from 'node:net';

export interface RawResponse {
  /** 0 when the server closed without answering. */
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Everything received, for the leak canary. */
  raw: string;
}

export function rawRequest(baseUrl: string, request: string | Buffer, options: { timeoutMs?: number; endAfterWrite?: boolean } = {}): Promise<RawResponse> {
  const url = new URL(baseUrl);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host: url.hostname, port: Number(url.port) });
    const finish = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(parseResponse(Buffer.concat(chunks).toString('utf8')));
    };
    const timer = setTimeout(finish, options.timeoutMs ?? 10_000);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('close', finish);
    socket.on('error', finish);
    socket.write(request, () => {
      if (options.endAfterWrite) socket.end();
    });
  });
}

function parseResponse(raw: string): RawResponse {
  const split = raw.indexOf('\r\n\r\n');
  const head = split === -1 ? raw : raw.slice(0, split);
  const body = split === -1 ? '' : raw.slice(split + 4);
  const [statusLine = '', ...lines] = head.split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  // A chunked JSON body: keep only the payload between the chunk-size lines.
  const decoded = headers['transfer-encoding'] === 'chunked' ? body.replace(/(^|\r\n)[0-9a-f]+\r\n/gi, '$1').replace(/\r\n/g, '') : body;
  return { status, headers, body: decoded, raw };
}

/** A request head with the given header lines (repeated names allowed), Connection: close. */
export function requestHead(method: string, path: string, host: string, headerLines: string[], body = ''): string {
  const lines = [`${method} ${path} HTTP/1.1`, `Host: ${host}`, 'Connection: close', ...headerLines];
  if (body !== '') lines.push('Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`);
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}
