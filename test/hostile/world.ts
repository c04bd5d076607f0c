// The world the hostile-input suites attack: the real companion (admin routes mounted, rate limits
// off, invite-only sign-up) with two organizations of two users each, every user holding a canary
// key, each organization an organization key; helpers to snapshot what is stored and to check that
// an answer is a stable API.md error; and the leak canary over everything that came back.
import { createHash, randomUUID } from 'node:crypto';
import { ERROR_STATUS, isErrorCode } from '@byok/shared';
import { createSecondOrg, putOrgKey, setPlan, startAdminTestServer, type AdminHarness } from '../../server/src/http/routes/admin-test-support';
import type { ApiResponse, TestClient, TestUser } from '../../server/src/testing/client';
import { CLI_ACTOR } from '../../server/src/services/admin/actor';
import { closedPort } from '../enrich/harness';
import { EMULATED_PROVIDERS } from '../emulator';
import { LeakCanary, filesBelow, responseHaystacks, type Haystack } from '../support/leak-canary';
import { openStored, storedSecrets } from '../support/sealed-rows';

export interface Tenant {
  readonly user: TestUser;
  readonly secretId: string;
  readonly label: string;
  /** The plaintext key it stored (test-side only), to check the stored row still opens to it. */
  readonly apiKey: string;
}

export interface Org {
  readonly orgId: string;
  readonly admin: Tenant;
  readonly member: Tenant;
  readonly orgSecretId: string;
}

export interface World {
  readonly harness: AdminHarness;
  readonly client: TestClient;
  readonly canary: LeakCanary;
  readonly a: Org;
  readonly b: Org;
  /** Every response seen through `request` (bodies and headers), for the canary. */
  readonly seen: Haystack[];
  request<Body = unknown>(method: string, path: string, options?: Parameters<TestClient['request']>[2]): Promise<ApiResponse<Body>>;
  record(label: string, response: { text: string; headers: Headers }): void;
  assertNoLeaks(): Promise<void>;
  close(): Promise<void>;
}

async function addTenantKey(harness: AdminHarness, canary: LeakCanary, user: TestUser, tag: string): Promise<Tenant> {
  const label = `${tag}-label-${randomUUID().slice(0, 8)}`;
  const apiKey = canary.key('openai');
  const put = await harness.client.putKey(user, { provider: 'openai', apiKey, label });
  if (put.status !== 201) throw new Error(`storing ${tag}'s key failed: ${put.status} ${put.text}`);
  return { user, secretId: put.sent.secretId, label, apiKey };
}

/** What the tenant's stored row opens to with the tenant's own KEK (the ciphertext, wrapping and AAD intact). */
export async function storedKeyOf(world: World, tenant: Tenant): Promise<string> {
  const row = storedSecrets(world.harness.server.db, tenant.user.userId).find((candidate) => candidate.id === tenant.secretId);
  if (!row) throw new Error(`no stored row for ${tenant.label}`);
  return openStored(row, tenant.user.kek);
}

