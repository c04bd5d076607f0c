// createExpressServer over real loopback HTTP: requests and responses arrive with Express's own
// prototypes (so Express's per-request setPrototypeOf changes nothing), share one shape from request
// to request, and Express works as usual.
import type { AddressInfo } from 'node:net';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { createExpressServer } from './express-server';

let close: (() => Promise<void>) | undefined;

afterEach(async () => {
  await close?.();
  close = undefined;
});

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  close = () => new Promise((resolve) => server.close(() => resolve()));
  return (server.address() as AddressInfo).port;
}

/** V8's own answer to "do these two objects have the same hidden class (map)?". */
function sameShapeCheck(): (left: object, right: object) => boolean {
  setFlagsFromString('--allow-natives-syntax');
  return new Function('left', 'right', 'return %HaveSameMap(left, right);') as (left: object, right: object) => boolean;
}

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
        request: Object.getPrototypeOf(request) === app.request && (request as { app?: unknown }).app === app,
        response: Object.getPrototypeOf(response) === app.response,
        nodeRequest: typeof request.setTimeout === 'function' && typeof response.writeHead === 'function',
      });
    });
    const port = await listen(server);

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

  it('gives every request and every response the same shape', async () => {
    const sameShape = sameShapeCheck();
    const app = express();
    const server = createExpressServer(app);
    // Only Node's construction is under test: the objects are compared as they arrive, before
    // Express (or anything else) adds to them, so the app's own listener is taken off.
    server.removeAllListeners('request');
    const arrived: Array<[IncomingMessage, ServerResponse]> = [];
    let bothArrived: () => void = () => undefined;
    const waiting = new Promise<void>((resolve) => {
      bothArrived = resolve;
    });
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      arrived.push([request, response]);
      if (arrived.length === 2) bothArrived();
    });
    const port = await listen(server);
    // Two requests held open at once, so both pairs are compared at the same point of their lives.
    const answers = [0, 1].map(() => fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: '{}' }));
    await waiting;
    const [first, second] = arrived;
    if (first === undefined || second === undefined) throw new Error('two requests were expected');
    const shapes = { requests: sameShape(first[0], second[0]), responses: sameShape(first[1], second[1]) };
    for (const [, response] of arrived) response.end('ok');
    await Promise.all(answers);
    expect(shapes).toEqual({ requests: true, responses: true });
    expect(Object.getPrototypeOf(first[0])).toBe(app.request);
  });
});
