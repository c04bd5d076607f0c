// WAL checkpoints off the request path. By default SQLite checkpoints inside the COMMIT that
// pushes the WAL past 1,000 pages: that one request copies the pages into the database file and
// waits for two fsyncs, several milliseconds on this machine, every hundred or so enrichments
// (the enrichment benchmark's p99). Here a worker thread with its own connection checkpoints on a
// timer instead, on the other core, and does that copying and syncing.
//
// The worker alone does not bound the WAL. SQLite starts the WAL over only when a write begins
// while every frame is already copied, and under steady load some commit always lands while the
// worker's checkpoint runs: the WAL grew by ~25 MB a second in the enrichment benchmark. So the
// server's connection keeps a checkpoint of its own, much rarer than SQLite's default (past
// `restartPages`, 10,000 pages or ~40 MB): it copies only what the worker has not copied yet, and
// since that connection is the only writer, its next write starts the WAL over. Durability is
// unchanged: a commit is in the WAL before its promise settles either way.
//
// If the worker cannot start or a checkpoint fails, the connection gets SQLite's own checkpoints
// back (and a warning is logged): slower, never unbounded.
import { Worker } from 'node:worker_threads';
import type { Logger } from '../logger';
import type { Db } from './db';

/** SQLite's default for `wal_autocheckpoint`, restored when the worker is gone. */
const SQLITE_AUTOCHECKPOINT_PAGES = 1000;
/** The connection's own checkpoint while the worker runs: what starts the WAL over under load. */
export const RESTART_PAGES = 10_000;

type WorkerMessage = { readonly kind: 'ready' } | { readonly kind: 'failed'; readonly code: string };

export interface CheckpointOptions {
  /** How often the worker checkpoints (default 200 ms). */
  readonly intervalMs?: number;
  /** The file the worker opens (default: the connection's own); tests point it elsewhere to make it fail. */
  readonly path?: string;
  /** WAL size, in pages, at which the connection checkpoints itself and so restarts the WAL (default RESTART_PAGES). */
  readonly restartPages?: number;
}

export class BackgroundCheckpoints {
  private readonly worker: Worker;
  private readonly exited: Promise<void>;
  private readonly readiness: Promise<void>;
  private settleReadiness: { resolve: () => void; reject: (error: Error) => void } | undefined;
  private active = false;
  private stopping = false;

  private readonly restartPages: number;

  constructor(
    private readonly db: Db,
    private readonly logger: Pick<Logger, 'warn'>,
    options: CheckpointOptions = {},
  ) {
    this.restartPages = options.restartPages ?? RESTART_PAGES;
    this.readiness = new Promise((resolve, reject) => {
      this.settleReadiness = { resolve, reject };
    });
    // Nobody has to wait for it: a failure is handled (and logged) here.
    this.readiness.catch(() => undefined);
    this.worker = new Worker(new URL('./checkpoint-worker.mjs', import.meta.url), {
      workerData: { path: options.path ?? db.name, intervalMs: options.intervalMs ?? 200 },
    });
    // The server's own handles keep the process up; this thread alone should not.
    this.worker.unref();
    this.worker.on('message', (message: WorkerMessage) => {
      if (message.kind === 'ready') {
        // Only now: until the worker's connection is open, SQLite keeps checkpointing itself.
        if (!this.stopping) this.handOver();
      } else {
        this.takeBack(`a background checkpoint failed (${message.code})`);
      }
    });
    this.worker.on('error', (error) => this.takeBack(`the checkpoint worker failed (${error.name})`));
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.once('exit', () => {
      if (!this.stopping) this.takeBack('the checkpoint worker exited');
    });
  }

  /** Whether the worker is doing the checkpoints now (false before it is ready and after a failure). */
  get running(): boolean {
    return this.active;
  }

  /** Resolves once the worker is checkpointing; rejects if it failed or was stopped first. */
  ready(): Promise<void> {
    return this.readiness;
  }

  /**
   * Stops the worker and gives the connection its own checkpoints back; call before closing the
   * database, so that the server's connection is the last one and its close checkpoints the rest.
   */
  async stop(): Promise<void> {
    if (!this.stopping) {
      this.stopping = true;
      this.restoreAutocheckpoint();
      this.worker.postMessage('stop');
    }
    // Unref'd, the worker would not keep the process up while we wait for it: a server shutting
    // down (nothing else left in the event loop) would exit before closing its database.
    this.worker.ref();
    await this.exited;
  }

  private handOver(): void {
    this.db.pragma(`wal_autocheckpoint = ${this.restartPages}`);
    this.active = true;
    this.settleReadiness?.resolve();
  }

  private takeBack(reason: string): void {
    if (this.stopping) return;
    this.stopping = true;
    this.restoreAutocheckpoint();
    this.logger.warn({ reason }, 'WAL checkpoints are back on the request path');
    void this.worker.terminate();
  }

  private restoreAutocheckpoint(): void {
    this.active = false;
    this.settleReadiness?.reject(new Error('the checkpoint worker is not running'));
    if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${SQLITE_AUTOCHECKPOINT_PAGES}`);
  }
}
