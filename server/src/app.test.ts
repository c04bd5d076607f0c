// Cross-cutting HTTP behaviour of createApp: request ids, security headers, CORS, body limits,
// the error handler (stable codes, no internals), rate limits and the discovery endpoints.
import { Router } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '@byok/shared';
import type { RouteMount } from './app';
import { startTestServer } from './testing/test-server';
import type { TestServer } from './testing/test-server';
import { TestClient, uniqueEmail } from './testing/client';

type ErrorResponse = { error: { code: string; message: string } };

const faulty: RouteMount = () => {
  const router = Router();
  router.get('/test/boom', () => {
    throw new Error('database password is hunter2');
  });
  router.get('/test/async-boom', async () => {
    await Promise.resolve();
    throw new Error('async internals');
  });
  router.get('/test/app-error', () => {
    throw new AppError('quota_exceeded', 'Quota reached.');
  });
  return router;
};

describe('the app', () => {
  let server: TestServer;
  let client: TestClient;
  beforeAll(async () => {
    server = await startTestServer({ mounts: [faulty] });
    client = new TestClient(server.baseUrl);
  });
  afterAll(() => server.close());

  it('serves health, providers, grant keys and the OpenAPI document without auth', async () => {
    const health = await client.request<{ ok: boolean; version: string }>('GET', '/healthz');
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ ok: true, version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    const providers = await client.request<{ providers: { id: string }[] }>('GET', '/v1/providers');
    expect(providers.body.providers.map((provider) => provider.id)).toContain('anthropic');
    const openapi = await client.request<{ openapi: string; paths: Record<string, unknown> }>('GET', '/v1/openapi.json');
    expect(openapi.status).toBe(200);
    expect(openapi.body.openapi).toMatch(/^3\.1/);
    expect(Object.keys(openapi.body.paths)).toContain('/v1/secrets/{id}');
  });

  it('echoes a valid x-request-id, replaces an invalid one, on every response', async () => {
    const echoed = await client.request('GET', '/healthz', { headers: { 'x-request-id': 'client-id_123' } });
    expect(echoed.headers.get('x-request-id')).toBe('client-id_123');
    const replaced = await client.request('GET', '/healthz', { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const error = await client.request('GET', '/nope');
    expect(error.status).toBe(404);
    expect(error.headers.get('x-request-id')).toBeTruthy();
  });

  it('sets security headers', async () => {
    const response = await client.request('GET', '/healthz');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('content-security-policy')).toBeTruthy();
    expect(response.headers.get('x-powered-by')).toBeNull();
  });

  it('allows CORS for extension origins only (by default)', async () => {
    const extension = await client.request('OPTIONS', '/v1/secrets', {
      headers: { origin: 'chrome-extension://abcdefghijklmnop', 'access-control-request-method': 'PUT' },
    });
    expect(extension.headers.get('access-control-allow-origin')).toBe('chrome-extension://abcdefghijklmnop');
    const site = await client.request('OPTIONS', '/v1/secrets', { headers: { origin: 'https://evil.example', 'access-control-request-method': 'PUT' } });
    expect(site.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers 500 internal with no detail, logged with the request id', async () => {
    for (const path of ['/test/boom', '/test/async-boom']) {
      const response = await client.request<ErrorResponse>('GET', path, { headers: { 'x-request-id': `req-${path.length}` } });
      expect(response.status).toBe(500);
      expect(response.body).toEqual({ error: { code: 'internal', message: 'Internal error.' } });
      expect(response.text).not.toContain('hunter2');
      const line = server.logs.find((entry) => entry.includes('unhandled error') && entry.includes(`req-${path.length}`));
      expect(line).toBeDefined();
    }
    const mapped = await client.request<ErrorResponse>('GET', '/test/app-error');
    expect(mapped.status).toBe(429);
    expect(mapped.body.error.code).toBe('quota_exceeded');
  });

  it('maps bad JSON to 400 and bodies over 64 KiB to 413, with a larger limit on /v1/enrich', async () => {
    const malformed = await client.request<ErrorResponse>('POST', '/v1/auth/prelogin', { rawBody: '{"email":' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('bad_request');
    const big = { email: 'x@example.test', pad: 'a'.repeat(70 * 1024) };
    const tooLarge = await client.request<ErrorResponse>('POST', '/v1/auth/prelogin', { body: big });
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.body.error.code).toBe('payload_too_large');
    // The 8 MiB limit is for authenticated callers, checked before the body is read: an anonymous
    // 3 MiB or malformed body gets 401, never a parse (which would answer 400).
    const anonymous = await client.request<ErrorResponse>('POST', '/v1/enrich', { body: { text: 'a'.repeat(3 * 1024 * 1024) } });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error.code).toBe('unauthenticated');
    expect((await client.request<ErrorResponse>('POST', '/v1/enrich', { rawBody: '{"task":' })).status).toBe(401);
    const user = await client.register();
    // Authenticated: 3 MiB is read and parsed (then refused by the schema as over 2 MiB of text)...
    const enrich = await client.request<ErrorResponse>('POST', '/v1/enrich', { body: { task: 'summary', input: { kind: 'selection', text: 'a'.repeat(3 * 1024 * 1024) }, grants: [] }, token: user.accessToken });
    expect(enrich.status).toBe(413);
    expect(enrich.body.error.code).toBe('payload_too_large');
    expect((await client.request<ErrorResponse>('POST', '/v1/enrich', { rawBody: '{"task":', token: user.accessToken })).status).toBe(400);
    // ...and 9 MiB is over the body limit itself.
    const enrichTooLarge = await client.request<ErrorResponse>('POST', '/v1/enrich', { body: { text: 'a'.repeat(9 * 1024 * 1024) }, token: user.accessToken });
    expect(enrichTooLarge.status).toBe(413);
  });

  it('names unknown fields without echoing values, and never answers 500 to junk', async () => {
    const unknown = await client.request<ErrorResponse>('POST', '/v1/auth/prelogin', { body: { email: 'a@b.test', sneaky: 'sk-live-secret' } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toContain('sneaky');
    expect(unknown.text).not.toContain('sk-live-secret');
    const junk: unknown[] = [null, 42, 'text', [], { email: 42 }, { email: 'x'.repeat(300) }, { email: { $gt: '' } }];
    for (const body of junk) {
      for (const path of ['/v1/auth/prelogin', '/v1/auth/login', '/v1/auth/register', '/v1/auth/refresh']) {
        const response = await client.request<ErrorResponse>('POST', path, { rawBody: JSON.stringify(body) });
        expect(response.status, `${path} ${JSON.stringify(body)}`).toBe(400);
        expect(response.body.error.code).toBe('bad_request');
      }
    }
    const query = await client.request<ErrorResponse>('GET', '/v1/audit?limit=abc', { headers: {} });
    expect(query.status).toBe(401);
  });
});

describe('rate limits', () => {
  it('limits auth attempts per account with 429 rate_limited, and can be switched off', async () => {
    const server = await startTestServer({
      rateLimitSettings: { windowMs: 60_000, apiPerIp: 1000, authPerIp: 1000, authPerAccount: 3 },
    });
    try {
      const client = new TestClient(server.baseUrl);
      const email = uniqueEmail();
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await client.request('POST', '/v1/auth/prelogin', { body: { email } })).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      const limited = await client.request<ErrorResponse>('POST', '/v1/auth/prelogin', { body: { email: ` ${email.toUpperCase()}` } });
      expect(limited.body.error.code).toBe('rate_limited');
      // Another account from the same IP is not affected.
      expect((await client.request('POST', '/v1/auth/prelogin', { body: { email: uniqueEmail() } })).status).toBe(200);
    } finally {
      await server.close();
    }
    const off = await startTestServer({
      env: { BYOK_RATE_LIMITS: 'off' },
      rateLimitSettings: { windowMs: 60_000, apiPerIp: 1, authPerIp: 1, authPerAccount: 1 },
    });
    try {
      const client = new TestClient(off.baseUrl);
      for (let i = 0; i < 5; i++) expect((await client.request('GET', '/healthz')).status).toBe(200);
    } finally {
      await off.close();
    }
  });

  it('limits all requests per IP', async () => {
    const server = await startTestServer({ rateLimitSettings: { windowMs: 60_000, apiPerIp: 2, authPerIp: 100, authPerAccount: 100 } });
    try {
      const client = new TestClient(server.baseUrl);
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await client.request('GET', '/healthz')).status);
      expect(statuses).toEqual([200, 200, 429]);
    } finally {
      await server.close();
    }
  });
});
