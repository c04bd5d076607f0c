// Members, roles and access over HTTP: every admin route refuses members; an admin of one
// organization sees nothing of another; role rules (one owner at least, admins cannot make or
// touch owners); removing a member deletes their keys and ends their sessions.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestUser } from '../../testing/client';
import { createSecondOrg, putOrgKey, setPlan, startAdminTestServer } from './admin-test-support';
import type { AdminHarness } from './admin-test-support';

type ErrorBody = { error: { code: string; message: string } };
type Member = { id: string; email: string; role: string };

const OPENAI_KEY = 'sk-proj-AAAAbbbbCCCCddddEEEEffff0201';

describe('members and admin access', () => {
  let harness: AdminHarness;
  let owner: TestUser;
  let admin: TestUser;
  let member: TestUser;

  beforeAll(async () => {
    harness = await startAdminTestServer({ defaultPlan: 'business' });
    owner = await harness.client.register();
    admin = await harness.client.register({ inviteCode: await harness.client.invite(owner, 'admin') });
    member = await harness.client.register({ inviteCode: await harness.client.invite(owner, 'member') });
  });
  afterAll(() => harness.server.close());

  const someId = randomUUID();
  const ADMIN_ROUTES: [string, string, unknown?][] = [
    ['GET', '/v1/admin/policy'],
    ['PUT', '/v1/admin/policy', { policy: {} }],
    ['GET', '/v1/admin/members'],
    ['PATCH', `/v1/admin/members/${someId}`, { role: 'admin' }],
    ['DELETE', `/v1/admin/members/${someId}`],
    ['POST', '/v1/admin/invites', { role: 'member' }],
    ['GET', '/v1/admin/org-secrets'],
    ['PUT', `/v1/admin/org-secrets/${someId}`, { provider: 'openai', label: 'x', upload: 'x' }],
    ['DELETE', `/v1/admin/org-secrets/${someId}`],
    ['GET', '/v1/admin/usage'],
    ['GET', '/v1/admin/usage?groupBy=member'],
    ['GET', '/v1/admin/audit'],
    ['GET', '/v1/admin/audit/verify'],
  ];

  it('refuses every admin route to members (403) and to anonymous callers (401)', async () => {
    for (const [method, path, body] of ADMIN_ROUTES) {
      const asMember = await harness.client.request<ErrorBody>(method, path, { token: member.accessToken, ...(body === undefined ? {} : { body }) });
      expect([method, path, asMember.status, asMember.body.error?.code]).toEqual([method, path, 403, 'forbidden']);
      const anonymous = await harness.client.request<ErrorBody>(method, path, body === undefined ? {} : { body });
      expect([method, path, anonymous.status]).toEqual([method, path, 401]);
    }
  });

  it('lets owners and admins reach every admin read route', async () => {
    for (const user of [owner, admin]) {
      for (const path of ['/v1/admin/policy', '/v1/admin/members', '/v1/admin/org-secrets', '/v1/admin/usage', '/v1/admin/audit', '/v1/admin/audit/verify']) {
        const response = await harness.client.request('GET', path, { token: user.accessToken });
        expect([path, response.status]).toEqual([path, 200]);
      }
    }
  });

  it('lists members with roles', async () => {
    const response = await harness.client.request<{ members: Member[] }>('GET', '/v1/admin/members', { token: admin.accessToken });
    const roles = Object.fromEntries(response.body.members.map((m) => [m.id, m.role]));
    expect(roles).toEqual({ [owner.userId]: 'owner', [admin.userId]: 'admin', [member.userId]: 'member' });
    expect(response.text).not.toContain('auth_hash');
    expect(response.text).not.toContain('authHash');
  });

  it('enforces the role rules', async () => {
    const patch = (by: TestUser, id: string, role: string) =>
      harness.client.request<ErrorBody & { member: Member }>('PATCH', `/v1/admin/members/${id}`, { token: by.accessToken, body: { role } });
    // Admins cannot make owners nor change an owner.
    expect((await patch(admin, member.userId, 'owner')).status).toBe(403);
    expect((await patch(admin, owner.userId, 'member')).status).toBe(403);
    // The last owner cannot step down.
    const last = await patch(owner, owner.userId, 'admin');
    expect(last.status).toBe(409);
    expect(last.body.error.code).toBe('conflict');
    // Admins may change members; the change applies to the member's next request.
    const promoted = await patch(admin, member.userId, 'admin');
    expect(promoted.status).toBe(200);
    expect(promoted.body.member.role).toBe('admin');
    expect((await harness.client.request('GET', '/v1/admin/members', { token: member.accessToken })).status).toBe(200);
    expect((await patch(admin, member.userId, 'member')).status).toBe(200);
    expect((await harness.client.request('GET', '/v1/admin/members', { token: member.accessToken })).status).toBe(403);
    // An owner can make a second owner, and then step down.
    expect((await patch(owner, admin.userId, 'owner')).status).toBe(200);
    expect((await patch(owner, owner.userId, 'admin')).status).toBe(200);
    expect((await patch(admin, owner.userId, 'owner')).status).toBe(200);
    expect((await patch(owner, admin.userId, 'admin')).status).toBe(200);
    // Bad role, unknown id.
    expect((await patch(owner, member.userId, 'root')).status).toBe(400);
    expect((await patch(owner, randomUUID(), 'member')).status).toBe(404);
    const events = harness.admin().audit.listForOrg(owner.orgId, { limit: 20, action: 'member.role_changed' });
    expect(events[0]?.detail).toMatchObject({ from: 'owner', to: 'admin' });
  });

  it('an admin of one organization sees nothing of another', async () => {
    const second = await createSecondOrg(harness, 'business');
    const stranger = second.admin;
    await putOrgKey(harness, owner, { provider: 'openai', apiKey: OPENAI_KEY, label: 'First org key' });
    const theirs = await putOrgKey(harness, stranger, { provider: 'openai', apiKey: OPENAI_KEY, label: 'Second org key' });
    expect(theirs.status).toBe(201);

    const members = await harness.client.request<{ members: Member[] }>('GET', '/v1/admin/members', { token: stranger.accessToken });
    expect(members.body.members.map((m) => m.id)).toEqual([stranger.userId]);
    const secrets = await harness.client.request<{ secrets: { label: string }[] }>('GET', '/v1/admin/org-secrets', { token: stranger.accessToken });
    expect(secrets.body.secrets.map((s) => s.label)).toEqual(['Second org key']);
    const audit = await harness.client.request<{ events: { actor: string; target: string }[] }>('GET', '/v1/admin/audit?limit=500', { token: stranger.accessToken });
    const ours = new Set([owner.userId, admin.userId, member.userId, owner.orgId]);
    expect(audit.body.events.length).toBeGreaterThan(0);
    for (const event of audit.body.events) {
      expect(ours.has(event.actor)).toBe(false);
      expect(ours.has(event.target)).toBe(false);
    }
    const verify = await harness.client.request<{ ok: boolean; events: number }>('GET', '/v1/admin/audit/verify', { token: stranger.accessToken });
    expect(verify.body).toEqual({ ok: true, events: audit.body.events.length });

    // Acting on the other organization's ids is "not found", and changes nothing.
    const patch = await harness.client.request('PATCH', `/v1/admin/members/${member.userId}`, { token: stranger.accessToken, body: { role: 'admin' } });
    expect(patch.status).toBe(404);
    expect((await harness.client.request('DELETE', `/v1/admin/members/${owner.userId}`, { token: stranger.accessToken })).status).toBe(404);
    const steal = await putOrgKey(harness, stranger, { provider: 'openai', apiKey: OPENAI_KEY, id: theirs.id });
    expect(steal.status).toBe(200);
    const ownKeys = await harness.client.request<{ secrets: { id: string }[] }>('GET', '/v1/admin/org-secrets', { token: owner.accessToken });
    const firstKeyId = ownKeys.body.secrets[0]?.id ?? '';
    expect((await harness.client.request('DELETE', `/v1/admin/org-secrets/${firstKeyId}`, { token: stranger.accessToken })).status).toBe(404);
    const overwrite = await putOrgKey(harness, stranger, { provider: 'openai', apiKey: OPENAI_KEY, id: firstKeyId });
    expect(overwrite.status).toBe(404);
    expect(harness.admin().orgSecretsStore.getInOrg(owner.orgId, firstKeyId)?.label).toBe('First org key');
    // Their policy change does not touch ours.
    const policy = (await harness.client.request<{ policy: { platformFallback: string } }>('GET', '/v1/admin/policy', { token: stranger.accessToken })).body.policy;
    await harness.client.request('PUT', '/v1/admin/policy', { token: stranger.accessToken, body: { policy: { ...policy, platformFallback: 'never' } } });
    const mine = await harness.client.request<{ policy: { platformFallback: string } }>('GET', '/v1/admin/policy', { token: owner.accessToken });
    expect(mine.body.policy.platformFallback).toBe('auto');
    // Their invites bring people into their organization only.
    const invited = await harness.client.register({ inviteCode: await harness.client.invite(stranger, 'member') });
    expect(invited.orgId).toBe(second.orgId);
  });

  it('removing a member deletes their keys and revokes their sessions', async () => {
    await setPlan(harness, owner.orgId, 'pro');
    const leaving = await harness.client.register({ inviteCode: await harness.client.invite(owner, 'member') });
    const key = await harness.client.putKey(leaving, { provider: 'openai', apiKey: OPENAI_KEY });
    expect(key.status).toBe(201);
    // Admins cannot remove owners; nobody removes the last owner.
    expect((await harness.client.request('DELETE', `/v1/admin/members/${owner.userId}`, { token: admin.accessToken })).status).toBe(403);
    expect((await harness.client.request('DELETE', `/v1/admin/members/${owner.userId}`, { token: owner.accessToken })).status).toBe(409);

    const removed = await harness.client.request('DELETE', `/v1/admin/members/${leaving.userId}`, { token: admin.accessToken });
    expect(removed.status).toBe(204);
    expect(harness.server.services.secretsStore.get(key.sent.secretId)).toBeUndefined();
    expect((await harness.client.request('GET', '/v1/secrets', { token: leaving.accessToken })).status).toBe(401);
    expect((await harness.client.refresh(leaving)).status).toBe(401);
    expect((await harness.client.login(leaving)).status).toBe(401);
    const event = harness.admin().audit.listForOrg(owner.orgId, { limit: 1, action: 'member.removed' })[0];
    expect(event).toMatchObject({ actor: admin.userId, target: leaving.userId, detail: { keysDeleted: 1, role: 'member' } });
    expect((await harness.client.request('DELETE', `/v1/admin/members/${leaving.userId}`, { token: admin.accessToken })).status).toBe(404);
  });

  it('invites are single use, expire, and carry their role', async () => {
    const code = await harness.client.invite(admin, 'admin', 1);
    const joined = await harness.client.register({ inviteCode: code });
    expect(joined.role).toBe('admin');
    expect((await harness.client.tryRegister({ inviteCode: code })).status).toBe(403);
    const expired = harness.admin().invites.create(owner.orgId, { kind: 'cli' }, { role: 'member', expiresInHours: 1 });
    harness.server.db.prepare("UPDATE invites SET expires_at = '2000-01-01T00:00:00.000Z' WHERE used_at IS NULL").run();
    expect((await harness.client.tryRegister({ inviteCode: expired.code })).status).toBe(403);
    const owners = await harness.client.request<ErrorBody>('POST', '/v1/admin/invites', { token: owner.accessToken, body: { role: 'owner' } });
    expect(owners.status).toBe(400);
    const invited = harness.admin().audit.listForOrg(owner.orgId, { limit: 1, action: 'member.invited', actor: 'cli' })[0];
    expect(invited?.detail).toMatchObject({ role: 'member' });
  });
});
