// A SIGTERM stops the companion even when nobody reads its stdout any more (a log collector that
// died, `companion | head`, a parent that went away): the shutdown's last lines cannot be written
// (EPIPE) and must not keep the process from exiting. The shutdown still completes: the database is
// checkpointed and closed, and the data directory's lock is released.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureServerBuilt } from '../support/spawned-server';

const REPO_ROOT = join(import.meta.dirname, '..', '..');
const dataDirs: string[] = [];
afterAll(() => {
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

/** Starts the built companion with its stdout piped to us; resolves once it listens. */
async function startCompanion(dataDir: string) {
  ensureServerBuilt();
  const child = spawn(process.execPath, [join('server', 'dist', 'main.mjs')], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', BYOK_DATA_DIR: dataDir, BYOK_PORT: '0' },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    let seen = '';
    child.stdout.on('data', (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      const match = /listening on (http:\/\/[^\s"]+)/.exec(seen);
      if (match?.[1]) resolve(match[1]);
    });
    void exited.then((code) => reject(new Error(`the companion exited (${code}) before it listened`)));
  });
  return { child, exited, url };
}

function within<T>(promise: Promise<T>, ms: number): Promise<T | 'timed out'> {
  return Promise.race([promise, new Promise<'timed out'>((resolve) => setTimeout(() => resolve('timed out'), ms).unref())]);
}

describe('shutdown', () => {
  it.each([
    ['right after its reader went away', 0],
    ['after request lines failed to be written', 3],
  ])('exits 0 on SIGTERM with nobody reading its stdout: %s', async (_case, requests) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'byok-shutdown-'));
    dataDirs.push(dataDir);
    const { child, exited, url } = await startCompanion(dataDir);
    try {
      // Served, so past start-up (its signal handlers are in place); its request line goes out
      // while the reader is still there.
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 300));
      // Whoever read the logs is gone: the next write to stdout fails with EPIPE.
      child.stdout.destroy();
      for (let index = 0; index < requests; index++) expect((await fetch(`${url}/healthz`)).status).toBe(200);
      if (requests > 0) await new Promise((resolve) => setTimeout(resolve, 300)); // past the log's batching delay
      child.kill('SIGTERM');
      expect(await within(exited, 10_000)).toBe(0);
      // The shutdown ran to its end: the WAL was checkpointed into the database and truncated.
      const wal = join(dataDir, 'byok.sqlite-wal');
      expect(existsSync(wal) ? statSync(wal).size : 0).toBe(0);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
