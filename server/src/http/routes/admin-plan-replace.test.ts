// Replace-on-private: with keys for one provider at a time, a key for a second provider is
// refused with plan_limit unless the request says `replace: true`; then the other provider's keys
// are deleted in the same transaction as the store, and both changes are audited.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestUser } from '../../testing/client';
import { setPlan, startAdminTestServer } from './admin-test-support';
import type { AdminHarness } from './admin-test-support';

type ErrorBody = { error: { code: string; message: string } };

const OPENAI_KEY = 'sk-proj-AAAAbbbbCCCCddddEEEEffff0401';
const ANTHROPIC_KEY = 'sk-ant-AAAAbbbbCCCCddddEEEEffff0402';

describe('replace on a one-provider plan', () => {
  let harness: AdminHarness;
  let user: TestUser;

  beforeAll(async () => {
    harness = await startAdminTestServer({ defaultPlan: 'private' });
    user = await harness.client.register();
  });
  afterAll(() => harness.server.close());

  async function putWithReplace(apiKey: string, provider: string, replace: boolean | undefined) {
    const sent = await harness.client.seal(user, { provider, apiKey });
    const response = await harness.client.request<ErrorBody & { secret: { id: string; provider: string } }>('PUT', `/v1/secrets/${sent.secretId}`, {
      token: user.accessToken,
      body: { provider, label: `${provider} key`, hint: sent.hint, sealed: sent.sealed, ...(replace === undefined ? {} : { replace }) },
    });
    return { ...response, sent };
  }

  const ids = (): string[] => harness.server.services.secretsStore.listIdsForUser(user.userId).sort();

  it('refuses a second provider without replace, and says how to replace', async () => {
    const first = await putWithReplace(OPENAI_KEY, 'openai', undefined);
    const second = await putWithReplace(OPENAI_KEY, 'openai', false);
    expect([first.status, second.status]).toEqual([201, 201]);
    const before = ids();
    const refused = await putWithReplace(ANTHROPIC_KEY, 'anthropic', false);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('plan_limit');
    expect(refused.body.error.message).toMatch(/Pro plan/);
    expect(refused.body.error.message).toContain('replace');
    expect(ids()).toEqual(before);
    expect((await putWithReplace(ANTHROPIC_KEY, 'anthropic', undefined)).status).toBe(403);
  });

  it('with replace: true, deletes the other provider\'s keys in the same transaction and audits both', async () => {
    const replaced = ids();
    expect(replaced).toHaveLength(2);
    const stored = await putWithReplace(ANTHROPIC_KEY, 'anthropic', true);
    expect(stored.status).toBe(201);
    expect(ids()).toEqual([stored.sent.secretId]);
    const events = harness.admin().audit.listForOrg(user.orgId, { limit: 3 });
    expect(events.map((event) => event.action)).toEqual(['key.stored', 'key.deleted', 'key.deleted']);
    expect(events[0]).toMatchObject({ target: stored.sent.secretId, provider: 'anthropic', detail: { replaced: expect.arrayContaining(replaced) } });
    expect(events.slice(1).map((event) => event.target).sort()).toEqual(replaced);
    for (const event of events.slice(1)) expect(event.detail).toMatchObject({ replacedBy: stored.sent.secretId });
    expect(harness.server.services.audit.verifyChain(user.orgId).ok).toBe(true);
  });

  it('replace: true with room to spare, or for the same provider, deletes nothing', async () => {
    const same = await putWithReplace(ANTHROPIC_KEY, 'anthropic', true);
    expect(same.status).toBe(201);
    expect(ids()).toHaveLength(2);
    await setPlan(harness, user.orgId, 'pro');
    const more = await putWithReplace(OPENAI_KEY, 'openai', true);
    expect(more.status).toBe(201);
    expect(ids()).toHaveLength(3);
  });

  it('a refused store (rotation to another provider) replaces nothing', async () => {
    await setPlan(harness, user.orgId, 'private');
    harness.server.db.prepare("DELETE FROM secrets WHERE provider = 'openai'").run();
    const before = ids();
    const sent = await harness.client.seal(user, { provider: 'openai', apiKey: OPENAI_KEY });
    // The id is taken by one of the user's anthropic keys: a rotation to another provider is a
    // conflict, and nothing is replaced.
    const clash = await harness.client.request<ErrorBody>('PUT', `/v1/secrets/${before[0] ?? ''}`, {
      token: user.accessToken,
      body: { provider: 'openai', label: 'x', hint: sent.hint, sealed: sent.sealed, replace: true },
    });
    expect(clash.status).toBe(409);
    expect(ids()).toEqual(before);
  });
});
