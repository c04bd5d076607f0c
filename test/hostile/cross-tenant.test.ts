// Cross-tenant sweep: two organizations with two users each (an admin and a member), every user
// with a personal key, usage and audit events, every organization with an organization key. Each
// user aims every endpoint that takes an id (path, body or query) at every other user's and the
// other organization's ids: the answer is not_found or forbidden (409 conflict for a reorder that
// names foreign ids), never their data; afterwards nothing of theirs changed; the leak canary last.
import { randomUUID } from 'node:crypto';
import { createOrgUploadGrant } from '@byok/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiResponse, TestUser } from '../../server/src/testing/client';
import { snapshot, startWorld, unstableAnswer, type Org, type Tenant, type World, storedKeyOf } from './world';

let world: World;
let tenants: Array<{ org: Org; tenant: Tenant; role: 'admin' | 'member' }>;
let initial: Record<string, string>;

beforeAll(async () => {
  world = await startWorld();
  tenants = [world.a, world.b].flatMap((org) => [
    { org, tenant: org.admin, role: 'admin' as const },
    { org, tenant: org.member, role: 'member' as const },
  ]);
  // Usage rows for everyone (the builtin provider answers without any key).
  for (const { tenant } of tenants) {
    const enriched = await world.request('POST', '/v1/enrich', {
      token: tenant.user.accessToken,
      body: { task: 'summary', provider: 'builtin', input: { kind: 'selection', text: `Notes of ${tenant.label}. Ada Lovelace met Charles Babbage.` }, grants: [] },
    });
    expect(enriched.status, enriched.text).toBe(200);
  }
  initial = snapshot(world.harness);
}, 120_000);

afterAll(async () => {
  await world.assertNoLeaks();
  await world.close();
});

/** What of `victim` must never appear in an answer to someone else. */
function victimMarks(victim: Tenant): string[] {
  return [victim.label, victim.user.email, `Notes of ${victim.label}`];
}

function expectRefused(response: ApiResponse, allowed: number[], what: string, marks: string[]): void {
  expect(allowed, `${what}: ${response.status} ${response.text.slice(0, 160)}`).toContain(response.status);
  expect(unstableAnswer(response, []), what).toBeNull();
  for (const mark of marks) expect(response.text.includes(mark), `${what} leaked ${mark}`).toBe(false);
}

