// Rows of `usage_events` and `idempotency_records` (migration 002): the usage rows of a request are
// written together with its idempotency record in one transaction, so a replayed request id is
// never billed twice; plus the monthly counters the platform quota needs and the user's listings.
// Each row inserted also adds itself to the daily rollup `usage_daily` (migration 005) through a
// trigger, inside the same statement and so the same transaction: a request's counts commit or
// roll back with its rows, and a refused repeat adds nothing.
import type { RouteSource } from '@byok/shared/wire/enrich';
import type { UsageOutcome, UsageRow, UsageTask } from '@byok/shared/wire/usage';
import type Database from 'better-sqlite3';
import type { Db } from './db';

export interface NewUsageRow {
  id: string;
  orgId: string;
  userId: string;
  requestId: string;
  at: string;
  provider: string;
  model: string;
  source: RouteSource;
  secretId: string | null;
  task: UsageTask;
  inputTokens: number;
  outputTokens: number;
  costMicros: number;
  latencyMs: number;
  outcome: UsageOutcome;
}

export interface StoredResponse {
  status: number;
  body: unknown;
}

export const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;

/** A stored row as the usage queries read it back: the new row without its owner and request. */
type UsageDbRow = Omit<NewUsageRow, 'orgId' | 'userId' | 'requestId'>;

/** Where a page of one user's rows ends: its last row's time and rowid. */
export interface UsagePosition {
  readonly at: string;
  readonly rowid: number;
}

type Statement = Database.Statement<unknown[]>;

export class UsageStore {
  private lastPurge = 0;
  // Prepared once: compiling SQL on every request showed up in the enrichment benchmark.
  private readonly insertRow: Database.Statement<[NewUsageRow]>;
  private readonly insertRecord: Statement;
  private readonly deleteExpiredRecord: Statement;
  private readonly selectRecord: Statement;
  private readonly platformMonth: Statement;
  private readonly trackedMonth: Statement;
  private readonly selectUserPage: Statement;
  /** The write of `record`, wrapped once (better-sqlite3 builds four wrappers per transaction()). */
  private readonly writeTransaction: (
    rows: readonly NewUsageRow[],
    idempotency: { userId: string; requestId: string; response: StoredResponse } | null,
    alongside: (() => void) | undefined,
    now: string,
  ) => boolean;

  constructor(
    private readonly db: Db,
    private readonly clock: () => number = Date.now,
  ) {
    this.insertRow = db.prepare(
      `INSERT INTO usage_events (id, org_id, user_id, request_id, at, provider, model, source, secret_id, task,
         input_tokens, output_tokens, cost_micros, latency_ms, outcome)
       VALUES (@id, @orgId, @userId, @requestId, @at, @provider, @model, @source, @secretId, @task,
         @inputTokens, @outputTokens, @costMicros, @latencyMs, @outcome)`,
    );
    this.insertRecord = db.prepare('INSERT OR IGNORE INTO idempotency_records (user_id, request_id, status, response, created_at) VALUES (?, ?, ?, ?, ?)');
    this.deleteExpiredRecord = db.prepare('DELETE FROM idempotency_records WHERE user_id = ? AND request_id = ? AND created_at < ?');
    this.selectRecord = db.prepare('SELECT status, response FROM idempotency_records WHERE user_id = ? AND request_id = ? AND created_at >= ?');
    // Every platform row's cost counts, and a call wherever a provider did work (an answer, or
    // tokens or cost on a failed or aborted attempt): otherwise requests the client abandons or a
    // later chunk fails would be free. The outcomes are listed so that usage_events_quota ranges over
    // `at` within each of them rather than reading the organization's whole history;
    // `quota_exceeded` is left out, a refusal before any call that never carries usage.
    this.platformMonth = db.prepare(
      `SELECT COALESCE(SUM(outcome = 'ok' OR input_tokens > 0 OR output_tokens > 0 OR cost_micros > 0), 0) AS calls,
              COALESCE(SUM(cost_micros), 0) AS cost
       FROM usage_events
       WHERE org_id = ? AND source = 'platform' AND outcome IN ('ok', 'unreachable', 'rate_limited', 'key_rejected', 'error') AND at >= ?`,
    );
    this.selectUserPage = db.prepare(
      `SELECT rowid AS position, id, at, provider, model, source, secret_id AS secretId, task, input_tokens AS inputTokens,
              output_tokens AS outputTokens, cost_micros AS costMicros, latency_ms AS latencyMs, outcome
       FROM usage_events WHERE user_id = ? AND at >= ? AND at < ? AND (at > ? OR (at = ? AND rowid > ?))
       ORDER BY at ASC, rowid ASC LIMIT ?`,
    );
    this.trackedMonth = db.prepare(
      `SELECT COUNT(*) AS calls FROM usage_events WHERE org_id = ? AND source IN ('byok', 'org') AND outcome = 'ok' AND task != 'verify' AND at >= ?`,
    );
    this.writeTransaction = db.transaction(
      (
        rows: readonly NewUsageRow[],
        idempotency: { userId: string; requestId: string; response: StoredResponse } | null,
        alongside: (() => void) | undefined,
        now: string,
      ): boolean => {
        let stored = true;
        if (idempotency) {
          // An expired record of the same id is replaced: the 24-hour window has passed.
          this.deleteExpiredRecord.run(idempotency.userId, idempotency.requestId, this.windowStart());
          const inserted = this.insertRecord.run(idempotency.userId, idempotency.requestId, idempotency.response.status, JSON.stringify(idempotency.response.body), now);
          stored = inserted.changes === 1;
        }
        // The calls happened either way: their rows are written even when another request's answer
        // for the same id was stored first.
        for (const row of rows) this.insertRow.run(row);
        if (stored) alongside?.();
        return stored;
      },
    ).immediate;
  }

