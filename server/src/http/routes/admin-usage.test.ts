// GET /v1/admin/usage over the usage rows the routing code writes: the whole organization's
// totals, groups by member (with emails), provider, model, source and day, one member's filter,
// the UTC range rules, and nothing of another organization.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UsageResponse } from '@byok/shared/wire/usage';
import { UsageStore } from '../../store/usage-store';
import type { NewUsageRow } from '../../store/usage-store';
import type { TestUser } from '../../testing/client';
import { createSecondOrg, startAdminTestServer } from './admin-test-support';
import type { AdminHarness } from './admin-test-support';

describe('admin usage', () => {
  let harness: AdminHarness;
  let owner: TestUser;
  let member: TestUser;
  let stranger: TestUser;

  function row(user: TestUser, at: string, fields: Partial<NewUsageRow>): NewUsageRow {
    return {
      id: randomUUID(),
      orgId: user.orgId,
      userId: user.userId,
      requestId: randomUUID(),
      at,
      provider: 'openai',
      model: 'gpt-4o-mini',
      source: 'byok',
      secretId: null,
      task: 'summary',
      inputTokens: 100,
      outputTokens: 10,
      costMicros: 1_000,
      latencyMs: 50,
      outcome: 'ok',
      ...fields,
    };
  }

  beforeAll(async () => {
    harness = await startAdminTestServer({ defaultPlan: 'business' });
    owner = await harness.client.register();
    member = await harness.client.register({ inviteCode: await harness.client.invite(owner, 'member') });
    stranger = (await createSecondOrg(harness, 'pro')).admin;
    const store = new UsageStore(harness.server.db);
    store.record(
      [
        row(owner, '2026-10-31T23:59:59.999Z', { costMicros: 7 }),
        row(owner, '2026-11-01T00:00:00.000Z', { source: 'platform', costMicros: 2_000 }),
        row(owner, '2026-11-02T10:00:00.000Z', { provider: 'anthropic', model: 'claude-3-5-haiku-latest', source: 'org', costMicros: 3_000 }),
        row(member, '2026-11-02T11:00:00.000Z', { costMicros: 500, inputTokens: 40, outputTokens: 4 }),
        row(member, '2026-11-03T12:00:00.000Z', { outcome: 'unreachable', costMicros: 0, inputTokens: 0, outputTokens: 0 }),
        row(member, '2026-12-01T00:00:00.000Z', { costMicros: 9 }),
        row(stranger, '2026-11-02T12:00:00.000Z', { costMicros: 99_999 }),
      ],
      null,
    );
  });
  afterAll(() => harness.server.close());

  async function usage(query: string, user: TestUser = owner): Promise<UsageResponse & { status: number }> {
    const response = await harness.client.request<UsageResponse>('GET', `/v1/admin/usage?${query}`, { token: user.accessToken });
    return { ...response.body, status: response.status };
  }

  it('totals the whole organization for a UTC month, to exclusive', async () => {
    const november = await usage('from=2026-11-01&to=2026-12-01');
    expect(november.status).toBe(200);
    expect(november.totals).toEqual({ calls: 4, inputTokens: 240, outputTokens: 24, costMicros: 5_500 });
    expect(november.recent.map((r) => r.at)).toEqual(['2026-11-03T12:00:00.000Z', '2026-11-02T11:00:00.000Z', '2026-11-02T10:00:00.000Z', '2026-11-01T00:00:00.000Z']);
    expect(november.recent[0]?.userId).toBe(member.userId);
    expect(november.recent.every((r) => r.costMicros !== 99_999)).toBe(true);
  });

  it('groups by member with emails, and by provider, source and day', async () => {
    const byMember = await usage('from=2026-11-01&to=2026-12-01&groupBy=member');
    expect(byMember.groups).toEqual([
      { key: owner.userId, label: owner.email, calls: 2, inputTokens: 200, outputTokens: 20, costMicros: 5_000 },
      { key: member.userId, label: member.email, calls: 2, inputTokens: 40, outputTokens: 4, costMicros: 500 },
    ]);
    const byProvider = await usage('from=2026-11-01&to=2026-12-01&groupBy=provider');
    expect(byProvider.groups.map((g) => [g.key, g.calls])).toEqual([
      ['anthropic', 1],
      ['openai', 3],
    ]);
    const bySource = await usage('from=2026-11-01&to=2026-12-01&groupBy=source');
    expect(Object.fromEntries(bySource.groups.map((g) => [g.key, g.costMicros]))).toEqual({ byok: 500, org: 3_000, platform: 2_000 });
    const byDay = await usage('from=2026-11-01&to=2026-12-01&groupBy=day');
    expect(byDay.groups.map((g) => [g.key, g.calls])).toEqual([
      ['2026-11-01', 1],
      ['2026-11-02', 2],
      ['2026-11-03', 1],
    ]);
  });

  it('filters one member, and refuses bad queries', async () => {
    const one = await usage(`from=2026-11-01&to=2026-12-01&userId=${member.userId}`);
    expect(one.totals.calls).toBe(2);
    expect((await usage('from=2026-12-01&to=2026-11-01')).status).toBe(400);
    // Equal bounds are an empty range, not an error: the call at exactly 2026-11-01 is outside it.
    const empty = await usage('from=2026-11-01&to=2026-11-01T00:00:00Z');
    expect(empty.status).toBe(200);
    expect(empty.totals).toEqual({ calls: 0, inputTokens: 0, outputTokens: 0, costMicros: 0 });
    expect([empty.groups, empty.recent]).toEqual([[], []]);
    expect((await usage('groupBy=team')).status).toBe(400);
    // Unknown parameters are ignored, as on every query string (README, protocol notes).
    expect((await usage('surprise=1')).status).toBe(200);
  });

  it('shows another organization only its own usage', async () => {
    const theirs = await usage('from=2026-11-01&to=2026-12-01&groupBy=member', stranger);
    expect(theirs.totals).toMatchObject({ calls: 1, costMicros: 99_999 });
    expect(theirs.groups.map((g) => g.key)).toEqual([stranger.userId]);
    const peek = await usage(`from=2026-11-01&to=2026-12-01&userId=${member.userId}`, stranger);
    expect(peek.totals.calls).toBe(0);
  });
});
