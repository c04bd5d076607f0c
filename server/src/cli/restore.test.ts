// `restore <file>` against real data directories and a real companion: the backup comes back, key
// versions given after the backup are never given again, grants used since stay used, the replaced
// database is kept, and a bad backup changes nothing.
import Database from 'better-sqlite3';
import { copyFileSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { putOrgKey, startAdminTestServer } from '../http/routes/admin-test-support';
import { restoreDatabase, type RestoreResult } from '../services/restore';
import { claimDataDir } from '../services/server-lock';
import { useTempDirs } from '../testing/temp-dirs';
import { runCli } from './program';

async function cli(dataDir: string, args: string[], env: Record<string, string | undefined> = {}) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(['--data-dir', dataDir, ...args], { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text), env });
  return { code, stdout, stderr, json: <T>() => JSON.parse(stdout) as T };
}

const tempDir = useTempDirs('byok-restore-', 'each').make;
const etagVersion = (response: { headers: Headers }): number => Number(/^"(\d+)"$/.exec(response.headers.get('etag') ?? '')?.[1]);

/** A companion on a new data directory with its first user (an owner); `backUp()` writes a backup of it. */
async function companionWithOwner(options: { defaultPlan?: 'business' } = {}) {
  const dataDir = tempDir();
  const harness = await startAdminTestServer({ ...options, dataDir });
  const owner = await harness.client.register();
  const backUp = async (): Promise<string> => {
    const file = join(tempDir(), 'backup.sqlite');
    expect((await cli(dataDir, ['backup', file])).code).toBe(0);
    return file;
  };
  return { dataDir, harness, owner, backUp };
}

