// The guarded outbound client against real loopback HTTP servers, with name resolution injected
// (no real DNS): blocked ranges, rebinding, names with several addresses, redirects, schemes,
// timeouts, size limits, aborts.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { connect, createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOutboundClient, type ResolveHost } from './guarded-client';
import { OutboundError } from './outbound-error';

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

async function listen(handler: Handler): Promise<{ server: Server; port: number; hits: string[] }> {
  const hits: string[] = [];
  const server = createServer((request, response) => {
    hits.push(request.url ?? '');
    handler(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, hits };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    expect(error).toBeInstanceOf(OutboundError);
    return (error as OutboundError).code;
  }
}

const fixedResolve = (map: Record<string, string[]>): ResolveHost => {
  return async (hostname) => {
    const addresses = map[hostname];
    if (!addresses) throw new Error('ENOTFOUND');
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
};

describe('guarded outbound client', () => {
  let target: Awaited<ReturnType<typeof listen>>;
  let base: string;

  beforeAll(async () => {
    target = await listen((request, response) => {
      if (request.url === '/redirect') {
        response.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
      } else if (request.url === '/early') {
        // Interim answers first: 103 with headers of its own (a size far over any limit), then 102.
        response.writeEarlyHints({ link: '</style.css>; rel=preload', 'content-length': String(1 << 30) });
        response.writeProcessing();
        response.writeHead(200, { 'content-type': 'application/json' }).end('{"final":true}');
      } else if (request.url === '/slow') {
        setTimeout(() => response.writeHead(200).end('late'), 2_000).unref();
      } else if (request.url === '/huge') {
        response.writeHead(200, { 'content-type': 'text/plain' });
        const block = Buffer.alloc(64 * 1024, 97);
        for (let index = 0; index < 20; index++) response.write(block);
        response.end();
      } else {
        response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      }
    });
    base = `http://127.0.0.1:${target.port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => target.server.close(resolve));
  });

  it('refuses loopback when the base URL is not allow-listed, and allows it when it is', async () => {
    const client = createOutboundClient();
    try {
      expect(await codeOf(client.request({ url: `${base}/v1/x`, method: 'GET' }))).toBe('blocked_address');
      const response = await client.request({ url: `${base}/v1/x`, method: 'GET', allowedBaseUrls: [`${base}/v1`] });
      expect(response.status).toBe(200);
      expect(response.body).toBe('{"ok":true}');
      // A path outside the allow-listed base is not covered by it.
      expect(await codeOf(client.request({ url: `${base}/admin`, method: 'GET', allowedBaseUrls: [`${base}/v1`] }))).toBe('blocked_address');
    } finally {
      await client.close();
    }
  });

  it.each([
    '169.254.169.254', '10.0.0.1', '172.16.5.5', '192.168.0.10', '127.0.0.1', '100.64.1.1', '0.0.0.0',
    '::1', '::', 'fd00::5', 'fe80::1', '::ffff:169.254.169.254', '::ffff:127.0.0.1', '::ffff:10.0.0.1', '64:ff9b::a9fe:a9fe',
  ])('a hostname resolving to %s is refused at connect time', async (address) => {
    const client = createOutboundClient({ resolve: fixedResolve({ 'provider.test': [address] }) });
    try {
      expect(await codeOf(client.request({ url: 'http://provider.test/v1/models', method: 'GET' }))).toBe('blocked_address');
    } finally {
      await client.close();
    }
  });

  it.each(['http://169.254.169.254/latest', 'http://[::ffff:169.254.169.254]/', 'http://[fe80::1]/', 'http://0.0.0.0:1/', 'http://[fd00:ec2::254]/latest', 'http://100.100.100.200/latest', 'http://192.0.0.192/'])(
    'an IP literal %s is refused even when allow-listed as forbidden', async (url) => {
      const client = createOutboundClient();
      try {
        expect(await codeOf(client.request({ url, method: 'GET', allowedBaseUrls: [url] }))).toBe('blocked_address');
      } finally {
        await client.close();
      }
    },
  );

  it('a name with one blocked address among public ones is refused', async () => {
    const client = createOutboundClient({ resolve: fixedResolve({ 'mixed.test': ['8.8.8.8', '10.0.0.1'] }) });
    try {
      expect(await codeOf(client.request({ url: 'http://mixed.test/', method: 'GET' }))).toBe('blocked_address');
    } finally {
      await client.close();
    }
  });

  it('DNS rebinding: a public answer at check time does not let a loopback answer through at connect time', async () => {
    let calls = 0;
    const resolve: ResolveHost = async () => {
      calls += 1;
      return [{ address: calls === 1 ? '93.184.216.34' : '127.0.0.1', family: 4 }];
    };
    const client = createOutboundClient({ resolve });
    const before = target.hits.length;
    try {
      await expect(client.checkTarget(`http://rebind.test:${target.port}/v1`)).resolves.toBeUndefined();
      expect(await codeOf(client.request({ url: `http://rebind.test:${target.port}/v1/models`, method: 'GET' }))).toBe('blocked_address');
      expect(calls).toBe(2);
      expect(target.hits.length).toBe(before);
    } finally {
      await client.close();
    }
  });

  it('a name that resolves to loopback works when its base URL is allow-listed', async () => {
    const client = createOutboundClient({ resolve: fixedResolve({ 'emulator.test': ['127.0.0.1'] }) });
    try {
      const response = await client.request({
        url: `http://emulator.test:${target.port}/v1/chat`,
        method: 'POST',
        body: '{}',
        headers: { 'content-type': 'application/json' },
        allowedBaseUrls: [`http://emulator.test:${target.port}/v1`],
      });
      expect(response.status).toBe(200);
    } finally {
      await client.close();
    }
  });

  // Several addresses: each is tried in turn (net's autoSelectFamily), and every one of them is
  // checked before the first is dialled.
  it.each(['127.0.0.2', '::1'])('a name resolving to [%s where nothing listens, 127.0.0.1] reaches the second address', async (dead) => {
    const client = createOutboundClient({ resolve: fixedResolve({ 'dual.test': [dead, '127.0.0.1'] }) });
    const before = target.hits.length;
    try {
      const url = `http://dual.test:${target.port}`;
      const response = await client.request({ url: `${url}/v1/models`, method: 'GET', allowedBaseUrls: [url] });
      expect(response.status).toBe(200);
      expect(target.hits.length).toBe(before + 1);
    } finally {
      await client.close();
    }
  });

  it('takes an attempt timeout that is no whole number of ms (net throws on one) as the next whole ms', async () => {
    const client = createOutboundClient({ resolve: fixedResolve({ 'dual.test': ['127.0.0.2', '127.0.0.1'] }), connectAttemptTimeoutMs: 100.5, timeoutMs: 3_000 });
    try {
      const url = `http://dual.test:${target.port}`;
      expect((await client.request({ url: `${url}/v1/models`, method: 'GET', allowedBaseUrls: [url] })).status).toBe(200);
    } finally {
      await client.close();
    }
  });

  it('a connection net refuses to start (an option it throws on) fails the call as connect_failed, not for ever', async () => {
    const client = createOutboundClient({ resolve: fixedResolve({ 'dual.test': ['127.0.0.2', '127.0.0.1'] }), connectAttemptTimeoutMs: Number.NaN, timeoutMs: 3_000 });
    try {
      const url = `http://dual.test:${target.port}`;
      await expect(client.request({ url: `${url}/v1/models`, method: 'GET', allowedBaseUrls: [url] })).rejects.toMatchObject({ code: 'connect_failed' });
    } finally {
      await client.close();
    }
  });

  it('a name whose addresses all refuse is connect_failed, and the error names none of them', async () => {
    const client = createOutboundClient({ resolve: fixedResolve({ 'dead.test': ['127.0.0.2', '::1', '127.0.0.3'] }) });
    try {
      const url = `http://dead.test:${target.port}`;
      const error = await client.request({ url: `${url}/`, method: 'GET', allowedBaseUrls: [url] }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(OutboundError);
      expect((error as OutboundError).code).toBe('connect_failed');
      expect(`${(error as Error).message} ${JSON.stringify(error)}`).not.toMatch(/127\.0\.0|::1/);
    } finally {
      await client.close();
    }
  });

  it.each([
    ['169.254.169.254', '127.0.0.1'],
    ['127.0.0.2', '169.254.169.254', '127.0.0.1'],
    ['127.0.0.1', 'fe80::1'],
  ])('a mixed answer %s, %s... is refused whole even though an allowed address listens', async (...addresses) => {
    const client = createOutboundClient({ resolve: fixedResolve({ 'mixed-local.test': addresses }) });
    const before = target.hits.length;
    try {
      const url = `http://mixed-local.test:${target.port}`;
      expect(await codeOf(client.request({ url: `${url}/`, method: 'GET', allowedBaseUrls: [url] }))).toBe('blocked_address');
      await expect(client.checkTarget(`${url}/v1`, [url])).rejects.toMatchObject({ code: 'blocked_address' });
      expect(target.hits.length).toBe(before);
    } finally {
      await client.close();
    }
  });

  describe('order of attempts', () => {
    // A second server on [::1] at the target's port tells which family answered.
    let v6: Server;
    let v6Hits = 0;
    beforeAll(async () => {
      v6 = createServer((_request, response) => {
        v6Hits += 1;
        response.writeHead(200).end('v6');
      });
      await new Promise<void>((resolve, reject) => {
        v6.once('error', reject);
        v6.listen({ port: target.port, host: '::1', ipv6Only: true }, resolve);
      });
    });
    afterAll(async () => {
      await new Promise((resolve) => v6.close(resolve));
    });

    async function answeredBy(addresses: string[]): Promise<string> {
      const client = createOutboundClient({ resolve: fixedResolve({ 'order.test': addresses }) });
      try {
        const url = `http://order.test:${target.port}`;
        return (await client.request({ url: `${url}/v1/x`, method: 'GET', allowedBaseUrls: [url] })).body;
      } finally {
        await client.close();
      }
    }

    it('the first address that answers is used, in the resolver\'s order', async () => {
      expect(await answeredBy(['127.0.0.1', '::1'])).toBe('{"ok":true}');
      expect(await answeredBy(['::1', '127.0.0.1'])).toBe('v6');
    });

    it('after a failure the other family is tried next (RFC 8305 interleaving), not the next address of the same family', async () => {
      const before = v6Hits;
      expect(await answeredBy(['127.0.0.2', '127.0.0.1', '::1'])).toBe('v6');
      expect(v6Hits).toBe(before + 1);
    });
  });

  // An address that never answers, as an IPv6 address without a route often behaves: a child
  // process listens on 127.0.0.6 and 127.0.0.7 at the target's port and then blocks its event loop,
  // so it never accepts; once its accept queues are full the kernel drops further SYNs.
  describe('addresses that never answer', () => {
    const [holeA, holeB] = ['127.0.0.6', '127.0.0.7'] as const;
    const holes = [holeA, holeB];
    let child: ChildProcess;
    const fill: Socket[] = [];
    beforeAll(async () => {
      child = spawn(process.execPath, ['-e', `
        const net = require('node:net');
        let ready = 0;
        for (const host of ${JSON.stringify(holes)}) {
          net.createServer().listen({ port: ${target.port}, host, backlog: 1 }, () => {
            if (++ready === ${holes.length}) {
              process.stdout.write('ready\\n');
              Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
            }
          });
        }
      `], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise((resolve, reject) => {
        child.stdout?.once('data', resolve);
        child.once('exit', reject);
      });
      for (const host of holes) {
        for (let index = 0; index < 4; index++) fill.push(connect(target.port, host).on('error', () => undefined));
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    });
    afterAll(() => {
      for (const socket of fill) socket.destroy();
      child.kill('SIGKILL');
    });

    function clientFor(addresses: string[], connectTimeoutMs: number) {
      return createOutboundClient({ resolve: fixedResolve({ 'hole.test': addresses }), connectTimeoutMs, connectAttemptTimeoutMs: 200 });
    }
    const url = (): string => `http://hole.test:${target.port}`;

    it('a silent first address costs one attempt timeout, then the next address answers', async () => {
      const client = clientFor([holeA, '127.0.0.1'], 3_000);
      try {
        const started = Date.now();
        const response = await client.request({ url: `${url()}/v1/x`, method: 'GET', allowedBaseUrls: [url()] });
        expect(response.status).toBe(200);
        expect(Date.now() - started).toBeLessThan(1_500);
      } finally {
        await client.close();
      }
    });

    it('a silent address then a refusing one is connect_failed, not a timeout', async () => {
      const client = clientFor([holeA, '127.0.0.2'], 3_000);
      try {
        const started = Date.now();
        expect(await codeOf(client.request({ url: `${url()}/`, method: 'GET', allowedBaseUrls: [url()] }))).toBe('connect_failed');
        expect(Date.now() - started).toBeLessThan(1_500);
      } finally {
        await client.close();
      }
    });

    it('a caller that aborts while the call still waits for its connection is answered at once', async () => {
      const client = clientFor([holeA, holeB], 3_000);
      try {
        const controller = new AbortController();
        const started = Date.now();
        const pending = client.request({ url: `${url()}/`, method: 'GET', allowedBaseUrls: [url()], signal: controller.signal });
        setTimeout(() => controller.abort(), 100);
        expect(await codeOf(pending)).toBe('aborted');
        expect(Date.now() - started).toBeLessThan(700);
      } finally {
        await client.close();
      }
    });

    it('when no address answers, the connect timeout bounds all the attempts together', async () => {
      const client = clientFor([holeA, holeB], 600);
      try {
        const started = Date.now();
        expect(await codeOf(client.request({ url: `${url()}/`, method: 'GET', allowedBaseUrls: [url()] }))).toBe('timeout');
        // Each of two attempts getting the whole 600 ms would take over 1.2 s; undici's connect
        // timer fires up to about half a second late.
        expect(Date.now() - started).toBeLessThan(1_200);
      } finally {
        await client.close();
      }
    });
  });

  describe('TLS to a name with several addresses', () => {
    const cert = readFileSync(new URL('./testdata/dual-test-cert.pem', import.meta.url), 'utf8');
    const key = readFileSync(new URL('./testdata/dual-test-key.pem', import.meta.url), 'utf8');

    it('resumes the TLS session on a new connection, and still checks the certificate against the name', async () => {
      const resumed: boolean[] = [];
      const server = createHttpsServer({ cert, key }, (request, response) => {
        resumed.push((request.socket as TLSSocket).isSessionReused());
        // Every answer ends its connection, so each request makes a new one.
        response.writeHead(200, { 'content-type': 'application/json', connection: 'close' });
        response.end('{}');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const port = (server.address() as AddressInfo).port;
      const resolve = fixedResolve({ 'dual.test': ['127.0.0.1', '127.0.0.2'], 'other.test': ['127.0.0.1', '127.0.0.2'] });
      const client = createOutboundClient({ resolve, testOnlyTrustedCertificates: cert });
      try {
        const url = `https://dual.test:${port}`;
        for (let call = 0; call < 3; call++) {
          expect((await client.request({ url: `${url}/v1/models`, method: 'GET', allowedBaseUrls: [url] })).status).toBe(200);
        }
        expect(resumed).toEqual([false, true, true]);
        // The same server under a name its certificate does not carry is refused.
        const other = `https://other.test:${port}`;
        await expect(client.request({ url: `${other}/v1/models`, method: 'GET', allowedBaseUrls: [other] })).rejects.toMatchObject({ code: 'connect_failed' });
        expect(resumed).toHaveLength(3);
      } finally {
        await client.close();
        await new Promise((resolve) => server.close(resolve));
      }
    });
  });

  it('does not follow a redirect (to a metadata address)', async () => {
    const client = createOutboundClient();
    try {
      const before = target.hits.length;
      const error = await client.request({ url: `${base}/redirect`, method: 'GET', allowedBaseUrls: [base] }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(OutboundError);
      expect((error as OutboundError).code).toBe('redirect');
      expect((error as OutboundError).status).toBe(302);
      expect(String((error as Error).message)).not.toContain('169.254');
      expect(JSON.stringify(error)).not.toContain('169.254');
      expect(target.hits.length).toBe(before + 1);
    } finally {
      await client.close();
    }
  });

  it.each(['ftp://example.com/x', 'file:///etc/passwd', 'gopher://127.0.0.1/', 'data:text/plain,hi'])('refuses the scheme of %s', async (url) => {
    const client = createOutboundClient();
    try {
      expect(await codeOf(client.request({ url, method: 'GET' }))).toBe('bad_scheme');
    } finally {
      await client.close();
    }
  });

  it('refuses credentials in a URL and unparsable URLs', async () => {
    const client = createOutboundClient();
    try {
      expect(await codeOf(client.request({ url: `http://user:sk-secret@127.0.0.1:${target.port}/`, method: 'GET', allowedBaseUrls: [base] }))).toBe('bad_url');
      expect(await codeOf(client.request({ url: 'not a url', method: 'GET' }))).toBe('bad_url');
    } finally {
      await client.close();
    }
  });

  it('reads the final answer past interim 1xx answers, with none of their headers', async () => {
    const client = createOutboundClient();
    try {
      const response = await client.request({ url: `${base}/early`, method: 'GET', allowedBaseUrls: [base], maxBodyBytes: 1_000 });
      expect(response.status).toBe(200);
      expect(response.body).toBe('{"final":true}');
      expect(response.headers.link).toBeUndefined();
      expect(response.headers['content-type']).toBe('application/json');
    } finally {
      await client.close();
    }
  });

  it('times out a slow answer and bounds the body size', async () => {
    const client = createOutboundClient({ timeoutMs: 300 });
    try {
      const started = Date.now();
      expect(await codeOf(client.request({ url: `${base}/slow`, method: 'GET', allowedBaseUrls: [base] }))).toBe('timeout');
      expect(Date.now() - started).toBeLessThan(1_500);
      expect(await codeOf(client.request({ url: `${base}/huge`, method: 'GET', allowedBaseUrls: [base], maxBodyBytes: 100_000 }))).toBe('too_large');
      const full = await client.request({ url: `${base}/huge`, method: 'GET', allowedBaseUrls: [base] });
      expect(full.body.length).toBe(20 * 64 * 1024);
    } finally {
      await client.close();
    }
  });

  it('the caller can abort, and an already-aborted signal never connects', async () => {
    const client = createOutboundClient();
    try {
      const controller = new AbortController();
      const pending = client.request({ url: `${base}/slow`, method: 'GET', allowedBaseUrls: [base], signal: controller.signal });
      setTimeout(() => controller.abort(), 50);
      expect(await codeOf(pending)).toBe('aborted');
      const before = target.hits.length;
      expect(await codeOf(client.request({ url: `${base}/x`, method: 'GET', allowedBaseUrls: [base], signal: AbortSignal.abort() }))).toBe('aborted');
      expect(target.hits.length).toBe(before);
    } finally {
      await client.close();
    }
  });

  describe('connections per origin', () => {
    let held: Awaited<ReturnType<typeof listen>>;
    let heldBase: string;
    let open = 0;
    let mostOpen = 0;
    let opened = 0;

    beforeAll(async () => {
      held = await listen((_request, response) => {
        setTimeout(() => response.writeHead(200, { 'content-type': 'text/plain' }).end('done'), 150).unref();
      });
      held.server.on('connection', (socket: Socket) => {
        opened += 1;
        open += 1;
        mostOpen = Math.max(mostOpen, open);
        socket.on('close', () => (open -= 1));
      });
      heldBase = `http://127.0.0.1:${held.port}`;
    });
    afterAll(async () => {
      held.server.closeAllConnections();
      await new Promise((resolve) => held.server.close(resolve));
    });

    it('opens at most maxConnectionsPerOrigin at once; the calls beyond wait for one and all succeed', async () => {
      const client = createOutboundClient({ maxConnectionsPerOrigin: 2 });
      try {
        const calls = Array.from({ length: 6 }, (_, index) =>
          client.request({ url: `${heldBase}/call-${index}`, method: 'GET', allowedBaseUrls: [heldBase] }),
        );
        const answers = await Promise.all(calls);
        expect(answers.map((answer) => answer.body)).toEqual(Array(6).fill('done'));
        expect(mostOpen).toBe(2);
        expect(opened).toBe(2);
        expect(held.hits).toHaveLength(6);
      } finally {
        await client.close();
      }
    });

    it('a call that times out or is aborted while it waits for a place is never sent, and costs no connection', async () => {
      const client = createOutboundClient({ maxConnectionsPerOrigin: 1, maxWaitingPerOrigin: 64 });
      held.hits.length = 0;
      const openedBefore = opened;
      try {
        const first = client.request({ url: `${heldBase}/first`, method: 'GET', allowedBaseUrls: [heldBase] });
        const late = Array.from({ length: 20 }, (_, index) =>
          codeOf(client.request({ url: `${heldBase}/timed-out-${index}`, method: 'GET', allowedBaseUrls: [heldBase], timeoutMs: 40 })),
        );
        const caller = new AbortController();
        const left = codeOf(client.request({ url: `${heldBase}/aborted`, method: 'GET', allowedBaseUrls: [heldBase], signal: caller.signal }));
        caller.abort();
        // All are answered while the first still holds the only place.
        expect(await Promise.all([...late, left])).toEqual([...Array(20).fill('timeout'), 'aborted']);
        expect((await first).body).toBe('done');
        expect((await client.request({ url: `${heldBase}/next`, method: 'GET', allowedBaseUrls: [heldBase] })).body).toBe('done');
        expect(held.hits).toEqual(['/first', '/next']);
        // The one connection served both.
        expect(opened - openedBefore).toBe(1);
        expect(client.totals()).toEqual({ active: 0, waiting: 0, waits: { placed: 0, gaveUp: 21, busy: 0 } });
      } finally {
        await client.close();
      }
    });

    it('past maxWaitingPerOrigin a call fails at once as busy, and the line moves on', async () => {
      const client = createOutboundClient({ maxConnectionsPerOrigin: 1, maxWaitingPerOrigin: 2 });
      try {
        const call = (path: string) => client.request({ url: `${heldBase}/${path}`, method: 'GET', allowedBaseUrls: [heldBase] });
        const running = [call('a'), call('b'), call('c')];
        const started = Date.now();
        expect(await codeOf(call('d'))).toBe('busy');
        expect(Date.now() - started).toBeLessThan(100);
        expect((await Promise.all(running)).map((answer) => answer.body)).toEqual(['done', 'done', 'done']);
        expect((await call('e')).body).toBe('done');
        expect(client.totals()).toEqual({ active: 0, waiting: 0, waits: { placed: 2, gaveUp: 0, busy: 1 } });
      } finally {
        await client.close();
      }
    });

    it('connects that keep failing hold their places: never more connect attempts under way than the bound', async () => {
      // A TCP server that accepts and then says nothing: every TLS handshake to it times out.
      let connecting = 0;
      let mostConnecting = 0;
      const sockets = new Set<Socket>();
      const silent = createNetServer((socket) => {
        sockets.add(socket);
        // Read (and drop) the ClientHello, so that the client's close is seen at once.
        socket.resume();
        connecting += 1;
        mostConnecting = Math.max(mostConnecting, connecting);
        socket.on('close', () => (connecting -= 1));
      });
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      const port = (silent.address() as AddressInfo).port;
      const client = createOutboundClient({ resolve: fixedResolve({ 'silent.example': ['127.0.0.1'] }), maxConnectionsPerOrigin: 2, connectTimeoutMs: 100 });
      try {
        // All at once: without the bound, six handshakes would be under way together. (undici's
        // connect timer is coarse, ~0.5-1 s here, so this takes a few seconds.)
        const calls = Array.from({ length: 6 }, (_, index) =>
          codeOf(client.request({ url: `https://silent.example:${port}/v1/${index}`, method: 'GET', allowedBaseUrls: [`https://silent.example:${port}`], timeoutMs: 20_000 })),
        );
        expect(await Promise.all(calls)).toEqual(Array(6).fill('timeout'));
        // The server sees a handshake's close a moment after the client has started the next one,
        // so it may count one more than the client ever had under way.
        expect(mostConnecting).toBeGreaterThanOrEqual(2);
        expect(mostConnecting).toBeLessThanOrEqual(3);
      } finally {
        for (const socket of sockets) socket.destroy();
        await client.close();
        await new Promise((resolve) => silent.close(resolve));
      }
    });

    it('a call that gives up in line leaves it at once: the next call waits for a place instead of being refused', async () => {
      const client = createOutboundClient({ maxConnectionsPerOrigin: 1, maxWaitingPerOrigin: 1 });
      try {
        const call = (path: string, timeoutMs = 5_000) => client.request({ url: `${heldBase}/${path}`, method: 'GET', allowedBaseUrls: [heldBase], timeoutMs });
        const first = call('holds');
        expect(await codeOf(call('gives-up', 40))).toBe('timeout');
        expect((await call('waits')).body).toBe('done');
        expect((await first).body).toBe('done');
      } finally {
        await client.close();
      }
    });

    it('a slow name is looked up at most once per connect timeout, however many calls give up waiting for it', async () => {
      let looking = 0;
      let mostLooking = 0;
      const slowResolve: ResolveHost = async () => {
        looking += 1;
        mostLooking = Math.max(mostLooking, looking);
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        looking -= 1;
        throw new Error('ENOTFOUND');
      };
      // Places for every call, so that only the sharing of lookups keeps their number down.
      const client = createOutboundClient({ resolve: slowResolve, maxConnectionsPerOrigin: 64, connectTimeoutMs: 100 });
      try {
        const calls: Promise<string>[] = [];
        for (let index = 0; index < 30; index++) {
          calls.push(codeOf(client.request({ url: `http://slow.example/v1/${index}`, method: 'GET', timeoutMs: 5_000 })));
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        expect((await Promise.all(calls)).every((code) => code === 'timeout')).toBe(true);
        // About 300 ms of calls: lookups started at 0, 100, 200 and perhaps 300 ms.
        expect(mostLooking).toBeGreaterThanOrEqual(2);
        expect(mostLooking).toBeLessThanOrEqual(5);
      } finally {
        await client.close();
      }
    });

    it('a name that never resolves times out with the connect timeout and gives its place back', async () => {
      let lookups = 0;
      const hangsOnce: ResolveHost = async () => {
        lookups += 1;
        if (lookups === 1) return new Promise<never>(() => undefined);
        return [{ address: '127.0.0.1', family: 4 }];
      };
      const client = createOutboundClient({ resolve: hangsOnce, maxConnectionsPerOrigin: 1, connectTimeoutMs: 100 });
      const url = `http://provider.example:${held.port}/after-hang`;
      const allowed = [`http://provider.example:${held.port}`];
      try {
        const started = Date.now();
        expect(await codeOf(client.request({ url, method: 'GET', allowedBaseUrls: allowed, timeoutMs: 5_000 }))).toBe('timeout');
        expect(Date.now() - started).toBeLessThan(1_000);
        // Past the connect timeout the hung lookup is no longer shared: the next call looks again.
        await new Promise((resolve) => setTimeout(resolve, 20));
        expect((await client.request({ url, method: 'GET', allowedBaseUrls: allowed, timeoutMs: 5_000 })).body).toBe('done');
      } finally {
        await client.close();
      }
    });
  });

  it('a refused connection is connect_failed', async () => {
    const closed = await listen(() => undefined);
    const port = closed.port;
    await new Promise((resolve) => closed.server.close(resolve));
    const client = createOutboundClient();
    try {
      const url = `http://127.0.0.1:${port}`;
      expect(await codeOf(client.request({ url: `${url}/`, method: 'GET', allowedBaseUrls: [url] }))).toBe('connect_failed');
    } finally {
      await client.close();
    }
  });
});
