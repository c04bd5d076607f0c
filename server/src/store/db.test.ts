// The database opener: pragmas the threat model relies on and the numbered migration runner.
import { writeFileSync, cpSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DATABASE_FILE, migrate, openDatabase, readMigrations, WAL_SIZE_LIMIT_BYTES } from './db';
import { RESTART_PAGES } from './checkpointer';
import { useTempDirs } from '../testing/temp-dirs';

const tempDir = useTempDirs('byok-db-').make;

/** Opens (and so migrates) `dataDir` in a process of its own; resolves with its exit code and stderr. */
function openInAnotherProcess(dataDir: string): Promise<{ code: number | null; stderr: string }> {
  const db = fileURLToPath(new URL('./db.ts', import.meta.url));
  const code = `const { openDatabase } = await import(${JSON.stringify(db)}); openDatabase(${JSON.stringify(dataDir)}).close();`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((resolve) => child.once('close', (exitCode) => resolve({ code: exitCode, stderr })));
}

describe('openDatabase', () => {
  it('lets two processes open a new data directory at once: one migrates, the other finds it done', async () => {
    // Before, each read the applied versions outside its write transaction; about one start in
    // four had both apply the same migrations, the second failing on "table already exists".
    for (let trial = 0; trial < 12; trial++) {
      const dir = tempDir();
      const runs = await Promise.all([openInAnotherProcess(dir), openInAnotherProcess(dir)]);
      expect(runs.map((run) => run.code), `trial ${trial}: ${runs.map((run) => run.stderr).join('\n')}`).toEqual([0, 0]);
    }
  }, 60_000);

  it('uses WAL, foreign keys, secure_delete and a busy timeout, and migrates once', () => {
    const dir = tempDir();
    const db = openDatabase(dir);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('secure_delete', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBeGreaterThan(0);
    const shipped = readMigrations(fileURLToPath(new URL('./migrations/', import.meta.url)));
    const applied = db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all();
    expect(applied[0]).toEqual({ version: 1, name: '001-init.sql' });
    expect(applied).toEqual(shipped.map(({ version, name }) => ({ version, name })));
    db.close();
    const again = openDatabase(dir);
    expect(again.prepare('SELECT COUNT(*) AS n FROM schema_migrations').get()).toEqual({ n: shipped.length });
    again.close();
  });

  it('cuts the WAL file back to its limit when the WAL starts over after a burst of writes', () => {
    const dir = tempDir();
    const db = openDatabase(dir);
    const wal = join(dir, `${DATABASE_FILE}-wal`);
    // Steady load starts the WAL over at RESTART_PAGES; the limit must not make it shrink and regrow.
    expect(WAL_SIZE_LIMIT_BYTES).toBeGreaterThan(RESTART_PAGES * (db.pragma('page_size', { simple: true }) as number));
    db.exec('CREATE TABLE burst (b BLOB)');
    const insert = db.prepare('INSERT INTO burst (b) VALUES (?)');
    const megabytes = Math.ceil(WAL_SIZE_LIMIT_BYTES / 2 ** 20) + 8;
    db.transaction(() => {
      for (let index = 0; index < megabytes; index++) insert.run(Buffer.alloc(2 ** 20, index));
    })();
    expect(statSync(wal).size).toBeGreaterThan(WAL_SIZE_LIMIT_BYTES);
    db.pragma('wal_checkpoint(PASSIVE)');
    db.prepare('INSERT INTO burst (b) VALUES (?)').run(Buffer.alloc(1)); // the next write starts the WAL over
    expect(statSync(wal).size).toBeLessThanOrEqual(WAL_SIZE_LIMIT_BYTES);
    db.close();
  });

  it('applies any later NNN-name.sql in order, all in one transaction', () => {
    const dir = tempDir();
    const migrations = join(dir, 'migrations');
    mkdirSync(migrations);
    cpSync(fileURLToPath(new URL('./migrations/001-init.sql', import.meta.url)), join(migrations, '001-init.sql'));
    writeFileSync(join(migrations, '003-more.sql'), 'ALTER TABLE usage_test ADD COLUMN extra TEXT;');
    writeFileSync(join(migrations, '002-usage.sql'), 'CREATE TABLE usage_test (id INTEGER PRIMARY KEY);');
    writeFileSync(join(migrations, 'notes.txt'), 'ignored');
    expect(readMigrations(migrations).map((migration) => migration.name)).toEqual(['001-init.sql', '002-usage.sql', '003-more.sql']);
    const db = openDatabase(join(dir, 'data'), { migrationsDir: migrations });
    expect(db.prepare('SELECT version FROM schema_migrations ORDER BY version').all()).toEqual([{ version: 1 }, { version: 2 }, { version: 3 }]);

    writeFileSync(join(migrations, '004-good.sql'), 'CREATE TABLE four (id INTEGER);');
    writeFileSync(join(migrations, '005-bad.sql'), 'THIS IS NOT SQL;');
    expect(() => migrate(db, migrations)).toThrow();
    // Neither 004 nor 005 stuck: one transaction.
    expect(db.prepare("SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'four'").get()).toEqual({ n: 0 });
    expect(db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get()).toEqual({ v: 3 });
    db.close();
  });
});
