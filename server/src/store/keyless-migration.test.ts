// Migration 004 (keyless entries): rebuilding `secrets` keeps every row, the index and the foreign
// key, and makes iv, ct and wrapped_dek nullable only together.
import { describe, expect, it } from 'vitest';
import { migrationStep } from '../testing/migration-step';
import { migrate, type Db } from './db';
import { useTempDirs } from '../testing/temp-dirs';

const KEYLESS = '004-keyless-secrets.sql';

// Each migration step's directory, removed after its test.
const dirs = useTempDirs('byok-migration-');

const ORG = '00000000-0000-4000-8000-000000000001';
const ALICE = '00000000-0000-4000-8000-0000000000a1';
const BOB = '00000000-0000-4000-8000-0000000000b0';
const AT = '2026-11-01T10:00:00.000Z';

function seed(db: Db): void {
  db.prepare('INSERT INTO orgs (id, name, plan, policy, created_at) VALUES (?, ?, ?, NULL, ?)').run(ORG, 'Acme', 'pro', AT);
  const user = db.prepare("INSERT INTO users (id, org_id, email, role, kdf, auth_hash, created_at) VALUES (?, ?, ?, 'member', '{}', 'h', ?)");
  user.run(ALICE, ORG, 'alice@example.com', AT);
  user.run(BOB, ORG, 'bob@example.com', AT);
  const secret = db.prepare(
    `INSERT INTO secrets (id, user_id, provider, label, default_model, base_url, hint_prefix, hint_last4, iv, ct, wrapped_dek,
       status, position, version, created_at, rotated_at, last_used_at, last_verified_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  secret.run('10000000-0000-4000-8000-000000000001', ALICE, 'openai', 'Work', 'gpt-4o', '', 'sk-', 'xx7K', 'iv1', 'ct1', 'wd1', 'valid', 0, 3, AT, AT, AT, AT);
  secret.run('10000000-0000-4000-8000-000000000002', ALICE, 'vllm', 'Lab', null, 'http://10.0.0.7:8000/v1', '', '', 'iv2', 'ct2', 'wd2', 'unverified', 1, 1, AT, null, null, null);
  secret.run('10000000-0000-4000-8000-000000000003', BOB, 'anthropic', 'Mine', null, '', 'sk-ant-', 'abcd', 'iv3', 'ct3', 'wd3', 'invalid', 0, 2, AT, null, AT, null);
  db.prepare(
    `INSERT INTO usage_events (id, org_id, user_id, request_id, at, provider, model, source, secret_id, task, outcome)
     VALUES ('u1', ?, ?, 'r1', ?, 'openai', 'gpt-4o', 'byok', '10000000-0000-4000-8000-000000000001', 'summary', 'ok')`,
  ).run(ORG, ALICE, AT);
}

const rows = (db: Db): unknown[] => db.prepare('SELECT * FROM secrets ORDER BY id').all();

describe(`migration ${KEYLESS}`, () => {
  it('keeps every row, the index and the foreign key of secrets', () => {
    const step = migrationStep(KEYLESS);
    dirs.keep(step.root);
    const before = step.before();
    seed(before);
    const kept = rows(before);
    expect(() => before.prepare("UPDATE secrets SET iv = NULL, ct = NULL, wrapped_dek = NULL WHERE user_id = ?").run(BOB)).toThrow(/NOT NULL/);
    before.close();

    const db = step.after();
    expect(db.prepare('SELECT name FROM schema_migrations WHERE version = ?').get(step.version)).toEqual({ name: KEYLESS });
    expect(rows(db)).toEqual(kept);
    expect(db.prepare('SELECT COUNT(*) AS n FROM usage_events').get()).toEqual({ n: 1 });
    expect(db.prepare("SELECT name FROM sqlite_master WHERE tbl_name = 'secrets' AND type = 'index' AND sql IS NOT NULL").all()).toEqual([{ name: 'secrets_user' }]);
    expect(db.prepare("SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'secrets_rebuilt'").get()).toEqual({ n: 0 });
    expect(db.pragma('foreign_key_check')).toEqual([]);
    expect(db.pragma('foreign_key_list(secrets)')).toMatchObject([{ table: 'users', from: 'user_id', to: 'id', on_delete: 'CASCADE' }]);

    // Nullable, but only all three together.
    db.prepare('UPDATE secrets SET iv = NULL, ct = NULL, wrapped_dek = NULL WHERE user_id = ?').run(BOB);
    expect(() => db.prepare("UPDATE secrets SET iv = NULL WHERE label = 'Work'").run()).toThrow(/CHECK/);
    expect(() => db.prepare("UPDATE secrets SET wrapped_dek = 'w' WHERE user_id = ?").run(BOB)).toThrow(/CHECK/);
    // The foreign key still holds and still cascades.
    expect(() =>
      db
        .prepare("INSERT INTO secrets (id, user_id, provider, label, hint_prefix, hint_last4, position, created_at) VALUES ('x', 'nobody', 'ollama', 'L', '', '', 0, ?)")
        .run(AT),
    ).toThrow(/FOREIGN KEY/);
    db.prepare('DELETE FROM users WHERE id = ?').run(ALICE);
    expect(db.prepare('SELECT user_id FROM secrets').all()).toEqual([{ user_id: BOB }]);
    // Applied once: opening again changes nothing.
    expect(migrate(db, step.migrations)).toEqual([]);
    db.close();
  });
});
