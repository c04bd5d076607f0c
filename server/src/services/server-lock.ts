// Which process serves a data directory: `companion.pid` holds the pid of the running companion.
// A second companion on the same directory refuses to start, and the CLI commands that change key
// files a running server keeps in memory (`master-key rotate`, `grant-keys rotate`) refuse to run
// while one serves it. A file left by a process that is gone (a crash, `kill -9`) is taken over. A pid
// reused by an unrelated process after a crash reads as a running companion; the message says which
// file to delete then.
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDataDir } from './data-dir-files';

export const SERVER_LOCK_FILE = 'companion.pid';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, as another user.
    return error instanceof Error && 'code' in error && error.code === 'EPERM';
  }
}

function lockPath(dataDir: string): string {
  return join(dataDir, SERVER_LOCK_FILE);
}

/** The pid of a live process that holds `dataDir`, or null. */
export function serverHolding(dataDir: string): number | null {
  let content: string;
  try {
    content = readFileSync(lockPath(dataDir), 'utf8');
  } catch {
    return null;
  }
  const pid = Number(content.trim());
  return Number.isSafeInteger(pid) && pid > 0 && isAlive(pid) ? pid : null;
}

export class DataDirInUse extends Error {
  constructor(
    readonly pid: number,
    readonly file: string,
  ) {
    super(`A companion (pid ${pid}) is using this data directory. If it is not running, delete ${file}.`);
    this.name = 'DataDirInUse';
  }
}

/** Claims `dataDir` for this process; throws DataDirInUse while another live process holds it. */
export function claimDataDir(dataDir: string): { release(): void } {
  ensureDataDir(dataDir);
  const path = lockPath(dataDir);
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      break;
    } catch (error) {
      if (!(error instanceof Error && 'code' in error && error.code === 'EEXIST') || attempt > 0) throw error;
      const holder = serverHolding(dataDir);
      if (holder !== null) throw new DataDirInUse(holder, path);
      // Left by a process that is gone: take it over (once; a racing claimant wins the retry).
      try {
        unlinkSync(path);
      } catch {
        // Removed meanwhile.
      }
    }
  }
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      try {
        if (readFileSync(path, 'utf8').trim() === String(process.pid)) unlinkSync(path);
      } catch {
        // Already gone.
      }
    },
  };
}
