// The audit chain: RFC 8785 canonical content, per-organization chains starting at 32 zero bytes,
// and verification that finds the first edited, removed or reordered event.
import { mkdtempSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../store/db';
import type { Db } from '../store/db';
import { AuditService, ZERO_HASH, eventHash } from './audit';
import { canonicalize } from './jcs';

describe('canonicalize (RFC 8785)', () => {
  it('sorts keys by UTF-16 code units and writes numbers and strings like ECMAScript', () => {
    expect(canonicalize({ b: 1, a: [true, null, 'x'], '\u20ac': 1, '\r': 2, '\ud83d\ude00': 3, '1': 0 })).toBe(
      '{"\\r":2,"1":0,"a":[true,null,"x"],"b":1,"\u20ac":1,"\ud83d\ude00":3}',
    );
    expect(canonicalize([1e21, 0.1, -0, 1.5e-7, 333333333.3333333])).toBe('[1e+21,0.1,0,1.5e-7,333333333.3333333]');
    expect(canonicalize('\u0007"\\\u2028')).toBe('"\\u0007\\"\\\\\u2028"');
    expect(() => canonicalize(Number.NaN)).toThrow();
    expect(() => canonicalize('\ud800')).toThrow();
  });
});

describe('AuditService', () => {
  let dir: string;
  let db: Db;
  let audit: AuditService;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'byok-audit-'));
    db = openDatabase(dir);
    audit = new AuditService(db);
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const orgA = '00000000-0000-4000-8000-00000000000a';
  const orgB = '00000000-0000-4000-8000-00000000000b';

  function seed(): void {
    audit.append({ orgId: orgA, actor: 'u1', action: 'key.stored', target: 's1', provider: 'openai', detail: { label: 'A', hint: { prefix: 'sk-', last4: 'abcd' } } });
    audit.append({ orgId: orgB, actor: 'u2', action: 'auth.login', target: 'u2' });
    audit.append({ orgId: orgA, actor: 'u1', action: 'key.deleted', target: 's1', provider: 'openai', detail: { label: 'A' } });
    audit.append({ orgId: orgA, actor: 'system', action: 'org.plan_changed', target: orgA, detail: { plan: 'pro' } });
  }

  it('chains each organization separately from 32 zero bytes, hashing prevHash || JCS(content)', () => {
    seed();
    const a = audit.listForOrg(orgA, { limit: 10 }).reverse();
    const b = audit.listForOrg(orgB, { limit: 10 });
    expect(a[0]?.prevHash).toBe(ZERO_HASH);
    expect(b[0]?.prevHash).toBe(ZERO_HASH);
    expect(a[1]?.prevHash).toBe(a[0]?.hash);
    expect(a[2]?.prevHash).toBe(a[1]?.hash);
    const first = a[0];
    if (!first) throw new Error('missing');
    const manual = createHash('sha256')
      .update(Buffer.alloc(32))
      .update(
        `{"action":"key.stored","actor":"u1","at":"${first.at}","detail":{"hint":{"last4":"abcd","prefix":"sk-"},"label":"A"},"id":${first.id},"provider":"openai","target":"s1"}`,
      )
      .digest('hex');
    expect(first.hash).toBe(manual);
    expect(first.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(audit.verifyChain(orgA)).toEqual({ ok: true, events: 3 });
    expect(audit.verifyChain(orgB)).toEqual({ ok: true, events: 1 });
  });

  it('is append-only in the database', () => {
    seed();
    expect(() => db.prepare("UPDATE audit_events SET action = 'x'").run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM audit_events').run()).toThrow(/append-only/);
  });

  it('detects an edit of any stored field, a removal and a forged re-hash', () => {
    seed();
    const ids = audit.listForOrg(orgA, { limit: 10 }).map((event) => event.id).reverse();
    // An attacker with the file can drop the triggers; the chain must still tell.
    db.exec('DROP TRIGGER audit_events_no_update; DROP TRIGGER audit_events_no_delete;');
    const edits: [string, string][] = [
      ['at', "'2001-01-01T00:00:00.000Z'"],
      ['actor', "'someone'"],
      ['action', "'key.rotated'"],
      ['target', "'s2'"],
      ['provider', "'anthropic'"],
      ['detail', `'{"label":"B"}'`],
      ['prev_hash', `'${'11'.repeat(32)}'`],
      ['hash', `'${'22'.repeat(32)}'`],
    ];
    for (const [column, value] of edits) {
      const id = ids[1] ?? 0;
      const original = db.prepare('SELECT * FROM audit_events WHERE id = ?').get(id) as Record<string, unknown>;
      db.prepare(`UPDATE audit_events SET ${column} = ${value} WHERE id = ?`).run(id);
      const result = audit.verifyChain(orgA);
      expect(result.ok, column).toBe(false);
      expect(result.firstBrokenId, column).toBe(id);
      db.prepare(`UPDATE audit_events SET ${column} = ? WHERE id = ?`).run(original[column] as string, id);
      expect(audit.verifyChain(orgA).ok).toBe(true);
    }
    // Re-hashing the edited row alone breaks the link to the next one.
    const middle = audit.listForOrg(orgA, { limit: 10 }).reverse()[1];
    if (!middle) throw new Error('missing');
    const forged = { ...middle, action: 'key.rotated' };
    db.prepare('UPDATE audit_events SET action = ?, hash = ? WHERE id = ?').run(forged.action, eventHash(middle.prevHash, forged), middle.id);
    expect(audit.verifyChain(orgA)).toMatchObject({ ok: false, firstBrokenId: ids[2] });
    db.prepare('UPDATE audit_events SET action = ?, hash = ? WHERE id = ?').run(middle.action, middle.hash, middle.id);
    db.prepare('DELETE FROM audit_events WHERE id = ?').run(ids[1]);
    expect(audit.verifyChain(orgA)).toMatchObject({ ok: false, firstBrokenId: ids[2] });
  });

  it('rolls back with the transaction it is part of', () => {
    expect(() =>
      db
        .transaction(() => {
          audit.append({ orgId: orgA, actor: 'u1', action: 'key.stored', target: 's1' });
          throw new Error('change failed');
        })
        .immediate(),
    ).toThrow('change failed');
    expect(audit.listForOrg(orgA, { limit: 10 })).toEqual([]);
    audit.append({ orgId: orgA, actor: 'u1', action: 'key.stored', target: 's1' });
    expect(audit.verifyChain(orgA)).toEqual({ ok: true, events: 1 });
  });

  it('lists an actor’s events newest first with limit and before', () => {
    seed();
    const all = audit.listForActor('u1', { limit: 10 });
    expect(all.map((event) => event.action)).toEqual(['key.deleted', 'key.stored']);
    expect(audit.listForActor('u1', { limit: 1 })).toHaveLength(1);
    expect(audit.listForActor('u1', { limit: 10, before: all[0]?.id ?? 0 }).map((event) => event.action)).toEqual(['key.stored']);
  });
});
