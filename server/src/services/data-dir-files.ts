// Small secret files in the data directory (server secret, signing key, server id, master key,
// grant keys): created once with mode 0600, read back on every start. Every write reaches the disk
// (the file, then the directory entry) before it is relied on: a master key lost to a power cut
// would make every organization key unrecoverable.
import { chmodSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export function ensureDataDir(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
}

/** Makes a directory's entries (a created or renamed file), or a file's content, durable. */
export function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes `content` to a new file (flag `wx` or `w`), mode 0600, and fsyncs it. */
function writeDurably(path: string, content: string, flag: 'wx' | 'w'): void {
  const fd = openSync(path, flag, 0o600);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Reads `name`, or writes what `create` returns (mode 0600, never overwriting a racing writer). */
export function readOrCreateFile(dataDir: string, name: string, create: () => string): string {
  ensureDataDir(dataDir);
  const path = join(dataDir, name);
  if (!existsSync(path)) {
    try {
      writeDurably(path, create(), 'wx');
      fsyncPath(dataDir);
    } catch (error) {
      if (!(error instanceof Error && 'code' in error && error.code === 'EEXIST')) throw error;
    }
  }
  // Tighten a file an operator copied in with looser permissions.
  chmodSync(path, 0o600);
  return readFileSync(path, 'utf8');
}

/** Replaces `name` atomically and durably (write and fsync a temp file, rename, fsync the directory), mode 0600. */
export function writeFileAtomic(dataDir: string, name: string, content: string): void {
  ensureDataDir(dataDir);
  const path = join(dataDir, name);
  const temp = `${path}.${process.pid}.tmp`;
  writeDurably(temp, content, 'w');
  renameSync(temp, path);
  fsyncPath(dataDir);
}
