// Restoring a backup (`restore <file>`, with the companion stopped). Copying the file into place by
// hand would bring back everything the backup knew and forget what happened since, and two of those
// things must not be forgotten:
//
// - Key versions. Clients hold versions (ETags) the companion gave after the backup was taken. The
//   backup's counters are behind them, so without care a later write would give one of those
//   numbers again to other content, and a client's `If-Match` would match a key it never saw.
//   Every counter therefore moves past any version given before: past the highest counter of both
//   databases, and to at least the current time in milliseconds. The clock matters when the
//   replaced database is lost: no owner writes a key once per millisecond for long, so a version
//   given before this moment stays below it, also across several restores of older backups.
// - Grants used since. A grant is good for at most 5 minutes (CRYPTO.md §2); the jtis recorded in
//   the replaced database that have not expired are carried over, so a grant used just before the
//   restore cannot be used again just after it.
//
// The replaced database is kept beside it (`byok.sqlite.replaced-<time>`, with its -wal and -shm),
// never deleted: restoring the wrong file loses nothing. The restored copy is checked, brought to
// this companion's schema and finished in a temporary file before one rename puts it in place.
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, linkSync, openSync, realpathSync, rmSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { auditActorOf, CLI_ACTOR } from './admin/actor';
import { AuditService } from './audit';
import { syncDir } from './data-dir-files';
import { errorCodeOf } from './error-code';
import { masterKekIdIn } from './master-kek';
import { DATABASE_FILE, latestMigration, migrateToLatest } from '../store/db';
import type { Db } from '../store/db';

export class RestoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RestoreError';
  }
}

/** The tables key versions are counted in (migrations 008, 009 and 011). */
const COUNTER_TABLES = ['secret_versions', 'org_secret_versions', 'secret_version_counters', 'org_secret_version_counters'] as const;

/** Grants may be used this long past their `exp` (CRYPTO.md §2, clock tolerance). */
const GRANT_CLOCK_TOLERANCE_S = 30;

export interface RestoreResult {
  /** The backup file restored (absolute). */
  from: string;
  /** Where the database it replaced now is (absolute), or null when there was none. */
  replacedKeptAs: string | null;
  /** Whether the replaced database could be read (for its counters and grants). */
  replaced: 'read' | 'unreadable' | 'none';
  /** Migrations applied to the backup to bring it to this companion's schema. */
  migrated: string[];
  /** Every key written from now on takes a version above this one. */
  versionsFrom: number;
  /** Unexpired grant jtis carried over from the replaced database. */
  grantsCarried: number;
  /** kekIds the backup's organization keys are wrapped under that the present master key is not. */
  missingMasterKeys: string[];
}

function tableExists(db: Db, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}

/** The highest key version counter of a database (0 with none). */
function highestCounter(db: Db): number {
  let highest = 0;
  for (const table of COUNTER_TABLES) {
    if (!tableExists(db, table)) continue;
    const row = db.prepare(`SELECT MAX(last) AS last FROM ${table}`).get() as { last: number | null };
    highest = Math.max(highest, row.last ?? 0);
  }
  return highest;
}

interface Replaced {
  state: 'read' | 'unreadable' | 'none';
  highestCounter: number;
  grants: Array<{ jti: string; exp: number }>;
}

/** What the replaced database knows that the backup must not forget (see above). */
function readReplaced(path: string, nowSeconds: number): Replaced {
  if (!existsSync(path)) return { state: 'none', highestCounter: 0, grants: [] };
  let db: Db | undefined;
  try {
    db = new Database(path, { fileMustExist: true });
    const grants = tableExists(db, 'grant_jti')
      ? (db.prepare('SELECT jti, exp FROM grant_jti WHERE exp >= ?').all(nowSeconds - GRANT_CLOCK_TOLERANCE_S) as Replaced['grants'])
      : [];
    return { state: 'read', highestCounter: highestCounter(db), grants };
  } catch {
    return { state: 'unreadable', highestCounter: 0, grants: [] };
  } finally {
    // Closing the last connection checkpoints the WAL into the file, so the kept copy is whole.
    db?.close();
  }
}

/** Checks a copy of the backup: a sound SQLite file, a companion database, no newer than this companion. */
function checkCopy(db: Db): void {
  let check: unknown;
  try {
    check = db.pragma('integrity_check', { simple: true });
  } catch {
    throw new RestoreError('The backup file is not a SQLite database.');
  }
  if (check !== 'ok') throw new RestoreError('The backup file failed its integrity check.');
  if (!tableExists(db, 'schema_migrations') || !tableExists(db, 'secrets') || !tableExists(db, 'users')) {
    throw new RestoreError("The backup file is not a companion's database.");
  }
  const { version } = db.prepare('SELECT MAX(version) AS version FROM schema_migrations').get() as { version: number | null };
  if ((version ?? 0) > latestMigration()) {
    throw new RestoreError(`The backup comes from a newer companion (schema ${version}, this one knows ${latestMigration()}): restore it with that version.`);
  }
}

