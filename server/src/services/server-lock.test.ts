// The data directory's lock: one holder at a time, in this process or another, named by its pid;
// free again the moment its holder ends, however it ends; and blind to clocks and pid files.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { claimDataDir, DataDirInUse, SERVER_PID_FILE } from './server-lock';
import { useTempDirs } from '../testing/temp-dirs';

const tempDir = useTempDirs('byok-lock-').make;

function refusal(dataDir: string): DataDirInUse {
  try {
    claimDataDir(dataDir).release();
  } catch (error) {
    if (error instanceof DataDirInUse) return error;
    throw error;
  }
  throw new Error('expected the data directory to be in use');
}

/** A process that claims `dataDir`, says so on stdout, and then waits to be killed. */
function holdInAnotherProcess(dataDir: string): Promise<{ pid: number; kill(): Promise<void> }> {
  const lock = fileURLToPath(new URL('./server-lock.ts', import.meta.url));
  const code = `const { claimDataDir } = await import(${JSON.stringify(lock)}); claimDataDir(${JSON.stringify(dataDir)}); process.stdout.write('held\\n'); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (exitCode) => reject(new Error(`the holder exited early (${exitCode})`)));
    child.stdout.once('data', () => {
      child.removeAllListeners('exit');
      resolve({
        pid: child.pid ?? 0,
        kill: () =>
          new Promise<void>((done) => {
            child.once('exit', () => done());
            child.kill('SIGKILL');
          }),
      });
    });
  });
}

/** Whether a claim from another process succeeds now: 'claimed', or 'refused <pid>'. */
async function claimFromAnotherProcess(dataDir: string): Promise<string> {
  const lock = fileURLToPath(new URL('./server-lock.ts', import.meta.url));
  const code = `const { claimDataDir, DataDirInUse } = await import(${JSON.stringify(lock)});
try { claimDataDir(${JSON.stringify(dataDir)}).release(); process.stdout.write('claimed'); }
catch (error) { if (!(error instanceof DataDirInUse)) throw error; process.stdout.write('refused ' + error.pid); }`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  await new Promise((resolve) => child.once('close', resolve));
  return out;
}

describe('claimDataDir', () => {
  it('admits one holder at a time in this process, names it, and is free again once released', () => {
    const dataDir = tempDir();
    const claim = claimDataDir(dataDir);
    expect(readFileSync(join(dataDir, SERVER_PID_FILE), 'utf8')).toBe(`${process.pid}\n`);
    expect(refusal(dataDir).pid).toBe(process.pid);
    expect(refusal(dataDir).message).toContain(`pid ${process.pid}`);
    claim.release();
    claim.release();
    expect(existsSync(join(dataDir, SERVER_PID_FILE))).toBe(false);
    claimDataDir(dataDir).release();
  });

  it('stays held against other processes after this one was refused a second claim', async () => {
    // Closing any descriptor of the file would drop this process's POSIX lock: a refused second
    // claim must not open the file, or another process could then take the directory.
    const dataDir = tempDir();
    const claim = claimDataDir(dataDir);
    expect(refusal(dataDir).pid).toBe(process.pid);
    expect(await claimFromAnotherProcess(dataDir)).toBe(`refused ${process.pid}`);
    // The lock leaves no journal or other file beside it.
    expect(readdirSync(dataDir).sort()).toEqual(['companion.lock', 'companion.pid']);
    claim.release();
    expect(await claimFromAnotherProcess(dataDir)).toBe('claimed');
  }, 30_000);

  it('keeps another process out while it holds the directory, and is free the moment it is killed', async () => {
    const dataDir = tempDir();
    const holder = await holdInAnotherProcess(dataDir);
    try {
      expect(refusal(dataDir).pid).toBe(holder.pid);
    } finally {
      await holder.kill();
    }
    // kill -9 ran no clean-up: its pid file is still there, naming a process that is gone.
    expect(readFileSync(join(dataDir, SERVER_PID_FILE), 'utf8')).toBe(`${holder.pid}\n`);
    const claim = claimDataDir(dataDir);
    expect(readFileSync(join(dataDir, SERVER_PID_FILE), 'utf8')).toBe(`${process.pid}\n`);
    claim.release();
  }, 30_000);

  it('trusts no pid file and no clock: a live holder stays a holder, a pid file alone holds nothing', async () => {
    const dataDir = tempDir();
    const claim = claimDataDir(dataDir);
    // The clock stepped (NTP at boot): the pid file now looks written long before its process
    // started, or in the future. The previous check took such a live companion for a reused pid.
    for (const when of [new Date(Date.now() - process.uptime() * 1000 - 86_400_000), new Date(Date.now() + 86_400_000)]) {
      utimesSync(join(dataDir, SERVER_PID_FILE), when, when);
      expect(refusal(dataDir).pid).toBe(process.pid);
    }
    // Someone edited the pid file: the refusal still stands, only the name it gives changes.
    writeFileSync(join(dataDir, SERVER_PID_FILE), 'not a pid\n');
    expect(await claimFromAnotherProcess(dataDir)).toBe('refused null');
    claim.release();
    // A pid file naming this live process, with no lock behind it, keeps nobody out.
    writeFileSync(join(dataDir, SERVER_PID_FILE), `${process.pid}\n`);
    claimDataDir(dataDir).release();
  }, 30_000);
});
