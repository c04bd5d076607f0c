// createExpressServer over real loopback HTTP: requests and responses arrive with Express's own
// prototypes (so Express's per-request setPrototypeOf changes nothing), and Express works as usual.
import type { AddressInfo } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { createExpressServer } from './express-server';

let close: (() => Promise<void>) | undefined;

afterEach(async () => {
  await close?.();
  close = undefined;
});

describe('createExpressServer', () => {
  it('creates requests and responses with the prototypes Express would give them', async () => {
    const app = express();
    app.post('/echo', express.json(), (request, response) => {
      response.status(201).set('x-seen', request.get('x-probe') ?? '').json({ body: request.body as unknown, path: request.path });
    });
    const server = createExpressServer(app);
    const arrived: Array<{ request: boolean; response: boolean; nodeRequest: boolean }> = [];
    // Runs before Express sees the objects: what Node constructed.
    server.prependListener('request', (request: IncomingMessage, response: ServerResponse) => {
      arrived.push({
        request: Object.getPrototypeOf(request) === app.request,
        response: Object.getPrototypeOf(response) === app.response,
        nodeRequest: typeof request.setTimeout === 'function' && typeof response.writeHead === 'function',
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    close = () => new Promise((resolve) => server.close(() => resolve()));
    const { port } = server.address() as AddressInfo;

    const answer = await fetch(`http://127.0.0.1:${port}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-probe': 'p1' },
      body: JSON.stringify({ hello: 'world' }),
    });
    expect(answer.status).toBe(201);
    expect(answer.headers.get('x-seen')).toBe('p1');
    expect(await answer.json()).toEqual({ body: { hello: 'world' }, path: '/echo' });
    expect(arrived).toEqual([{ request: true, response: true, nodeRequest: true }]);
  });
});
