// The thread behind BackgroundCheckpoints (checkpointer.ts): its own connection to the database
// file, and every `intervalMs` a PASSIVE checkpoint, which copies committed WAL frames into the
// database file and fsyncs both, without ever waiting for or blocking the writer. Plain JavaScript
// on purpose: a worker thread does not inherit the TypeScript loader of vitest.
//
// Messages to the parent: { kind: 'ready' } once the connection is open, then { kind: 'failed',
// code } if a checkpoint throws (the parent turns SQLite's own checkpoints back on). The parent
// sends 'stop'; the worker closes its connection and ends.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

/** @type {{ path: string, intervalMs: number }} */
const { path, intervalMs } = workerData;

const db = new Database(path, { fileMustExist: true });
// A checkpoint never takes the writer's lock; a busy reader only shortens this one.
db.pragma('busy_timeout = 0');

const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (error) {
    clearInterval(timer);
    // The code only (e.g. SQLITE_IOERR): never the message, which may hold a path.
    parentPort?.postMessage({ kind: 'failed', code: typeof error?.code === 'string' ? error.code : 'unknown' });
  }
}, intervalMs);

parentPort?.on('message', (message) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  db.close();
  parentPort?.close();
});

parentPort?.postMessage({ kind: 'ready' });
