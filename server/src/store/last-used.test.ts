// lastUsedAt moves at most once a minute (key-columns.ts): calls within the minute leave the row,
// and so its page, untouched.
import { expect, it } from 'vitest';
import { openDatabase } from './db';
import { SecretsStore } from './secrets-store';
import { useTempDirs } from '../testing/temp-dirs';

const dirs = useTempDirs('byok-last-used-');

it('marks a key used at most once a minute', () => {
  const dir = dirs.make();
  const db = openDatabase(dir);
  const at = (seconds: number): string => new Date(Date.UTC(2026, 10, 22, 12, 0, seconds)).toISOString();
  db.prepare("INSERT INTO orgs (id, name, plan, policy, created_at) VALUES ('o', 'Acme', 'pro', NULL, ?)").run(at(0));
  db.prepare("INSERT INTO users (id, org_id, email, role, kdf, auth_hash, created_at) VALUES ('u', 'o', 'a@example.com', 'member', '{}', 'h', ?)").run(at(0));
  const secrets = new SecretsStore(db);
  secrets.insert({ id: 's', userId: 'u', provider: 'ollama', label: 'Local', defaultModel: null, baseUrl: 'http://127.0.0.1:11434', hint: { prefix: '', last4: '' }, sealed: null, position: 0, createdAt: at(0) });
  const lastUsed = (): string | null => secrets.get('s')?.lastUsedAt ?? null;
  const changes = (): number => (db.prepare('SELECT total_changes() AS n').get() as { n: number }).n;

  secrets.markUsed('u', 's', at(1));
  expect(lastUsed()).toBe(at(1));
  const before = changes();
  secrets.markUsed('u', 's', at(30));
  secrets.markUsed('u', 's', at(60));
  expect(lastUsed()).toBe(at(1));
  expect(changes()).toBe(before);
  secrets.markUsed('u', 's', at(61));
  expect(lastUsed()).toBe(at(61));
  // Only for its owner: a call of another user on a key of the same id (deleted since) marks nothing.
  secrets.markUsed('someone-else', 's', at(200));
  expect(lastUsed()).toBe(at(61));
  db.close();
});
