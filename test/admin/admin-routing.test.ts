// What admins store is what routing reads (issue 4 x issue 3), end to end through the admin HTTP
// API, the admin CLI and POST /v1/enrich against the provider emulator: organization keys used
// after personal keys and never before; a provider switched off keeps its keys stored but unused,
// and switched on they are used again; the platform quota set by an admin at its boundary; the
// organization's usage as admins see it; the leak canary over everything.
import { createOrgUploadGrant } from '@byok/shared';
import type { Policy } from '@byok/shared/plans/policy';
import type { EnrichResponse } from '@byok/shared/wire/enrich';
import type { UsageResponse } from '@byok/shared/wire/usage';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../server/src/cli/program';
import { startHarness, type Harness } from '../enrich/harness';

const TEXT = 'Ada Lovelace wrote the first program. She worked with Charles Babbage in London.';
type ErrorBody = { error: { code: string; message: string } };

let h: Harness;

async function cli(...args: string[]): Promise<number> {
  return runCli(['--data-dir', h.server.dataDir, ...args], { stdout: () => undefined, stderr: () => undefined, env: {} });
}

function enrich(body: Record<string, unknown>) {
  return h.request<EnrichResponse & ErrorBody>('POST', '/v1/enrich', { body: { task: 'summary', input: { kind: 'selection', text: TEXT }, ...body } });
}

async function policy(): Promise<Policy> {
  const response = await h.request<{ policy: Policy }>('GET', '/v1/admin/policy');
  expect(response.status).toBe(200);
  return response.body.policy;
}

async function putPolicy(change: (policy: Policy) => void): Promise<void> {
  const next = structuredClone(await policy());
  change(next);
  const response = await h.request<ErrorBody>('PUT', '/v1/admin/policy', { body: { policy: next } });
  expect(response.status, response.text).toBe(200);
}

beforeAll(async () => {
  h = await startHarness({ platform: ['groq'] });
  expect(await cli('org', 'set-plan', 'business')).toBe(0);
});
afterAll(async () => {
  await h.assertNoLeaks();
  await h.close();
});

describe('admin settings as routing reads them', () => {
  let orgKeyId: string;

  it('uses an organization key after personal keys, as source org', async () => {
    const key = h.canary.key('openai');
    h.emulator.addKey('openai', key);
    orgKeyId = randomUUID();
    const upload = await createOrgUploadGrant({ keySet: await h.client.grantKeys(), userId: h.owner.userId, secretId: orgKeyId, apiKey: key });
    const stored = await h.request('PUT', `/v1/admin/org-secrets/${orgKeyId}`, { body: { provider: 'openai', label: 'Team OpenAI', upload } });
    expect(stored.status).toBe(201);

    const viaOrg = await enrich({ grants: [] });
    expect(viaOrg.status).toBe(200);
    expect(viaOrg.body.route).toMatchObject({ provider: 'openai', source: 'org', secretId: orgKeyId });

    // A personal key comes first.
    const personal = await h.addKey('anthropic');
    const viaByok = await enrich({ grants: [await h.grant(personal.secretId)] });
    expect(viaByok.body.route).toMatchObject({ provider: 'anthropic', source: 'byok', secretId: personal.secretId });
    h.server.db.prepare('DELETE FROM secrets').run();
  });

  it('keeps a switched-off provider\'s keys stored but unused, and uses them again when switched on', async () => {
    const personal = await h.addKey('anthropic');
    await putPolicy((p) => {
      p.providers.anthropic = { byok: false, platform: true };
      p.providers.openai = { byok: true, platform: false };
    });
    const off = await enrich({ grants: [await h.grant(personal.secretId)] });
    expect(off.status).toBe(200);
    // Neither the personal anthropic key nor the openai org key: the platform's groq key.
    expect(off.body.route).toMatchObject({ provider: 'groq', source: 'platform' });
    expect(off.body.route.attempts.map((attempt) => attempt.source)).toEqual(['platform']);
    const listed = await h.request<{ secrets: { id: string }[] }>('GET', '/v1/secrets');
    expect(listed.body.secrets.map((secret) => secret.id)).toContain(personal.secretId);
    expect(listed.body.secrets.map((secret) => secret.id)).not.toContain(orgKeyId);

    await putPolicy((p) => {
      p.providers.anthropic = { byok: true, platform: true };
      p.providers.openai = { byok: true, platform: true };
    });
    const on = await enrich({ grants: [await h.grant(personal.secretId)] });
    expect(on.body.route).toMatchObject({ provider: 'anthropic', source: 'byok', secretId: personal.secretId });
    h.server.db.prepare('DELETE FROM secrets').run();
  });

  it('applies the platform quota an admin sets: the call at the limit is the last one allowed', async () => {
    await putPolicy((p) => (p.providers.openai = { byok: true, platform: false }));
    h.server.db.prepare("DELETE FROM usage_events WHERE source = 'platform'").run();
    expect(await cli('policy', 'set', '--monthly-calls', '2')).toBe(0);
    expect((await enrich({ grants: [] })).body.route?.source).toBe('platform');
    expect((await enrich({ grants: [] })).status).toBe(200);
    const refused = await enrich({ grants: [] });
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('quota_exceeded');
    // Raising it within the plan lets calls through again; beyond the plan is refused.
    await putPolicy((p) => (p.platformQuota.monthlyCalls = 3));
    expect((await enrich({ grants: [] })).status).toBe(200);
    expect((await enrich({ grants: [] })).status).toBe(429);
    const beyond = await h.request<ErrorBody>('PUT', '/v1/admin/policy', { body: { policy: { ...(await policy()), platformQuota: { monthlyCalls: 10_001, monthlyCostMicros: null } } } });
    expect(beyond.status).toBe(403);
    expect(beyond.body.error.code).toBe('plan_limit');
  });

  it('shows the organization\'s usage to admins by source and by member', async () => {
    const bySource = await h.request<UsageResponse>('GET', '/v1/admin/usage?groupBy=source');
    const counted = h.server.db.prepare('SELECT source, COUNT(*) AS n FROM usage_events GROUP BY source').all() as { source: string; n: number }[];
    expect(Object.fromEntries(bySource.body.groups.map((group) => [group.key, group.calls]))).toEqual(Object.fromEntries(counted.map((row) => [row.source, row.n])));
    const byMember = await h.request<UsageResponse>('GET', '/v1/admin/usage?groupBy=member');
    expect(byMember.body.groups).toEqual([expect.objectContaining({ key: h.owner.userId, label: h.owner.email })]);
    expect((await cli('audit', 'verify')).valueOf()).toBe(0);
  });
});
