// Secret files in the data directory: created 0600, stable across starts, never in the database;
// the master KEK from BYOK_MASTER_KEY or master.key, which is never generated under organization keys.
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMasterKek } from './master-kek';
import { loadServerIdentity } from './server-identity';
import { startTestServer } from '../testing/test-server';
import { putOrgKey, startAdminTestServer } from '../http/routes/admin-test-support';
import { useTempDirs } from '../testing/temp-dirs';

const tempDir = useTempDirs('byok-dd-').make;

function mode(path: string): string {
  return (statSync(path).mode & 0o777).toString(8);
}

describe('data directory secrets', () => {
  it('creates every secret file with mode 0600 and keeps no private key in the database', async () => {
    const dir = tempDir();
    const server = await startTestServer({ dataDir: dir });
    const files = ['server-id', 'server-secret', 'signing-key.json', 'grant-keys.json', 'master.key'];
    try {
      for (const file of [...files, 'byok.sqlite', 'byok.sqlite-wal']) expect(mode(join(dir, file)), file).toBe('600');
      expect(mode(dir)).toBe('700');
    } finally {
      await server.close();
    }
    const database = readFileSync(join(dir, 'byok.sqlite'));
    const grantKeys = JSON.parse(readFileSync(join(dir, 'grant-keys.json'), 'utf8')) as { generations: { keys: { privateJwk: { d: string } }[] }[] };
    for (const key of grantKeys.generations.flatMap((generation) => generation.keys)) {
      expect(database.includes(Buffer.from(key.privateJwk.d))).toBe(false);
    }
    expect(database.includes(readFileSync(join(dir, 'master.key')))).toBe(false);
  });

  it('keeps the server identity stable across loads', async () => {
    const dir = tempDir();
    const first = await loadServerIdentity(dir);
    const second = await loadServerIdentity(dir);
    expect(second.serverId).toBe(first.serverId);
    expect(second.audience).toBe(`byok-companion:${first.serverId}`);
    expect(Buffer.from(second.preloginSecret).equals(Buffer.from(first.preloginSecret))).toBe(true);
    expect(second.signingKey.kid).toBe(first.signingKey.kid);
  });

  it('takes the master KEK from BYOK_MASTER_KEY or generates master.key once', async () => {
    const dir = tempDir();
    const generated = await loadMasterKek({ dataDir: dir });
    const again = await loadMasterKek({ dataDir: dir });
    expect(again.kekId).toBe(generated.kekId);
    expect(generated.kekId).toMatch(/^kek-[0-9a-f]{16}$/);
    expect(generated.kek.extractable).toBe(false);
    const fromEnv = await loadMasterKek({ dataDir: tempDir(), masterKey: randomBytes(32).toString('base64url') });
    expect(fromEnv.kekId).not.toBe(generated.kekId);
    await expect(loadMasterKek({ dataDir: tempDir(), masterKey: 'too-short' })).rejects.toThrow(/BYOK_MASTER_KEY/);
  });

  it('refuses to start when master.key is gone under organization keys, naming the file and no key', async () => {
    const dir = tempDir();
    const keyFile = join(dir, 'master.key');
    // First start: no organization key yet, so master.key is generated.
    const first = await startAdminTestServer({ dataDir: dir, defaultPlan: 'business' });
    const kekId = first.server.services.masterKek.kekId;
    try {
      expect(existsSync(keyFile)).toBe(true);
      const admin = await first.client.register();
      expect((await putOrgKey(first, admin, { provider: 'openai', apiKey: 'sk-proj-AAAAbbbbCCCCddddEEEEffff0001' })).status).toBe(201);
    } finally {
      await first.server.close();
    }
    const masterKey = readFileSync(keyFile, 'utf8').trim();
    rmSync(keyFile);

    const refused = await startTestServer({ dataDir: dir }).then(
      async (started) => {
        await started.close();
        return new Error('the server started');
      },
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(Error);
    const message = (refused as Error).message;
    expect(message).toContain(keyFile);
    expect(message).toMatch(/organization keys/);
    expect(message).toMatch(/BYOK_MASTER_KEY/);
    expect(message).not.toContain(masterKey);
    expect(existsSync(keyFile)).toBe(false);

    // BYOK_MASTER_KEY still works without the file, and it is the key the organization key needs.
    const fromEnv = await startTestServer({ dataDir: dir, masterKey });
    try {
      expect(fromEnv.services.masterKek.kekId).toBe(kekId);
      expect(existsSync(keyFile)).toBe(false);
    } finally {
      await fromEnv.close();
    }
  });
});
