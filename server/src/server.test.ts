// Start-up and clean shutdown: a request in flight finishes, new connections are refused, the
// database is closed; a restart on the same data directory keeps accounts and keys.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Router } from 'express';
import { describe, expect, it } from 'vitest';
import type { RouteMount } from './app';
import { startTestServer } from './testing/test-server';
import { TestClient } from './testing/client';

describe('server lifecycle', () => {
  it('closes completely in a process that has nothing else to do (no exit before the database is closed)', () => {
    // As main.ts shuts down: after close() nothing but the shutdown itself keeps the event loop up.
    const dataDir = mkdtempSync(join(tmpdir(), 'byok-close-'));
    try {
      const serverUrl = new URL('./testing/test-server.ts', import.meta.url).href;
      const script = `import { startTestServer } from ${JSON.stringify(serverUrl)};
const server = await startTestServer({ dataDir: ${JSON.stringify(dataDir)}, env: { BYOK_LOG_LEVEL: 'warn' } });
await server.close();
process.stdout.write('closed\\n');`;
      const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
      expect(run.status).toBe(0);
      expect(run.stdout).toContain('closed');
      // The connection was closed last (a clean close removes the WAL), and the lock released.
      expect(existsSync(join(dataDir, 'byok.sqlite-wal'))).toBe(false);
      expect(existsSync(join(dataDir, 'companion.pid'))).toBe(false);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

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
