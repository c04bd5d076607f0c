// The admin CLI against real data directories: every command, its JSON output, its exit codes,
// audit events with actor `cli`, working side by side with a running server (invites, members,
// backup that restores to a working server, master-key rotation in file and environment mode).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { putOrgKey, startAdminTestServer } from '../http/routes/admin-test-support';
import type { AdminHarness } from '../http/routes/admin-test-support';
import { loadMasterKek } from '../services/master-kek';
import type { TestUser } from '../testing/client';
import { runCli } from './program';
import { loadConfig } from '../config';
import { useTempDirs } from '../testing/temp-dirs';

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
  json: <T = Record<string, unknown>>() => T;
}

async function cli(dataDir: string, args: string[], env: Record<string, string | undefined> = {}): Promise<Ran> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(['--data-dir', dataDir, ...args], {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    env,
  });
  return { code, stdout, stderr, json: <T>() => JSON.parse(stdout) as T };
}

const tempDir = useTempDirs('byok-cli-', 'all').make;

describe('admin CLI on its own', () => {
  it('org, plan and policy commands with exit codes and cli audit events', async () => {
    const dir = tempDir('byok-cli-');
    expect((await cli(dir, ['org', 'show'])).code).toBe(3);
    expect((await cli(dir, ['org', 'show', '--json'])).stderr).toContain('"code":"not_found"');
    const created = await cli(dir, ['--json', 'org', 'create', 'Acme', '--plan', 'private']);
    expect(created.code).toBe(0);
    const orgId = created.json<{ org: { id: string } }>().org.id;
    expect((await cli(dir, ['org', 'create', 'Bad', '--plan', 'gold'])).code).toBe(2);

    const shown = await cli(dir, ['--json', 'org', 'show']);
    expect(shown.json()).toMatchObject({ org: { id: orgId, plan: 'private' }, members: 0, policy: { personalProviderLimit: 1, providerOrder: false } });

    const beyond = await cli(dir, ['policy', 'set', '--provider-order', 'on']);
    expect(beyond.code).toBe(4);
    expect(beyond.stderr).toContain('providerOrder');
    expect(beyond.stderr).toContain('pro');
    expect((await cli(dir, ['policy', 'set', '--monthly-calls', 'lots'])).code).toBe(2);
    expect((await cli(dir, ['policy', 'set'])).code).toBe(2);
    expect((await cli(dir, ['policy', 'set', '--json', '{nope'])).code).toBe(2);
    expect((await cli(dir, ['policy', 'set', '--json', '{}', '--byok', 'off'])).code).toBe(2);
    expect((await cli(dir, ['policy', 'set', '--platform-fallback', 'sometimes'])).code).toBe(2);

    const set = await cli(dir, ['--json', 'policy', 'set', '--monthly-calls', '100', '--provider', 'openai:byok=off', '--platform-fallback', 'never']);
    expect(set.code).toBe(0);
    expect(set.json()).toMatchObject({ policy: { platformQuota: { monthlyCalls: 100 }, providers: { openai: { byok: false, platform: true } }, platformFallback: 'never' } });
    const got = (await cli(dir, ['--json', 'policy', 'get'])).json<{ policy: Record<string, unknown> }>();
    expect(got.policy).toEqual(set.json<{ policy: unknown }>().policy);
    // A whole policy as JSON replaces everything.
    const whole = { ...got.policy, platformFallback: 'auto' };
    const file = join(dir, 'policy.json');
    writeFileSync(file, JSON.stringify({ policy: whole }));
    expect((await cli(dir, ['policy', 'set', '--file', file])).code).toBe(0);
    expect((await cli(dir, ['--json', 'policy', 'get'])).json<{ policy: unknown }>().policy).toEqual(whole);

    const plan = await cli(dir, ['--json', 'org', 'set-plan', 'pro']);
    expect(plan.code).toBe(0);
    expect(plan.json()).toMatchObject({ from: 'private', org: { plan: 'pro' }, policy: { providerOrder: false, platformQuota: { monthlyCalls: 100 } } });
    const reset = await cli(dir, ['--json', 'org', 'set-plan', 'business', '--reset-policy']);
    expect(reset.json()).toMatchObject({ policy: { providerOrder: true, platformQuota: { monthlyCalls: 10_000 } } });

    const events = (await cli(dir, ['--json', 'audit', 'verify'])).json<{ ok: boolean; orgs: { events: number }[] }>();
    expect(events.ok).toBe(true);
    // org.created, two policy changes (flags, file), two plan changes.
    expect(events.orgs[0]?.events).toBe(5);
    expect((await cli(dir, ['member', 'list'])).code).toBe(0);
    expect((await cli(dir, ['member', 'remove', 'nobody@example.test'])).code).toBe(3);
    expect((await cli(dir, ['--org', '00000000-0000-4000-8000-000000000000', 'org', 'show'])).code).toBe(3);
    expect((await cli(dir, ['bogus'])).code).toBe(2);
    expect((await cli(dir, ['org'])).code).toBe(2);
    expect((await cli(dir, ['--help'])).code).toBe(0);
  });

  it('audit verify exits 5 and names the first broken event when the chain is tampered with', async () => {
    const dir = tempDir('byok-cli-');
    await cli(dir, ['org', 'create', 'Acme']);
    await cli(dir, ['policy', 'set', '--monthly-calls', '10']);
    await cli(dir, ['policy', 'set', '--monthly-calls', '20']);
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(join(dir, 'byok.sqlite'));
    db.exec('DROP TRIGGER audit_events_no_update');
    const second = db.prepare('SELECT id FROM audit_events ORDER BY id LIMIT 1 OFFSET 1').get() as { id: number };
    db.prepare("UPDATE audit_events SET detail = '{}' WHERE id = ?").run(second.id);
    db.close();
    const verify = await cli(dir, ['--json', 'audit', 'verify']);
    expect(verify.code).toBe(5);
    expect(verify.json()).toMatchObject({ ok: false, orgs: [{ ok: false, firstBrokenId: second.id }] });
  });

  it('finds the server\'s data directory: a relative one is taken from where the command was typed (INIT_CWD)', async () => {
    const typedIn = tempDir('byok-cli-cwd-');
    const run = (env: Record<string, string>) =>
      runCli(['org', 'create', 'Here', '--json'], { stdout: () => undefined, stderr: () => undefined, env });
    expect(await run({ INIT_CWD: typedIn, BYOK_DATA_DIR: 'var/db' })).toBe(0);
    expect(existsSync(join(typedIn, 'var', 'db', 'byok.sqlite'))).toBe(true);
    // Empty means unset, as for the server: ./data under INIT_CWD.
    expect(await run({ INIT_CWD: typedIn, BYOK_DATA_DIR: '' })).toBe(0);
    expect(existsSync(join(typedIn, 'data', 'byok.sqlite'))).toBe(true);
    expect(loadConfig([], { INIT_CWD: typedIn, BYOK_DATA_DIR: 'var/db' }).dataDir).toBe(join(typedIn, 'var', 'db'));
  });

  it('runs as a process with the documented exit codes', () => {
    const dir = tempDir('byok-cli-');
    const root = resolve(__dirname, '../../..');
    const run = (...args: string[]) => spawnSync('pnpm', ['exec', 'tsx', 'server/src/cli.ts', '--data-dir', dir, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, BYOK_MASTER_KEY: '' } });
    const missing = run('org', 'show');
    expect(missing.status).toBe(3);
    expect(missing.stderr).toContain('no organization');
    expect(run('org', 'create', 'Acme').status).toBe(0);
    expect(run('--json', 'audit', 'verify').status).toBe(0);
    expect(run('nope').status).toBe(2);
  });
});

