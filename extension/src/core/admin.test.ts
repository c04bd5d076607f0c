// The admin page's overview: organization keys come from the admin list, which has every key of the
// organization, not from the member's list (where the plan or policy may hide some).
import { beforeEach, describe, expect, it } from 'vitest';
import { type Harness, createSignedInHarness } from '../testing/harness';

const ORG_KEY = {
  id: '0b7e3c59-6f2a-4c1e-9d84-5a3f2e1b7c61',
  scope: 'org',
  provider: 'mistral',
  label: 'Shared Mistral',
  hint: { prefix: '', last4: 'Ab12' },
  defaultModel: null,
  baseUrl: null,
  status: 'unverified',
  createdAt: '2026-11-01T00:00:00.000Z',
  rotatedAt: null,
  lastUsedAt: null,
  lastVerifiedAt: null,
};

describe('admin overview', () => {
  let harness: Harness;

  beforeEach(async () => {
    harness = await createSignedInHarness();
  });

  it("lists the organization's keys from the admin list", async () => {
    harness.companion.adminOrgSecrets = [ORG_KEY];
    const overview = await harness.services.admin.overview();
    expect(overview.orgKeys).toEqual([{ ...ORG_KEY, position: 0 }]);
    expect(harness.companion.requests.some((request) => request.path === '/v1/admin/org-secrets')).toBe(true);
  });

  it('says the section is missing on a companion without the admin list', async () => {
    const overview = await harness.services.admin.overview();
    expect(overview.orgKeys).toBeNull();
    expect(overview.missing).toContain('org-keys');
  });
});
