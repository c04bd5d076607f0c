// Which process serves a data directory: `companion.pid` holds the pid of the running companion.
// A second companion on the same directory refuses to start, and the CLI commands that change key
// files a running server keeps in memory (`master-key rotate`, `grant-keys rotate`) refuse to run
// while one serves it. A file left by a process that is gone (a crash, `kill -9`) is taken over, and
// so is one whose pid now belongs to a process that started after the file was written (the pid was
// reused, typically after a reboot); that check needs Linux's /proc. Elsewhere such a file reads as
// a running companion, and the message says which file to delete.
import { readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDataDir } from './data-dir-files';
import { readProcStat, STAT_FIELD, USER_HZ } from './proc-stat';

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

/** Start times are known to the tick and boot time to the second; the file is written well after. */
const START_SLACK_MS = 1_000;

/** When process `pid` started (ms since the epoch), from /proc; undefined where that is unknown. */
function startedAt(pid: number): number | undefined {
  try {
    const bootLine = readFileSync('/proc/stat', 'utf8')
      .split('\n')
      .find((line) => line.startsWith('btime '));
    // Clock ticks since boot.
    const ticks = readProcStat(`/proc/${pid}/stat`)?.(STAT_FIELD.starttime) ?? Number.NaN;
    const bootSeconds = Number(bootLine?.slice('btime '.length));
    if (!Number.isFinite(ticks) || !Number.isFinite(bootSeconds) || bootSeconds <= 0) return undefined;
    return bootSeconds * 1000 + (ticks * 1000) / USER_HZ;
  } catch {
    return undefined;
  }
}

function lockPath(dataDir: string): string {
  return join(dataDir, SERVER_LOCK_FILE);
}

/** The pid of a live process that holds `dataDir`, or null. */
export function serverHolding(dataDir: string): number | null {
  let content: string;
  let writtenAt: number;
  try {
    content = readFileSync(lockPath(dataDir), 'utf8');
    writtenAt = statSync(lockPath(dataDir)).mtimeMs;
  } catch {
    return null;
  }
  const pid = Number(content.trim());
  if (!Number.isSafeInteger(pid) || pid <= 0 || !isAlive(pid)) return null;
  // The companion writes the file after it starts: a process that started later only got its pid.
  const started = startedAt(pid);
  return started !== undefined && started > writtenAt + START_SLACK_MS ? null : pid;
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
