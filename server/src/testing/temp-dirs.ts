// Temporary directories for tests that use real files: made under the system's temp directory and
// removed after each test (or after the file's last test), with any other directory handed over.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach } from 'vitest';

export interface TempDirs {
  /** A new empty directory named `<prefix>XXXXXX` (the prefix given here, or the one given to useTempDirs). */
  make(prefix?: string): string;
  /** Removes `dir` with the others (a directory some helper made); returns it. */
  keep(dir: string): string;
}

/** Call at the top level of a test file or in a `describe`: it registers the clean-up hook there. */
export function useTempDirs(prefix: string, removeAfter: 'each' | 'all' = 'each'): TempDirs {
  const made: string[] = [];
  (removeAfter === 'each' ? afterEach : afterAll)(() => {
    const failures: unknown[] = [];
    for (const dir of made.splice(0)) {
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch (error) {
        failures.push(error);
      }
    }
    // Every directory was tried; the first failure is reported.
    if (failures.length > 0) throw failures[0];
  });
  const keep = (dir: string): string => {
    made.push(dir);
    return dir;
  };
  return { make: (own?: string) => keep(mkdtempSync(join(tmpdir(), own ?? prefix))), keep };
}