describe('admin CLI next to a running server', () => {
  let dataDir: string;
  let harness: AdminHarness;
  let owner: TestUser;

  beforeAll(async () => {
    dataDir = tempDir('byok-cli-live-');
    harness = await startAdminTestServer({ defaultPlan: 'business', dataDir });
    owner = await harness.client.register();
  });
  afterAll(() => harness.server.close());

  it('creates invites that register, changes roles, removes members', async () => {
    const invite = await cli(dataDir, ['--json', 'invite', 'create', '--role', 'admin', '--expires-in-hours', '2']);
    expect(invite.code).toBe(0);
    const { code } = invite.json<{ code: string }>();
    const joined = await harness.client.register({ inviteCode: code });
    expect(joined.role).toBe('admin');
    expect((await cli(dataDir, ['invite', 'create', '--role', 'owner'])).code).toBe(2);

    const list = (await cli(dataDir, ['--json', 'member', 'list'])).json<{ members: { email: string; role: string }[] }>();
    expect(list.members.map((m) => m.role).sort()).toEqual(['admin', 'owner']);
    // The operator may make owners; the last owner cannot go.
    expect((await cli(dataDir, ['member', 'role', joined.email, 'owner'])).code).toBe(0);
    expect((await cli(dataDir, ['member', 'role', owner.email, 'member'])).code).toBe(0);
    const last = await cli(dataDir, ['member', 'role', joined.email, 'admin']);
    expect(last.code).toBe(4);
    expect(last.stderr).toContain('at least one owner');
    expect((await cli(dataDir, ['member', 'role', owner.email, 'owner'])).code).toBe(0);
    expect((await cli(dataDir, ['member', 'role', owner.email, 'root'])).code).toBe(2);

    const key = await harness.client.putKey(joined, { provider: 'openai', apiKey: 'sk-proj-AAAAbbbbCCCCddddEEEEffff0301' });
    expect(key.status).toBe(201);
    const removed = await cli(dataDir, ['--json', 'member', 'remove', joined.userId]);
    expect(removed.json()).toMatchObject({ removed: joined.userId, keysDeleted: 1 });
    expect((await harness.client.request('GET', '/v1/secrets', { token: joined.accessToken })).status).toBe(401);

    const cliEvents = harness.admin().audit.listForOrg(owner.orgId, { limit: 50, actor: 'cli' }).map((e) => e.action);
    expect(cliEvents).toEqual(expect.arrayContaining(['member.invited', 'member.role_changed', 'member.removed']));
    expect(harness.server.services.audit.verifyChain(owner.orgId).ok).toBe(true);
  });

  it('backs up while the server runs, and the copy restores to a working server', async () => {
    const member = await harness.client.register({ inviteCode: await harness.client.invite(owner, 'member') });
    const personal = await harness.client.putKey(member, { provider: 'anthropic', apiKey: 'sk-ant-AAAAbbbbCCCCddddEEEEffff0302' });
    const orgKey = await putOrgKey(harness, owner, { provider: 'openai', apiKey: 'sk-proj-AAAAbbbbCCCCddddEEEEffff0303' });
    expect([personal.status, orgKey.status]).toEqual([201, 201]);
    const file = join(tempDir('byok-backup-'), 'backup.sqlite');
    const backup = await cli(dataDir, ['--json', 'backup', file]);
    expect(backup.code).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect((await cli(dataDir, ['backup', file])).code).toBe(6);
    // A directory that does not exist, or a directory as the file: exit 6 with a reason, and nothing
    // is left behind; the earlier backup survives a failed --force.
    const nowhere = await cli(dataDir, ['backup', join(tempDir('byok-backup-'), 'missing', 'backup.sqlite')]);
    expect(nowhere.code).toBe(6);
    expect(nowhere.stderr).toContain('ENOENT');
    const aDirectory = tempDir('byok-backup-');
    expect((await cli(dataDir, ['backup', aDirectory, '--force'])).code).toBe(6);
    const earlier = readFileSync(file);
    expect((await cli(dataDir, ['backup', file, '--force'])).code).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file).length).toBeGreaterThanOrEqual(earlier.length);
    // Written after the backup: not in the copy.
    const later = await harness.client.putKey(member, { provider: 'anthropic', apiKey: 'sk-ant-AAAAbbbbCCCCddddEEEEffff0304' });
    expect(later.status).toBe(201);

    const restoredDir = tempDir('byok-restored-');
    copyFileSync(file, join(restoredDir, 'byok.sqlite'));
    copyFileSync(join(dataDir, 'master.key'), join(restoredDir, 'master.key'));
    const restored = await startAdminTestServer({ dataDir: restoredDir });
    try {
      expect((await restored.client.login(member)).status).toBe(200);
      const secrets = await restored.client.request<{ secrets: { id: string }[] }>('GET', '/v1/secrets', { token: member.accessToken });
      const ids = secrets.body.secrets.map((secret) => secret.id);
      expect(ids).toContain(personal.sent.secretId);
      expect(ids).toContain(orgKey.id);
      expect(ids).not.toContain(later.sent.secretId);
      expect((await restored.admin().orgSecrets.open(owner.orgId, orgKey.id)).apiKey).toBe('sk-proj-AAAAbbbbCCCCddddEEEEffff0303');
      expect(restored.server.services.audit.verifyChain(owner.orgId).ok).toBe(true);
      // And it keeps working: new writes and admin calls.
      expect((await restored.client.login(owner)).status).toBe(200);
      expect((await restored.client.request('GET', '/v1/admin/audit/verify', { token: owner.accessToken })).body).toMatchObject({ ok: true });
    } finally {
      await restored.server.close();
    }
  });

  it('rotates the master key (file mode) and every org key still opens after a restart', async () => {
    // The restore test logged the owner in on the restored server; come back to this one.
    expect((await harness.client.login(owner)).status).toBe(200);
    const stored = await putOrgKey(harness, owner, { provider: 'groq', apiKey: 'gsk_AAAAbbbbCCCCddddEEEEffff0305' });
    expect(stored.status).toBe(201);
    const before = new Map<string, string>();
    for (const key of harness.admin().orgSecrets.list(owner.orgId)) before.set(key.id, (await harness.admin().orgSecrets.open(owner.orgId, key.id)).apiKey);
    const oldKekId = harness.server.services.masterKek.kekId;
    await harness.server.close();
    const rotated = await cli(dataDir, ['--json', 'master-key', 'rotate', '--keep-old']);
    expect(rotated.code).toBe(0);
    expect(rotated.json()).toMatchObject({ mode: 'file', rewrapped: before.size, from: [oldKekId], keptOldKeyFile: `master.key.${oldKekId}` });
    expect(existsSync(join(dataDir, `master.key.${oldKekId}`))).toBe(true);
    expect(statSync(join(dataDir, 'master.key')).mode & 0o777).toBe(0o600);
    harness = await startAdminTestServer({ dataDir });
    for (const [id, apiKey] of before) expect((await harness.admin().orgSecrets.open(owner.orgId, id)).apiKey).toBe(apiKey);
    expect((await cli(dataDir, ['audit', 'verify'])).code).toBe(0);
  });

  it('refuses to rotate keys while a companion serves the data directory', async () => {
    // The harness is serving dataDir (in this process: it holds companion.lock, its pid is in companion.pid).
    const grantKeysFile = readFileSync(join(dataDir, 'grant-keys.json'), 'utf8');
    const masterKeyFile = readFileSync(join(dataDir, 'master.key'), 'utf8');
    for (const args of [['grant-keys', 'rotate'], ['master-key', 'rotate']]) {
      const refused = await cli(dataDir, args);
      expect(refused.code).toBe(4);
      expect(refused.stderr).toContain(`pid ${process.pid}`);
      expect(refused.stderr).toContain('Stop it, rotate, then start it again');
    }
    expect(readFileSync(join(dataDir, 'grant-keys.json'), 'utf8')).toBe(grantKeysFile);
    expect(readFileSync(join(dataDir, 'master.key'), 'utf8')).toBe(masterKeyFile);
    // A second companion on the same directory does not start either.
    await expect(startAdminTestServer({ dataDir })).rejects.toThrow(`pid ${process.pid}`);
    // Stopped, the directory is free again.
    await harness.server.close();
    expect(existsSync(join(dataDir, 'companion.pid'))).toBe(false);
    expect((await cli(dataDir, ['grant-keys', 'rotate'])).code).toBe(0);
    // A generation past due is rotated once, not twice (opening the file used to rotate it first):
    // the new generation alone remains, the old one retired when it fell due, an hour ago.
    const file = join(dataDir, 'grant-keys.json');
    const stored = JSON.parse(readFileSync(file, 'utf8')) as { generations: Array<{ createdAt: number; retiredAt: number | null }> };
    writeFileSync(file, JSON.stringify({ generations: stored.generations.slice(0, 1).map((generation) => ({ ...generation, createdAt: Date.now() - 25 * 3_600_000, retiredAt: null })) }));
    const due = await cli(dataDir, ['--json', 'grant-keys', 'rotate']);
    expect(due.code).toBe(0);
    const after = JSON.parse(readFileSync(file, 'utf8')) as { generations: Array<{ keys: Array<{ kid: string }> }> };
    expect(after.generations).toHaveLength(1);
    expect(due.json<{ kids: string[] }>().kids).toEqual(after.generations[0]?.keys.map((key) => key.kid));
    // A pid file with no lock behind it (left by kill -9, its pid gone or reused) keeps nothing out.
    for (const pid of ['999999999', String(process.pid)]) {
      writeFileSync(join(dataDir, 'companion.pid'), `${pid}\n`);
      expect((await cli(dataDir, ['grant-keys', 'rotate'])).code).toBe(0);
    }
    harness = await startAdminTestServer({ dataDir });
    expect(readFileSync(join(dataDir, 'companion.pid'), 'utf8')).toBe(`${process.pid}\n`);
  });

  it('rotates in environment mode only with BYOK_NEW_MASTER_KEY, and writes no key file', async () => {
    await harness.server.close();
    const envDir = tempDir('byok-cli-env-');
    const current = randomBytes(32).toString('base64url');
    const next = randomBytes(32).toString('base64url');
    const envHarness = await startAdminTestServer({ dataDir: envDir, masterKey: current, defaultPlan: 'business' });
    const admin = await envHarness.client.register();
    const stored = await putOrgKey(envHarness, admin, { provider: 'openai', apiKey: 'sk-proj-AAAAbbbbCCCCddddEEEEffff0306' });
    expect(stored.status).toBe(201);
    await envHarness.server.close();
    const refused = await cli(envDir, ['master-key', 'rotate'], { BYOK_MASTER_KEY: current });
    expect(refused.code).toBe(6);
    expect(refused.stderr).toContain('BYOK_NEW_MASTER_KEY');
    expect((await cli(envDir, ['master-key', 'rotate'], { BYOK_MASTER_KEY: current, BYOK_NEW_MASTER_KEY: 'short' })).code).toBe(6);
    const rotated = await cli(envDir, ['--json', 'master-key', 'rotate'], { BYOK_MASTER_KEY: current, BYOK_NEW_MASTER_KEY: next });
    expect(rotated.code).toBe(0);
    expect(rotated.json()).toMatchObject({ mode: 'env', rewrapped: 1, to: (await loadMasterKek({ dataDir: envDir, masterKey: next })).kekId });
    expect(existsSync(join(envDir, 'master.key'))).toBe(false);
    expect(rotated.stdout).not.toContain(next);
    // Forgetting BYOK_MASTER_KEY must not mint a file key over existing organization keys.
    const forgot = await cli(envDir, ['master-key', 'rotate']);
    expect(forgot.code).toBe(6);
    expect(forgot.stderr).toContain('master.key is missing');
    expect(existsSync(join(envDir, 'master.key'))).toBe(false);
    const after = await startAdminTestServer({ dataDir: envDir, masterKey: next });
    try {
      expect((await after.admin().orgSecrets.open(admin.orgId, stored.id)).apiKey).toBe('sk-proj-AAAAbbbbCCCCddddEEEEffff0306');
    } finally {
      await after.server.close();
    }
    // The old key no longer opens anything: a server started with it cannot unwrap.
    const stale = await startAdminTestServer({ dataDir: envDir, masterKey: current });
    try {
      await expect(stale.admin().orgSecrets.open(admin.orgId, stored.id)).rejects.toMatchObject({ code: 'internal' });
    } finally {
      await stale.server.close();
    }
    expect(readFileSync(join(envDir, 'byok.sqlite')).includes(Buffer.from(next))).toBe(false);
  });
});
