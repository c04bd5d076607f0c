// Which process serves a data directory. The companion holds an exclusive SQLite lock on
// `companion.lock` for as long as it runs (an fcntl lock on POSIX systems, LockFileEx on Windows;
// SQLite also keeps two connections of one process apart) and writes its pid to `companion.pid` for
// people and messages. The operating system drops the lock when the process ends, however it ends
// (exit, crash, kill -9), so a lock is never stale: nothing compares pids, start times or clocks.
// A second companion on the same directory refuses to start, and the CLI commands that change key
// files a running server keeps in memory (`master-key rotate`, `grant-keys rotate`) take the same
// lock while they run.
//
// POSIX locks belong to the process, and closing any descriptor of the file drops them all: this
// process never opens `companion.lock` with node:fs once it may hold it, and refuses a second claim
// of a directory it holds before touching the file.
import { closeSync, openSync, readFileSync, realpathSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { isSqliteBusy } from '../store/db';
import { ensureDataDir } from './data-dir-files';
import { errorCodeOf } from './error-code';

export const SERVER_LOCK_FILE = 'companion.lock';
export const SERVER_PID_FILE = 'companion.pid';

export class DataDirInUse extends Error {
  constructor(
    /** From `companion.pid`; null when it cannot be read (the holder is still writing it). */
    readonly pid: number | null,
  ) {
    super(`Another process${pid === null ? '' : ` (pid ${pid})`} is using this data directory: a companion, or a key rotation or restore of the admin CLI.`);
    this.name = 'DataDirInUse';
  }
}

/** Directories this process holds (real paths). */
const held = new Set<string>();

/** Creates the lock file 0600 if it is missing; an existing one is not opened (see above). */
function ensureLockFile(lockFile: string): void {
  try {
    closeSync(openSync(lockFile, 'wx', 0o600));
  } catch (error) {
    if (errorCodeOf(error) !== 'EEXIST') throw error;
  }
}

function holderPid(dataDir: string): number | null {
  try {
    const pid = Number(readFileSync(join(dataDir, SERVER_PID_FILE), 'utf8').trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** Claims `dataDir` for this process until `release()`; throws DataDirInUse while another holds it. */
export function claimDataDir(dataDir: string): { release(): void } {
  ensureDataDir(dataDir);
  const key = realpathSync(dataDir);
  if (held.has(key)) throw new DataDirInUse(process.pid);
  const lockFile = join(dataDir, SERVER_LOCK_FILE);
  // Created 0600 like every file of the directory; it stays empty (no table is ever written, and
  // without a journal no other file appears beside it).
  ensureLockFile(lockFile);
  const lock = new Database(lockFile, { timeout: 0 });
  try {
    lock.pragma('journal_mode = MEMORY');
    // Held from BEGIN until the connection closes: EXCLUSIVE mode never gives the lock back early.
    lock.pragma('locking_mode = EXCLUSIVE');
    lock.exec('BEGIN EXCLUSIVE');
  } catch (error) {
    lock.close();
    if (isSqliteBusy(error)) throw new DataDirInUse(holderPid(dataDir));
    throw error;
  }
  held.add(key);
  const pidFile = join(dataDir, SERVER_PID_FILE);
  try {
    writeFileSync(pidFile, `${process.pid}\n`, { mode: 0o600 });
  } catch (error) {
    lock.close();
    held.delete(key);
    throw error;
  }
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      // The pid file goes while the lock is still held: a later holder's file is never removed.
      try {
        unlinkSync(pidFile);
      } catch {
        // Already gone.
      }
      lock.close();
      held.delete(key);
    },
  };
}