  /**
   * Writes the usage rows of one request and, when the client named the request, its stored
   * answer, atomically; `alongside` runs in the same transaction (e.g. marking the key used).
   * Returns false when another request with the same id won the race: its answer stands and ours
   * is not stored, but our rows are written (those calls were made).
   */
  record(
    rows: readonly NewUsageRow[],
    idempotency: { userId: string; requestId: string; response: StoredResponse } | null,
    alongside?: () => void,
  ): boolean {
    const now = new Date(this.clock()).toISOString();
    const written = this.writeTransaction(rows, idempotency, alongside, now);
    this.purgeExpired();
    return written;
  }

  /** The stored answer of `requestId` by `userId` from the last 24 hours. */
  storedResponse(userId: string, requestId: string): StoredResponse | undefined {
    const row = this.selectRecord.get(userId, requestId, this.windowStart()) as { status: number; response: string } | undefined;
    return row && { status: row.status, body: JSON.parse(row.response) as unknown };
  }

  /**
   * This month's (UTC) calls and cost that count against the platform quota: platform calls a
   * provider worked on, whatever their outcome, and the cost of every platform row; successful
   * personal and organization calls too when BYOK metering is `track` (calls only, their cost is
   * the member's or the organization's own).
   */
  monthToDate(orgId: string, trackByok: boolean, now = new Date(this.clock())): { calls: number; costMicros: number } {
    const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString();
    const platform = this.platformMonth.get(orgId, monthStart) as { calls: number; cost: number };
    let calls = platform.calls;
    if (trackByok) {
      const tracked = this.trackedMonth.get(orgId, monthStart) as { calls: number };
      calls += tracked.calls;
    }
    return { calls, costMicros: platform.cost };
  }

  /**
   * Up to `limit` of one user's rows in [from, to), oldest first, after the position `after` (null:
   * from the start); `next` is where the following page starts. Pages are separate queries (keyset on
   * `at` then rowid), so nothing holds the connection between them.
   */
  rowsForUserPage(userId: string, from: Date, to: Date, after: UsagePosition | null, limit: number): { rows: UsageRow[]; next: UsagePosition | null } {
    const start = after ?? { at: '', rowid: 0 };
    const found = this.selectUserPage.all(userId, from.toISOString(), to.toISOString(), start.at, start.at, start.rowid, limit) as Array<UsageDbRow & { position: number }>;
    const last = found.at(-1);
    return {
      rows: found.map(({ position: _position, ...row }) => ({ ...row, provider: row.provider as UsageRow['provider'] })),
      next: last === undefined ? null : { at: last.at, rowid: last.position },
    };
  }

  private windowStart(): string {
    return new Date(this.clock() - IDEMPOTENCY_WINDOW_MS).toISOString();
  }

  /** At most once a minute, drops stored answers older than the window. */
  private purgeExpired(): void {
    const now = this.clock();
    if (now - this.lastPurge < 60_000) return;
    this.lastPurge = now;
    this.db.prepare('DELETE FROM idempotency_records WHERE created_at < ?').run(this.windowStart());
  }
}
