// A loopback reverse proxy that times every request it forwards (from its arrival to the end of
// the upstream's answer). Put in front of the provider emulator, it splits an enrichment's wall
// time into "the provider" (the union of the proxied calls, which overlap) and everything else.
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TimingProxy {
  readonly baseUrl: string;
  /** [start, end] in performance.now() milliseconds, per forwarded request. */
  readonly calls: Array<[number, number]>;
  /** Wall time covered by at least one call between `from` and `to`, in ms. */
  busyMs(from: number, to: number): number;
  close(): Promise<void>;
}

export async function startTimingProxy(upstream: string): Promise<TimingProxy> {
  const target = new URL(upstream);
  const calls: Array<[number, number]> = [];
  const server = createServer((incoming, outgoing) => {
    const started = performance.now();
    const forward = httpRequest(
      { host: target.hostname, port: target.port, method: incoming.method, path: incoming.url, headers: incoming.headers },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
        answer.on('end', () => calls.push([started, performance.now()]));
      },
    );
    forward.on('error', () => outgoing.destroy());
    incoming.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    busyMs(from, to) {
      const inside = calls
        .map(([start, end]): [number, number] => [Math.max(start, from), Math.min(end, to)])
        .filter(([start, end]) => end > start)
        .sort((a, b) => a[0] - b[0]);
      let busy = 0;
      let reach = from;
      for (const [start, end] of inside) {
        if (end <= reach) continue;
        busy += end - Math.max(start, reach);
        reach = end;
      }
      return busy;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
