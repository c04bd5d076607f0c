// Admin responses parse with shared's wire schemas (API.md "Administration"). One documented
// deviation: audit event ids are integers in this server (as in /v1/audit), where
// shared/src/wire/audit.ts types them as UUIDs.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  AdminAuditEvent,
  AuditVerifyResponse,
  ListMembersResponse,
  PatchMemberResponse,
  PolicyResponse,
  PutOrgSecretResponse,
} from '@byok/shared/wire/admin';
import { ErrorBodySchema } from '@byok/shared/wire/common';
import { UsageResponse } from '@byok/shared/wire/usage';
import type { TestUser } from '../../testing/client';
import { putOrgKey, startAdminTestServer } from './admin-test-support';
import type { AdminHarness } from './admin-test-support';

function expectShape(schema: z.ZodType, body: unknown): void {
  const result = schema.safeParse(body);
  expect(result.success ? [] : result.error.issues).toEqual([]);
}

const IntegerIdAuditList = z.object({ events: z.array(AdminAuditEvent.extend({ id: z.int().min(1) })) });

describe('admin wire contract', () => {
  let harness: AdminHarness;
  let owner: TestUser;
  let member: TestUser;

  beforeAll(async () => {
    harness = await startAdminTestServer({ defaultPlan: 'business' });
    owner = await harness.client.register();
    member = await harness.client.register({ inviteCode: await harness.client.invite(owner, 'member') });
  });
  afterAll(() => harness.server.close());

  it('answers in the shapes of shared/src/wire/admin.ts', async () => {
    const get = (path: string) => harness.client.request('GET', path, { token: owner.accessToken });
    const policy = await get('/v1/admin/policy');
    expectShape(PolicyResponse, policy.body);
    expectShape(PolicyResponse, (await harness.client.request('PUT', '/v1/admin/policy', { token: owner.accessToken, body: policy.body })).body);
    expectShape(ListMembersResponse, (await get('/v1/admin/members')).body);
    expectShape(PatchMemberResponse, (await harness.client.request('PATCH', `/v1/admin/members/${member.userId}`, { token: owner.accessToken, body: { role: 'admin' } })).body);
    expectShape(PatchMemberResponse, (await harness.client.request('PATCH', `/v1/admin/members/${member.userId}`, { token: owner.accessToken, body: { role: 'member' } })).body);
    const stored = await putOrgKey(harness, owner, { provider: 'openai', apiKey: 'sk-proj-AAAAbbbbCCCCddddEEEEffff0501' });
    expect(stored.status).toBe(201);
    expectShape(PutOrgSecretResponse, stored.body);
    expectShape(z.object({ secrets: z.array(PutOrgSecretResponse.shape.secret) }), (await get('/v1/admin/org-secrets')).body);
    expectShape(UsageResponse, (await get('/v1/admin/usage?groupBy=member')).body);
    const audit = await get('/v1/admin/audit?limit=5');
    expectShape(IntegerIdAuditList, audit.body);
    expectShape(AuditVerifyResponse, (await get('/v1/admin/audit/verify')).body);
    expectShape(ErrorBodySchema, (await harness.client.request('GET', '/v1/admin/policy', { token: member.accessToken })).body);
    const missing = await harness.client.request('DELETE', `/v1/admin/org-secrets/${randomUUID()}`, { token: owner.accessToken });
    expect(missing.status, missing.text).toBe(404);
    expectShape(ErrorBodySchema, missing.body);
  });

  it('pages the audit log with before (exclusive) and chains hash to prevHash', async () => {
    const page = async (query: string) =>
      (await harness.client.request<{ events: { id: number; hash: string; prevHash: string }[] }>('GET', `/v1/admin/audit?${query}`, { token: owner.accessToken })).body.events;
    const all = await page('limit=500');
    expect(all.length).toBeGreaterThan(4);
    const first = await page('limit=2');
    const next = await page(`limit=2&before=${first[1]?.id ?? 0}`);
    expect([...first, ...next].map((event) => event.id)).toEqual(all.slice(0, 4).map((event) => event.id));
    for (let i = 0; i < all.length - 1; i++) expect(all[i]?.prevHash).toBe(all[i + 1]?.hash);
    expect(all.at(-1)?.prevHash).toBe('0'.repeat(64));
    expect((await harness.client.request('GET', '/v1/admin/audit?before=abc', { token: owner.accessToken })).status).toBe(400);
  });

  it('ignores unknown query parameters, as the published schemas say, and refuses an empty filter', async () => {
    const status = async (path: string) => (await harness.client.request('GET', path, { token: owner.accessToken })).status;
    for (const path of ['/v1/audit?x=1', '/v1/admin/audit?x=1', '/v1/admin/policy?x=1', '/v1/admin/members?x=1', '/v1/admin/org-secrets?x=1', '/v1/admin/usage?x=1']) {
      expect({ path, status: await status(path) }).toEqual({ path, status: 200 });
    }
    expect(await status('/v1/admin/audit?actor=')).toBe(400);
    expect(await status('/v1/admin/audit?before=9007199254740992')).toBe(400);
  });
});
