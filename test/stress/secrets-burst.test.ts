// A burst of concurrent key listings and rotations across many users, all in flight at once
// against a real companion process: 2,000 operations over 50 users at full scale (600 over 20 with
// BYOK_STRESS_SCALE=ci). No 5xx; a rotation either succeeds or loses a race with 409 conflict;
// listings only ever show the caller's own keys. Afterwards everything is consistent: each key is
// one of the seals acknowledged for it, opens with its owner's KEK, its version is the one its last
// acknowledged write answered with (versions come from a counter per user, which counted each of
// that user's writes and nothing else), the audit log has one key.rotated per acknowledged
// rotation, and the chain verifies.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditService } from '../../server/src/services/audit';
import { TestClient, type TestUser } from '../../server/src/testing/client';
import { openDatabase } from '../../server/src/store/db';
import { LeakCanary, filesBelow } from '../support/leak-canary';
import { openStored, storedSecrets } from '../support/sealed-rows';
import { spawnServer, type SpawnedServer } from '../support/spawned-server';
import { scaled, stressScale } from '../support/stress-scale';

const USERS = scaled({ ci: 20, full: 50 });
const OPERATIONS = scaled({ ci: 600, full: 2_000 });
const KEYS_PER_USER = 2;

let server: SpawnedServer;
let dataDir: string;
let client: TestClient;
const canary = new LeakCanary();
const users: TestUser[] = [];
/** Per key: owner, seals acknowledged (ct -> plaintext), acknowledged rotations, and the seal each acknowledged version holds. */
const keys = new Map<string, { owner: TestUser; acknowledged: Map<string, string>; rotations: number; versions: Map<number, string> }>();

const versionOf = (body: unknown): number => (body as { secret: { version: number } }).secret.version;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'byok-burst-'));
  server = await spawnServer({ BYOK_DATA_DIR: dataDir, BYOK_RATE_LIMITS: 'off', BYOK_OPEN_SIGNUP: 'true' });
  client = new TestClient(server.url);
  // Registration costs a scrypt each on the server: a few at a time.
  for (let i = 0; i < USERS; i += 5) {
    users.push(...(await Promise.all(Array.from({ length: Math.min(5, USERS - i) }, () => client.register()))));
  }
  for (const user of users) {
    canary.watch(user.accessToken);
    for (let k = 0; k < KEYS_PER_USER; k++) {
      const key = canary.key('openai');
      const put = await client.putKey(user, { provider: 'openai', apiKey: key });
      expect(put.status).toBe(201);
      keys.set(put.sent.secretId, { owner: user, acknowledged: new Map([[put.sent.sealed.ct, key]]), rotations: 0, versions: new Map([[versionOf(put.body), put.sent.sealed.ct]]) });
    }
  }
}, 180_000);

afterAll(async () => {
  await server?.stop();
  canary.assertClean([{ name: 'server output', content: server.output.join('\n') }, ...(await filesBelow(dataDir))]);
  rmSync(dataDir, { recursive: true, force: true });
});

describe(`secrets burst (${stressScale()} scale: ${OPERATIONS} operations over ${USERS} users)`, () => {
  it('stays consistent under concurrent listings and rotations', async () => {
    const ids = [...keys.keys()];
    // Seal everything first so that the burst itself is only HTTP.
    const plans = await Promise.all(
      Array.from({ length: OPERATIONS }, async (_, index) => {
        if (index % 2 === 0) return { kind: 'list' as const, user: users[index % users.length] as TestUser };
        const secretId = ids[index % ids.length] as string;
        const state = keys.get(secretId)!;
        const key = canary.key('openai');
        return { kind: 'rotate' as const, user: state.owner, secretId, key, sealed: await client.seal(state.owner, { provider: 'openai', apiKey: key, secretId }) };
      }),
    );
    const statuses = new Map<number, number>();
    const started = performance.now();
    await Promise.all(
      plans.map(async (plan) => {
        if (plan.kind === 'list') {
          const response = await client.request<{ secrets: Array<{ id: string }> }>('GET', '/v1/secrets', { token: plan.user.accessToken });
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          expect(response.status).toBe(200);
          for (const secret of response.body.secrets) expect(keys.get(secret.id)?.owner).toBe(plan.user);
          return;
        }
        const response = await client.request('PUT', `/v1/secrets/${plan.secretId}`, {
          token: plan.user.accessToken,
          body: { provider: 'openai', label: 'burst', hint: plan.sealed.hint, sealed: plan.sealed.sealed },
        });
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        expect([200, 409], response.text).toContain(response.status);
        if (response.status === 200) {
          const state = keys.get(plan.secretId)!;
          state.acknowledged.set(plan.sealed.sealed.ct, plan.key);
          state.rotations++;
          state.versions.set(versionOf(response.body), plan.sealed.sealed.ct);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    process.stderr.write(`secrets burst: ${OPERATIONS} operations in ${seconds.toFixed(2)} s, statuses ${JSON.stringify(Object.fromEntries(statuses))}\n`);

    const db = openDatabase(dataDir);
    try {
      const rows = storedSecrets(db);
      expect(rows.length).toBe(keys.size);
      for (const row of rows) {
        const state = keys.get(row.id);
        expect(state).toBeDefined();
        expect(state?.acknowledged.has(row.sealed.ct)).toBe(true);
        expect(await openStored(row, state!.owner.kek)).toBe(state?.acknowledged.get(row.sealed.ct));
        // The last write wins, and it took the highest version.
        expect(row.version).toBe(Math.max(...state!.versions.keys()));
        expect(state!.versions.get(row.version)).toBe(row.sealed.ct);
        const rotatedEvents = db.prepare("SELECT COUNT(*) AS n FROM audit_events WHERE action = 'key.rotated' AND target = ?").get(row.id) as { n: number };
        expect(rotatedEvents.n).toBe(state!.rotations);
      }
      // No version was given twice to one user's keys, and each user's counter counted each of
      // that user's writes once (and nobody else's).
      const counters = new Map(db.prepare('SELECT user_id, last FROM secret_version_counters').all().map((row) => {
        const { user_id: userId, last } = row as { user_id: string; last: number };
        return [userId, last];
      }));
      for (const user of users) {
        const owned = [...keys.values()].filter((state) => state.owner.userId === user.userId);
        const writes = owned.length + owned.reduce((sum, state) => sum + state.rotations, 0);
        expect(new Set(owned.flatMap((state) => [...state.versions.keys()])).size).toBe(writes);
        expect(counters.get(user.userId) ?? 0).toBe(writes);
      }
      expect(db.prepare('SELECT last FROM secret_versions').get()).toEqual({ last: 0 });
      const audit = new AuditService(db);
      expect(audit.verifyChain(users[0]!.orgId)).toMatchObject({ ok: true });
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      db.close();
    }
  });
});
