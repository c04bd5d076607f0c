// Small secret files in the data directory (server secret, signing key, server id, master key,
// grant keys): created once with mode 0600, read back on every start.
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function ensureDataDir(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
}

/** Reads `name`, or writes what `create` returns (mode 0600, never overwriting a racing writer). */
export function readOrCreateFile(dataDir: string, name: string, create: () => string): string {
  ensureDataDir(dataDir);
  const path = join(dataDir, name);
  if (!existsSync(path)) {
    try {
      writeFileSync(path, create(), { mode: 0o600, flag: 'wx' });
    } catch (error) {
      if (!(error instanceof Error && 'code' in error && error.code === 'EEXIST')) throw error;
    }
  }
  // Tighten a file an operator copied in with looser permissions.
  chmodSync(path, 0o600);
  return readFileSync(path, 'utf8');
}

/** Replaces `name` atomically (write to a temp file, rename), mode 0600. */
export function writeFileAtomic(dataDir: string, name: string, content: string): void {
  ensureDataDir(dataDir);
  const path = join(dataDir, name);
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, content, { mode: 0o600 });
  renameSync(temp, path);
}
