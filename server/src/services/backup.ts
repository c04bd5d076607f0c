// Online backup of the database (better-sqlite3's backup API, SQLite's online backup): a
// consistent copy while the server keeps running, written with mode 0600 and checked by opening
// it. The secret files of the data directory (master.key above all) are not in it on purpose:
// keep them apart from the ciphertext they protect.
import Database from 'better-sqlite3';
import { chmodSync, existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Db } from '../store/db';

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
  const progress = await db.backup(target);
  chmodSync(target, 0o600);
  // The copy is a standalone file: no WAL or shared-memory companions to carry along.
  const copy = new Database(target, { fileMustExist: true });
  try {
    copy.pragma('journal_mode = DELETE');
    const check = copy.pragma('integrity_check', { simple: true });
    if (check !== 'ok') throw new BackupError('The backup copy failed its integrity check.');
  } finally {
    copy.close();
  }
  return { file: target, bytes: statSync(target).size, pages: progress.totalPages };
}