/** Moves `from` aside to `to` without a moment where neither name holds it (link, then unlink). */
function keepAside(from: string, to: string): void {
  if (!existsSync(from)) return;
  linkSync(from, to);
  unlinkSync(from);
}

function fsyncFile(path: string): void {
  const fd = openSync(path, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Restores `backupFile` as the database of `dataDir`. The caller holds the data directory (no
 * companion serves it). `masterKey` is BYOK_MASTER_KEY when set.
 */
export async function restoreDatabase(
  dataDir: string,
  backupFile: string,
  options: { masterKey?: string | undefined; now?: () => number } = {},
): Promise<RestoreResult> {
  const now = options.now ?? Date.now;
  const from = resolve(backupFile);
  const live = join(dataDir, DATABASE_FILE);
  if (!existsSync(from)) throw new RestoreError('The backup file does not exist.');
  if (statSync(from).isDirectory()) throw new RestoreError('The backup file is a directory.');
  if (existsSync(live) && realpathSync(from) === realpathSync(live)) throw new RestoreError('The backup file is the live database.');

  const partial = join(dataDir, `${DATABASE_FILE}.restore-${randomBytes(4).toString('hex')}`);
  try {
    closeSync(openSync(partial, 'wx', 0o600));
  } catch (error) {
    throw new RestoreError(`The data directory cannot be written (${errorCodeOf(error) ?? 'unknown error'}).`);
  }
  try {
    // SQLite's backup API reads the file whatever its journal mode, and never writes to it.
    let source: Db;
    try {
      source = new Database(from, { readonly: true, fileMustExist: true });
    } catch (error) {
      throw new RestoreError(`The backup file cannot be opened (${errorCodeOf(error) ?? 'unknown error'}).`);
    }
    try {
      await source.backup(partial);
    } catch (error) {
      throw new RestoreError(`The backup file cannot be read as a database (${errorCodeOf(error) ?? 'unknown error'}).`);
    } finally {
      source.close();
    }

    const replaced = readReplaced(live, Math.floor(now() / 1000));
    const copy = new Database(partial, { fileMustExist: true });
    let result: Omit<RestoreResult, 'replacedKeptAs' | 'from'>;
    try {
      checkCopy(copy);
      copy.pragma('foreign_keys = ON');
      copy.pragma('secure_delete = ON');
      const migrated = migrateToLatest(copy);
      const versionsFrom = Math.max(now(), highestCounter(copy) + 1, replaced.highestCounter + 1);
      const audit = new AuditService(copy);
      copy
        .transaction(() => {
          for (const table of COUNTER_TABLES) copy.prepare(`UPDATE ${table} SET last = MAX(last, ?)`).run(versionsFrom);
          const carry = copy.prepare('INSERT OR IGNORE INTO grant_jti (jti, exp) VALUES (?, ?)');
          for (const grant of replaced.grants) carry.run(grant.jti, grant.exp);
          const orgs = copy.prepare('SELECT id FROM orgs ORDER BY created_at, id').all() as Array<{ id: string }>;
          for (const org of orgs) {
            audit.append({
              orgId: org.id,
              actor: auditActorOf(CLI_ACTOR),
              action: 'database.restored',
              target: org.id,
              detail: { versionsFrom, grantsCarried: replaced.grants.length, replaced: replaced.state },
            });
          }
        })
        .immediate();
      const kekIds = copy.prepare('SELECT DISTINCT kek_id AS kekId FROM org_secrets ORDER BY kek_id').all() as Array<{ kekId: string }>;
      const present = masterKekIdIn(dataDir, options.masterKey);
      const missingMasterKeys = kekIds.map((row) => row.kekId).filter((kekId) => kekId !== present);
      // A standalone file: nothing may depend on a -wal beside it once it is renamed into place.
      copy.pragma('journal_mode = DELETE');
      result = { replaced: replaced.state, migrated, versionsFrom, grantsCarried: replaced.grants.length, missingMasterKeys };
    } finally {
      copy.close();
    }
    fsyncFile(partial);

    // The replaced database and its -wal and -shm go aside under one name, then the copy takes its
    // place in one rename. Interrupted before that rename, the old database is still in place.
    let replacedKeptAs: string | null = null;
    if (existsSync(live)) {
      replacedKeptAs = join(dataDir, `${DATABASE_FILE}.replaced-${new Date(now()).toISOString().replace(/[:.]/g, '-')}`);
      for (const suffix of ['-wal', '-shm']) keepAside(`${live}${suffix}`, `${replacedKeptAs}${suffix}`);
      linkSync(live, replacedKeptAs);
    }
    renameSync(partial, live);
    syncDir(dataDir);
    return { from, replacedKeptAs, ...result };
  } catch (error) {
    rmSync(partial, { force: true });
    rmSync(`${partial}-journal`, { force: true });
    rmSync(`${partial}-wal`, { force: true });
    rmSync(`${partial}-shm`, { force: true });
    if (error instanceof RestoreError) throw error;
    throw new RestoreError(`The backup could not be restored (${errorCodeOf(error) ?? 'unknown error'}).`);
  }
}
