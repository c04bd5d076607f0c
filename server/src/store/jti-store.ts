// Rows of `grant_jti`: the ids of grants already used, so that a grant opens at most once, across
// restarts too. The one owner of that table's SQL, for personal-key grants and org-key uploads.
import type { Db } from './db';
import { StatementCache } from './statement-cache';

export class JtiStore {
  private readonly statements: StatementCache;

  constructor(db: Db) {
    this.statements = new StatementCache(db);
  }

  /** Whether a grant with this jti was used before. */
  seen(jti: string): boolean {
    return this.statements.prepare('SELECT 1 FROM grant_jti WHERE jti = ?').get(jti) !== undefined;
  }

  /**
   * Records a jti (with its grant's `exp`, for the purge); false when it was already recorded.
   * Call it in the transaction that acts on the grant, so both commit or neither does.
   */
  record(jti: string, exp: number): boolean {
    return this.statements.prepare('INSERT OR IGNORE INTO grant_jti (jti, exp) VALUES (?, ?)').run(jti, exp).changes === 1;
  }

  /** Deletes the jtis of grants that expired before `cutoff` (seconds); returns how many. */
  purgeBefore(cutoff: number): number {
    return this.statements.prepare('DELETE FROM grant_jti WHERE exp < ?').run(cutoff).changes;
  }
}