export async function startWorld(): Promise<World> {
  const canary = new LeakCanary();
  // Every provider host points at a closed loopback port: nothing ever leaves the machine.
  const nowhere = `http://127.0.0.1:${await closedPort()}`;
  const baseUrls = Object.fromEntries(EMULATED_PROVIDERS.map((provider) => [provider, nowhere]));
  const harness = await startAdminTestServer({
    env: { BYOK_RATE_LIMITS: 'off', BYOK_PROVIDER_BASE_URLS: JSON.stringify(baseUrls), BYOK_PROVIDER_TIMEOUT_MS: '2000' },
  });
  const { client } = harness;
  const seen: Haystack[] = [];
  const record = (label: string, response: { text: string; headers: Headers }): void => {
    seen.push(...responseHaystacks(label, response));
  };

  const ownerA = await client.register();
  await setPlan(harness, ownerA.orgId, 'business');
  const memberA = await client.register({ inviteCode: await client.invite(ownerA, 'member') });
  const second = await createSecondOrg(harness, 'business', 'Tenant B');
  const memberB = await client.register({ inviteCode: await client.invite(second.admin, 'member') });
  for (const user of [ownerA, memberA, second.admin, memberB]) {
    canary.watch(user.accessToken);
    canary.watch(user.refreshToken);
  }
  const orgKey = async (admin: TestUser): Promise<string> => {
    const put = await putOrgKey(harness, admin, { provider: 'anthropic', apiKey: canary.key('anthropic') });
    if (put.status !== 201) throw new Error(`storing an org key failed: ${put.status} ${put.text}`);
    return put.id;
  };
  const a: Org = {
    orgId: ownerA.orgId,
    admin: await addTenantKey(harness, canary, ownerA, 'a-admin'),
    member: await addTenantKey(harness, canary, memberA, 'a-member'),
    orgSecretId: await orgKey(ownerA),
  };
  const b: Org = {
    orgId: second.orgId,
    admin: await addTenantKey(harness, canary, second.admin, 'b-admin'),
    member: await addTenantKey(harness, canary, memberB, 'b-member'),
    orgSecretId: await orgKey(second.admin),
  };

  return {
    harness,
    client,
    canary,
    a,
    b,
    seen,
    record,
    async request(method, path, options) {
      const response = await client.request(method, path, options);
      record(`${method} ${path}`, response);
      return response as ApiResponse<never>;
    },
    async assertNoLeaks() {
      canary.assertClean([{ name: 'server logs', content: harness.server.logs.join('\n') }, ...seen, ...(await filesBelow(harness.server.dataDir))]);
    },
    async close() {
      await harness.server.close();
    },
  };
}

/** Creates an extra invite the CLI's way (for suites that need one more account). */
export function cliInvite(harness: AdminHarness, orgId: string, role: 'admin' | 'member' = 'member'): string {
  return harness.admin().invites.create(orgId, CLI_ACTOR, { role, expiresInHours: 1 }).code;
}

/**
 * A digest per table of what must not change when a request is refused: accounts, keys (every
 * column, ciphertext included), organization keys, policy, invites, the audit chain.
 */
export function snapshot(harness: AdminHarness): Record<string, string> {
  const tables = ['orgs', 'users', 'secrets', 'org_secrets', 'invites', 'audit_events', 'auth_families'];
  const out: Record<string, string> = {};
  for (const table of tables) {
    const rows = harness.server.db.prepare(`SELECT * FROM ${table} ORDER BY rowid`).all();
    out[table] = createHash('sha256').update(JSON.stringify(rows)).digest('hex');
  }
  return out;
}

/** Why `response` is not a stable API.md answer, or null when it is one. */
export function unstableAnswer(response: { status: number; text: string; headers: Headers }, successStatuses: readonly number[]): string | null {
  // 502 provider_unreachable is the answer to a well-formed request whose providers are down
  // (they all are in this world); any other 5xx is a bug.
  if (response.status >= 500 && !(response.status === 502 && response.text.includes('"provider_unreachable"'))) {
    return `status ${response.status}: ${response.text.slice(0, 200)}`;
  }
  if (successStatuses.includes(response.status)) return null;
  if (response.status < 400) return `unexpected status ${response.status}`;
  // Node's HTTP parser refuses oversized request lines and headers itself, before any route.
  if (response.status === 431 || response.status === 414) return null;
  let body: unknown;
  try {
    body = JSON.parse(response.text) as unknown;
  } catch {
    return `status ${response.status} without a JSON error body: ${response.text.slice(0, 120)}`;
  }
  const error = typeof body === 'object' && body !== null && 'error' in body ? (body as { error: unknown }).error : undefined;
  if (typeof error !== 'object' || error === null) return `status ${response.status} without { error }`;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (!isErrorCode(code)) return `unknown error code ${String(code)}`;
  if (ERROR_STATUS[code] !== response.status) return `code ${code} with status ${response.status}`;
  if (typeof message !== 'string' || message.length === 0) return `code ${code} without a message`;
  if (/\bat [^\s]+ \(|node_modules|\.ts:\d+/.test(message)) return `code ${code} with a stack trace in its message`;
  return null;
}
