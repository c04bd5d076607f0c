// Online backup of the database (better-sqlite3's backup API, SQLite's online backup): a
// consistent copy while the server keeps running, written with mode 0600 and checked by opening
// it. The secret files of the data directory (master.key above all) are not in it on purpose:
// keep them apart from the ciphertext they protect.
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Db } from '../store/db';
import { errorCodeOf } from './error-code';

export interface BackupResult {
  file: string;
  bytes: number;
  pages: number;
}

export class BackupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackupError';
  }
}

export async function backupDatabase(db: Db, file: string, options: { overwrite?: boolean } = {}): Promise<BackupResult> {
  const target = resolve(file);
  if (target === resolve(db.name)) throw new BackupError('The backup file cannot be the live database.');
  if (existsSync(target) && options.overwrite !== true) throw new BackupError('The backup file exists; choose another name or pass --force.');
  if (existsSync(target) && statSync(target).isDirectory()) throw new BackupError('The backup file is a directory.');
  // The copy goes to a file created 0600 before SQLite writes a byte into it, and replaces the
  // target only once checked: no moment when the keys' ciphertext sits in a world-readable file,
  // and a failed run leaves an earlier backup as it was.
  const partial = `${target}.partial-${randomBytes(4).toString('hex')}`;
  try {
    closeSync(openSync(partial, 'wx', 0o600));
  } catch (error) {
    throw new BackupError(`The backup file cannot be created there (${errorCodeOf(error) ?? 'unknown error'}).`);
  }
  try {
    const progress = await db.backup(partial);
    // The copy is a standalone file: no WAL or shared-memory companions to carry along.
    const copy = new Database(partial, { fileMustExist: true });
    try {
      copy.pragma('journal_mode = DELETE');
      const check = copy.pragma('integrity_check', { simple: true });
      if (check !== 'ok') throw new BackupError('The backup copy failed its integrity check.');
    } finally {
      copy.close();
    }
    renameSync(partial, target);
    return { file: target, bytes: statSync(target).size, pages: progress.totalPages };
  } catch (error) {
    rmSync(partial, { force: true });
    rmSync(`${partial}-journal`, { force: true });
    if (error instanceof BackupError) throw error;
    throw new BackupError(`The backup could not be written (${errorCodeOf(error) ?? 'unknown error'}).`);
  }
}