describe('every endpoint with an id, aimed at other tenants', () => {
  it('personal keys: PUT, PATCH, DELETE, verify and order on another user\'s key id', async () => {
    for (const attacker of tenants) {
      for (const victim of tenants) {
        if (victim === attacker) continue;
        const token = attacker.tenant.user.accessToken;
        const id = victim.tenant.secretId;
        const marks = victimMarks(victim.tenant);
        const what = (route: string) => `${attacker.tenant.label} -> ${victim.tenant.label}: ${route}`;

        // A well-formed rotation body, sealed by the attacker for that id (they cannot do better).
        const sealed = await world.client.seal(attacker.tenant.user, { provider: 'openai', apiKey: world.canary.key('openai'), secretId: id });
        const put = await world.request('PUT', `/v1/secrets/${id}`, {
          token,
          body: { provider: 'openai', label: 'pwned', hint: sealed.hint, sealed: sealed.sealed },
        });
        expectRefused(put, [404, 403], what('PUT /v1/secrets/:id'), marks);
        expectRefused(await world.request('PATCH', `/v1/secrets/${id}`, { token, body: { label: 'pwned' } }), [404, 403], what('PATCH /v1/secrets/:id'), marks);
        expectRefused(await world.request('DELETE', `/v1/secrets/${id}`, { token }), [404, 403], what('DELETE /v1/secrets/:id'), marks);

        // The attacker's own, valid verify grant, pointed at the victim's id.
        const grant = await world.client.grant(attacker.tenant.user, attacker.tenant.secretId, { purpose: 'verify' });
        const verify = await world.request('POST', `/v1/secrets/${id}/verify`, { token, body: { grant } });
        expectRefused(verify, [404, 403, 400], what('POST /v1/secrets/:id/verify'), marks);
        if (verify.status === 400) expect(verify.text).toContain('grant_invalid');

        const order = await world.request('PUT', '/v1/secrets/order', { token, body: { ids: [attacker.tenant.secretId, id] } });
        expectRefused(order, [404, 403, 409], what('PUT /v1/secrets/order'), marks);
      }
    }
  });

  it('members: PATCH and DELETE another organization\'s users (and members cannot touch anyone)', async () => {
    for (const attacker of tenants) {
      for (const victim of tenants) {
        if (victim === attacker) continue;
        // An admin managing a member of their own organization is the feature, not an attack.
        if (attacker.role === 'admin' && victim.org === attacker.org) continue;
        const token = attacker.tenant.user.accessToken;
        const marks = victimMarks(victim.tenant);
        const what = (route: string) => `${attacker.tenant.label} -> ${victim.tenant.label}: ${route}`;
        expectRefused(await world.request('PATCH', `/v1/admin/members/${victim.tenant.user.userId}`, { token, body: { role: 'admin' } }), [404, 403], what('PATCH member'), marks);
        expectRefused(await world.request('DELETE', `/v1/admin/members/${victim.tenant.user.userId}`, { token }), [404, 403], what('DELETE member'), marks);
      }
    }
  });

  it('organization keys: PUT and DELETE the other organization\'s key id', async () => {
    const keySet = await world.client.grantKeys();
    for (const attacker of tenants) {
      for (const victimOrg of [world.a, world.b]) {
        if (victimOrg === attacker.org && attacker.role === 'admin') continue;
        const token = attacker.tenant.user.accessToken;
        const id = victimOrg.orgSecretId;
        const what = (route: string) => `${attacker.tenant.label} -> org key of ${victimOrg.orgId}: ${route}`;
        const upload = await createOrgUploadGrant({ keySet, userId: attacker.tenant.user.userId, secretId: id, apiKey: world.canary.key('anthropic') });
        const put = await world.request('PUT', `/v1/admin/org-secrets/${id}`, { token, body: { provider: 'anthropic', label: 'pwned', upload } });
        expectRefused(put, [404, 403], what('PUT org-secret'), [victimOrg.admin.label]);
        expectRefused(await world.request('DELETE', `/v1/admin/org-secrets/${id}`, { token }), [404, 403], what('DELETE org-secret'), [victimOrg.admin.label]);
      }
    }
  });

  it('queries naming another tenant: admin usage by userId, audit by actor and before', async () => {
    for (const attacker of tenants.filter((t) => t.role === 'admin')) {
      const token = attacker.tenant.user.accessToken;
      for (const victim of tenants.filter((t) => t.org !== attacker.org)) {
        const marks = [...victimMarks(victim.tenant), victim.tenant.user.userId, victim.tenant.secretId];
        const usage = await world.request<{ totals: { calls: number }; recent: unknown[] }>('GET', `/v1/admin/usage?userId=${victim.tenant.user.userId}&groupBy=member`, { token });
        expect(usage.status).toBe(200);
        expect(usage.body.totals.calls).toBe(0);
        expect(usage.body.recent).toEqual([]);
        for (const mark of marks) expect(usage.text.includes(mark)).toBe(false);
        const audit = await world.request<{ events: unknown[] }>('GET', `/v1/admin/audit?actor=${victim.tenant.user.userId}`, { token });
        expect(audit.status).toBe(200);
        expect(audit.body.events).toEqual([]);
      }
      // The other organization's audit listing never shows through `before` paging either.
      const all = await world.request<{ events: Array<{ id: number; actor: string; target: string }> }>('GET', '/v1/admin/audit?limit=500', { token });
      const foreign = tenants.filter((t) => t.org !== attacker.org).flatMap((t) => [t.tenant.user.userId, t.tenant.secretId, t.org.orgSecretId]);
      for (const event of all.body.events) expect(foreign.includes(event.actor) || foreign.includes(event.target)).toBe(false);
    }
    for (const attacker of tenants) {
      const own = await world.request<{ events: Array<{ actor: string }> }>('GET', '/v1/audit?limit=500&before=9007199254740991', { token: attacker.tenant.user.accessToken });
      expect(own.status).toBe(200);
      for (const event of own.body.events) expect(event.actor).toBe(attacker.tenant.user.userId);
      // A member's usage is exactly their own rows: every tenant has at least one (beforeAll), so a
      // listing that took in another's would show more calls and foreign row ids.
      const usage = await world.request<{ totals: { calls: number }; recent: Array<{ id: string }> }>('GET', '/v1/usage?from=2000-01-01&to=2100-01-01', { token: attacker.tenant.user.accessToken });
      expect(usage.status).toBe(200);
      const ownRows = world.harness.server.db.prepare('SELECT id FROM usage_events WHERE user_id = ?').all(attacker.tenant.user.userId) as Array<{ id: string }>;
      expect(ownRows.length).toBeGreaterThan(0);
      expect(usage.body.totals.calls).toBe(ownRows.length);
      const ownIds = new Set(ownRows.map((row) => row.id));
      for (const row of usage.body.recent) expect(ownIds.has(row.id)).toBe(true);
      const csv = await world.request('GET', '/v1/usage.csv?from=2000-01-01&to=2100-01-01', { token: attacker.tenant.user.accessToken });
      expect(csv.text.trim().split('\r\n').slice(1).map((line) => line.split(',')[0]).sort()).toEqual([...ownIds].sort());
    }
  });

  it('listings show only the caller\'s own keys and their own organization\'s keys', async () => {
    for (const viewer of tenants) {
      const list = await world.request<{ secrets: Array<{ id: string; scope: string }> }>('GET', '/v1/secrets', { token: viewer.tenant.user.accessToken });
      expect(list.status).toBe(200);
      const allowed = new Set([viewer.tenant.secretId, viewer.org.orgSecretId]);
      for (const secret of list.body.secrets) expect(allowed.has(secret.id), `${viewer.tenant.label} sees ${secret.scope} key`).toBe(true);
      for (const other of tenants.filter((t) => t !== viewer)) expect(list.text.includes(other.tenant.label)).toBe(false);
      if (viewer.role === 'admin') {
        const orgKeys = await world.request<{ secrets: Array<{ id: string }> }>('GET', '/v1/admin/org-secrets', { token: viewer.tenant.user.accessToken });
        expect(orgKeys.status).toBe(200);
        expect(orgKeys.body.secrets.map((secret) => secret.id)).toEqual([viewer.org.orgSecretId]);
        const members = await world.request<{ members: Array<{ id: string }> }>('GET', '/v1/admin/members', { token: viewer.tenant.user.accessToken });
        const own = tenants.filter((t) => t.org === viewer.org).map((t) => t.tenant.user.userId);
        for (const member of members.body.members) expect(own).toContain(member.id);
      }
    }
  });

  it('members get forbidden on every admin route, and a random id is not_found for admins', async () => {
    for (const attacker of tenants.filter((t) => t.role === 'member')) {
      const token = attacker.tenant.user.accessToken;
      for (const [method, path] of [
        ['GET', '/v1/admin/policy'],
        ['GET', '/v1/admin/members'],
        ['GET', '/v1/admin/usage'],
        ['GET', '/v1/admin/audit'],
        ['GET', '/v1/admin/audit/verify'],
        ['POST', '/v1/admin/invites'],
      ] as const) {
        const response = await world.request(method, path, { token, ...(method === 'POST' ? { body: { role: 'admin' } } : {}) });
        expectRefused(response, [403], `${attacker.tenant.label}: ${method} ${path}`, []);
      }
    }
    const admin: TestUser = world.a.admin.user;
    expectRefused(await world.request('DELETE', `/v1/admin/members/${randomUUID()}`, { token: admin.accessToken }), [404], 'random member id', []);
    expectRefused(await world.request('DELETE', `/v1/admin/org-secrets/${randomUUID()}`, { token: admin.accessToken }), [404], 'random org key id', []);
  });

  it('left every tenant\'s stored data exactly as it was', async () => {
    // Every refusal above left accounts, keys (ciphertext included), org keys, invites, families
    // and the audit chain byte for byte as they were before the sweep.
    expect(snapshot(world.harness)).toEqual(initial);
    for (const { tenant } of tenants) {
      const list = await world.request<{ secrets: Array<{ id: string; label: string }> }>('GET', '/v1/secrets', { token: tenant.user.accessToken });
      expect(list.body.secrets.find((secret) => secret.id === tenant.secretId)?.label).toBe(tenant.label);
      expect(await storedKeyOf(world, tenant)).toBe(tenant.apiKey);
    }
    for (const org of [world.a, world.b]) {
      const orgKeys = world.harness.server.db.prepare('SELECT id FROM org_secrets WHERE org_id = ?').all(org.orgId) as Array<{ id: string }>;
      expect(orgKeys.map((row) => row.id)).toContain(org.orgSecretId);
      expect(world.harness.server.services.audit.verifyChain(org.orgId)).toMatchObject({ ok: true });
    }
    const roles = world.harness.server.db.prepare('SELECT id, role FROM users').all() as Array<{ id: string; role: string }>;
    for (const { tenant, role } of tenants) expect(roles.find((row) => row.id === tenant.user.userId)?.role).toBe(role === 'admin' ? (tenant === world.a.admin ? 'owner' : 'admin') : 'member');
  });
});
