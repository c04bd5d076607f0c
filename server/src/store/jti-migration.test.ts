// Migration 006: grant_jti rebuilt WITHOUT ROWID keeps every recorded jti, still refuses a repeat,
// and keeps the exp index the purge uses.
import { describe, expect, it } from 'vitest';
import { migrationStep } from '../testing/migration-step';
import { JtiStore } from './jti-store';
import { useTempDirs } from '../testing/temp-dirs';

const KEYED = '006-grant-jti-keyed.sql';

// Each migration step's directory, removed after its test.
const dirs = useTempDirs('byok-migration-');

describe(`migration ${KEYED}`, () => {
  it('keeps the recorded jtis, refuses them again and keeps the purge index', () => {
    const step = migrationStep(KEYED);
    dirs.keep(step.root);
    const before = step.before();
    const old = new JtiStore(before);
    for (let index = 0; index < 50; index++) expect(old.record(`jti-${index}`, 1_000 + index)).toBe(true);
    before.close();

    const db = step.after();
    const jtis = new JtiStore(db);
    expect(db.prepare("SELECT sql FROM sqlite_master WHERE name = 'grant_jti'").get()).toMatchObject({ sql: expect.stringContaining('WITHOUT ROWID') });
    expect(db.prepare("SELECT name FROM sqlite_master WHERE tbl_name = 'grant_jti' AND type = 'index' AND sql IS NOT NULL").all()).toEqual([{ name: 'grant_jti_exp' }]);
    expect(db.prepare('SELECT COUNT(*) AS n FROM grant_jti').get()).toEqual({ n: 50 });
    expect(jtis.seen('jti-7')).toBe(true);
    expect(jtis.record('jti-7', 5_000)).toBe(false);
    expect(jtis.record('jti-new', 5_000)).toBe(true);
    expect(db.prepare("EXPLAIN QUERY PLAN DELETE FROM grant_jti WHERE exp < 1010").all()).toMatchObject([{ detail: expect.stringContaining('grant_jti_exp') }]);
    expect(jtis.purgeBefore(1_010)).toBe(10);
    expect(db.prepare('SELECT COUNT(*) AS n FROM grant_jti').get()).toEqual({ n: 41 });
    db.close();
  });
});
