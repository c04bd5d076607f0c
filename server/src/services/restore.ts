// Restoring a backup (`restore <file>`, with the companion stopped). Copying the file into place by
// hand would bring back everything the backup knew and forget what happened since, and four of
// those things must not be forgotten:
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
// - Sessions ended since. A logout, a refresh token used, a family revoked after a reuse: the
//   backup knows none of them, so every session of the backup is revoked and everyone signs in again.
// - Audit event ids. The sequence moves past the replaced database's, so an id is never given to
//   two different events.
//
// The replaced database is kept beside it (`byok.sqlite.replaced-<time>`, with its -wal, -shm and -journal),
// never deleted: restoring the wrong file loses nothing. The restored copy is checked, brought to
// this companion's schema and finished in a temporary file before one rename puts it in place.
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, linkSync, openSync, realpathSync, rmSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { auditActorOf, CLI_ACTOR } from './admin/actor';
import { AuditService } from './audit';
import { fsyncPath } from './data-dir-files';
import { errorCodeOf } from './error-code';
import { masterKekIdIn } from './master-kek';
import { DATABASE_FILE, isSqliteBusy, latestMigration, migrateToLatest } from '../store/db';
import type { Db } from '../store/db';

export class RestoreError extends Error {
  constructor(
    message: string,
    /** `file`: the backup or the data directory; `in_use`: another process has the database open. */
    readonly reason: 'file' | 'in_use' = 'file',
  ) {
    super(message);
    this.name = 'RestoreError';
  }
}

/** The tables key versions are counted in (migrations 008, 009 and 011). */
const COUNTER_TABLES = ['secret_versions', 'org_secret_versions', 'secret_version_counters', 'org_secret_version_counters'] as const;

const IN_USE = 'Another process has the database open (an admin command?): let it finish, then restore.';

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
  /** Sessions of the backup revoked (everyone signs in again). */
  sessionsRevoked: number;
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
  /** The last audit event id it gave. */
  auditSeq: number;
}

/** Beside a database: SQLite's files that belong to it, and that it would read at its next open. */
const SIDE_FILES = ['-wal', '-shm', '-journal'] as const;

/**
 * What the replaced database knows that the backup must not forget (see above). One that never had
 * a user (created empty after the real one was lost) knows nothing: it counts as none.
 */
function readReplaced(path: string, nowSeconds: number): Replaced {
  const nothing = { highestCounter: 0, grants: [], auditSeq: 0 };
  if (!existsSync(path)) return { state: 'none', ...nothing };
  let db: Db | undefined;
  try {
    db = new Database(path, { fileMustExist: true });
    if (!tableExists(db, 'users') || db.prepare('SELECT 1 FROM users LIMIT 1').get() === undefined) return { state: 'none', ...nothing };
    const grants = tableExists(db, 'grant_jti')
      ? (db.prepare('SELECT jti, exp FROM grant_jti WHERE exp >= ?').all(nowSeconds - GRANT_CLOCK_TOLERANCE_S) as Replaced['grants'])
      : [];
    const sequence = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'audit_events'").get() as { seq: number } | undefined;
    return { state: 'read', highestCounter: highestCounter(db), grants, auditSeq: sequence?.seq ?? 0 };
  } catch (error) {
    // Locked past the busy timeout: another process is writing to it, which is no reason to forget it.
    if (isSqliteBusy(error)) throw new RestoreError(IN_USE, 'in_use');
    return { state: 'unreadable', ...nothing };
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
  const known = latestMigration();
  if ((version ?? 0) > known) {
    throw new RestoreError(`The backup comes from a newer companion (schema ${version}, this one knows ${known}): restore it with that version.`);
  }
}

/**
 * The last connection to close removes the WAL and shared memory: still there after ours closed,
 * another process (an admin command) has the database open, and would go on writing to it.
 */
function refuseIfOpenElsewhere(live: string): void {
  if (SIDE_FILES.slice(0, 2).some((suffix) => existsSync(`${live}${suffix}`))) {
    throw new RestoreError(IN_USE, 'in_use');
  }
}

/** Moves `from` aside to `to` without a moment where neither name holds it (link, then unlink). */
function keepAside(from: string, to: string): void {
  if (!existsSync(from)) return;
  linkSync(from, to);
  unlinkSync(from);
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
    // SQLite's backup API reads the file whatever its journal mode. Opened read-only, its content is
    // never changed (a WAL-mode file may get a -wal and -shm beside it while it is open).
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

    const copy = new Database(partial, { fileMustExist: true });
    let result: Omit<RestoreResult, 'replacedKeptAs' | 'from'>;
    try {
      checkCopy(copy);
      // Read only once the backup is known good: a refused backup leaves the database untouched.
      const replaced = readReplaced(live, Math.floor(now() / 1000));
      if (replaced.state === 'read') refuseIfOpenElsewhere(live);
      copy.pragma('foreign_keys = ON');
      copy.pragma('secure_delete = ON');
      const migrated = migrateToLatest(copy);
      const versionsFrom = Math.max(now(), highestCounter(copy) + 1, replaced.highestCounter + 1);
      const at = new Date(now()).toISOString();
      let sessionsRevoked = 0;
      const audit = new AuditService(copy);
      copy
        .transaction(() => {
          for (const table of COUNTER_TABLES) copy.prepare(`UPDATE ${table} SET last = MAX(last, ?)`).run(versionsFrom);
          const carry = copy.prepare('INSERT OR IGNORE INTO grant_jti (jti, exp) VALUES (?, ?)');
          for (const grant of replaced.grants) carry.run(grant.jti, grant.exp);
          sessionsRevoked = copy.prepare('UPDATE auth_families SET revoked_at = ? WHERE revoked_at IS NULL').run(at).changes;
          copy.prepare('UPDATE refresh_tokens SET revoked_at = ? WHERE revoked_at IS NULL').run(at);
          copy.prepare("UPDATE sqlite_sequence SET seq = MAX(seq, ?) WHERE name = 'audit_events'").run(replaced.auditSeq);
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
      result = { replaced: replaced.state, migrated, versionsFrom, grantsCarried: replaced.grants.length, sessionsRevoked, missingMasterKeys };
    } finally {
      copy.close();
    }
    fsyncPath(partial);

    // Again, just before: an admin command may have opened it while the copy was prepared.
    if (result.replaced === 'read') refuseIfOpenElsewhere(live);
    // The replaced database goes aside first (a second name for it), then its -wal, -shm or
    // -journal, even with no database left beside them: SQLite would apply them to the copy at its
    // next open. Then the copy takes its place in one rename. Interrupted before that rename, the
    // old database is still in place.
    let replacedKeptAs: string | null = null;
    if (existsSync(live) || SIDE_FILES.some((suffix) => existsSync(`${live}${suffix}`))) {
      replacedKeptAs = join(dataDir, `${DATABASE_FILE}.replaced-${new Date(now()).toISOString().replace(/[:.]/g, '-')}`);
      if (existsSync(live)) linkSync(live, replacedKeptAs);
      for (const suffix of SIDE_FILES) keepAside(`${live}${suffix}`, `${replacedKeptAs}${suffix}`);
    }
    renameSync(partial, live);
    fsyncPath(dataDir);
    return { from, replacedKeptAs, ...result };
  } catch (error) {
    for (const suffix of ['', ...SIDE_FILES]) rmSync(`${partial}${suffix}`, { force: true });
    if (error instanceof RestoreError) throw error;
    throw new RestoreError(`The backup could not be restored (${errorCodeOf(error) ?? 'unknown error'}).`);
  }
}
