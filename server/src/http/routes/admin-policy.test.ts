// Plans and policy through the HTTP API: each plan's limits, clamping after a plan change, the
// whole-policy PUT with its plan_limit refusals and its audited diff, and providers switched off
// and on again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPolicy } from '@byok/shared/plans/policy';
import type { Policy } from '@byok/shared/plans/policy';
import type { PlanId } from '@byok/shared/plans/plans';
import type { TestUser } from '../../testing/client';
import { putOrgKey, setPlan, startAdminTestServer } from './admin-test-support';
import type { AdminHarness } from './admin-test-support';

type ErrorBody = { error: { code: string; message: string } };

const OPENAI_KEY = 'sk-proj-AAAAbbbbCCCCddddEEEEffff0101';
const ANTHROPIC_KEY = 'sk-ant-AAAAbbbbCCCCddddEEEEffff0102';
const GROQ_KEY = 'gsk_AAAAbbbbCCCCddddEEEEffff0103';

function withChanges(base: Policy, change: (policy: Policy) => void): Policy {
  const copy = structuredClone(base);
  change(copy);
  return copy;
}

describe('plans and policy over HTTP', () => {
  let harness: AdminHarness;
  let owner: TestUser;
  let member: TestUser;

  beforeAll(async () => {
    harness = await startAdminTestServer({ defaultPlan: 'pro' });
    owner = await harness.client.register();
    member = await harness.client.register({ inviteCode: await harness.client.invite(owner, 'member') });
  });
  afterAll(() => harness.server.close());

  async function usePlan(plan: PlanId): Promise<void> {
    await setPlan(harness, owner.orgId, plan);
    // Start each plan from its own defaults.
    harness.admin().orgStore.setPolicy(owner.orgId, null);
    for (const user of [owner, member]) {
      for (const id of harness.server.services.secretsStore.listIdsForUser(user.userId)) harness.server.db.prepare('DELETE FROM secrets WHERE id = ?').run(id);
    }
  }

  async function getPolicy(user: TestUser = owner): Promise<Policy> {
    const response = await harness.client.request<{ policy: Policy }>('GET', '/v1/admin/policy', { token: user.accessToken });
    expect(response.status).toBe(200);
    return response.body.policy;
  }

  async function putPolicy(policy: Policy, user: TestUser = owner) {
    return harness.client.request<{ policy: Policy } & ErrorBody>('PUT', '/v1/admin/policy', { token: user.accessToken, body: { policy } });
  }

  it('trial: no personal keys, no BYOK in the policy, no order, no org keys', async () => {
    await usePlan('trial');
    const policy = await getPolicy();
    expect(policy).toEqual(defaultPolicy('trial'));
    expect(policy.byokEnabled).toBe(false);
    const me = await harness.client.request<{ policy: Policy }>('GET', '/v1/me', { token: member.accessToken });
    expect(me.body.policy).toEqual(policy);

    const put = await harness.client.putKey(member, { provider: 'openai', apiKey: OPENAI_KEY });
    expect(put.status).toBe(403);
    expect((put.body as unknown as ErrorBody).error.code).toBe('plan_limit');
    expect((put.body as unknown as ErrorBody).error.message).toMatch(/Private/);

    const enable = await putPolicy(withChanges(policy, (p) => (p.byokEnabled = true)));
    expect(enable.status).toBe(403);
    expect(enable.body.error.code).toBe('plan_limit');
    expect(enable.body.error.message).toContain('byokEnabled');
    expect(enable.body.error.message).toContain('trial');
    expect(enable.body.error.message).toContain('private');

    const quota = await putPolicy(withChanges(policy, (p) => (p.platformQuota.monthlyCalls = 51)));
    expect(quota.status).toBe(403);
    expect(quota.body.error.message).toContain('platformQuota.monthlyCalls');
    // At the plan's value exactly it is accepted.
    expect((await putPolicy(withChanges(policy, (p) => (p.platformQuota.monthlyCalls = 50)))).status).toBe(200);
    // Unlimited is beyond every plan.
    const unlimited = await putPolicy(withChanges(policy, (p) => (p.platformQuota.monthlyCostMicros = null)));
    expect(unlimited.status).toBe(403);
    expect(unlimited.body.error.message).toContain('no plan allows this');

    const orgKey = await putOrgKey(harness, owner, { provider: 'openai', apiKey: OPENAI_KEY });
    expect(orgKey.status).toBe(403);
    expect((orgKey.body as unknown as ErrorBody).error.code).toBe('plan_limit');
    expect((orgKey.body as unknown as ErrorBody).error.message).toMatch(/Business/);
  });

  it('private: one provider at a time, no provider order', async () => {
    await usePlan('private');
    const policy = await getPolicy();
    expect(policy.personalProviderLimit).toBe(1);
    expect(policy.providerOrder).toBe(false);
    const first = await harness.client.putKey(member, { provider: 'openai', apiKey: OPENAI_KEY });
    expect(first.status).toBe(201);
    // A second key for the same provider is fine; a second provider is not.
    expect((await harness.client.putKey(member, { provider: 'openai', apiKey: OPENAI_KEY })).status).toBe(201);
    const second = await harness.client.putKey(member, { provider: 'anthropic', apiKey: ANTHROPIC_KEY });
    expect(second.status).toBe(403);
    const error = (second.body as unknown as ErrorBody).error;
    expect(error.code).toBe('plan_limit');
    expect(error.message).toMatch(/Pro/);

    const order = await putPolicy(withChanges(policy, (p) => (p.providerOrder = true)));
    expect(order.status).toBe(403);
    expect(order.body.error.message).toContain('providerOrder');
    expect(order.body.error.message).toContain('pro');
    const limit = await putPolicy(withChanges(policy, (p) => (p.personalProviderLimit = 2)));
    expect(limit.status).toBe(403);
    expect(limit.body.error.message).toContain('personalProviderLimit');

    const ids = harness.server.services.secretsStore.listIdsForUser(member.userId);
    const reorder = await harness.client.request<ErrorBody>('PUT', '/v1/secrets/order', { token: member.accessToken, body: { ids } });
    expect(reorder.status).toBe(403);
    expect(reorder.body.error.code).toBe('plan_limit');
  });

  it('pro: unlimited providers and order, but no organization keys', async () => {
    await usePlan('pro');
    expect((await harness.client.putKey(member, { provider: 'openai', apiKey: OPENAI_KEY })).status).toBe(201);
    expect((await harness.client.putKey(member, { provider: 'anthropic', apiKey: ANTHROPIC_KEY })).status).toBe(201);
    expect((await harness.client.putKey(member, { provider: 'groq', apiKey: GROQ_KEY })).status).toBe(201);
    const ids = harness.server.services.secretsStore.listIdsForUser(member.userId).reverse();
    expect((await harness.client.request('PUT', '/v1/secrets/order', { token: member.accessToken, body: { ids } })).status).toBe(200);
    const orgKey = await putOrgKey(harness, owner, { provider: 'openai', apiKey: OPENAI_KEY });
    expect(orgKey.status).toBe(403);
    expect((orgKey.body as unknown as ErrorBody).error.message).toMatch(/Business plan/);
    // An admin may tighten within the plan: at most two providers.
    const policy = await getPolicy();
    expect((await putPolicy(withChanges(policy, (p) => (p.personalProviderLimit = 2)))).status).toBe(200);
    const fourth = await harness.client.putKey(owner, { provider: 'openai', apiKey: OPENAI_KEY });
    expect(fourth.status).toBe(201);
    expect((await harness.client.putKey(owner, { provider: 'anthropic', apiKey: ANTHROPIC_KEY })).status).toBe(201);
    const third = await harness.client.putKey(owner, { provider: 'groq', apiKey: GROQ_KEY });
    expect(third.status).toBe(403);
    expect((third.body as unknown as ErrorBody).error.code).toBe('plan_limit');
  });

  it('business and business_api: organization keys and their larger quotas', async () => {
    for (const plan of ['business', 'business_api'] as const) {
      await usePlan(plan);
      const stored = await putOrgKey(harness, owner, { provider: 'openai', apiKey: OPENAI_KEY });
      expect(stored.status).toBe(201);
      const policy = await getPolicy();
      expect(policy.platformQuota).toEqual(defaultPolicy(plan).platformQuota);
      expect((await putPolicy(withChanges(policy, (p) => (p.platformQuota.monthlyCalls = (p.platformQuota.monthlyCalls ?? 0) + 1)))).status).toBe(403);
    }
  });

  it('clamps a stored policy to a lower plan on read, and GET /v1/me agrees', async () => {
    await usePlan('business');
    const generous = withChanges(await getPolicy(), (p) => {
      p.platformQuota = { monthlyCalls: 9_000, monthlyCostMicros: 90_000_000 };
      p.providerOrder = true;
      p.personalProviderLimit = null;
      p.maxKeyAgeDays = 30;
    });
    expect((await putPolicy(generous)).status).toBe(200);
    await setPlan(harness, owner.orgId, 'private');
    const clamped = await getPolicy();
    expect(clamped.providerOrder).toBe(false);
    expect(clamped.personalProviderLimit).toBe(1);
    expect(clamped.platformQuota).toEqual({ monthlyCalls: 500, monthlyCostMicros: 5_000_000 });
    expect(clamped.maxKeyAgeDays).toBe(30);
    const me = await harness.client.request<{ policy: Policy; org: { plan: string } }>('GET', '/v1/me', { token: member.accessToken });
    expect(me.body.org.plan).toBe('private');
    expect(me.body.policy).toEqual(clamped);
    // Back on business the admin's own values apply again.
    await setPlan(harness, owner.orgId, 'business');
    expect((await getPolicy()).platformQuota).toEqual({ monthlyCalls: 9_000, monthlyCostMicros: 90_000_000 });
  });

  it('records policy.updated with the before/after diff, and nothing for a no-op', async () => {
    await usePlan('pro');
    const before = await getPolicy();
    const after = withChanges(before, (p) => {
      p.platformFallback = 'never';
      p.providers.mistral = { byok: false, platform: true };
    });
    expect((await putPolicy(after)).status).toBe(200);
    const audit = await harness.client.request<{ events: { action: string; actor: string; detail: { changes: unknown[] } }[] }>(
      'GET',
      '/v1/admin/audit?action=policy.updated&limit=1',
      { token: owner.accessToken },
    );
    expect(audit.body.events[0]?.actor).toBe(owner.userId);
    expect(audit.body.events[0]?.detail.changes).toEqual([
      { field: 'platformFallback', before: 'auto', after: 'never' },
      { field: 'providers.mistral.byok', before: true, after: false },
    ]);
    const count = (): number => harness.admin().audit.listForOrg(owner.orgId, { limit: 500, action: 'policy.updated' }).length;
    const n = count();
    expect((await putPolicy(after)).status).toBe(200);
    expect(count()).toBe(n);
  });

  it('refuses a malformed policy with bad_request naming the field', async () => {
    const policy = await getPolicy();
    const bad = await harness.client.request<ErrorBody>('PUT', '/v1/admin/policy', {
      token: owner.accessToken,
      body: { policy: { ...policy, platformFallback: 'sometimes' } },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('platformFallback');
    const extra = await harness.client.request<ErrorBody>('PUT', '/v1/admin/policy', { token: owner.accessToken, body: { policy: { ...policy, surprise: 1 } } });
    expect(extra.status).toBe(400);
  });

  it('a provider switched off keeps its keys stored; switched on, they are usable again', async () => {
    await usePlan('pro');
    const stored = await harness.client.putKey(member, { provider: 'openai', apiKey: OPENAI_KEY });
    expect(stored.status).toBe(201);
    const policy = await getPolicy();
    expect((await putPolicy(withChanges(policy, (p) => (p.providers.openai = { byok: false, platform: true })))).status).toBe(200);
    const list = await harness.client.request<{ secrets: { id: string }[] }>('GET', '/v1/secrets', { token: member.accessToken });
    expect(list.body.secrets.map((secret) => secret.id)).toContain(stored.sent.secretId);
    const refused = await harness.client.putKey(member, { provider: 'openai', apiKey: OPENAI_KEY });
    expect(refused.status).toBe(403);
    expect((refused.body as unknown as ErrorBody).error.code).toBe('provider_disabled');
    // Other providers are unaffected.
    expect((await harness.client.putKey(member, { provider: 'anthropic', apiKey: ANTHROPIC_KEY })).status).toBe(201);
    const me = await harness.client.request<{ policy: Policy }>('GET', '/v1/me', { token: member.accessToken });
    expect(me.body.policy.providers.openai).toEqual({ byok: false, platform: true });

    expect((await putPolicy(withChanges(policy, (p) => (p.providers.openai = { byok: true, platform: true })))).status).toBe(200);
    expect((await harness.client.putKey(member, { provider: 'openai', apiKey: OPENAI_KEY })).status).toBe(201);
    expect(harness.server.services.secretsStore.get(stored.sent.secretId)).toBeDefined();

    // BYOK off for the whole organization: provider_disabled too, keys still stored.
    expect((await putPolicy(withChanges(policy, (p) => (p.byokEnabled = false)))).status).toBe(200);
    const off = await harness.client.putKey(member, { provider: 'groq', apiKey: GROQ_KEY });
    expect((off.body as unknown as ErrorBody).error.code).toBe('provider_disabled');
    expect(harness.server.services.secretsStore.get(stored.sent.secretId)).toBeDefined();
  });
});