describe('admin CLI restore', () => {
  it('puts a backup in place: versions given since never come back, grants used since stay used, the replaced database is kept', async () => {
    const started = await companionWithOwner({ defaultPlan: 'business' });
    const { dataDir, owner } = started;
    let harness = started.harness;
    const first = await harness.client.putKey(owner, { provider: 'anthropic', apiKey: 'sk-ant-AAAAbbbbCCCCddddEEEEffff0401' });
    expect(first.status).toBe(201);
    const secretId = first.sent.secretId;
    const backupFile = await started.backUp();

    // After the backup: the key is rotated twice (a client holds the last version), and an
    // organization key is uploaded with a grant that is still good for minutes.
    const second = await harness.client.putKey(owner, { provider: 'anthropic', apiKey: 'sk-ant-AAAAbbbbCCCCddddEEEEffff0402', secretId, ifMatch: `"${etagVersion(first)}"` });
    const third = await harness.client.putKey(owner, { provider: 'anthropic', apiKey: 'sk-ant-AAAAbbbbCCCCddddEEEEffff0403', secretId, ifMatch: `"${etagVersion(second)}"` });
    expect([second.status, third.status]).toEqual([200, 200]);
    const held = etagVersion(third);
    const orgKey = await putOrgKey(harness, owner, { provider: 'openai', apiKey: 'sk-proj-AAAAbbbbCCCCddddEEEEffff0404' });
    expect(orgKey.status).toBe(201);
    // A session ended after the backup: its refresh token was used, then it logged out.
    const usedRefresh = owner.refreshToken;
    expect((await harness.client.refresh(owner)).status).toBe(200);
    const loggedOut = owner.accessToken;
    expect((await harness.client.request('POST', '/v1/auth/logout', { token: loggedOut })).status).toBe(204);
    const lastAuditId = harness.admin().audit.listForOrg(owner.orgId, { limit: 1 })[0]?.id ?? 0;

    // Not while the companion serves the directory.
    const refused = await cli(dataDir, ['restore', backupFile]);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain('Stop it, restore, then start it again');
    await harness.server.close();

    const before = Date.now();
    const restored = await cli(dataDir, ['--json', 'restore', backupFile]);
    expect(restored.stderr).toBe('');
    expect(restored.code).toBe(0);
    const result = restored.json<RestoreResult>();
    expect(result).toMatchObject({ replaced: 'read', migrated: [], grantsCarried: 1, sessionsRevoked: 1, missingMasterKeys: [] });
    expect(result.versionsFrom).toBeGreaterThan(held);
    expect(result.versionsFrom).toBeGreaterThanOrEqual(before);
    // The replaced database is kept whole (its WAL was checkpointed into it) and still opens.
    expect(result.replacedKeptAs).not.toBeNull();
    const kept = new Database(result.replacedKeptAs ?? '', { readonly: true, fileMustExist: true });
    expect((kept.prepare('SELECT COUNT(*) AS n FROM org_secrets').get() as { n: number }).n).toBe(1);
    kept.close();
    expect(statSync(join(dataDir, 'byok.sqlite')).mode & 0o777).toBe(0o600);
    expect(readdirSync(dataDir).filter((name) => name.includes('.restore-'))).toEqual([]);

    harness = await startAdminTestServer({ defaultPlan: 'business', dataDir });
    try {
      // The session the backup knew as open is over, as it was before the restore; so is every other.
      expect((await harness.client.request('GET', '/v1/me', { token: loggedOut })).status).toBe(401);
      expect((await harness.client.request('POST', '/v1/auth/refresh', { body: { refreshToken: usedRefresh } })).status).toBe(401);
      expect((await harness.client.login(owner)).status).toBe(200);
      const listed = await harness.client.request<{ secrets: Array<{ id: string; version: number }> }>('GET', '/v1/secrets', { token: owner.accessToken });
      expect(listed.body.secrets.map((secret) => [secret.id, secret.version])).toEqual([[secretId, etagVersion(first)]]);
      // The version a client holds from after the backup no longer matches anything...
      const stale = await harness.client.putKey(owner, { provider: 'anthropic', apiKey: 'sk-ant-AAAAbbbbCCCCddddEEEEffff0405', secretId, ifMatch: `"${held}"` });
      expect(stale.status).toBe(409);
      // ...and the next write takes a version above every one given before, which If-Match accepts.
      const next = await harness.client.putKey(owner, { provider: 'anthropic', apiKey: 'sk-ant-AAAAbbbbCCCCddddEEEEffff0406', secretId, ifMatch: `"${etagVersion(first)}"` });
      expect(next.status).toBe(200);
      expect(etagVersion(next)).toBeGreaterThan(result.versionsFrom);
      const after = await harness.client.putKey(owner, { provider: 'anthropic', apiKey: 'sk-ant-AAAAbbbbCCCCddddEEEEffff0407', secretId, ifMatch: `"${etagVersion(next)}"` });
      expect(after.status).toBe(200);
      expect(etagVersion(after)).toBe(etagVersion(next) + 1);
      // The organization key's upload grant, used after the backup, cannot be used again.
      const replay = await putOrgKey(harness, owner, { provider: 'openai', apiKey: 'sk-proj-AAAAbbbbCCCCddddEEEEffff0404', id: orgKey.id, upload: orgKey.upload });
      expect(replay.status).toBe(409);
      expect((replay.body as unknown as { error: { code: string } }).error.code).toBe('grant_replayed');
      // The restore is in the audit log, and the chain holds.
      const events = harness.admin().audit.listForOrg(owner.orgId, { limit: 10, actor: 'cli' });
      const restoredEvent = events.find((event) => event.action === 'database.restored');
      expect(restoredEvent?.detail).toEqual({ versionsFrom: result.versionsFrom, grantsCarried: 1, replaced: 'read' });
      // Audit ids the replaced database gave after the backup are not given again.
      expect(restoredEvent?.id).toBeGreaterThan(lastAuditId);
      expect(harness.server.services.audit.verifyChain(owner.orgId).ok).toBe(true);
    } finally {
      await harness.server.close();
    }
  });

  it('refuses a bad backup with exit 6 and leaves the database as it was', async () => {
    const { dataDir, harness, owner, backUp } = await companionWithOwner();
    expect((await harness.client.putKey(owner, { provider: 'groq', apiKey: 'gsk_AAAAbbbbCCCCddddEEEEffff0411' })).status).toBe(201);
    const backupFile = await backUp();
    await harness.server.close();
    const live = readFileSync(join(dataDir, 'byok.sqlite'));

    const elsewhere = tempDir();
    const notADatabase = join(elsewhere, 'notes.txt');
    writeFileSync(notADatabase, 'not a database '.repeat(100));
    const otherDatabase = join(elsewhere, 'other.sqlite');
    new Database(otherDatabase).exec('CREATE TABLE t (x)').close();
    const newer = join(elsewhere, 'newer.sqlite');
    copyFileSync(backupFile, newer);
    new Database(newer).prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, '999-future.sql', '2030-01-01')").run();
    const cases: Array<[string, string]> = [
      [join(elsewhere, 'missing.sqlite'), 'does not exist'],
      [elsewhere, 'is a directory'],
      [notADatabase, 'cannot be read as a database'],
      [otherDatabase, "not a companion's database"],
      [newer, 'newer companion'],
      [join(dataDir, 'byok.sqlite'), 'is the live database'],
    ];
    for (const [file, reason] of cases) {
      const refused = await cli(dataDir, ['--json', 'restore', file]);
      expect(refused.code, file).toBe(6);
      expect(refused.stderr, file).toContain('"code":"restore_failed"');
      expect(refused.stderr, file).toContain(reason);
    }
    expect(readFileSync(join(dataDir, 'byok.sqlite')).equals(live)).toBe(true);
    expect(readdirSync(dataDir).filter((name) => name.startsWith('byok.sqlite.'))).toEqual([]);
  });

  it('restores into an empty directory, and names a master key the organization keys need', async () => {
    const { dataDir, harness, owner, backUp } = await companionWithOwner({ defaultPlan: 'business' });
    expect((await putOrgKey(harness, owner, { provider: 'openai', apiKey: 'sk-proj-AAAAbbbbCCCCddddEEEEffff0421' })).status).toBe(201);
    const kekId = harness.server.services.masterKek.kekId;
    const backupFile = await backUp();
    await harness.server.close();

    const fresh = tempDir();
    const restored = await cli(fresh, ['restore', backupFile]);
    expect(restored.code).toBe(0);
    expect(restored.stdout).toContain('There was no database to replace.');
    expect(restored.stdout).toContain('start the companion no sooner than 6 minutes after it was lost');
    expect(restored.stdout).toContain(`wrapped under ${kekId}`);
    expect(restored.stdout).not.toContain(readFileSync(join(dataDir, 'master.key'), 'utf8').trim());
    // With the master key put back, the restored companion opens the organization key.
    copyFileSync(join(dataDir, 'master.key'), join(fresh, 'master.key'));
    expect((await cli(fresh, ['--json', 'audit', 'verify'])).json<{ ok: boolean }>().ok).toBe(true);
    const again = await cli(fresh, ['--json', 'restore', backupFile]);
    expect(again.json<RestoreResult>()).toMatchObject({ replaced: 'read', missingMasterKeys: [] });
    expect(existsSync(again.json<RestoreResult>().replacedKeptAs ?? '')).toBe(true);
    const server = await startAdminTestServer({ defaultPlan: 'business', dataDir: fresh });
    try {
      const [orgKey] = server.admin().orgSecrets.list(owner.orgId);
      expect((await server.admin().orgSecrets.open(owner.orgId, orgKey?.id ?? '')).apiKey).toBe('sk-proj-AAAAbbbbCCCCddddEEEEffff0421');
    } finally {
      await server.server.close();
    }
  });

  it('moves every counter past the replaced database even with the clock behind it, for owners with no counter in the backup too', async () => {
    const started = await companionWithOwner();
    const { dataDir, owner } = started;
    let harness = started.harness;
    // Registered before the backup, with no key yet: no counter of its own in the backup.
    const late = await harness.client.register({ inviteCode: await harness.client.invite(owner, 'member') });
    expect((await harness.client.putKey(owner, { provider: 'groq', apiKey: 'gsk_AAAAbbbbCCCCddddEEEEffff0431' })).status).toBe(201);
    const backupFile = await started.backUp();
    const first = await harness.client.putKey(late, { provider: 'groq', apiKey: 'gsk_AAAAbbbbCCCCddddEEEEffff0432' });
    const second = await harness.client.putKey(late, { provider: 'groq', apiKey: 'gsk_AAAAbbbbCCCCddddEEEEffff0433', secretId: first.sent.secretId });
    const held = etagVersion(second);
    await harness.server.close();

    // A clock far behind (1 ms after the epoch): only the replaced database's counters can help.
    const result = await restoreDatabase(dataDir, backupFile, { now: () => 1 });
    expect(result.versionsFrom).toBe(held + 1);
    harness = await startAdminTestServer({ dataDir });
    try {
      for (const user of [late, owner]) {
        expect((await harness.client.login(user)).status).toBe(200);
        const written = await harness.client.putKey(user, { provider: 'groq', apiKey: 'gsk_AAAAbbbbCCCCddddEEEEffff0434' });
        expect(written.status).toBe(201);
        expect(etagVersion(written)).toBeGreaterThan(held);
      }
      // A user registered after the restore starts past it too.
      const newcomer = await harness.client.register({ inviteCode: await harness.client.invite(owner, 'member') });
      const written = await harness.client.putKey(newcomer, { provider: 'groq', apiKey: 'gsk_AAAAbbbbCCCCddddEEEEffff0435' });
      expect(etagVersion(written)).toBeGreaterThan(held);
    } finally {
      await harness.server.close();
    }
  });

  it('moves aside a -wal left with no database beside it, which SQLite would otherwise apply to the restored copy', async () => {
    const { dataDir, harness, owner, backUp } = await companionWithOwner();
    const backupFile = await backUp();
    await harness.server.close();

    // A companion that crashed with writes still in its WAL, then its database file lost: a copy of
    // the data directory's database, written to and left open while its WAL is taken.
    const crashed = join(tempDir(), 'crashed.sqlite');
    copyFileSync(join(dataDir, 'byok.sqlite'), crashed);
    const writer = new Database(crashed);
    writer.pragma('journal_mode = WAL');
    writer.pragma('wal_autocheckpoint = 0');
    const insertOrg = writer.prepare("INSERT INTO orgs (id, name, plan, created_at) VALUES (?, 'Crashed', 'pro', '2026-01-01T00:00:00.000Z')");
    for (let index = 0; index < 50; index++) insertOrg.run(`00000000-0000-4000-8000-${String(index).padStart(12, '0')}`);
    const leftWal = readFileSync(`${crashed}-wal`);
    writer.close();
    for (const name of readdirSync(dataDir).filter((file) => file.startsWith('byok.sqlite'))) rmSync(join(dataDir, name));
    writeFileSync(join(dataDir, 'byok.sqlite-wal'), leftWal);

    const result = (await cli(dataDir, ['--json', 'restore', backupFile])).json<RestoreResult>();
    expect(result.replaced).toBe('none');
    expect(existsSync(`${result.replacedKeptAs}-wal`)).toBe(true);
    expect(existsSync(join(dataDir, 'byok.sqlite-wal'))).toBe(false);
    const restored = new Database(join(dataDir, 'byok.sqlite'), { fileMustExist: true });
    try {
      expect(restored.prepare('SELECT id FROM orgs').all()).toEqual([{ id: owner.orgId }]);
      expect(restored.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      restored.close();
    }
  });

  it('refuses (exit 4) while another process has the database open, and changes nothing', async () => {
    const { dataDir, harness, backUp } = await companionWithOwner();
    const backupFile = await backUp();
    await harness.server.close();
    // An admin command's connection, as `org show` holds one while it runs.
    const other = new Database(join(dataDir, 'byok.sqlite'));
    try {
      other.prepare('SELECT COUNT(*) FROM users').get();
      const refused = await cli(dataDir, ['--json', 'restore', backupFile]);
      expect(refused.code).toBe(4);
      expect(refused.stderr).toContain('"code":"database_in_use"');
      expect(readdirSync(dataDir).filter((name) => name.startsWith('byok.sqlite.'))).toEqual([]);
    } finally {
      other.close();
    }
    expect((await cli(dataDir, ['restore', backupFile])).code).toBe(0);
  });

  it('a key rotation refused while the directory is held (a restore under way) opens no database', async () => {
    const dataDir = tempDir();
    const claim = claimDataDir(dataDir);
    try {
      for (const args of [['grant-keys', 'rotate'], ['master-key', 'rotate']]) {
        const refused = await cli(dataDir, args);
        expect(refused.code).toBe(4);
        expect(refused.stderr).toContain('or a restore is running');
      }
      expect(readdirSync(dataDir).filter((name) => name.startsWith('byok.sqlite'))).toEqual([]);
    } finally {
      claim.release();
    }
  });
});
