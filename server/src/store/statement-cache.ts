// Prepared statements compiled once per store: compiling the same SQL on every call was a visible
// share of each request in the enrichment benchmark. The SQL texts are constants of the code, so
// the cache is bounded by the number of queries the store has. Statements are only ever run with
// get/all/run (never left iterating), so sharing one between calls is safe.
import type Database from 'better-sqlite3';
import type { Db } from './db';

export type CachedStatement = Database.Statement<unknown[]>;

export class StatementCache {
  private readonly statements = new Map<string, CachedStatement>();

  constructor(private readonly db: Db) {}

  /** Like `db.prepare(sql)`, compiled on the first call only. */
  prepare(sql: string): CachedStatement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }
}
