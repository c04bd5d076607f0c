// A loopback OpenAI-compatible endpoint that answers every chat completion with a 200 whose JSON
// body never ends short of `totalBytes` (a gigabyte by default), streamed with backpressure so the
// test process itself stays small. It counts what it managed to send before the client hung up:
// the proof that the companion's response size cap cut the body instead of buffering it.
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GigabyteProvider {
  /** Base URL with the version path (`http://127.0.0.1:<port>/v1`). */
  readonly url: string;
  /** Bytes written per request, in arrival order, once each response ended or was cut. */
  readonly sent: number[];
  close(): Promise<void>;
}

const BLOCK = Buffer.alloc(64 * 1024, 'a');

function stream(response: ServerResponse, totalBytes: number, done: (bytes: number) => void): void {
  let written = 0;
  let finished = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    done(written);
  };
  response.on('close', finish);
  response.writeHead(200, { 'content-type': 'application/json' });
  response.write('{"id":"huge","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"');
  const pump = (): void => {
    while (written < totalBytes && !response.destroyed) {
      written += BLOCK.length;
      if (!response.write(BLOCK)) return void response.once('drain', pump);
    }
    if (!response.destroyed) response.end('"}}]}');
    finish();
  };
  pump();
}

export async function startGigabyteProvider(totalBytes = 1024 ** 3): Promise<GigabyteProvider> {
  const sent: number[] = [];
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => stream(response, totalBytes, (bytes) => sent.push(bytes)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    sent,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
