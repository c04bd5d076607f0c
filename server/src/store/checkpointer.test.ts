// BackgroundCheckpoints on a real SQLite file: with the worker running, the server's connection
// checkpoints itself only rarely and yet the WAL stays small while megabytes are written, also
// under writes that never pause; if the worker cannot run, SQLite's own checkpoints come back; and
// after stop() the connection closes clean.
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BackgroundCheckpoints, RESTART_PAGES } from './checkpointer';
import { openDatabase, type Db } from './db';

let dir: string;
let db: Db;
const warnings: unknown[] = [];
const logger = { warn: (...args: unknown[]) => void warnings.push(args) } as never;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'byok-checkpoint-'));
  db = openDatabase(dir);
  db.exec('CREATE TABLE blobs (id INTEGER PRIMARY KEY, body BLOB NOT NULL)');
  warnings.length = 0;
});

afterEach(() => {
  if (db.open) db.close();
  rmSync(dir, { recursive: true, force: true });
});

const walBytes = (): number => (existsSync(`${db.name}-wal`) ? statSync(`${db.name}-wal`).size : 0);
const autocheckpoint = (): number => db.pragma('wal_autocheckpoint', { simple: true }) as number;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** 40 transactions of 100 KiB each (4 MB in all), with a pause after each like a running server. */
async function writeMegabytes(): Promise<number> {
  const insert = db.prepare('INSERT INTO blobs (body) VALUES (?)');
  const write = db.transaction(() => {
    for (let row = 0; row < 25; row++) insert.run(Buffer.alloc(4096, row));
  });
  let largest = 0;
  for (let batch = 0; batch < 40; batch++) {
    write();
    largest = Math.max(largest, walBytes());
    await sleep(15);
  }
  return largest;
}

describe('BackgroundCheckpoints', () => {
  it('takes checkpoints off the connection and still keeps the WAL bounded', async () => {
    const checkpoints = new BackgroundCheckpoints(db, logger, { intervalMs: 5 });
    await checkpoints.ready();
    expect(checkpoints.running).toBe(true);
    expect(autocheckpoint()).toBe(RESTART_PAGES);

    const largest = await writeMegabytes();
    // Without any checkpoint the WAL would hold all 4 MB; the worker keeps it to a few batches.
    expect(largest).toBeLessThan(1_500_000);
    expect(warnings).toEqual([]);

    await checkpoints.stop();
    expect(checkpoints.running).toBe(false);
    expect(autocheckpoint()).toBe(1000);
    expect((db.prepare('SELECT COUNT(*) AS n FROM blobs').get() as { n: number }).n).toBe(1000);
    db.close();
    // The server's connection was the last: its close checkpointed and removed the WAL.
    expect(existsSync(`${join(dir, 'byok.sqlite')}-wal`)).toBe(false);
  });

  it('keeps the WAL bounded under writes that never pause, where the worker alone cannot', async () => {
    // A busy server: a small transaction, a turn of the event loop, the next one. The worker's
    // checkpoints never find the WAL fully copied at the moment a write starts, so the WAL is never
    // started over; the connection's own checkpoint past `restartPages` is what restarts it.
    const checkpoints = new BackgroundCheckpoints(db, logger, { intervalMs: 5, restartPages: 200 });
    await checkpoints.ready();
    const insert = db.prepare('INSERT INTO blobs (body) VALUES (?)');
    let largest = 0;
    for (let row = 0; row < 4000; row++) {
      insert.run(Buffer.alloc(1000, row));
      largest = Math.max(largest, walBytes());
      await new Promise((resolve) => setImmediate(resolve));
    }
    // Unbounded, 4,000 one-page transactions make a WAL of ~16 MB. Bounded, it restarts past 200
    // pages (~0.8 MB) once a checkpoint completes; on a loaded machine the worker's checkpoint can
    // hold that off for a while (2 MB was seen once in CI), so the bound leaves room for it.
    expect(largest).toBeLessThan(6_000_000);
    expect(warnings).toEqual([]);
    await checkpoints.stop();
  });

  it('the control: with checkpoints off and no worker, the same writes grow the WAL to megabytes', async () => {
    db.pragma('wal_autocheckpoint = 0');
    expect(await writeMegabytes()).toBeGreaterThan(4_000_000);
  });

  it('gives SQLite its own checkpoints back when the worker cannot open the database', async () => {
    const checkpoints = new BackgroundCheckpoints(db, logger, { path: join(dir, 'missing.sqlite') });
    await expect(checkpoints.ready()).rejects.toThrow('not running');
    expect(checkpoints.running).toBe(false);
    expect(autocheckpoint()).toBe(1000);
    expect(JSON.stringify(warnings)).toContain('WAL checkpoints are back on the request path');
    // The reason names the error class, never a message that could carry a path.
    expect(JSON.stringify(warnings)).not.toContain('missing.sqlite');
    await checkpoints.stop();
  });

  it('stops before it was ever ready without leaving checkpoints off', async () => {
    const checkpoints = new BackgroundCheckpoints(db, logger);
    await checkpoints.stop();
    expect(autocheckpoint()).toBe(1000);
    await expect(checkpoints.ready()).rejects.toThrow();
  });
});
