// Disk full and a read-only data directory, for real: the companion's data dir is a small tmpfs
// (we run as root; the test is skipped where mount is not permitted). Writes fail with 500
// `internal` and a message that names the cause, reads keep working, a start on a read-only
// mount fails with a clear error, nothing already stored is
// damaged (every acknowledged key opens with its owner's KEK and is the last one acknowledged,
// nothing refused is half there, the audit chain verifies, integrity_check is ok), and once space
// is back the same server takes writes again and survives a restart.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORAGE_MESSAGE } from '../../server/src/http/middleware/error-handler';
import { TestClient, type TestUser } from '../../server/src/testing/client';
import { startTestServer, type TestServer } from '../../server/src/testing/test-server';
import { LeakCanary, filesBelow } from '../support/leak-canary';
import { openStored, storedSecrets } from '../support/sealed-rows';

const mountPoint = mkdtempSync(join(tmpdir(), 'byok-tmpfs-'));
const dataDir = join(mountPoint, 'data');

function tryMount(): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=6m,mode=0700', 'tmpfs', mountPoint], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const mounted = tryMount();
// CI runs as root and must run this suite: a mount that fails there is an error, not a skip.
if (!mounted && process.env.CI) throw new Error('could not mount a tmpfs for the disk-full tests (CI requires them; run as root)');

let server: TestServer;
let client: TestClient;
let owner: TestUser;
const canary = new LeakCanary();
/** The seal the server last acknowledged, per key id (what must be stored, exactly). */
const acknowledged = new Map<string, { key: string; ct: string }>();

async function putKey(secretId?: string): Promise<{ status: number; text: string; secretId: string }> {
  const key = canary.key('openai');
  const response = await client.putKey(owner, { provider: 'openai', apiKey: key, ...(secretId === undefined ? {} : { secretId }) });
  if (response.status === 200 || response.status === 201) acknowledged.set(response.sent.secretId, { key, ct: response.sent.sealed.ct });
  return { status: response.status, text: response.text, secretId: response.sent.secretId };
}

function fillDisk(): string {
  const filler = join(mountPoint, 'filler');
  const fd = openSync(filler, 'w');
  try {
    for (const size of [256 * 1024, 4 * 1024, 512]) {
      const block = Buffer.alloc(size, 1);
      for (;;) {
        try {
          writeSync(fd, block);
        } catch {
          break;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return filler;
}

async function expectStoredIntact(): Promise<void> {
  const rows = storedSecrets(server.db, owner.userId);
  expect(rows.map((row) => row.id).sort()).toEqual([...acknowledged.keys()].sort());
  for (const row of rows) {
    const expected = acknowledged.get(row.id);
    expect(row.sealed.ct).toBe(expected?.ct);
    expect(await openStored(row, owner.kek)).toBe(expected?.key);
  }
  expect(server.services.audit.verifyChain(owner.orgId)).toMatchObject({ ok: true });
  expect(server.db.pragma('integrity_check', { simple: true })).toBe('ok');
}

beforeAll(async () => {
  if (!mounted) return;
  server = await startTestServer({ dataDir, env: { BYOK_RATE_LIMITS: 'off' } });
  client = new TestClient(server.baseUrl);
  owner = await client.register();
  canary.watch(owner.accessToken);
  for (let i = 0; i < 3; i++) expect((await putKey()).status).toBe(201);
}, 60_000);

afterAll(async () => {
  if (mounted) {
    await server.close();
    canary.assertClean([{ name: 'server logs', content: server.logs.join('\n') }, ...(await filesBelow(dataDir))]);
    try {
      // Fails (EBUSY) if anything still holds a file of the data dir open: a leaked handle.
      execFileSync('umount', [mountPoint]);
    } catch (error) {
      execFileSync('umount', ['-l', mountPoint]);
      throw error;
    }
  }
  rmSync(mountPoint, { recursive: true, force: true });
});

describe.skipIf(!mounted)('a full or read-only data directory (tmpfs)', () => {
  it('refuses writes clearly when the disk is full, keeps reads, damages nothing, recovers', async () => {
    const filler = fillDisk();
    const statuses: number[] = [];
    const existing = [...acknowledged.keys()];
    for (let i = 0; i < 40; i++) {
      const created = await putKey();
      const rotated = await putKey(existing[i % existing.length]);
      const renamed = await client.request('PATCH', `/v1/secrets/${existing[0]}`, { token: owner.accessToken, body: { label: `label ${i} ${'x'.repeat(90)}` } });
      for (const response of [created, rotated, renamed]) {
        statuses.push(response.status);
        if (response.status >= 500) expect(JSON.parse(response.text)).toEqual({ error: { code: 'internal', message: STORAGE_MESSAGE } });
        else expect(response.status, response.text).toBeLessThan(300);
      }
    }
    // The disk really was full for (most of) these writes.
    expect(statuses.filter((status) => status === 500).length).toBeGreaterThan(20);
    expect(server.logs.some((line) => line.includes('SQLITE_FULL'))).toBe(true);
    expect((await client.request('GET', '/v1/secrets', { token: owner.accessToken })).status).toBe(200);
    expect((await client.request('GET', '/healthz')).status).toBe(200);

    rmSync(filler);
    await expectStoredIntact();
    expect((await putKey()).status).toBe(201);
    await expectStoredIntact();
  });

  it('refuses to start on a read-only data directory with a clear error, and starts again once writable', async () => {
    // A running server keeps its files open for writing, so the kernel refuses to remount under
    // it (EBUSY): the read-only case an operator meets is a server started on a read-only mount.
    await server.close();
    execFileSync('mount', ['-o', 'remount,ro', mountPoint]);
    try {
      await expect(startTestServer({ dataDir, env: { BYOK_RATE_LIMITS: 'off' } })).rejects.toThrow(/read-only|readonly|EROFS/i);
    } finally {
      execFileSync('mount', ['-o', 'remount,rw', mountPoint]);
    }
    server = await startTestServer({ dataDir, env: { BYOK_RATE_LIMITS: 'off' } });
    client = new TestClient(server.baseUrl);
    await client.login(owner);
    await expectStoredIntact();
    expect((await putKey()).status).toBe(201);
    await server.restart();
    client = new TestClient(server.baseUrl);
    await expectStoredIntact();
  });
});
