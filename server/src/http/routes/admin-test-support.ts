// Test helpers for the administration routes: a test server with the admin routes mounted, a
// second organization with its own admin (made the way the CLI does), and org-key uploads built
// as an admin's client builds them.
import { randomUUID } from 'node:crypto';
import { createOrgUploadGrant } from '@byok/shared';
import type { PlanId } from '@byok/shared/plans/plans';
import { createAdminServices } from '../../services/admin/admin-services';
import type { AdminServices } from '../../services/admin/admin-services';
import { CLI_ACTOR } from '../../services/admin/actor';
import type { Services } from '../../services/services';
import { startTestServer } from '../../testing/test-server';
import type { TestServer, TestServerOptions } from '../../testing/test-server';
import { TestClient } from '../../testing/client';
import type { TestUser } from '../../testing/client';

export interface AdminHarness {
  server: TestServer;
  client: TestClient;
  /** The admin services over the server's current database (rebuilt after a restart). */
  admin(): AdminServices;
}

export async function startAdminTestServer(options: TestServerOptions = {}): Promise<AdminHarness> {
  // The admin routes are among the server's FEATURE_MOUNTS, as in production.
  const server = await startTestServer(options);
  const built = new WeakMap<Services, AdminServices>();
  const admin = (): AdminServices => {
    let services = built.get(server.services);
    if (!services) {
      services = createAdminServices(server.db, { ...server.services, operatorBaseUrls: server.config.providerBaseUrls });
      built.set(server.services, services);
    }
    return services;
  };
  return { server, client: new TestClient(server.baseUrl), admin };
}

/** A new organization on `plan` with one admin, created the way the CLI does (store + invite). */
export async function createSecondOrg(harness: AdminHarness, plan: PlanId, name = 'Second org'): Promise<{ orgId: string; admin: TestUser }> {
  const orgId = randomUUID();
  harness.server.services.accountsStore.insertOrg({ id: orgId, name, plan, policy: null, createdAt: new Date().toISOString() });
  const invite = harness.admin().invites.create(orgId, CLI_ACTOR, { role: 'admin', expiresInHours: 1 });
  const admin = await harness.client.register({ inviteCode: invite.code });
  return { orgId, admin };
}

export async function setPlan(harness: AdminHarness, orgId: string, plan: PlanId): Promise<void> {
  harness.admin().policy.setPlan(orgId, CLI_ACTOR, plan);
}

/** PUT /v1/admin/org-secrets/:id with an upload grant made for `admin`, as the admin's client does. */
export async function putOrgKey(
  harness: AdminHarness,
  admin: TestUser,
  input: { provider: string; apiKey: string; label?: string; id?: string; baseUrl?: string; upload?: string; ifMatch?: string },
) {
  const id = input.id ?? randomUUID();
  const upload = input.upload ?? (await createOrgUploadGrant({ keySet: await harness.client.grantKeys(), userId: admin.userId, secretId: id, apiKey: input.apiKey }));
  const response = await harness.client.request<{ secret: Record<string, unknown> }>('PUT', `/v1/admin/org-secrets/${id}`, {
    token: admin.accessToken,
    ...(input.ifMatch === undefined ? {} : { headers: { 'if-match': input.ifMatch } }),
    body: { provider: input.provider, label: input.label ?? `${input.provider} org key`, ...(input.baseUrl === undefined ? {} : { baseUrl: input.baseUrl }), upload },
  });
  return { ...response, id, upload };
}
