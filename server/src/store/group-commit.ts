// Group commit: the small write transactions of requests that finish in the same turn of the
// event loop (a grant's jti, an enrichment's usage rows with its idempotency record) share one
// SQLite transaction. Each piece of work still runs in its own savepoint, so one that throws
// (a replay race, a refused repeat) rolls back alone; and every promise settles only after the
// COMMIT, so an answer built on it is never sent before its rows are in the database. Under load
// this writes each touched page to the WAL once per batch instead of once per request (the
// enrichment benchmark's biggest single cost after the HTTP stack); with one request in flight a
// batch is that request alone, a setImmediate later. Everything queued before a check phase is
// committed in it, batch after batch, before the event loop polls for I/O again.
import type { Db } from './db';

interface Pending {
  readonly work: () => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

type Outcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };

/** A failure that took the whole transaction with it (SQLite rolls back on a full disk, I/O errors). */
class TransactionLost extends Error {
  constructor(readonly reason: unknown) {
    super('the batch transaction was rolled back');
  }
}

export class GroupCommit {
  private queue: Pending[] = [];
  private scheduled = false;
  /** One item in a savepoint: better-sqlite3 nests a transaction function as SAVEPOINT. */
  private readonly runItem: (work: () => unknown) => unknown;
  private readonly runBatch: (batch: readonly Pending[]) => Outcome[];

  constructor(
    private readonly db: Db,
    private readonly maxBatch = 256,
  ) {
    this.runItem = db.transaction((work: () => unknown) => work());
    this.runBatch = db.transaction((batch: readonly Pending[]): Outcome[] => {
      const outcomes: Outcome[] = [];
      for (const item of batch) {
        try {
          outcomes.push({ ok: true, value: this.runItem(item.work) });
        } catch (error) {
          if (!this.db.inTransaction) throw new TransactionLost(error);
          outcomes.push({ ok: false, error });
        }
      }
      return outcomes;
    }).immediate;
  }

  /**
   * Runs `work` (synchronous database writes; it may use transaction functions, which nest) in the
   * next batch, and settles with its result or error once the batch has committed.
   */
  run<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      this.schedule();
    });
  }

  /** Commits everything queued now, synchronously (before the database is closed). */
  drain(): void {
    this.flush();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  /**
   * Commits every batch queued so far, each of at most `maxBatch` pieces of work in a transaction
   * of its own, without giving the event loop a turn in between (see the header).
   */
  private flush(): void {
    this.scheduled = false;
    while (this.queue.length > 0) this.commit(this.queue.splice(0, this.maxBatch));
  }

  private commit(batch: readonly Pending[]): void {
    let outcomes: Outcome[];
    try {
      outcomes = this.runBatch(batch);
    } catch (error) {
      // Nothing of this batch was committed (BEGIN, COMMIT or the transaction itself failed).
      const reason = error instanceof TransactionLost ? error.reason : error;
      for (const item of batch) item.reject(reason);
      return;
    }
    batch.forEach((item, index) => {
      const outcome = outcomes[index];
      if (outcome?.ok) item.resolve(outcome.value);
      else item.reject(outcome?.error);
    });
  }
}
