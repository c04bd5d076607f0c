// Migrations 009 and 010 (personal key versions from one counter): the counter starts past every
// version still stored and every version a deleted key had, so the first write after the upgrade
// never repeats a version a client may hold. Migration 011 (a counter per owner): each starts past
// that shared counter, which stays as the floor.
import { describe, expect, it } from 'vitest';
import { migrationStep } from '../testing/migration-step';
import { useTempDirs } from '../testing/temp-dirs';
import { AuditService } from '../services/audit';
import { SecretsStore } from './secrets-store';
import { OrgSecretsStore } from '../services/admin/org-secrets-store';

const COUNTER = '009-secret-version-counter.sql';
const dirs = useTempDirs('byok-migration-');

const ORG = '00000000-0000-4000-8000-000000000001';
const ALICE = '00000000-0000-4000-8000-0000000000a1';
const BOB = '00000000-0000-4000-8000-0000000000b1';
const OTHER_ORG = '00000000-0000-4000-8000-000000000002';
const KEPT = '10000000-0000-4000-8000-000000000001';
const AT = '2026-11-01T10:00:00.000Z';
const HINT = { prefix: 'sk-', last4: 'abcd' };
const SEALED = { v: 1 as const, iv: 'iv', ct: 'ct', wrappedDek: 'wd' };

describe(`migration ${COUNTER}`, () => {
  it('starts the counter past the highest stored version; every later write takes the next one', () => {
    const step = migrationStep(COUNTER);
    dirs.keep(step.root);
    const before = step.before();
    before.prepare('INSERT INTO orgs (id, name, plan, policy, created_at) VALUES (?, ?, ?, NULL, ?)').run(ORG, 'Acme', 'pro', AT);
    before.prepare("INSERT INTO users (id, org_id, email, role, kdf, auth_hash, created_at) VALUES (?, ?, ?, 'member', '{}', 'h', ?)").run(ALICE, ORG, 'alice@example.com', AT);
    const secret = before.prepare(
      `INSERT INTO secrets (id, user_id, provider, label, hint_prefix, hint_last4, iv, ct, wrapped_dek, status, position, version, created_at)
       VALUES (?, ?, 'openai', 'L', 'sk-', 'abcd', 'iv', 'ct', 'wd', 'valid', ?, ?, ?)`,
    );
    secret.run(KEPT, ALICE, 0, 7, AT);
    secret.run('10000000-0000-4000-8000-000000000002', ALICE, 1, 3, AT);
    before.close();

    step.after().close();
    const db = step.latest();
    expect(db.prepare('SELECT last FROM secret_versions').all()).toEqual([{ last: 7 }]);
    const store = new SecretsStore(db);
    const fresh = '10000000-0000-4000-8000-000000000003';
    db.transaction(() => store.insert({ id: fresh, userId: ALICE, provider: 'openai', label: 'New', defaultModel: null, baseUrl: '', hint: HINT, sealed: SEALED, position: 2, createdAt: AT }))();
    expect(store.get(fresh)?.version).toBe(8);
    db.transaction(() => store.patch(ALICE, KEPT, { label: 'Renamed', defaultModel: null }))();
    expect(store.get(KEPT)?.version).toBe(9);
    expect(db.transaction(() => store.rotate(ALICE, KEPT, 9, { label: 'R', defaultModel: null, baseUrl: '', hint: HINT, sealed: SEALED, rotatedAt: AT }))()).toBe(true);
    expect(store.get(KEPT)?.version).toBe(10);
    // A rotation from a stale version changes nothing.
    expect(db.transaction(() => store.rotate(ALICE, KEPT, 9, { label: 'X', defaultModel: null, baseUrl: '', hint: HINT, sealed: SEALED, rotatedAt: AT }))()).toBe(false);
    expect(store.get(KEPT)).toMatchObject({ version: 10, label: 'R' });
    db.close();
  });
});

