// Opens the SQLite database (better-sqlite3) with the pragmas the threat model needs and applies
// every pending migration from store/migrations/NNN-name.sql in one transaction.
import Database from 'better-sqlite3';
import { chmodSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorCodeOf } from '../services/error-code';

export type Db = Database.Database;

export const DATABASE_FILE = 'byok.sqlite';
const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));
const MIGRATION_NAME = /^(\d{3,})-[a-z0-9-]+\.sql$/;
const BUSY_TIMEOUT_MS = 5_000;

/** SQLITE_BUSY (and its extended codes) or SQLITE_LOCKED: another connection holds the lock asked for. */
export function isSqliteBusy(error: unknown): boolean {
  const code = errorCodeOf(error);
  return code !== undefined && (code.startsWith('SQLITE_BUSY') || code === 'SQLITE_LOCKED');
}

/**
 * `journal_mode = WAL` on a new file can answer SQLITE_BUSY at once, without the busy handler, while
 * another process switches the same file (about one start in forty with two processes starting
 * together): it is tried again for as long as the busy timeout would have waited.
 */
function switchToWal(db: Db): void {
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (error) {
      if (!isSqliteBusy(error) || Date.now() > deadline) throw error;
      // Only at start-up, before anything is served: a synchronous pause is fine here.
      Atomics.wait(pause, 0, 0, 20);
    }
  }
}

/** The most the WAL file keeps on disk once it starts over (`journal_size_limit`). */
export const WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;

export function openDatabase(dataDir: string, options: { migrationsDir?: string } = {}): Db {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, DATABASE_FILE);
  const db = new Database(path);
  try {
    // Before WAL is on: SQLite gives the -wal and -shm files the database file's permissions.
    chmodSync(path, 0o600);
    // First: switching to WAL takes a lock, and another process starting on the same new file (a
    // companion and the CLI during an upgrade) must be waited for, not answered "database is locked".
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    switchToWal(db);
    db.pragma('foreign_keys = ON');
    // Deleted and overwritten ciphertext must not linger in free pages or the WAL.
    db.pragma('secure_delete = ON');
    db.pragma('synchronous = NORMAL');
    // SQLite reuses the WAL file from its start rather than shrink it, so one burst of writes (a
    // large import, a purge) left it at its largest size for good. Past this limit it is cut back
    // whenever the WAL starts over; the limit is above the WAL's size under steady load (the
    // checkpointer's RESTART_PAGES), so that load never pays for shrinking and growing it again.
    db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
    migrate(db, options.migrationsDir ?? MIGRATIONS_DIR);
  } catch (error) {
    // A failed start (read-only or full data directory) must not keep the file open.
    db.close();
    throw error;
  }
  return db;
}

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function readMigrations(dir: string): Migration[] {
  const migrations: Migration[] = [];
  for (const file of readdirSync(dir)) {
    const match = MIGRATION_NAME.exec(file);
    if (!match?.[1]) continue;
    migrations.push({ version: Number(match[1]), name: file, sql: readFileSync(join(dir, file), 'utf8') });
  }
  migrations.sort((a, b) => a.version - b.version);
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i]?.version === migrations[i - 1]?.version) {
      throw new Error(`Two migrations share number ${migrations[i]?.version}`);
    }
  }
  return migrations;
}

/** The highest migration number this companion knows. */
export function latestMigration(): number {
  return readMigrations(MIGRATIONS_DIR).at(-1)?.version ?? 0;
}

/** Applies this companion's pending migrations to an open database (a restored copy); see migrate. */
export function migrateToLatest(db: Db): string[] {
  return migrate(db, MIGRATIONS_DIR);
}

/** Applies the migrations not yet recorded in schema_migrations, all in one transaction. */
export function migrate(db: Db, dir: string): string[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
  const migrations = readMigrations(dir);
  const appliedVersions = db.prepare('SELECT version FROM schema_migrations');
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  // What is pending is read inside the write transaction: two processes starting together (a
  // companion and the CLI during an upgrade) would otherwise both apply the same migrations, and
  // the second would fail on "table already exists".
  return db.transaction(() => {
    const applied = new Set(appliedVersions.all().map((row) => (row as { version: number }).version));
    const pending = migrations.filter((migration) => !applied.has(migration.version));
    for (const migration of pending) {
      db.exec(migration.sql);
      record.run(migration.version, migration.name, new Date().toISOString());
    }
    return pending.map((migration) => migration.name);
  }).immediate();
}
