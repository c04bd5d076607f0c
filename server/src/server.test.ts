// Start-up and clean shutdown: a request in flight finishes, new connections are refused, the
// database is closed; a restart on the same data directory keeps accounts and keys.
import { Router } from 'express';
import { describe, expect, it } from 'vitest';
import type { RouteMount } from './app';
import { startTestServer } from './testing/test-server';
import { TestClient } from './testing/client';

describe('server lifecycle', () => {
  it('finishes a request in flight on close, then refuses connections', async () => {
    let release: () => void = () => undefined;
    const slow: RouteMount = () => {
      const router = Router();
      router.get('/test/slow', async (_request, response) => {
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        response.json({ done: true });
      });
      return router;
    };
    const server = await startTestServer({ mounts: [slow] });
    const client = new TestClient(server.baseUrl);
    const inFlight = client.request<{ done: boolean }>('GET', '/test/slow');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closing = server.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    release();
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ done: true });
    await closing;
    await expect(fetch(`${server.baseUrl}/healthz`)).rejects.toThrow();
    expect(server.db.open).toBe(false);
  });

  it('keeps accounts and keys across a restart', async () => {
    const server = await startTestServer();
    try {
      const client = new TestClient(server.baseUrl);
      const user = await client.register();
      const put = await client.putKey(user, { provider: 'openai', apiKey: 'sk-proj-RESTARTrestartRESTART0001' });
      await server.restart();
      const after = new TestClient(server.baseUrl);
      expect((await after.login(user)).status).toBe(200);
      const list = await after.request<{ secrets: { id: string }[] }>('GET', '/v1/secrets', { token: user.accessToken });
      expect(list.body.secrets.map((secret) => secret.id)).toEqual([put.sent.secretId]);
    } finally {
      await server.close();
    }
  });
});
