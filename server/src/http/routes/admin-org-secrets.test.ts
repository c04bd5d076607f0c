// Organization keys over HTTP: upload inside a grant, hint derived by the server, sealed under the
// master KEK, never returned and never logged (leak canary over responses, logs and every file of
// the data directory); grant checks; members see label, provider and hint only; master-key
// rotation keeps every organization key usable.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrgUploadGrant } from '@byok/shared';
import { LeakCanary, filesBelow } from '../../../../test/support/leak-canary';
import type { Haystack } from '../../../../test/support/leak-canary';
import { CLI_ACTOR } from '../../services/admin/actor';
import { rotateMasterKey } from '../../services/admin/master-key-files';
import { OrgAdminStore } from '../../services/admin/org-admin-store';
import { OrgSecretsStore } from '../../services/admin/org-secrets-store';
import { AuditService } from '../../services/audit';
import { openDatabase } from '../../store/db';
import type { TestUser } from '../../testing/client';
import { createSecondOrg, putOrgKey, startAdminTestServer } from './admin-test-support';
import type { AdminHarness } from './admin-test-support';

type ErrorBody = { error: { code: string; message: string } };

describe('organization keys', () => {
  const canary = new LeakCanary();
  const responses: Haystack[] = [];
  let dataDir: string;
  let harness: AdminHarness;
  let owner: TestUser;
  let member: TestUser;

  function keep(name: string, response: { text: string; headers: Headers }): void {
    responses.push({ name, content: `${JSON.stringify([...response.headers.entries()])}\n${response.text}` });
  }

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'byok-orgkeys-'));
    harness = await startAdminTestServer({ defaultPlan: 'business', dataDir });
    owner = await harness.client.register();
    member = await harness.client.register({ inviteCode: await harness.client.invite(owner, 'member') });
  });
  afterAll(async () => {
    await harness.server.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('stores a key from an upload grant and returns only label, provider and hint', async () => {
    const apiKey = canary.key('anthropic');
    const stored = await putOrgKey(harness, owner, { provider: 'anthropic', apiKey, label: 'Team Claude' });
    keep('put', stored);
    expect(stored.status).toBe(201);
    expect(stored.body.secret).toMatchObject({ id: stored.id, scope: 'org', provider: 'anthropic', label: 'Team Claude', hint: { prefix: 'sk-ant-', last4: apiKey.slice(-4) }, status: 'unverified' });
    expect(Object.keys(stored.body.secret).sort()).toEqual(
      ['baseUrl', 'createdAt', 'defaultModel', 'hint', 'id', 'label', 'lastUsedAt', 'lastVerifiedAt', 'provider', 'rotatedAt', 'scope', 'status', 'version'].sort(),
    );
    const row = harness.server.db.prepare('SELECT kek_id FROM org_secrets WHERE id = ?').get(stored.id) as { kek_id: string };
    expect(row.kek_id).toBe(harness.server.services.masterKek.kekId);

    const asMember = await harness.client.request<{ secrets: Record<string, unknown>[] }>('GET', '/v1/secrets', { token: member.accessToken });
    keep('member list', asMember);
    const summary = asMember.body.secrets.find((secret) => secret.id === stored.id);
    expect(summary).toEqual({ id: stored.id, scope: 'org', provider: 'anthropic', label: 'Team Claude', hint: { prefix: 'sk-ant-', last4: apiKey.slice(-4) } });
    const adminList = await harness.client.request('GET', '/v1/admin/org-secrets', { token: owner.accessToken });
    keep('admin list', adminList);

    const event = harness.admin().audit.listForOrg(owner.orgId, { limit: 1, action: 'org_key.stored' })[0];
    expect(event).toMatchObject({ actor: owner.userId, target: stored.id, provider: 'anthropic', detail: { label: 'Team Claude', hint: { prefix: 'sk-ant-' } } });

    const opened = await harness.admin().orgSecrets.open(owner.orgId, stored.id);
    expect(opened).toMatchObject({ secretId: stored.id, provider: 'anthropic', baseUrl: '', apiKey });
    await expect(harness.admin().orgSecrets.open(randomUUID(), stored.id)).rejects.toMatchObject({ code: 'not_found' });
  });

  it('rotates in place (200) with the same provider only', async () => {
    const first = await putOrgKey(harness, owner, { provider: 'openai', apiKey: canary.key('openai'), label: 'Shared OpenAI' });
    expect(first.status).toBe(201);
    const next = canary.key('openai');
    const rotated = await putOrgKey(harness, owner, { provider: 'openai', apiKey: next, id: first.id, label: 'Shared OpenAI' });
    keep('rotate', rotated);
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret.rotatedAt).toEqual(expect.any(String));
    expect((await harness.admin().orgSecrets.open(owner.orgId, first.id)).apiKey).toBe(next);
    // Each rotation is a new version; a caller that read the key before it is refused the new one.
    const current = (await harness.admin().orgSecrets.open(owner.orgId, first.id)).version;
    expect(await harness.admin().orgSecrets.open(owner.orgId, first.id, current)).toMatchObject({ version: current, apiKey: next });
    await expect(harness.admin().orgSecrets.open(owner.orgId, first.id, current - 1)).rejects.toMatchObject({ code: 'not_found' });
    const other = await putOrgKey(harness, owner, { provider: 'anthropic', apiKey: canary.key('anthropic'), id: first.id });
    keep('rotate other provider', other);
    expect(other.status).toBe(409);
    expect(harness.admin().audit.listForOrg(owner.orgId, { limit: 1, action: 'org_key.rotated' })[0]?.target).toBe(first.id);
    // An id a personal key already uses is taken.
    const personal = await harness.client.putKey(owner, { provider: 'groq', apiKey: canary.key('groq') });
    const clash = await putOrgKey(harness, owner, { provider: 'groq', apiKey: canary.key('groq'), id: personal.sent.secretId });
    keep('clash', clash);
    expect(clash.status).toBe(409);
  });

  it('checks the upload grant: path id, user, replay, expiry, format', async () => {
    const keySet = await harness.client.grantKeys();
    const id = randomUUID();
    const apiKey = canary.key('openai');
    const wrongSid = await putOrgKey(harness, owner, { provider: 'openai', apiKey, id, upload: await createOrgUploadGrant({ keySet, userId: owner.userId, secretId: randomUUID(), apiKey }) });
    const wrongUser = await putOrgKey(harness, owner, { provider: 'openai', apiKey, id, upload: await createOrgUploadGrant({ keySet, userId: member.userId, secretId: id, apiKey }) });
    const expired = await putOrgKey(harness, owner, {
      provider: 'openai',
      apiKey,
      id,
      upload: await createOrgUploadGrant({ keySet, userId: owner.userId, secretId: id, apiKey, now: Math.floor(Date.now() / 1000) - 3600 }),
    });
    const badFormat = await putOrgKey(harness, owner, { provider: 'openai', apiKey: `${canary.key('anthropic')} nope`, id });
    for (const response of [wrongSid, wrongUser, expired, badFormat]) keep('refused upload', response);
    expect((wrongSid.body as unknown as ErrorBody).error.code).toBe('grant_invalid');
    expect((wrongUser.body as unknown as ErrorBody).error.code).toBe('grant_invalid');
    expect(expired.status).toBe(401);
    expect((expired.body as unknown as ErrorBody).error.code).toBe('grant_expired');
    expect(badFormat.status).toBe(400);
    expect(harness.admin().orgSecretsStore.get(id)).toBeUndefined();

    const upload = await createOrgUploadGrant({ keySet, userId: owner.userId, secretId: id, apiKey });
    expect((await putOrgKey(harness, owner, { provider: 'openai', apiKey, id, upload })).status).toBe(201);
    const replay = await putOrgKey(harness, owner, { provider: 'openai', apiKey, id, upload });
    keep('replay', replay);
    expect(replay.status).toBe(409);
    expect((replay.body as unknown as ErrorBody).error.code).toBe('grant_replayed');
    expect(harness.admin().audit.listForOrg(owner.orgId, { limit: 1, action: 'grant.replayed' })[0]?.target).toBe(id);
  });

  it("needs a local provider's base URL in the policy's allowed base URLs", async () => {
    const baseUrl = 'http://10.0.0.7:8000/v1';
    const refused = await putOrgKey(harness, owner, { provider: 'vllm', apiKey: canary.key('vllm'), baseUrl });
    keep('vllm refused', refused);
    expect(refused.status).toBe(400);
    const policy = (await harness.client.request<{ policy: Record<string, unknown> }>('GET', '/v1/admin/policy', { token: owner.accessToken })).body.policy;
    const put = await harness.client.request('PUT', '/v1/admin/policy', { token: owner.accessToken, body: { policy: { ...policy, allowedBaseUrls: ['http://10.0.0.7:8000'] } } });
    expect(put.status).toBe(200);
    const apiKey = canary.key('vllm');
    const stored = await putOrgKey(harness, owner, { provider: 'vllm', apiKey, baseUrl });
    keep('vllm stored', stored);
    expect(stored.status).toBe(201);
    expect(stored.body.secret.baseUrl).toBe(baseUrl);
    // The base URL is bound into the seal: the key opens with it.
    expect(await harness.admin().orgSecrets.open(owner.orgId, stored.id)).toMatchObject({ baseUrl, apiKey });
    harness.server.db.prepare('UPDATE org_secrets SET base_url = ? WHERE id = ?').run('http://10.0.0.8:8000/v1', stored.id);
    await expect(harness.admin().orgSecrets.open(owner.orgId, stored.id)).rejects.toMatchObject({ code: 'internal' });
    harness.server.db.prepare('DELETE FROM org_secrets WHERE id = ?').run(stored.id);
  });

  it('deletes with an audit event; then the key is gone', async () => {
    const stored = await putOrgKey(harness, owner, { provider: 'mistral', apiKey: canary.key('mistral') });
    expect(stored.status).toBe(201);
    const deleted = await harness.client.request('DELETE', `/v1/admin/org-secrets/${stored.id}`, { token: owner.accessToken });
    expect(deleted.status).toBe(204);
    expect(harness.admin().audit.listForOrg(owner.orgId, { limit: 1, action: 'org_key.deleted' })[0]?.target).toBe(stored.id);
    expect((await harness.client.request('DELETE', `/v1/admin/org-secrets/${stored.id}`, { token: owner.accessToken })).status).toBe(404);
    await expect(harness.admin().orgSecrets.open(owner.orgId, stored.id)).rejects.toMatchObject({ code: 'not_found' });
  });

  it('rotates conditionally with If-Match: a stale version is 409 and leaves the key and the upload as they were', async () => {
    const stored = await putOrgKey(harness, owner, { provider: 'mistral', apiKey: canary.key('mistral') });
    const version = stored.body.secret.version as number;
    expect(stored.headers.get('etag')).toBe(`"${version}"`);
    const listed = await harness.client.request<{ secrets: Array<{ id: string; version: number }> }>('GET', '/v1/admin/org-secrets', { token: owner.accessToken });
    expect(listed.body.secrets.find((secret) => secret.id === stored.id)?.version).toBe(version);

    // Two admins rotate from the same version: the first wins, the second is told it changed.
    const firstKey = canary.key('mistral');
    const first = await putOrgKey(harness, owner, { provider: 'mistral', apiKey: firstKey, id: stored.id, ifMatch: `"${version}"` });
    expect(first.status).toBe(200);
    const next = first.body.secret.version as number;
    expect(next).toBeGreaterThan(version);
    expect(first.headers.get('etag')).toBe(`"${next}"`);
    const late = await putOrgKey(harness, owner, { provider: 'mistral', apiKey: canary.key('mistral'), id: stored.id, ifMatch: `"${version}"` });
    keep('stale if-match', late);
    expect(late.status).toBe(409);
    expect((late.body as unknown as ErrorBody).error).toEqual({ code: 'conflict', message: 'The key changed meanwhile (version mismatch).' });
    expect(await harness.admin().orgSecrets.open(owner.orgId, stored.id)).toMatchObject({ version: next, apiKey: firstKey });
    // Its upload grant was not used up: the same upload goes through once it names the current version.
    const retried = await putOrgKey(harness, owner, { provider: 'mistral', apiKey: '', id: stored.id, upload: late.upload, ifMatch: `W/"${next}"` });
    expect(retried.status).toBe(200);

    // If-Match for a key that is not there, and one that is not a version.
    const missing = await putOrgKey(harness, owner, { provider: 'mistral', apiKey: canary.key('mistral'), ifMatch: '"1"' });
    expect(missing.status).toBe(409);
    expect((missing.body as unknown as ErrorBody).error.message).toBe('The key no longer exists.');
    const malformed = await putOrgKey(harness, owner, { provider: 'mistral', apiKey: canary.key('mistral'), id: stored.id, ifMatch: '*' });
    expect(malformed.status).toBe(400);

    // DELETE takes If-Match too: an admin who saw an older version does not delete the rotated key.
    const current = (await harness.admin().orgSecrets.open(owner.orgId, stored.id)).version;
    const staleDelete = await harness.client.request<ErrorBody>('DELETE', `/v1/admin/org-secrets/${stored.id}`, { token: owner.accessToken, headers: { 'if-match': `"${version}"` } });
    expect(staleDelete.status).toBe(409);
    expect(staleDelete.body.error.code).toBe('conflict');
    expect((await harness.admin().orgSecrets.open(owner.orgId, stored.id)).version).toBe(current);
    const deleted = await harness.client.request('DELETE', `/v1/admin/org-secrets/${stored.id}`, { token: owner.accessToken, headers: { 'if-match': `"${current}"` } });
    expect(deleted.status).toBe(204);
  });

  it('never gives a version twice, not even to a key created again under a deleted key\'s id', async () => {
    const stored = await putOrgKey(harness, owner, { provider: 'groq', apiKey: canary.key('groq') });
    const before = (await harness.admin().orgSecrets.open(owner.orgId, stored.id)).version;
    expect((await harness.client.request('DELETE', `/v1/admin/org-secrets/${stored.id}`, { token: owner.accessToken })).status).toBe(204);
    const again = await putOrgKey(harness, owner, { provider: 'groq', apiKey: canary.key('groq'), id: stored.id });
    expect(again.status).toBe(201);
    // A route that listed the old key cannot open the new one under the old key's version.
    await expect(harness.admin().orgSecrets.open(owner.orgId, stored.id, before)).rejects.toMatchObject({ code: 'not_found' });
    expect((await harness.admin().orgSecrets.open(owner.orgId, stored.id)).version).toBeGreaterThan(before);
  });

  it("counts versions per organization: another organization's key writes do not show in the gap, and a verdict lands only on its own organization's key", async () => {
    const mine = await putOrgKey(harness, owner, { provider: 'openai', apiKey: canary.key('openai') });
    const before = mine.body.secret.version as number;
    const elsewhere = await createSecondOrg(harness, 'business', 'Neighbours');
    const theirs = await putOrgKey(harness, elsewhere.admin, { provider: 'openai', apiKey: canary.key('openai') });
    for (let rotation = 0; rotation < 3; rotation++) {
      expect((await putOrgKey(harness, elsewhere.admin, { provider: 'openai', apiKey: canary.key('openai'), id: theirs.id })).status).toBe(200);
    }
    const rotated = await putOrgKey(harness, owner, { provider: 'openai', apiKey: canary.key('openai'), id: mine.id, ifMatch: `"${before}"` });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret.version).toBe(before + 1);

    // The neighbours' key, at a version number our organization may reach too: a refusal recorded
    // for our organization does not mark it.
    const theirVersion = (await harness.admin().orgSecrets.open(elsewhere.orgId, theirs.id)).version;
    expect(new OrgSecretsStore(harness.server.db).setStatus(owner.orgId, theirs.id, 'invalid', null, theirVersion)).toBe(false);
    expect(harness.admin().orgSecrets.list(elsewhere.orgId).find((key) => key.id === theirs.id)?.status).toBe('unverified');
    expect(new OrgSecretsStore(harness.server.db).setStatus(elsewhere.orgId, theirs.id, 'invalid', null, theirVersion)).toBe(true);
    // Later tests count the keys of this file's two organizations.
    expect((await harness.client.request('DELETE', `/v1/admin/org-secrets/${theirs.id}`, { token: elsewhere.admin.accessToken })).status).toBe(204);
  });

  it('master-key rotation re-wraps every organization key, and each still opens', async () => {
    const second = await createSecondOrg(harness, 'business_api');
    await putOrgKey(harness, second.admin, { provider: 'google', apiKey: canary.key('google') });
    const expected = new Map<string, string>();
    for (const orgId of [owner.orgId, second.orgId]) {
      for (const key of harness.admin().orgSecrets.list(orgId)) expected.set(`${orgId}|${key.id}`, (await harness.admin().orgSecrets.open(orgId, key.id)).apiKey);
    }
    expect(expected.size).toBeGreaterThanOrEqual(4);
    const oldKekId = harness.server.services.masterKek.kekId;
    const oldFile = readFileSync(join(dataDir, 'master.key'), 'utf8');
    // The server keeps its KEK in memory: rotate with it stopped, then start it again.
    await harness.server.close();
    const db = openDatabase(dataDir);
    try {
      const deps = { db, secrets: new OrgSecretsStore(db), orgs: new OrgAdminStore(db), audit: new AuditService(db) };
      const result = await rotateMasterKey(deps, { dataDir }, CLI_ACTOR);
      expect(result).toMatchObject({ mode: 'file', rewrapped: expected.size, from: [oldKekId] });
    } finally {
      db.close();
    }
    expect(readFileSync(join(dataDir, 'master.key'), 'utf8')).not.toBe(oldFile);
    expect(existsSync(join(dataDir, `master.key.${oldKekId}`))).toBe(false);
    expect(existsSync(join(dataDir, 'master.key.pending'))).toBe(false);

    harness = await startAdminTestServer({ dataDir });
    expect(harness.server.services.masterKek.kekId).not.toBe(oldKekId);
    for (const [where, apiKey] of expected) {
      const [orgId = '', id = ''] = where.split('|');
      expect((await harness.admin().orgSecrets.open(orgId, id)).apiKey).toBe(apiKey);
    }
    const rows = harness.server.db.prepare('SELECT DISTINCT kek_id FROM org_secrets').all() as { kek_id: string }[];
    expect(rows).toEqual([{ kek_id: harness.server.services.masterKek.kekId }]);
    for (const orgId of [owner.orgId, second.orgId]) {
      expect(harness.server.services.audit.verifyChain(orgId).ok).toBe(true);
      expect(harness.admin().audit.listForOrg(orgId, { limit: 1, action: 'master_key.rotated' })[0]?.actor).toBe('cli');
    }
  });

  it('no key appears in any response, log line or file of the data directory', async () => {
    expect(canary.secrets.length).toBeGreaterThan(5);
    const haystacks: Haystack[] = [...responses, { name: 'logs', content: harness.server.logs.join('\n') }];
    harness.server.db.pragma('wal_checkpoint(PASSIVE)');
    haystacks.push(...(await filesBelow(dataDir)));
    canary.assertClean(haystacks);
  });
});