describe('migration 010-secret-version-floor.sql', () => {
  it("starts the counter past every version a deleted key had, counted from the audit log's writes on its id", () => {
    const step = migrationStep('010-secret-version-floor.sql');
    dirs.keep(step.root);
    const before = step.before();
    before.prepare('INSERT INTO orgs (id, name, plan, policy, created_at) VALUES (?, ?, ?, NULL, ?)').run(ORG, 'Acme', 'pro', AT);
    before.prepare("INSERT INTO users (id, org_id, email, role, kdf, auth_hash, created_at) VALUES (?, ?, ?, 'member', '{}', 'h', ?)").run(ALICE, ORG, 'alice@example.com', AT);
    // A key that lives at version 3, and one that reached version 9 (stored, 5 rotations, 3 edits) and was deleted.
    before
      .prepare(
        `INSERT INTO secrets (id, user_id, provider, label, hint_prefix, hint_last4, iv, ct, wrapped_dek, status, position, version, created_at)
         VALUES (?, ?, 'openai', 'L', 'sk-', 'abcd', 'iv', 'ct', 'wd', 'valid', 0, 3, ?)`,
      )
      .run(KEPT, ALICE, AT);
    const gone = '10000000-0000-4000-8000-0000000000dd';
    const audit = new AuditService(before);
    const actions = ['key.stored', ...Array<string>(5).fill('key.rotated'), ...Array<string>(3).fill('key.updated'), 'key.deleted', 'key.rejected_by_provider'];
    for (const action of actions) audit.append({ orgId: ORG, actor: ALICE, action, target: gone, provider: 'openai', detail: {} });
    // Where 009 left the counter on such a database: past the versions still stored.
    before.prepare('UPDATE secret_versions SET last = 3').run();
    before.close();

    const migrated = step.after();
    expect(migrated.prepare('SELECT last FROM secret_versions').get()).toEqual({ last: 9 });
    migrated.close();
    const db = step.latest();
    const store = new SecretsStore(db);
    db.transaction(() => store.insert({ id: gone, userId: ALICE, provider: 'openai', label: 'Again', defaultModel: null, baseUrl: '', hint: HINT, sealed: SEALED, position: 1, createdAt: AT }))();
    expect(store.get(gone)?.version).toBe(10);
    db.close();
  });

  it('leaves a counter already past the audit log as it is, and an empty database at 0', () => {
    const step = migrationStep('010-secret-version-floor.sql');
    dirs.keep(step.root);
    step.before().close();
    const db = step.after();
    expect(db.prepare('SELECT last FROM secret_versions').get()).toEqual({ last: 0 });
    db.close();
  });
});

describe('migration 011-secret-version-per-owner.sql', () => {
  it('gives each user and each organization a counter of its own, started past the shared one, which stays as it was', () => {
    const step = migrationStep('011-secret-version-per-owner.sql');
    dirs.keep(step.root);
    const before = step.before();
    before.prepare('INSERT INTO orgs (id, name, plan, policy, created_at) VALUES (?, ?, ?, NULL, ?)').run(ORG, 'Acme', 'pro', AT);
    before.prepare('INSERT INTO orgs (id, name, plan, policy, created_at) VALUES (?, ?, ?, NULL, ?)').run(OTHER_ORG, 'Other', 'pro', AT);
    const user = before.prepare("INSERT INTO users (id, org_id, email, role, kdf, auth_hash, created_at) VALUES (?, ?, ?, 'member', '{}', 'h', ?)");
    user.run(ALICE, ORG, 'alice@example.com', AT);
    user.run(BOB, ORG, 'bob@example.com', AT);
    // Where the shared counters stood: every version handed out so far is at most these.
    before.prepare('UPDATE secret_versions SET last = 7').run();
    before.prepare('UPDATE org_secret_versions SET last = 4').run();
    before.close();
    step.after().close();

    const db = step.latest();
    const store = new SecretsStore(db);
    const orgStore = new OrgSecretsStore(db);
    const insert = (id: string, userId: string) =>
      db.transaction(() => store.insert({ id, userId, provider: 'openai', label: 'L', defaultModel: null, baseUrl: '', hint: HINT, sealed: SEALED, position: 0, createdAt: AT }))();
    const aliceKey = '10000000-0000-4000-8000-0000000000a2';
    const bobKey = '10000000-0000-4000-8000-0000000000b2';
    insert(aliceKey, ALICE);
    db.transaction(() => store.patch(ALICE, aliceKey, { label: 'Renamed', defaultModel: null }))();
    insert(bobKey, BOB);
    expect(store.get(aliceKey)?.version).toBe(9);
    // Alice's two writes do not show in Bob's versions.
    expect(store.get(bobKey)?.version).toBe(8);
    const orgWrite = { provider: 'openai', label: 'Team', defaultModel: null, baseUrl: '', hint: HINT, sealed: SEALED, kekId: 'k1' };
    db.transaction(() => orgStore.insert(ORG, '20000000-0000-4000-8000-000000000001', orgWrite, AT))();
    db.transaction(() => orgStore.replace(ORG, '20000000-0000-4000-8000-000000000001', orgWrite, AT))();
    db.transaction(() => orgStore.insert(OTHER_ORG, '20000000-0000-4000-8000-000000000002', orgWrite, AT))();
    expect(orgStore.getInOrg(ORG, '20000000-0000-4000-8000-000000000001')?.version).toBe(6);
    expect(orgStore.getInOrg(OTHER_ORG, '20000000-0000-4000-8000-000000000002')?.version).toBe(5);
    expect(db.prepare('SELECT last FROM secret_versions').get()).toEqual({ last: 7 });
    expect(db.prepare('SELECT last FROM org_secret_versions').get()).toEqual({ last: 4 });
    // A counter goes with its owner.
    db.prepare('DELETE FROM users WHERE id = ?').run(BOB);
    expect(db.prepare('SELECT user_id FROM secret_version_counters').pluck().all()).toEqual([ALICE]);
    db.close();
  });
});
