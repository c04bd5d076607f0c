// A SIGTERM stops the companion even when nobody reads its stdout any more (a log collector that
// died, `companion | head`, a parent that went away): the shutdown's last lines cannot be written
// (EPIPE) and must not keep the process from exiting. The shutdown still completes: the database is
// checkpointed and closed, and the data directory's lock is released.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, constants, existsSync, mkdtempSync, openSync, rmSync, statSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureServerBuilt } from '../support/spawned-server';

const REPO_ROOT = join(import.meta.dirname, '..', '..');
const dataDirs: string[] = [];
afterAll(() => {
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

function newDataDir(): string {
  const dataDir = mkdtempSync(join(tmpdir(), 'byok-shutdown-'));
  dataDirs.push(dataDir);
  return dataDir;
}

function spawnCompanion(dataDir: string, stdout: 'pipe' | number, port = 0) {
  ensureServerBuilt();
  return spawn(process.execPath, [join('server', 'dist', 'main.mjs')], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', BYOK_DATA_DIR: dataDir, BYOK_PORT: String(port), BYOK_RATE_LIMITS: 'off' },
    stdio: ['ignore', stdout, 'ignore'],
  });
}

/** Starts the built companion with its stdout piped to us; resolves once it listens. */
async function startCompanion(dataDir: string) {
  const child = spawnCompanion(dataDir, 'pipe');
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    let seen = '';
    child.stdout!.on('data', (chunk: Buffer) => {
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

/** SIGTERM, an exit 0 within 10 s, and a shutdown run to its end: the WAL checkpointed into the database and truncated. */
async function expectCleanStop(child: ChildProcess, exited: Promise<number | null>, dataDir: string): Promise<void> {
  child.kill('SIGTERM');
  expect(await within(exited, 10_000)).toBe(0);
  const wal = join(dataDir, 'byok.sqlite-wal');
  expect(existsSync(wal) ? statSync(wal).size : 0).toBe(0);
}

describe('shutdown', () => {
  it.each([
    ['right after its reader went away', 0],
    ['after request lines failed to be written', 3],
  ])('exits 0 on SIGTERM with nobody reading its stdout: %s', async (_case, requests) => {
    const dataDir = newDataDir();
    const { child, exited, url } = await startCompanion(dataDir);
    try {
      // Served, so past start-up (its signal handlers are in place); its request line goes out
      // while the reader is still there.
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 300));
      // Whoever read the logs is gone: the next write to stdout fails with EPIPE.
      child.stdout!.destroy();
      for (let index = 0; index < requests; index++) expect((await fetch(`${url}/healthz`)).status).toBe(200);
      if (requests > 0) await new Promise((resolve) => setTimeout(resolve, 300)); // past the log's batching delay
      await expectCleanStop(child, exited, dataDir);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});

/** A port nothing listens on now. */
async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Waits until the companion at `url` answers /healthz (it started without telling us its URL). */
async function waitServing(url: string): Promise<void> {
  let status = 0;
  for (let attempt = 0; attempt < 100 && status !== 200; attempt++) {
    status = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5_000) }).then((response) => response.status, () => 0);
    if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(status).toBe(200);
}

/** `requests` requests to a path that is not there (each logs a line of about `pathLength` bytes), 8 at a time. */
async function flood(url: string, requests: number, pathLength: number): Promise<void> {
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let index = 0; index < requests / 8; index++) {
        expect((await fetch(`${url}/v1/nothing-here-${'x'.repeat(pathLength)}`, { signal: AbortSignal.timeout(5_000) })).status).toBe(404);
      }
    }),
  );
}

/**
 * Starts the built companion with `stdout` (a descriptor of ours, closed here once the child has
 * it) as its stdout, on a free port; resolves once it serves.
 */
async function startCompanionOn(dataDir: string, stdout: number) {
  const port = await freePort();
  const child = spawnCompanion(dataDir, stdout, port);
  closeSync(stdout);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitServing(url);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return { child, exited, url };
}

describe('shutdown with stdout full or stalled', () => {
  it('exits 0 on SIGTERM when stdout is a full disk (/dev/full), after serving requests', async () => {
    const dataDir = newDataDir();
    const { child, exited, url } = await startCompanionOn(dataDir, openSync('/dev/full', 'w'));
    try {
      const served = () => fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5_000) }).then((response) => response.status);
      for (let index = 0; index < 5; index++) expect(await served()).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 300));
      // Still serving after its log writes failed.
      expect(await served()).toBe(200);
      await expectCleanStop(child, exited, dataDir);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });

  it('exits 0 on SIGTERM when whoever reads its stdout, a pipe, stopped reading and the pipe is full', async () => {
    const dataDir = newDataDir();
    // A real pipe, as Docker or `| tee` give: its reader stays open and never reads.
    const fifo = join(dataDir, 'stdout.fifo');
    execFileSync('mkfifo', [fifo]);
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const { child, exited, url } = await startCompanionOn(dataDir, openSync(fifo, constants.O_WRONLY));
    try {
      // Far more request lines than the pipe's 64 KiB.
      await flood(url, 800, 200);
      // The last lines wait 2 s at most for the pipe, then the companion leaves without them.
      await expectCleanStop(child, exited, dataDir);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      closeSync(reader);
    }
  });

  it('exits 0 on SIGTERM when whoever reads its stdout, a socket, stopped reading and its buffer is full', async () => {
    const dataDir = newDataDir();
    // Node gives a child's stdio as a socket pair: we stop reading ours.
    const { child, exited, url } = await startCompanion(dataDir);
    try {
      child.stdout!.pause();
      // About 1 MB of request lines, more than a socket pair holds.
      await flood(url, 3200, 2000);
      await expectCleanStop(child, exited, dataDir);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      child.stdout!.destroy();
    }
  });
});
