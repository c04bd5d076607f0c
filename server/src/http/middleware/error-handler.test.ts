// toAppError for the failures the hostile-input and fault suites found answering 500 `Internal
// error.`: undecodable path parameters and a data directory that cannot be written.
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { STORAGE_MESSAGE, storageFailure, toAppError } from './error-handler';

function sqliteError(sql: string, setup: (db: Database.Database) => void): unknown {
  const dir = mkdtempSync(join(tmpdir(), 'byok-eh-'));
  const db = new Database(join(dir, 'x.sqlite'));
  try {
    setup(db);
    db.exec(sql);
    return undefined;
  } catch (error) {
    return error;
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('toAppError', () => {
  it('maps a path parameter that is not valid percent-encoding to 400 bad_request', () => {
    let thrown: unknown;
    try {
      decodeURIComponent('%zz');
    } catch (error) {
      thrown = error;
    }
    expect(toAppError(thrown)).toMatchObject({ code: 'bad_request', status: 400 });
  });

  it('maps SQLITE_FULL and SQLITE_READONLY to internal with a message that names the cause', () => {
    // A real SqliteError from better-sqlite3: a database that may not grow past one page.
    const full = sqliteError('CREATE TABLE t (x); INSERT INTO t VALUES (randomblob(100000));', (db) => db.pragma('max_page_count = 2'));
    expect(storageFailure(full)).toBe('SQLITE_FULL');
    expect(toAppError(full)).toMatchObject({ code: 'internal', message: STORAGE_MESSAGE });
    // Other SQLite errors stay unknown (logged as bugs, answered with no detail).
    const syntax = sqliteError('NOT SQL', () => undefined);
    expect(storageFailure(syntax)).toBeUndefined();
    expect(toAppError(syntax)).toBeUndefined();
    expect(toAppError(new Error('SQLITE_FULL'))).toBeUndefined();
  });
});
